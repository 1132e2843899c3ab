using System.Runtime.CompilerServices;
using Engine.Model;

namespace Engine.Brain;

/// <summary>
/// The brain: turns the ring's market events into order intents, written into the slot it is processing
/// (<see cref="MarketEvent.Intents"/>). Single-threaded by design — only the brain stage calls
/// <see cref="OnEvent"/> — and driven only by event times, never the wall clock, so a replay decides the same.
/// </summary>
/// <remarks>
/// Per event: candles advance (trades and exchange klines), indicators and the strategy run on each closed candle
/// of the signal interval, then the symbol's decision (exit, entry, rotation) is written. Order updates move
/// positions, pending entries and cooldowns; account events move equity; commands pause, resume and flatten.
/// Exits that do not fit the slot's two intents wait in a queue and go out on the following events.
/// Every handler is total on data: a value that cannot be true (a price not above zero, a time out of range, a sum
/// past the fixed-point range) is refused and counted (<see cref="BrainCounter.ImpossibleValues"/>, or a sizing
/// refusal), never thrown, so no market data or venue answer can halt the brain stage.
/// </remarks>
public sealed class TradingBrain
{
    /// <summary>Latest event time the brain takes, ms since the epoch (the end of year 9999); later or negative times are not true.</summary>
    public const long MaxEventTimeMs = 253_402_300_799_999;

    private readonly BrainOptions _options;
    private readonly RiskSizer _sizer;
    private readonly SymbolState[] _states;
    private readonly SymbolState[] _active;
    private readonly ushort[] _exitQueue;
    private readonly long _cooldownMs;
    private readonly long _minHoldMs;
    private readonly long _exitRetryDelayMs;
    private readonly long _pendingTimeoutMs;
    private int _activeCount;
    private int _exitHead;
    private int _exitCount;
    private long _nowMs;
    private long _nextTimerMs = long.MaxValue;
    private Notional _equity;
    private bool _paused;
    private bool _flattening;

    /// <summary>Creates the brain with the venue's rules per symbol.</summary>
    /// <param name="options">Validated settings.</param>
    /// <param name="rules">Rules indexed by <see cref="SymbolId.Value"/> (index 0 unused); a symbol without rules (or beyond the list) is traded by nobody: its entries are refused with <see cref="RefusalReason.NoSymbolRules"/>.</param>
    public TradingBrain(BrainOptions options, IReadOnlyList<SymbolRules> rules)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rules);
        var failures = options.Validate();
        if (failures.Count > 0)
        {
            throw new ArgumentException("Invalid brain options: " + string.Join(" ", failures), nameof(options));
        }

        _options = options;
        _sizer = new RiskSizer(options);
        _cooldownMs = (long)options.Cooldown.TotalMilliseconds;
        _minHoldMs = (long)options.MinHold.TotalMilliseconds;
        _exitRetryDelayMs = (long)options.ExitRetryDelay.TotalMilliseconds;
        _pendingTimeoutMs = (long)options.PendingTimeout.TotalMilliseconds;
        _states = new SymbolState[options.MaxSymbols + 1];
        for (var i = 1; i < _states.Length; i++)
        {
            _states[i] = new SymbolState(new SymbolId((ushort)i), options, i < rules.Count ? rules[i] : default);
        }

        _active = new SymbolState[options.MaxSymbols];
        _exitQueue = new ushort[options.MaxSymbols];
        _equity = Notional.FromMantissa(RiskSizer.ToMantissa(options.InitialEquity));
        Counters = new BrainCounters(options.MaxSymbols);
        Counters.PublishEquity(_equity);
    }

    /// <summary>Counters and gauges for health and metrics, readable from any thread.</summary>
    public BrainCounters Counters { get; }

    /// <summary>The latest event time seen, ms since the epoch: the brain's clock.</summary>
    public long NowMs => _nowMs;

    /// <summary>The strategy's latest reading of a symbol, for inspection and tests (brain thread only).</summary>
    public bool TryGetReading(SymbolId symbol, out Reading reading)
    {
        var state = StateOf(symbol);
        reading = state is { HasReading: true } ? state.Reading : default;
        return state is { HasReading: true };
    }

    /// <summary>The signed position the brain believes the symbol has (brain thread only).</summary>
    public Quantity PositionOf(SymbolId symbol) => Quantity.FromMantissa(StateOf(symbol)?.Position ?? 0);

    /// <summary>Handles one slot in place: clears its decision area, then writes the intents this event leads to.</summary>
    public void OnEvent(ref MarketEvent data)
    {
        data.IntentCount = 0;
        data.Notes = BrainNotes.None;
        if (data.ExchangeTimeMs > _nowMs && data.ExchangeTimeMs <= MaxEventTimeMs)
        {
            _nowMs = data.ExchangeTimeMs;
        }

        if (_nowMs >= _nextTimerMs)
        {
            RunTimers(ref data);
        }

        switch (data.Kind)
        {
            case MarketEventKind.Trade:
                OnTrade(ref data);
                break;
            case MarketEventKind.Candle:
                OnKline(ref data);
                break;
            case MarketEventKind.OrderUpdate:
                OnOrderUpdate(ref data);
                break;
            case MarketEventKind.Position:
                OnPosition(ref data);
                break;
            case MarketEventKind.Account:
                _equity = data.Account.Equity;
                Counters.PublishEquity(_equity);
                break;
            case MarketEventKind.Command:
                OnCommand(ref data);
                break;
            default:
                break;
        }

        if (_exitCount > 0)
        {
            DrainExits(ref data);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private SymbolState? StateOf(SymbolId symbol) => symbol.Value < _states.Length ? _states[symbol.Value] : null;

    private SymbolState? Known(ref MarketEvent data)
    {
        var state = StateOf(data.Symbol);
        if (state is null)
        {
            Counters.Increment(BrainCounter.UnknownSymbols);
        }

        return state;
    }

    private static bool IsTrueTime(long timeMs) => (ulong)timeMs <= MaxEventTimeMs;

    private void OnTrade(ref MarketEvent data)
    {
        var state = Known(ref data);
        if (state is null)
        {
            return;
        }

        if (!IsTrueTime(data.ExchangeTimeMs) || data.Trade.Price.Mantissa <= 0 || data.Trade.Quantity.Mantissa <= 0)
        {
            Counters.Increment(BrainCounter.ImpossibleValues);
            return;
        }

        Counters.Increment(BrainCounter.TradesProcessed);
        var minute = MinuteCandleBuilder.MinuteOf(data.ExchangeTimeMs);
        var evaluated = CloseMinutesBefore(state, minute);
        if (!state.Minutes.AddTrade(minute, data.Trade.Price, data.Trade.Quantity))
        {
            Counters.Increment(BrainCounter.LateTrades);
            return;
        }

        state.LastPrice = data.Trade.Price;
        CheckStop(ref data, state);
        if (evaluated)
        {
            data.Notes |= BrainNotes.Evaluated;
            Decide(ref data, state);
        }
    }

    private void OnKline(ref MarketEvent data)
    {
        var state = Known(ref data);
        if (state is null)
        {
            return;
        }

        ref readonly var k = ref data.Candle;
        if (!IsTrueTime(k.OpenTimeMs) || k.Low.Mantissa <= 0 || k.High < k.Low || k.Open < k.Low || k.Open > k.High
            || k.Close < k.Low || k.Close > k.High || k.Volume.IsNegative)
        {
            Counters.Increment(BrainCounter.ImpossibleValues);
            return;
        }

        if (!k.IsClosed || k.IntervalMinutes != 1 || MinuteCandleBuilder.MinuteOf(k.OpenTimeMs) != k.OpenTimeMs)
        {
            Counters.Increment(BrainCounter.KlinesIgnored);
            return;
        }

        var evaluated = CloseMinutesBefore(state, k.OpenTimeMs);

        var kline = new Candle(k.OpenTimeMs, k.Open, k.High, k.Low, k.Close, k.Volume, k.TradeCount);
        switch (state.Minutes.ApplyExchangeKline(kline, out var taken))
        {
            case KlineOutcome.Closed:
                Counters.Increment(BrainCounter.KlinesApplied);
                evaluated |= OnMinuteClosed(state, taken);
                break;
            case KlineOutcome.ClosedCorrected:
                Counters.Increment(BrainCounter.KlinesApplied);
                Counters.Increment(BrainCounter.CandleMismatches);
                data.Notes |= BrainNotes.CandleMismatch;
                evaluated |= OnMinuteClosed(state, taken);
                break;
            case KlineOutcome.AlreadyClosedMatch:
                Counters.Increment(BrainCounter.KlinesApplied);
                break;
            case KlineOutcome.AlreadyClosedMismatch:
                Counters.Increment(BrainCounter.KlinesApplied);
                Counters.Increment(BrainCounter.CandleMismatches);
                data.Notes |= BrainNotes.CandleMismatch;
                break;
            default:
                Counters.Increment(BrainCounter.KlinesIgnored);
                break;
        }

        if (state.Minutes.HasClosed)
        {
            state.LastPrice = state.Minutes.LastClosed.Close;
        }

        if (k.IsBackfilled)
        {
            // History fetched to fill a gap (or to warm up at start) feeds the indicators but decides nothing: its
            // prices are minutes old, and an order sent now on them would trade a market that has moved on. The next
            // live candle decides with the history complete.
            Counters.Increment(BrainCounter.BackfilledCandles);
            if (evaluated)
            {
                data.Notes |= BrainNotes.Evaluated;
            }

            return;
        }

        CheckStop(ref data, state);
        if (evaluated)
        {
            data.Notes |= BrainNotes.Evaluated;
            Decide(ref data, state);
        }
    }

    /// <summary>Closes every minute of the symbol before <paramref name="minuteOpenMs"/> (empty ones included); true if one was evaluated.</summary>
    private bool CloseMinutesBefore(SymbolState state, long minuteOpenMs)
    {
        var skippedBefore = state.Minutes.SkippedMinutes;
        var evaluated = false;
        while (state.Minutes.TryCloseBefore(minuteOpenMs, out var closed))
        {
            evaluated |= OnMinuteClosed(state, closed);
        }

        var skipped = state.Minutes.SkippedMinutes - skippedBefore;
        if (skipped != 0)
        {
            Counters.Add(BrainCounter.SkippedMinutes, skipped);
        }

        return evaluated;
    }

    private bool OnMinuteClosed(SymbolState state, in Candle minute)
    {
        Counters.Increment(BrainCounter.MinutesClosed);
        if (!state.Rollup.Add(minute, out var candle))
        {
            return false;
        }

        state.Indicators.Update(candle);
        if (!state.Indicators.IsReady)
        {
            return false;
        }

        Counters.Increment(BrainCounter.Evaluations);
        state.Reading = Strategy.Read(state.Indicators, _options);
        state.HasReading = true;
        if (state.Position != 0)
        {
            state.Score = state.Reading.ScoreFor(Math.Sign(state.Position));
        }

        return true;
    }

    private void CheckStop(ref MarketEvent data, SymbolState state)
    {
        if (state.Position == 0 || state.ExitInFlight || state.StopPrice.IsZero || _nowMs < state.ExitRetryNotBeforeMs)
        {
            return;
        }

        var hit = state.Position > 0 ? state.LastPrice <= state.StopPrice : state.LastPrice >= state.StopPrice;
        if (hit)
        {
            EmitOrQueueExit(ref data, state, IntentReason.StopHit, 1.0);
        }
    }

    private void Decide(ref MarketEvent data, SymbolState state)
    {
        var reading = state.Reading;
        if (state.Position != 0)
        {
            if (!state.ExitInFlight && _nowMs >= state.ExitRetryNotBeforeMs && Math.Sign(state.Position) * reading.Agreement <= -_options.ExitAgreement)
            {
                EmitOrQueueExit(ref data, state, IntentReason.SignalReversed, reading.Confidence);
            }

            return;
        }

        if (state.PendingEntry || state.ExitInFlight || !reading.EntryAllowed || reading.Confidence < _options.EntryConfidence)
        {
            return;
        }

        Counters.Increment(BrainCounter.EntrySignals);
        Counters.CountSignal(state.Id, reading.Direction > 0 ? Side.Buy : Side.Sell);
        if (_paused)
        {
            Refuse(ref data, BrainCounter.RefusedPaused);
            return;
        }

        if (state.CooldownUntilMs > _nowMs)
        {
            Refuse(ref data, BrainCounter.RefusedCooldown);
            return;
        }

        var refusal = _sizer.Size(_equity, state.Indicators.Atr, state.LastPrice, state.Rules, out var quantity, out var stop);
        if (refusal != RefusalReason.None)
        {
            Refuse(ref data, refusal switch
            {
                RefusalReason.BelowMinNotional => BrainCounter.RefusedBelowMinNotional,
                RefusalReason.BelowMinQuantity => BrainCounter.RefusedBelowMinQuantity,
                RefusalReason.OutOfRange => BrainCounter.RefusedOutOfRange,
                _ => BrainCounter.RefusedNoRules,
            });
            return;
        }

        var held = 0;
        for (var i = 0; i < _activeCount; i++)
        {
            if (_active[i].HoldsSlot)
            {
                held++;
            }
        }

        var side = reading.Direction > 0 ? Side.Buy : Side.Sell;
        if (held < _options.MaxPositions)
        {
            EmitEntry(ref data, state, side, quantity, stop, reading.Confidence, IntentReason.Signal);
            return;
        }

        var weakest = FindWeakest();
        if (weakest is null || !(reading.Confidence > weakest.Score + _options.RotationMargin) || data.IntentCount != 0)
        {
            Refuse(ref data, BrainCounter.RotationsDeclined);
            return;
        }

        Counters.Increment(BrainCounter.Rotations);
        EmitExit(ref data, weakest, IntentReason.RotatedOut, reading.Confidence);
        EmitEntry(ref data, state, side, quantity, stop, reading.Confidence, IntentReason.RotationEntry);
    }

    /// <summary>
    /// The open position to rotate out: lowest current score among those past the minimum hold, not pending and not
    /// already exiting; a tie goes to the one opened first, then the lower symbol id, so the choice is deterministic.
    /// </summary>
    private SymbolState? FindWeakest()
    {
        SymbolState? weakest = null;
        for (var i = 0; i < _activeCount; i++)
        {
            var candidate = _active[i];
            if (candidate.Position == 0 || candidate.PendingEntry || candidate.ExitInFlight
                || _nowMs - candidate.OpenedAtMs < _minHoldMs)
            {
                continue;
            }

            if (weakest is null
                || candidate.Score < weakest.Score
                || (candidate.Score == weakest.Score
                    && (candidate.OpenedAtMs < weakest.OpenedAtMs
                        || (candidate.OpenedAtMs == weakest.OpenedAtMs && candidate.Id.Value < weakest.Id.Value))))
            {
                weakest = candidate;
            }
        }

        return weakest;
    }

    private void Refuse(ref MarketEvent data, BrainCounter counter)
    {
        Counters.Increment(counter);
        data.Notes |= BrainNotes.EntryRefused;
    }

    private void EmitEntry(ref MarketEvent data, SymbolState state, Side side, Quantity quantity, Price stop, double confidence, IntentReason reason)
    {
        ref var intent = ref data.Intents[data.IntentCount++];
        intent.Symbol = state.Id;
        intent.Side = side;
        intent.Action = IntentAction.Enter;
        intent.Quantity = quantity;
        intent.ReferencePrice = state.LastPrice;
        intent.StopDistance = stop;
        intent.ConfidenceBasisPoints = OrderIntent.ToBasisPoints(confidence);
        intent.Reason = reason;
        intent.Flags = IntentFlags.None;
        state.PendingEntry = true;
        state.PendingSinceMs = _nowMs;
        state.EntryConfidence = confidence;
        state.StopDistance = stop;
        Counters.Increment(BrainCounter.Entries);
        Track(state);
        Schedule(_nowMs + _pendingTimeoutMs);
    }

    private void EmitOrQueueExit(ref MarketEvent data, SymbolState state, IntentReason reason, double confidence)
    {
        if (data.IntentCount < IntentPair.Capacity)
        {
            EmitExit(ref data, state, reason, confidence);
        }
        else
        {
            QueueExit(state, reason);
        }
    }

    private void EmitExit(ref MarketEvent data, SymbolState state, IntentReason reason, double confidence)
    {
        ref var intent = ref data.Intents[data.IntentCount++];
        intent.Symbol = state.Id;
        intent.Side = state.Position > 0 ? Side.Sell : Side.Buy;
        intent.Action = IntentAction.Exit;
        intent.Quantity = Quantity.FromMantissa(Math.Abs(state.Position));
        intent.ReferencePrice = state.LastPrice;
        intent.StopDistance = Price.Zero;
        intent.ConfidenceBasisPoints = OrderIntent.ToBasisPoints(confidence);
        intent.Reason = reason;
        intent.Flags = IntentFlags.ReduceOnly;
        state.ExitInFlight = true;
        Counters.Increment(BrainCounter.Exits);
        Track(state);
    }

    private void QueueExit(SymbolState state, IntentReason reason)
    {
        if (state.QueuedForExit)
        {
            return;
        }

        state.QueuedForExit = true;
        state.QueuedExitReason = reason;
        _exitQueue[(_exitHead + _exitCount) % _exitQueue.Length] = state.Id.Value;
        _exitCount++;
    }

    private void DrainExits(ref MarketEvent data)
    {
        while (_exitCount > 0 && data.IntentCount < IntentPair.Capacity)
        {
            var state = _states[_exitQueue[_exitHead]];
            _exitHead = (_exitHead + 1) % _exitQueue.Length;
            _exitCount--;
            state.QueuedForExit = false;
            if (state.Position != 0 && !state.ExitInFlight)
            {
                EmitExit(ref data, state, state.QueuedExitReason, 1.0);
            }
        }
    }

    private void OnOrderUpdate(ref MarketEvent data)
    {
        var state = Known(ref data);
        if (state is null)
        {
            return;
        }

        ref readonly var update = ref data.OrderUpdate;
        if (update.LastFillQuantity.Mantissa > 0)
        {
            if (update.Side is not (Side.Buy or Side.Sell))
            {
                Counters.Increment(BrainCounter.InvalidOrderUpdates);
                return;
            }

            ApplyFill(state, update.Side.Sign(), update.LastFillQuantity, update.LastFillPrice);
        }

        var terminal = update.Status is OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Rejected or OrderStatus.Expired;
        if (terminal)
        {
            if (update.ReduceOnly)
            {
                state.ExitInFlight = false;
            }
            else
            {
                state.PendingEntry = false;
            }
        }

        if (update.Status == OrderStatus.Rejected || (update.Status == OrderStatus.Expired && update.FilledQuantity.IsZero))
        {
            if (update.ReduceOnly)
            {
                state.ExitRetryNotBeforeMs = _nowMs + _exitRetryDelayMs;
            }

            Counters.Increment(BrainCounter.FailedOrders);
            StartCooldown(ref data, state);
        }

        if (_flattening && state.Position != 0 && !state.ExitInFlight && !update.ReduceOnly)
        {
            // A fill of an entry dropped by the flatten: close it as well.
            QueueExit(state, IntentReason.Flatten);
        }

        Track(state);
    }

    /// <summary>
    /// Takes a whole position from the journal (at start) or the venue (reconciliation) in place of the one built from
    /// fills. Flags of orders in flight stay: those orders still end with an update of their own. A position the brain
    /// did not open has no stop distance (it was never decided here), so it has no stop; it scores 0 — the weakest, the
    /// first to make room — and exits on a reversal signal, the minimum hold counted from now.
    /// </summary>
    private void OnPosition(ref MarketEvent data)
    {
        var state = Known(ref data);
        if (state is null)
        {
            return;
        }

        ref readonly var position = ref data.Position;
        var before = state.Position;
        var after = position.Amount.Mantissa;
        if (after == long.MinValue)
        {
            // Its size has no positive counterpart in the fixed-point range: no position can be that.
            Counters.Increment(BrainCounter.ImpossibleValues);
            return;
        }

        var cost = Notional.Zero;
        var costKnown = after == 0 || (position.EntryPrice.Mantissa > 0 && FixedPointBounds.TryMultiply(position.EntryPrice, Math.Abs(after), out cost));
        if (!costKnown)
        {
            // The amount is what exits need; without a true entry price the position simply has no stop.
            Counters.Increment(BrainCounter.ImpossibleValues);
        }

        if (before == after && state.EntryCost == cost)
        {
            return;
        }

        Counters.Increment(BrainCounter.PositionsReplaced);
        state.Position = after;
        state.EntryCost = cost;
        if (after != 0 && Math.Sign(before) != Math.Sign(after))
        {
            state.OpenedAtMs = _nowMs;
            state.Score = 0;
            state.StopDistance = Price.Zero;
        }

        if (!costKnown)
        {
            state.StopDistance = Price.Zero;
        }

        PlaceStop(state);
        if (_flattening && after != 0 && !state.ExitInFlight)
        {
            QueueExit(state, IntentReason.Flatten);
        }

        Track(state);
    }

    private void ApplyFill(SymbolState state, int sign, Quantity quantity, Price price)
    {
        var before = state.Position;
        var sum = (Int128)before + (sign * (Int128)quantity.Mantissa);
        if (sum > long.MaxValue || sum < -long.MaxValue)
        {
            // No venue fills past the fixed-point range: the fill is not true, and the position stays what it was.
            Counters.Increment(BrainCounter.ImpossibleValues);
            return;
        }

        var after = (long)sum;
        var costKnown = true;
        if (before == 0 || Math.Sign(before) == sign)
        {
            var added = Notional.Zero;
            costKnown = price.Mantissa > 0 && FixedPointBounds.TryMultiply(price, quantity.Mantissa, out added)
                && FixedPointBounds.TryAdd(state.EntryCost, added, out added);
            state.EntryCost = costKnown ? added : Notional.Zero;
            if (before == 0)
            {
                state.OpenedAtMs = _nowMs;
                state.Score = state.EntryConfidence;
            }
        }
        else if (after == 0)
        {
            state.EntryCost = Notional.Zero;
        }
        else if (Math.Sign(after) == Math.Sign(before))
        {
            // |after| < |before|: the share of the cost that stays is smaller than the cost, so it fits.
            state.EntryCost = Notional.FromMantissa(FixedPoint.MultiplyDivide(state.EntryCost.Mantissa, Math.Abs(after), Math.Abs(before), RoundingMode.HalfEven));
        }
        else
        {
            // Flipped through zero: what remains opened at this fill.
            var remaining = Notional.Zero;
            costKnown = price.Mantissa > 0 && FixedPointBounds.TryMultiply(price, Math.Abs(after), out remaining);
            state.EntryCost = costKnown ? remaining : Notional.Zero;
            state.OpenedAtMs = _nowMs;
        }

        state.Position = after;
        if (after == 0)
        {
            state.StopPrice = Price.Zero;
            state.ExitInFlight = false;
            return;
        }

        if (!costKnown)
        {
            // The position is real (exits need its size); its entry price is not, so it has no stop.
            Counters.Increment(BrainCounter.ImpossibleValues);
            state.StopDistance = Price.Zero;
        }

        PlaceStop(state);
    }

    /// <summary>Puts the stop at the stop distance from the average entry (none without a distance).</summary>
    private static void PlaceStop(SymbolState state)
    {
        state.StopPrice = Price.Zero;
        if (state.StopDistance.IsZero || state.Position == 0)
        {
            return;
        }

        if (!FixedPointBounds.TryDivide(state.EntryCost, Math.Abs(state.Position), out var entry))
        {
            return;
        }

        // Saturates rather than overflows: a stop beyond the range is one no price reaches.
        var stop = state.Position > 0
            ? (Int128)entry.Mantissa - state.StopDistance.Mantissa
            : (Int128)entry.Mantissa + state.StopDistance.Mantissa;
        state.StopPrice = Price.FromMantissa((long)Int128.Clamp(stop, 1, long.MaxValue));
    }

    private void StartCooldown(ref MarketEvent data, SymbolState state)
    {
        if (state.CooldownUntilMs <= _nowMs)
        {
            Counters.Increment(BrainCounter.CooldownsStarted);
            Counters.Increment(BrainCounter.ActiveCooldowns);
            data.Notes |= BrainNotes.CooldownStarted;
        }

        state.CooldownUntilMs = _nowMs + _cooldownMs;
        Counters.PublishCooldown(state.Id, state.CooldownUntilMs);
        Schedule(state.CooldownUntilMs);
    }

    private void OnCommand(ref MarketEvent data)
    {
        switch (data.Command.Kind)
        {
            case CommandKind.Pause:
                _paused = true;
                break;
            case CommandKind.Resume:
                _paused = false;
                _flattening = false;
                break;
            case CommandKind.Flatten:
                _paused = true;
                _flattening = true;
                for (var i = _activeCount - 1; i >= 0; i--)
                {
                    var state = _active[i];
                    if (state.PendingEntry)
                    {
                        state.PendingEntry = false;
                        Counters.Increment(BrainCounter.EntriesDropped);
                    }

                    if (state.Position != 0 && !state.ExitInFlight)
                    {
                        QueueExit(state, IntentReason.Flatten);
                    }

                    Track(state);
                }

                break;
            default:
                return;
        }

        Counters.PublishMode(_paused, _flattening);
    }

    /// <summary>Ends cooldowns and drops pending entries whose time has come; runs only when the earliest deadline passed.</summary>
    private void RunTimers(ref MarketEvent data)
    {
        var next = long.MaxValue;
        for (var i = 1; i < _states.Length; i++)
        {
            var state = _states[i];
            if (state.CooldownUntilMs != 0)
            {
                if (state.CooldownUntilMs <= _nowMs)
                {
                    state.CooldownUntilMs = 0;
                    Counters.PublishCooldown(state.Id, 0);
                    Counters.Increment(BrainCounter.CooldownsEnded);
                    Counters.Decrement(BrainCounter.ActiveCooldowns);
                    data.Notes |= BrainNotes.CooldownEnded;
                }
                else
                {
                    next = Math.Min(next, state.CooldownUntilMs);
                }
            }

            if (state.PendingEntry)
            {
                var deadline = state.PendingSinceMs + _pendingTimeoutMs;
                if (deadline <= _nowMs)
                {
                    state.PendingEntry = false;
                    Counters.Increment(BrainCounter.PendingTimeouts);
                    Track(state);
                }
                else
                {
                    next = Math.Min(next, deadline);
                }
            }
        }

        _nextTimerMs = next;
    }

    private void Schedule(long deadlineMs)
    {
        if (deadlineMs < _nextTimerMs)
        {
            _nextTimerMs = deadlineMs;
        }
    }

    /// <summary>Keeps the active list (symbols with a position, a pending entry or an exit in flight) in step with the state.</summary>
    private void Track(SymbolState state)
    {
        var needed = state.NeedsActive;
        if (needed == state.Active)
        {
            return;
        }

        if (needed)
        {
            _active[_activeCount++] = state;
        }
        else
        {
            var index = Array.IndexOf(_active, state, 0, _activeCount);
            _active[index] = _active[--_activeCount];
            _active[_activeCount] = null!;
        }

        state.Active = needed;
    }
}
