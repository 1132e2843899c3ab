using System.Diagnostics;
using Engine.Exchange.Rest;
using Engine.Feed.Gaps;
using Engine.Feed.Parsing;
using Engine.Model;
using Engine.Ring;
using Microsoft.Extensions.Logging;

namespace Engine.Feed.WebSocket;

/// <summary>
/// One planned connection (<see cref="ConnectionPlan"/>) kept alive over time: the supervisor connects, reconnects
/// with back-off after any drop, replaces the connection before the venue's 24-hour cut (make-before-break), and
/// every event of its symbols goes through one lock in arrival order: duplicates dropped, candle continuity checked,
/// a symbol held while its missing minutes are back-filled, and then published into the ring.
/// </summary>
/// <remarks>
/// A symbol's streams of one route all live on one session, so its events have one publisher at a time. The lock is
/// uncontended except during a handover or when a back-fill completes.
/// </remarks>
internal sealed class StreamSession
{
    private readonly FeedOptions _options;
    private readonly Uri _uri;
    private readonly RingBuffer<MarketEvent> _ring;
    private readonly SymbolTable _table;
    private readonly CandleBoard _board;
    private readonly CandleBackfiller? _backfiller;
    private readonly FeedRefusals _refusals;
    private readonly Func<StreamFrameParser> _newParser;
    private readonly FeedStopSignal _stop;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly SymbolSlot?[] _slots;
    private readonly SymbolSlot[] _own;
    private readonly bool _checkCandles;
    private readonly long _staleTicks;
    private readonly long _holdTicks;
    private readonly long _maxAgeTicks;
    private readonly long _maxIdJump;
    private readonly long _maxMarkTimeJumpMs;
    private readonly int _resyncFrames;
    private readonly List<Task> _backfills = [];
    private FeedConnection? _active;
    private TaskCompletionSource _replace = NewSignal();
    private long _connectionNumber;
    private long _nextRequestId = 1;
    private bool _stopped;
    private volatile bool _replacing;
    private volatile bool _connected;
    private long _connectedSince;
    private MarketEvent _backfillScratch;

    public StreamSession(
        ConnectionPlan plan,
        FeedOptions options,
        RingBuffer<MarketEvent> ring,
        SymbolTable table,
        CandleBoard board,
        CandleBackfiller? backfiller,
        FeedRefusals refusals,
        Func<StreamFrameParser> newParser,
        FeedStopSignal stop,
        long firstExpectedMinuteMs,
        ILogger logger)
    {
        Plan = plan;
        _options = options;
        var baseUri = options.WebSocketBaseAddress.EndsWith('/') ? options.WebSocketBaseAddress : options.WebSocketBaseAddress + "/";
        var route = !options.UseRoutes ? "" : plan.Route == StreamRoute.Market ? "market/" : "public/";
        _uri = new Uri(baseUri + route + "stream");
        _ring = ring;
        _table = table;
        _board = board;
        _backfiller = backfiller;
        _refusals = refusals;
        _newParser = newParser;
        _stop = stop;
        _logger = logger;
        _checkCandles = plan.Route == StreamRoute.Market && (options.Streams & FeedStreams.Kline1m) != 0 && backfiller is not null;
        _slots = new SymbolSlot?[table.Capacity + 1];
        _own = new SymbolSlot[plan.Symbols.Count];
        for (var i = 0; i < plan.Symbols.Count; i++)
        {
            var id = plan.Symbols[i];
            var slot = new SymbolSlot(id, table.NameOf(id), firstExpectedMinuteMs);
            _slots[id.Value] = slot;
            _own[i] = slot;
            if (_checkCandles)
            {
                board.Track(id, firstExpectedMinuteMs);
            }
        }

        _staleTicks = (long)(options.StaleTimeout.TotalSeconds * Stopwatch.Frequency);
        _holdTicks = (long)(options.ReconnectHoldTimeout.TotalSeconds * Stopwatch.Frequency);
        _maxAgeTicks = (long)(options.MaxConnectionAge.TotalSeconds * Stopwatch.Frequency);
        _maxIdJump = options.MaxIdJump;
        _resyncFrames = options.IdResyncFrames;

        // Mark prices are sequenced by event time, which the parser already keeps within the skew of the venue's clock.
        _maxMarkTimeJumpMs = 2 * (long)options.MaxEventTimeSkew.TotalMilliseconds;
    }

    public ConnectionPlan Plan { get; }

    public FeedCounters Counters { get; } = new();

    public Uri Uri => _uri;

    /// <summary>Whether a subscribed connection is publishing now.</summary>
    public bool IsConnected
    {
        get => _connected;
        private set => _connected = value;
    }

    /// <summary>Stopwatch timestamp of the current connection's start (0 when none).</summary>
    public long ConnectedSince
    {
        get => Volatile.Read(ref _connectedSince);
        private set => Volatile.Write(ref _connectedSince, value);
    }

    /// <summary>The newest message of any of the session's symbols (Stopwatch timestamp, 0 before any).</summary>
    public long LastMessageTimestamp
    {
        get
        {
            long last = 0;
            foreach (var slot in _own)
            {
                last = Math.Max(last, Volatile.Read(ref slot.LastMessage));
            }

            return last;
        }
    }

    /// <summary>Runs until <paramref name="stopping"/> is cancelled: connect, read, reconnect.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var attempt = 0;
        while (!stopping.IsCancellationRequested)
        {
            var connection = NewConnection(staging: false);
            lock (_gate)
            {
                _active = connection;
                HoldForContinuityCheck();
                ForgetIdEvidence();
                foreach (var slot in _own)
                {
                    // Mark times jump by the outage; the parser keeps each of them near the venue's clock.
                    slot.MarkTimes.OpenForward();
                }
            }

            try
            {
                await connection.OpenAsync(_uri, Plan.Streams, _options, NextRequestIds(), stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                Retire(connection);
                Counters.Reconnect(ReconnectReason.ConnectFailed);
                var delay = Backoff.Delay(attempt, _options.BackoffMin, _options.BackoffMax);
                FeedLog.ConnectFailed(_logger, Plan.Name, attempt + 1, e.Message, delay);
                attempt++;
                await DelayAsync(delay, stopping).ConfigureAwait(false);
                continue;
            }
            catch (OperationCanceledException)
            {
                Retire(connection);
                break;
            }

            Counters.Connected();
            ConnectedSince = connection.ConnectedTimestamp;
            IsConnected = true;
            FeedLog.Connected(_logger, Plan.Name, Plan.Streams.Count, _uri, connection.Number);
            var (reason, last) = await ServeAsync(connection, stopping).ConfigureAwait(false);
            IsConnected = false;
            var uptime = Stopwatch.GetElapsedTime(last.ConnectedTimestamp);
            Retire(last);
            if (stopping.IsCancellationRequested)
            {
                break;
            }

            Counters.Reconnect(reason);
            if (uptime >= _options.BackoffResetAfter)
            {
                attempt = 0;
            }

            var wait = Backoff.Delay(attempt, _options.BackoffMin, _options.BackoffMax);
            attempt++;
            FeedLog.Ended(_logger, Plan.Name, reason, uptime, wait);
            await DelayAsync(wait, stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Watchdog, hold time-outs and connection age; called from the feed's monitor loop.</summary>
    public void Tick(long now)
    {
        var connection = _active;
        if (connection is null || !IsConnected)
        {
            return;
        }

        var since = connection.ConnectedTimestamp;
        foreach (var slot in _own)
        {
            var last = Volatile.Read(ref slot.LastMessage);
            if (last != 0 && now - Math.Max(last, since) > _staleTicks)
            {
                var silent = Stopwatch.GetElapsedTime(Math.Max(last, since), now);
                FeedLog.Stale(_logger, Plan.Name, slot.Name, silent, _options.StaleTimeout);
                connection.Abort(ReconnectReason.Stale);
                return;
            }
        }

        if (_checkCandles)
        {
            lock (_gate)
            {
                foreach (var slot in _own)
                {
                    if (slot.Hold == HoldReason.ContinuityCheck && now - slot.HoldSince > _holdTicks)
                    {
                        // No kline came to say whether minutes were missed: let the symbol go on; a later kline still finds the gap.
                        slot.Hold = HoldReason.None;
                        Drain(slot);
                    }
                }
            }
        }

        if (now - since > _maxAgeTicks && !_replacing)
        {
            _replacing = true;
            var age = Stopwatch.GetElapsedTime(since, now);
            FeedLog.Replacing(_logger, Plan.Name, age);
            _replace.TrySetResult();
        }
    }

    /// <summary>Stops publishing for good; after it returns nothing of this session reaches the ring.</summary>
    public Task StopAsync()
    {
        lock (_gate)
        {
            _stopped = true;
            _active?.Abort(ReconnectReason.Dropped);
            return Task.WhenAll([.. _backfills]);
        }
    }

    /// <summary>An event parsed from <paramref name="connection"/>'s latest message.</summary>
    public void OnFrame(FeedConnection connection, ref MarketEvent data, FrameOutcome outcome, int bytes)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            if (!ReferenceEquals(connection, _active))
            {
                if (connection.Staging)
                {
                    Counters.Frame((int)outcome, bytes);
                    if (outcome == FrameOutcome.Event)
                    {
                        connection.Stage(data);
                    }
                }

                return;
            }

            Counters.Frame((int)outcome, bytes);
            if (outcome == FrameOutcome.Event)
            {
                Route(ref data, now);
            }
        }
    }

    public void Refused(string reply) => FeedLog.Refused(_logger, Plan.Name, reply);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static async Task DelayAsync(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping: the loop ends
        }
    }

    private FeedConnection NewConnection(bool staging) =>
        new(this, _newParser(), _options.ReceiveBufferSize, _options.MaxMessageBytes, Interlocked.Increment(ref _connectionNumber), staging);

    private long NextRequestIds()
    {
        var batches = (Plan.Streams.Count + _options.SubscribeBatchSize - 1) / _options.SubscribeBatchSize;
        var first = _nextRequestId;
        _nextRequestId += Math.Max(1, batches);
        return first;
    }

    private void Retire(FeedConnection connection)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_active, connection))
            {
                _active = null;
            }
        }

        connection.Dispose();
    }

    /// <summary>Serves the open connection (and its make-before-break replacements) until one ends; says why and which.</summary>
    private async Task<(ReconnectReason Reason, FeedConnection Connection)> ServeAsync(FeedConnection connection, CancellationToken stopping)
    {
        while (true)
        {
            var replace = _replace.Task;
            var ended = await Task.WhenAny(connection.Completion, replace).ConfigureAwait(false);
            if (ended == connection.Completion || stopping.IsCancellationRequested)
            {
                return (await connection.Completion.ConfigureAwait(false), connection);
            }

            _replace = NewSignal();
            var next = NewConnection(staging: true);
            try
            {
                await next.OpenAsync(_uri, Plan.Streams, _options, NextRequestIds(), stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                // Keep the old connection; try again after a back-off (the venue's cut is still an hour away by default).
                next.Dispose();
                Counters.Reconnect(ReconnectReason.ConnectFailed);
                var delay = Backoff.Delay(0, _options.BackoffMin, _options.BackoffMax);
                FeedLog.ConnectFailed(_logger, Plan.Name, 1, e.Message, delay);
                await DelayAsync(delay, stopping).ConfigureAwait(false);
                _replacing = false;
                continue;
            }
            catch (OperationCanceledException)
            {
                next.Dispose();
                return (ReconnectReason.Dropped, connection);
            }

            // Both connections receive for a while, so the new one certainly carries every stream before the old one stops.
            await DelayAsync(_options.HandoverOverlap, stopping).ConfigureAwait(false);
            int staged;
            lock (_gate)
            {
                if (_stopped)
                {
                    next.Dispose();
                    return (ReconnectReason.Dropped, connection);
                }

                // The handover: the old connection stops publishing here; the new one's events since it subscribed go
                // through the same checks, so what the old one already published is dropped as duplicates.
                _active = next;
                ForgetIdEvidence();
                staged = next.StagedCount;
                var now = Stopwatch.GetTimestamp();
                foreach (ref var data in next.Staged)
                {
                    Route(ref data, now);
                }

                next.ClearStaged();
                next.Staging = false;
            }

            Counters.Reconnect(ReconnectReason.MaxAge);
            Counters.Connected();
            ConnectedSince = next.ConnectedTimestamp;
            FeedLog.HandedOver(_logger, Plan.Name, staged, Counters.Duplicates);
            _ = connection.CloseAsync().ContinueWith(static (_, c) => ((FeedConnection)c!).Dispose(), connection, TaskScheduler.Default);
            connection = next;
            _replacing = false;
        }
    }

    /// <summary>After (re)connecting, each symbol waits for its first kline to show whether minutes were missed.</summary>
    private void HoldForContinuityCheck()
    {
        if (!_checkCandles)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        foreach (var slot in _own)
        {
            if (slot.Hold == HoldReason.None)
            {
                slot.Hold = HoldReason.ContinuityCheck;
                slot.HoldSince = now;
            }
        }
    }

    // ---- everything below runs under _gate ----

    /// <summary>Refused ids are evidence of a new range only together with the frames of the same connection.</summary>
    private void ForgetIdEvidence()
    {
        foreach (var slot in _own)
        {
            slot.Trades.ForgetEvidence();
            slot.Quotes.ForgetEvidence();
            slot.MarkTimes.ForgetEvidence();
            slot.IdRefusalLogged = false;
            _refusals.SetResyncing(slot.Id, false);
        }
    }

    private void Route(ref MarketEvent data, long now)
    {
        var slot = (uint)data.Symbol.Value < (uint)_slots.Length ? _slots[data.Symbol.Value] : null;
        if (slot is null)
        {
            Publish(ref data);
            return;
        }

        Volatile.Write(ref slot.LastMessage, now);
        var verdict = data.Kind switch
        {
            MarketEventKind.Trade => slot.Trades.Next(data.Trade.TradeId, _maxIdJump, _resyncFrames),
            MarketEventKind.Quote => slot.Quotes.Next(data.Quote.UpdateId, _maxIdJump, _resyncFrames),
            MarketEventKind.MarkPrice => slot.MarkTimes.Next(data.ExchangeTimeMs, _maxMarkTimeJumpMs, _resyncFrames),
            _ => IdVerdict.Next,
        };
        switch (verdict)
        {
            case IdVerdict.Duplicate:
                Counters.Duplicate();
                return;
            case IdVerdict.Refused:
                RefuseId(slot, in data);
                return;
            case IdVerdict.Resynced:
                Resynced(slot, in data, now);
                break;
            default:
                if (slot.IdRefusalLogged && !slot.Trades.IsSuspect && !slot.Quotes.IsSuspect && !slot.MarkTimes.IsSuspect)
                {
                    // The absurd ids were lone ones; the stream goes on where it was.
                    slot.IdRefusalLogged = false;
                    _refusals.SetResyncing(slot.Id, false);
                }

                break;
        }

        if (slot.Hold != HoldReason.None)
        {
            Enqueue(slot, in data);
            if (slot.Hold == HoldReason.ContinuityCheck && data.Kind == MarketEventKind.Candle)
            {
                // The first kline since the connection opened: does it follow the last closed minute?
                if (slot.Candles.Check(data.Candle, data.ExchangeTimeMs) == CandleVerdict.Gap)
                {
                    StartBackfill(slot);
                }
                else
                {
                    slot.Hold = HoldReason.None;
                    Drain(slot);
                }
            }

            return;
        }

        Deliver(slot, ref data);
    }

    private void RefuseId(SymbolSlot slot, in MarketEvent data)
    {
        _refusals.Count(FrameRefusal.Id, slot.Id);
        _refusals.SetResyncing(slot.Id, true);
        if (!slot.IdRefusalLogged)
        {
            slot.IdRefusalLogged = true;
            var (stream, id, last, jump) = data.Kind switch
            {
                MarketEventKind.Trade => ("trade", data.Trade.TradeId, slot.Trades.Last, _maxIdJump),
                MarketEventKind.Quote => ("book ticker", data.Quote.UpdateId, slot.Quotes.Last, _maxIdJump),
                _ => ("mark price time", data.ExchangeTimeMs, slot.MarkTimes.Last, _maxMarkTimeJumpMs),
            };
            SequenceLog.IdRefused(_logger, slot.Name, stream, id, jump, last, _resyncFrames);
        }
    }

    private void Resynced(SymbolSlot slot, in MarketEvent data, long now)
    {
        _refusals.Resynced(slot.Id);
        slot.IdRefusalLogged = false;
        var (stream, id) = data.Kind switch
        {
            MarketEventKind.Trade => ("trade", data.Trade.TradeId),
            MarketEventKind.Quote => ("book ticker", data.Quote.UpdateId),
            _ => ("mark price time", data.ExchangeTimeMs),
        };
        SequenceLog.IdResynced(_logger, slot.Name, stream, id, _resyncFrames);
        if (data.Kind == MarketEventKind.Trade && _checkCandles && slot.Hold == HoldReason.None)
        {
            // The refused trades are gone from this connection; as after a reconnect, the symbol waits for its next
            // kline to show whether minutes were missed, and back-fills them from REST if so.
            slot.Hold = HoldReason.ContinuityCheck;
            slot.HoldSince = now;
        }
    }

    private void Deliver(SymbolSlot slot, ref MarketEvent data)
    {
        if (data.Kind == MarketEventKind.Candle && _checkCandles)
        {
            switch (slot.Candles.Check(data.Candle, data.ExchangeTimeMs))
            {
                case CandleVerdict.Duplicate:
                    Counters.Duplicate();
                    return;
                case CandleVerdict.Gap:
                    Enqueue(slot, in data);
                    StartBackfill(slot);
                    return;
                default:
                    slot.Candles.Commit(data.Candle, data.ExchangeTimeMs);
                    if (data.Candle.IsClosed)
                    {
                        _board.Closed(slot.Id, slot.Candles.LastClosedOpenMs);
                    }

                    break;
            }
        }

        Publish(ref data);
    }

    /// <summary>Publishes the held events in order until none is left or one of them opens a new gap.</summary>
    private void Drain(SymbolSlot slot)
    {
        while (slot.HeldHead < slot.HeldCount && slot.Hold == HoldReason.None)
        {
            ref var held = ref slot.Held[slot.HeldHead];
            if (held.Kind == MarketEventKind.Candle && _checkCandles
                && slot.Candles.Check(held.Candle, held.ExchangeTimeMs) == CandleVerdict.Gap)
            {
                StartBackfill(slot); // this kline stays first in the queue
                return;
            }

            slot.HeldHead++;
            Deliver(slot, ref held);
        }

        if (slot.HeldHead == slot.HeldCount)
        {
            slot.HeldHead = 0;
            slot.HeldCount = 0;
        }
    }

    private void Enqueue(SymbolSlot slot, in MarketEvent data)
    {
        if (slot.HeldCount == slot.Held.Length)
        {
            if (slot.HeldHead > 0)
            {
                Array.Copy(slot.Held, slot.HeldHead, slot.Held, 0, slot.HeldCount - slot.HeldHead);
                slot.HeldCount -= slot.HeldHead;
                slot.HeldHead = 0;
            }
            else if (slot.Held.Length >= _options.MaxHeldEventsPerSymbol)
            {
                if (!slot.OverflowLogged)
                {
                    slot.OverflowLogged = true;
                    FeedLog.HoldOverflow(_logger, slot.Name, _options.MaxHeldEventsPerSymbol);
                }

                Counters.Overflow();
                return;
            }
            else
            {
                Array.Resize(ref slot.Held, Math.Min(_options.MaxHeldEventsPerSymbol, Math.Max(64, slot.Held.Length * 2)));
            }
        }

        slot.Held[slot.HeldCount++] = data;
        Counters.Hold();
    }

    private void StartBackfill(SymbolSlot slot)
    {
        slot.Hold = HoldReason.Backfill;
        slot.OverflowLogged = false;
        var from = slot.Candles.GapFromMs;
        var to = slot.Candles.GapToMs;
        var limitFrom = to - ((long)(_options.MaxBackfillMinutes - 1) * CandleContinuity.MinuteMs);
        if (from < limitFrom)
        {
            GiveUp(slot, from, limitFrom - CandleContinuity.MinuteMs);
            from = limitFrom;
        }

        _board.BackfillRunning(slot.Id, true);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var fromTime = DateTimeOffset.FromUnixTimeMilliseconds(from);
            var toTime = DateTimeOffset.FromUnixTimeMilliseconds(to);
            FeedLog.GapDetected(_logger, slot.Name, fromTime, toTime, ((to - from) / CandleContinuity.MinuteMs) + 1);
        }

        _backfills.RemoveAll(static t => t.IsCompleted);
        _backfills.Add(BackfillAsync(slot, from, to));
    }

    private async Task BackfillAsync(SymbolSlot slot, long from, long to)
    {
        await Task.Yield(); // never fetch on the publishing thread, which holds the lock
        IReadOnlyList<Kline> klines;
        try
        {
            klines = await _backfiller!.FetchAsync(slot.Name, from, to, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            var published = 0;
            var received = Stopwatch.GetTimestamp();
            foreach (var k in klines)
            {
                var last = slot.Candles.LastClosedOpenMs;
                if (k.OpenTime <= last)
                {
                    continue;
                }

                if (k.OpenTime > last + CandleContinuity.MinuteMs)
                {
                    GiveUp(slot, last + CandleContinuity.MinuteMs, k.OpenTime - CandleContinuity.MinuteMs);
                }

                ref var e = ref _backfillScratch;
                e.Begin(MarketEventKind.Candle, slot.Id, k.CloseTime, received);
                e.Candle.OpenTimeMs = k.OpenTime;
                e.Candle.Open = k.Open;
                e.Candle.High = k.High;
                e.Candle.Low = k.Low;
                e.Candle.Close = k.Close;
                e.Candle.Volume = k.Volume;
                e.Candle.QuoteVolume = k.QuoteVolume;
                e.Candle.TradeCount = (int)Math.Min(k.TradeCount, int.MaxValue);
                e.Candle.IntervalMinutes = 1;
                e.Candle.IsClosed = true;
                e.Candle.IsBackfilled = true;
                slot.Candles.Commit(e.Candle, e.ExchangeTimeMs);
                _board.Closed(slot.Id, k.OpenTime);
                Publish(ref e);
                published++;
            }

            if (slot.Candles.LastClosedOpenMs < to)
            {
                GiveUp(slot, slot.Candles.LastClosedOpenMs + CandleContinuity.MinuteMs, to);
            }

            if (published > 0)
            {
                _board.Backfilled(slot.Id, published);
            }

            _board.BackfillRunning(slot.Id, false);
            var held = slot.HeldCount - slot.HeldHead;
            FeedLog.Backfilled(_logger, slot.Name, published, held);
            slot.Hold = HoldReason.None;
            Drain(slot);
        }
    }

    private void GiveUp(SymbolSlot slot, long from, long to)
    {
        if (to < from)
        {
            return;
        }

        if (_logger.IsEnabled(LogLevel.Warning))
        {
            var fromTime = DateTimeOffset.FromUnixTimeMilliseconds(from);
            var toTime = DateTimeOffset.FromUnixTimeMilliseconds(to);
            FeedLog.GaveUp(_logger, slot.Name, fromTime, toTime, ((to - from) / CandleContinuity.MinuteMs) + 1);
        }

        _board.GaveUp(slot.Id, from, to);
        slot.Candles.AdvanceTo(to);
        _board.Closed(slot.Id, slot.Candles.LastClosedOpenMs);
    }

    private void Publish(ref MarketEvent data)
    {
        long sequence;
        var spin = default(SpinWait);
        while (!_ring.TryNext(out sequence))
        {
            if (_stop.IsStopping)
            {
                return;
            }

            spin.SpinOnce(sleep1Threshold: 20);
        }

        ref var slot = ref _ring[sequence];
        slot = data;
        var published = Stopwatch.GetTimestamp();
        slot.Stamps[(int)StagePoint.Published] = published;
        _ring.Publish(sequence);
        Counters.CountPublished(data.ReceivedTimestamp, published);
    }

    private enum HoldReason : byte
    {
        None = 0,

        /// <summary>Just (re)connected: wait for the first kline to tell whether minutes were missed.</summary>
        ContinuityCheck,

        /// <summary>Missing minutes are being fetched; later events wait behind them.</summary>
        Backfill,
    }

    /// <summary>One symbol's publishing state (session lock), plus its last-message time (read by the watchdog).</summary>
    private sealed class SymbolSlot(SymbolId id, string name, long firstExpectedMinuteMs)
    {
        public readonly SymbolId Id = id;
        public readonly string Name = name;
        public long LastMessage;
        public IdSequence Trades;
        public IdSequence Quotes;
        public IdSequence MarkTimes;
        public bool IdRefusalLogged;
        public CandleContinuity Candles = new(firstExpectedMinuteMs);
        public HoldReason Hold;
        public long HoldSince;
        public MarketEvent[] Held = [];
        public int HeldHead;
        public int HeldCount;
        public bool OverflowLogged;
    }
}

/// <summary>The feed's stop flag and token, shared by its sessions.</summary>
internal sealed class FeedStopSignal : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private volatile bool _stopping;

    public bool IsStopping => _stopping;

    public CancellationToken Token => _source.Token;

    public void Stop()
    {
        _stopping = true;
        _source.Cancel();
    }

    public void Dispose() => _source.Dispose();
}
