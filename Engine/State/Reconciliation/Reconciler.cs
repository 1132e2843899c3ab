using System.Diagnostics;
using System.Globalization;
using System.Text;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.UserData;
using Engine.Model;
using Engine.Ring;
using Engine.State.Positions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.State.Reconciliation;

/// <summary>
/// Compares the engine's positions (<see cref="PositionBook"/>) and open orders (<see cref="IOpenOrderView"/>) with the
/// venue's (positionRisk v3, openOrders) at start, every <see cref="ReconciliationOptions.Interval"/> and on demand
/// (<see cref="ReconcileAsync"/>, optionally dry). The venue is the truth:
/// <list type="bullet">
/// <item>a position that differs (and still differs, identically on both sides, after
/// <see cref="ReconciliationOptions.ConfirmDelay"/>) is replaced by the venue's: a
/// <see cref="MarketEventKind.Position"/> event (source Reconciliation, correlation id = run id) is published into the
/// ring, so the brain and the tail both take it;</item>
/// <item>an order the engine thinks open that the venue does not list is queried by client id and the answer handed to
/// the <see cref="IUserDataSink"/> (the ledger normalizes it); one the venue does not know at all is reported and left
/// to execution;</item>
/// <item>an open venue order with the engine's client-id form that the engine does not know is canceled;</item>
/// <item>a foreign open order (another id form) is reported and left alone.</item>
/// </list>
/// Each run also publishes an <see cref="MarketEventKind.Account"/> event (wallet, equity = margin balance) from the
/// account endpoint, so the brain sizes on the venue's equity. A dry run reads and compares only.
/// </summary>
/// <remarks>Runs on a thread-pool task, one run at a time; never on a ring stage. Publishes into the (multi-producer) ring.</remarks>
public sealed partial class Reconciler : BackgroundService, IAsyncDisposable
{
    private static readonly TimeSpan s_publishTimeout = TimeSpan.FromSeconds(5);

    private readonly BinanceRestClient _rest;
    private readonly SymbolTable _symbols;
    private readonly PositionBook _positions;
    private readonly IOpenOrderView _orders;
    private readonly OrderRecovery _recovery;
    private readonly RingBuffer<MarketEvent> _ring;
    private readonly ReconciliationOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _oneRun = new(1, 1);
    private long _lastRunId;
    private ReconciliationReport? _lastReport;

    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    /// <exception cref="ArgumentException">The ring is single-producer (the reconciler publishes beside other producers).</exception>
    public Reconciler(
        BinanceRestClient rest,
        SymbolTable symbols,
        PositionBook positions,
        IOpenOrderView orders,
        IUserDataSink sink,
        RingBuffer<MarketEvent> ring,
        IOptions<ReconciliationOptions> options,
        ILogger<Reconciler> logger,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (ring.Sequencer is not MultiProducerSequencer)
        {
            throw new ArgumentException("The reconciler publishes beside the other producers: the ring must be multi-producer.", nameof(ring));
        }

        _options = options.Value;
        var validation = new ReconciliationOptionsValidator().Validate(null, _options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(ReconciliationOptions.Section, typeof(ReconciliationOptions), validation.Failures);
        }

        _rest = rest;
        _symbols = symbols;
        _positions = positions;
        _orders = orders;
        _recovery = new OrderRecovery(rest, symbols, sink);
        _ring = ring;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>What reconciliation did (health, metrics).</summary>
    public ReconciliationCounters Counters { get; } = new();

    /// <summary>The options in force (the interval health judges by).</summary>
    public ReconciliationOptions Options => _options;

    /// <summary>The last run's report (null before the first).</summary>
    public ReconciliationReport? LastReport => Volatile.Read(ref _lastReport);

    /// <summary>The schedule: a run now (when <see cref="ReconciliationOptions.RunAtStart"/>), then one every interval; stopping cancels a run in progress.</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => ScheduleAsync(stoppingToken);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        Dispose();
    }

    public override void Dispose()
    {
        base.Dispose();
        _oneRun.Dispose();
    }

    /// <summary>
    /// Runs one reconciliation now (waiting for one in progress to end first) and returns its report. With
    /// <paramref name="dryRun"/> it compares only: no event is published, no order queried into the ledger or canceled.
    /// </summary>
    public async Task<ReconciliationReport> ReconcileAsync(bool dryRun, CancellationToken cancellationToken)
    {
        await _oneRun.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var report = await RunAsync(dryRun, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastReport, report);
            return report;
        }
        finally
        {
            _oneRun.Release();
        }
    }

    private async Task ScheduleAsync(CancellationToken stop)
    {
        try
        {
            if (_options.RunAtStart)
            {
                await ScheduledRunAsync(stop).ConfigureAwait(false);
            }

            using var timer = new PeriodicTimer(_options.Interval, _time);
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                await ScheduledRunAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            // Nobody awaits the schedule while it runs: an end it did not choose must be seen (the log, the failed
            // count, and health once the last success is too old), not left in a task nobody observes.
            Counters.Failed(NowMs);
            Log.ScheduleEnded(_logger, ex);
        }
    }

    private async Task ScheduledRunAsync(CancellationToken stop)
    {
        try
        {
            await ReconcileAsync(dryRun: false, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug must not end the schedule; the run is counted as failed and logged with its stack.
            Counters.Failed(NowMs);
            Log.RunCrashed(_logger, ex);
        }
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private long NextRunId()
    {
        // Unique across restarts: the start time in ms, kept increasing within a process.
        var id = Math.Max(NowMs, _lastRunId + 1);
        _lastRunId = id;
        return id;
    }

    private async Task<ReconciliationReport> RunAsync(bool dryRun, CancellationToken ct)
    {
        var runId = NextRunId();
        var startedAt = _time.GetUtcNow();
        var first = await SnapshotAsync(ct).ConfigureAwait(false);
        if (first.Error is not null)
        {
            return Fail(runId, dryRun, startedAt, first.Error);
        }

        var candidates = Compare(first);
        var confirmed = candidates;
        if (candidates.Count > 0 && _options.ConfirmDelay > TimeSpan.Zero)
        {
            // A fill in flight (venue done, stream event not yet through the tail) looks like a mismatch for a moment;
            // only a difference that stays exactly the same on both sides is one.
            await Task.Delay(_options.ConfirmDelay, _time, ct).ConfigureAwait(false);
            var second = await SnapshotAsync(ct).ConfigureAwait(false);
            if (second.Error is not null)
            {
                return Fail(runId, dryRun, startedAt, second.Error);
            }

            var again = Compare(second);
            var before = new HashSet<string>(candidates.Select(c => c.Signature), StringComparer.Ordinal);
            confirmed = [.. again.Where(c => before.Contains(c.Signature))];
        }

        var mismatches = new List<ReconciliationMismatch>();
        var positions = new List<PositionDifference>();
        foreach (var c in confirmed.Where(c => c.Kind == MismatchKind.Position))
        {
            positions.Add(await CorrectPositionAsync(c, runId, dryRun, mismatches, ct).ConfigureAwait(false));
        }

        foreach (var c in confirmed.Where(c => c.Kind != MismatchKind.Position))
        {
            await HandleOtherAsync(c, dryRun, mismatches, ct).ConfigureAwait(false);
        }

        if (!dryRun && first.Account is { } account)
        {
            PublishAccount(account.Wallet, account.Equity);
        }

        var report = new ReconciliationReport
        {
            RunId = runId,
            DryRun = dryRun,
            StartedAt = startedAt,
            CompletedAt = _time.GetUtcNow(),
            Succeeded = true,
            Mismatches = mismatches,
            Positions = positions,
            PositionsCompared = first.PositionsCompared,
            OrdersCompared = first.OrdersCompared,
            WalletBalance = first.Account?.Wallet,
            Equity = first.Account?.Equity,
        };
        Counters.Completed(dryRun, mismatches.Count, NowMs);
        LogReport(report);
        return report;
    }

    private ReconciliationReport Fail(long runId, bool dryRun, DateTimeOffset startedAt, string error)
    {
        Counters.Failed(NowMs);
        Log.RunFailed(_logger, runId, error);
        return new ReconciliationReport
        {
            RunId = runId,
            DryRun = dryRun,
            StartedAt = startedAt,
            CompletedAt = _time.GetUtcNow(),
            Succeeded = false,
            Error = error,
        };
    }

    // ---- reading both sides

    private async Task<Snapshot> SnapshotAsync(CancellationToken ct)
    {
        // The venue first, then the engine: an order the engine sends in between is journaled (and in the view)
        // before it reaches the venue, so it can only show up as "open here, not listed there", which a query settles.
        var risk = await _rest.GetPositionRiskAsync(cancellationToken: ct).ConfigureAwait(false);
        if (!risk.IsSuccess)
        {
            return new Snapshot { Error = "positionRisk: " + risk.Error };
        }

        var open = await _rest.GetOpenOrdersAsync(cancellationToken: ct).ConfigureAwait(false);
        if (!open.IsSuccess)
        {
            return new Snapshot { Error = "openOrders: " + open.Error };
        }

        var account = await _rest.GetAccountAsync(cancellationToken: ct).ConfigureAwait(false);
        (Notional Wallet, Notional Equity)? balances = null;
        if (account.IsSuccess)
        {
            var asset = account.Value!.Assets.FirstOrDefault(a => string.Equals(a.Asset, _options.MarginAsset, StringComparison.Ordinal));
            balances = asset is not null
                ? (asset.WalletBalance, asset.MarginBalance)
                : (account.Value.TotalWalletBalance, account.Value.TotalMarginBalance);
        }
        else
        {
            Log.AccountFailed(_logger, account.Error!);
        }

        var localPositions = new List<PositionSnapshot>();
        _positions.CopyOpen(localPositions);
        var localOrders = new List<LocalOrder>();
        _orders.CopyOpenOrders(localOrders);
        return new Snapshot
        {
            VenuePositions = risk.Value!,
            VenueOrders = open.Value!,
            LocalPositions = localPositions,
            LocalOrders = localOrders,
            Account = balances,
        };
    }

    private List<Candidate> Compare(Snapshot s)
    {
        var result = new List<Candidate>();

        // Positions: every symbol open on either side.
        var venue = new Dictionary<string, (Quantity Amount, Price Entry)>(StringComparer.Ordinal);
        foreach (var row in s.VenuePositions)
        {
            if (row.PositionAmt.IsZero)
            {
                continue;
            }

            // One-way mode has one BOTH row per symbol; hedge rows (LONG/SHORT) add up to the net.
            venue[row.Symbol] = venue.TryGetValue(row.Symbol, out var existing)
                ? (existing.Amount + row.PositionAmt, row.EntryPrice)
                : (row.PositionAmt, row.EntryPrice);
        }

        var local = new Dictionary<string, PositionSnapshot>(StringComparer.Ordinal);
        foreach (var p in s.LocalPositions)
        {
            local[_symbols.NameOf(p.Symbol)] = p;
        }

        var names = new SortedSet<string>(venue.Keys, StringComparer.Ordinal);
        names.UnionWith(local.Keys);
        s.PositionsCompared = names.Count;
        foreach (var name in names)
        {
            var v = venue.TryGetValue(name, out var vv) ? vv : (Quantity.Zero, Price.Zero);
            var hasLocal = local.TryGetValue(name, out var l);
            var lAmount = hasLocal ? l.Amount : Quantity.Zero;
            var lEntry = hasLocal ? l.EntryPrice : Price.Zero;
            if (!_symbols.TryGet(Encoding.ASCII.GetBytes(name), out var id))
            {
                result.Add(new Candidate(MismatchKind.PositionOnUnknownSymbol, name, SymbolId.None, lAmount, lEntry, v.Item1, v.Item2, null, null));
                continue;
            }

            var differs = lAmount != v.Item1;
            if (!differs && !lAmount.IsZero)
            {
                var gap = lEntry.Mantissa - v.Item2.Mantissa;
                differs = Math.Abs(gap) > _options.ToleranceOf(v.Item2).Mantissa;
            }

            if (differs)
            {
                result.Add(new Candidate(MismatchKind.Position, name, id, lAmount, lEntry, v.Item1, v.Item2, null, null));
            }
        }

        // Orders.
        var venueOrders = new Dictionary<string, OrderResponse>(StringComparer.Ordinal);
        foreach (var o in s.VenueOrders)
        {
            venueOrders[o.Symbol + "\n" + o.ClientOrderId] = o;
        }

        var localKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var o in s.LocalOrders)
        {
            var name = _symbols.NameOf(o.Symbol);
            var key = name + "\n" + OrderRecovery.WireId(o.ClientOrderId);
            localKeys.Add(key);
            if (!venueOrders.TryGetValue(key, out var at))
            {
                result.Add(new Candidate(MismatchKind.OrderNotOpenAtVenue, name, o.Symbol, o.Filled, Price.Zero, Quantity.Zero, Price.Zero, o, null));
            }
            else if (at.ExecutedQty != o.Filled)
            {
                result.Add(new Candidate(MismatchKind.OrderFilledDiffers, name, o.Symbol, o.Filled, Price.Zero, at.ExecutedQty, Price.Zero, o, at));
            }
        }

        foreach (var (key, o) in venueOrders)
        {
            if (localKeys.Contains(key))
            {
                continue;
            }

            var ours = ClientOrderId.TryParse(Encoding.ASCII.GetBytes(o.ClientOrderId), out _);
            result.Add(new Candidate(ours ? MismatchKind.OrderUnknownToEngine : MismatchKind.ForeignOrder, o.Symbol, SymbolId.None, Quantity.Zero, Price.Zero, o.ExecutedQty, Price.Zero, null, o));
        }

        s.OrdersCompared = localKeys.Count + venueOrders.Count(kv => !localKeys.Contains(kv.Key));
        return result;
    }

    // ---- acting

    private async Task<PositionDifference> CorrectPositionAsync(Candidate c, long runId, bool dryRun, List<ReconciliationMismatch> mismatches, CancellationToken ct)
    {
        Quantity? afterAmount = null;
        Price? afterEntry = null;
        var action = string.Empty;
        if (!dryRun)
        {
            var data = new PositionData
            {
                Amount = c.VenueAmount,
                EntryPrice = c.VenueAmount.IsZero ? Price.Zero : c.VenueEntry,
                CorrelationId = runId,
                Source = PositionSource.Reconciliation,
            };
            if (PublishPosition(c.Id, data))
            {
                Counters.PositionCorrected();
                var applied = await WaitAppliedAsync(c.Id, data, ct).ConfigureAwait(false);
                if (applied is { } now)
                {
                    afterAmount = now.Amount;
                    afterEntry = now.EntryPrice;
                    action = string.Create(CultureInfo.InvariantCulture, $"set to the venue's position (run {runId})");
                }
                else
                {
                    action = string.Create(CultureInfo.InvariantCulture, $"venue's position published (run {runId}); not yet applied after {_options.ApplyTimeout.TotalSeconds:F0} s");
                }
            }
            else
            {
                action = "not corrected: the ring stayed full";
            }
        }

        mismatches.Add(new ReconciliationMismatch(MismatchKind.Position, "position " + c.Symbol, Describe(c.EngineAmount, c.EngineEntry), Describe(c.VenueAmount, c.VenueEntry), action));
        return new PositionDifference(c.Symbol, c.EngineAmount, c.EngineEntry, c.VenueAmount, c.VenueEntry, afterAmount, afterEntry);
    }

    private async Task HandleOtherAsync(Candidate c, bool dryRun, List<ReconciliationMismatch> mismatches, CancellationToken ct)
    {
        switch (c.Kind)
        {
            case MismatchKind.PositionOnUnknownSymbol:
                mismatches.Add(new(c.Kind, "position " + c.Symbol, Describe(c.EngineAmount, c.EngineEntry), Describe(c.VenueAmount, c.VenueEntry),
                    dryRun ? string.Empty : "left alone: the engine does not trade this symbol"));
                break;
            case MismatchKind.OrderNotOpenAtVenue:
            {
                var local = c.Local!.Value;
                var what = "order " + c.Symbol + " " + OrderRecovery.WireId(local.ClientOrderId);
                var engine = DescribeOrder(local.Status, local.Filled, local.Quantity);
                if (dryRun)
                {
                    // A dry run may read: say what the venue has, hand nothing over.
                    var q = await _rest.QueryOrderAsync(OrderReference.ByClientOrderId(c.Symbol, OrderRecovery.WireId(local.ClientOrderId)), ct).ConfigureAwait(false);
                    var venueText = q.IsSuccess ? DescribeOrder(q.Value!.Status, q.Value.ExecutedQty, q.Value.OrigQty) : "query failed: " + q.Error!.Message;
                    if (!q.IsSuccess && q.Error!.Code == -2013)
                    {
                        mismatches.Add(new(MismatchKind.OrderUnknownToVenue, what, engine, "unknown to the venue (-2013)", string.Empty));
                    }
                    else if (!q.IsSuccess || q.Value!.Status is not (OrderStatus.New or OrderStatus.PartiallyFilled))
                    {
                        mismatches.Add(new(c.Kind, what, engine, venueText, string.Empty));
                    }

                    break;
                }

                var (outcome, order, error) = await _recovery.QueryAsync(local, ct).ConfigureAwait(false);
                switch (outcome)
                {
                    case OrderQueryOutcome.Answered:
                        Counters.OrderQueried();

                        // Listed a moment later (it reached the venue after the openOrders read): not a mismatch.
                        if (order!.Status is not (OrderStatus.New or OrderStatus.PartiallyFilled))
                        {
                            mismatches.Add(new(c.Kind, what, engine, DescribeOrder(order.Status, order.ExecutedQty, order.OrigQty), "venue's state handed to the order ledger"));
                        }

                        break;
                    case OrderQueryOutcome.NotFound:
                        mismatches.Add(new(MismatchKind.OrderUnknownToVenue, what, engine, "unknown to the venue (-2013)", "left to execution (never received, or forgotten)"));
                        break;
                    default:
                        mismatches.Add(new(c.Kind, what, engine, "query failed: " + error!.Message, "none (retried next run)"));
                        break;
                }

                break;
            }

            case MismatchKind.OrderFilledDiffers:
            {
                var local = c.Local!.Value;
                var venue = c.Venue!;
                var action = string.Empty;
                if (!dryRun)
                {
                    _recovery.Hand(venue);
                    Counters.OrderQueried();
                    action = "venue's state handed to the order ledger";
                }

                mismatches.Add(new(c.Kind, "order " + c.Symbol + " " + venue.ClientOrderId,
                    DescribeOrder(local.Status, local.Filled, local.Quantity), DescribeOrder(venue.Status, venue.ExecutedQty, venue.OrigQty), action));
                break;
            }

            case MismatchKind.OrderUnknownToEngine:
            {
                var venue = c.Venue!;
                var action = string.Empty;
                if (!dryRun && !_options.CancelUnknownOrders)
                {
                    action = "left open (CancelUnknownOrders is off)";
                }
                else if (!dryRun)
                {
                    var canceled = await _rest.CancelOrderAsync(OrderReference.ByClientOrderId(venue.Symbol, venue.ClientOrderId), ct).ConfigureAwait(false);
                    if (canceled.IsSuccess)
                    {
                        Counters.OrderCanceled();
                        action = "canceled";
                    }
                    else
                    {
                        action = "cancel failed: " + canceled.Error!.Message;
                    }
                }

                mismatches.Add(new(c.Kind, "order " + venue.Symbol + " " + venue.ClientOrderId, "not known", DescribeOrder(venue.Status, venue.ExecutedQty, venue.OrigQty), action));
                break;
            }

            case MismatchKind.ForeignOrder:
            {
                var venue = c.Venue!;
                mismatches.Add(new(c.Kind, "order " + venue.Symbol + " " + venue.ClientOrderId, "not the engine's",
                    DescribeOrder(venue.Status, venue.ExecutedQty, venue.OrigQty), dryRun ? string.Empty : "left alone: not placed by the engine"));
                break;
            }
        }
    }

    private async Task<PositionSnapshot?> WaitAppliedAsync(SymbolId symbol, PositionData data, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.ApplyTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (_positions.TryRead(symbol, out var now) && now.Amount == data.Amount && (data.Amount.IsZero || now.EntryPrice == data.EntryPrice))
            {
                return now;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                return null;
            }

            await Task.Delay(5, ct).ConfigureAwait(false);
        }
    }

    private bool PublishPosition(SymbolId symbol, in PositionData data)
    {
        if (!TryClaim(out var sequence))
        {
            return false;
        }

        ref var slot = ref _ring[sequence];
        slot.Begin(MarketEventKind.Position, symbol, NowMs, Stopwatch.GetTimestamp());
        slot.Position = data;
        slot.Stamps[(int)StagePoint.Published] = Stopwatch.GetTimestamp();
        _ring.Publish(sequence);
        return true;
    }

    private bool PublishAccount(Notional wallet, Notional equity)
    {
        if (!TryClaim(out var sequence))
        {
            Log.RingFull(_logger, "Account");
            return false;
        }

        ref var slot = ref _ring[sequence];
        slot.Begin(MarketEventKind.Account, SymbolId.None, NowMs, Stopwatch.GetTimestamp());
        slot.Account.WalletBalance = wallet;
        slot.Account.Equity = equity;
        slot.Stamps[(int)StagePoint.Published] = Stopwatch.GetTimestamp();
        _ring.Publish(sequence);
        return true;
    }

    private bool TryClaim(out long sequence)
    {
        // TryNext, not Next: a stalled stage must fail the correction in time, not hang the reconciler forever.
        var deadline = Stopwatch.GetTimestamp() + (long)(s_publishTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!_ring.TryNext(out sequence))
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    private void LogReport(ReconciliationReport report)
    {
        var positionLines = report.Mismatches.Where(m => m.Kind is MismatchKind.Position or MismatchKind.PositionOnUnknownSymbol).Select(Line).ToList();
        if (positionLines.Count > 0)
        {
            Log.PositionMismatches(_logger, positionLines.Count, report.RunId, report.DryRun, string.Join("; ", positionLines));
        }

        var orderLines = report.Mismatches.Where(m => m.Kind is not (MismatchKind.Position or MismatchKind.PositionOnUnknownSymbol)).Select(Line).ToList();
        if (orderLines.Count > 0)
        {
            Log.OrderMismatches(_logger, orderLines.Count, report.RunId, report.DryRun, string.Join("; ", orderLines));
        }

        if (report.Mismatches.Count == 0)
        {
            Log.Clean(_logger, report.RunId, report.DryRun, report.PositionsCompared, report.OrdersCompared);
        }

        static string Line(ReconciliationMismatch m) =>
            m.What + ": engine " + m.Engine + ", venue " + m.Venue + (m.Action.Length > 0 ? " -> " + m.Action : string.Empty);
    }

    private static string Describe(Quantity amount, Price entry) =>
        amount.IsZero ? "flat" : string.Create(CultureInfo.InvariantCulture, $"{amount} @ {entry}");

    private static string DescribeOrder(OrderStatus status, Quantity filled, Quantity quantity) =>
        string.Create(CultureInfo.InvariantCulture, $"{status}, filled {filled} of {quantity}");

    private sealed record Candidate(
        MismatchKind Kind,
        string Symbol,
        SymbolId Id,
        Quantity EngineAmount,
        Price EngineEntry,
        Quantity VenueAmount,
        Price VenueEntry,
        LocalOrder? Local,
        OrderResponse? Venue)
    {
        // What must be identical in both reads for the difference to count: the kind, the subject and both sides' values.
        public string Signature => string.Create(
            CultureInfo.InvariantCulture,
            $"{Kind}|{Symbol}|{Local?.ClientOrderId}|{Venue?.ClientOrderId}|{EngineAmount}|{EngineEntry}|{VenueAmount}|{VenueEntry}|{Local?.Filled}|{Venue?.ExecutedQty}");
    }

    private sealed class Snapshot
    {
        public string? Error { get; init; }

        public PositionRisk[] VenuePositions { get; init; } = [];

        public OrderResponse[] VenueOrders { get; init; } = [];

        public List<PositionSnapshot> LocalPositions { get; init; } = [];

        public List<LocalOrder> LocalOrders { get; init; } = [];

        public (Notional Wallet, Notional Equity)? Account { get; init; }

        public int PositionsCompared { get; set; }

        public int OrdersCompared { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1820, Level = LogLevel.Warning, Message = "Position mismatches detected: {Count} in run {RunId} (dry run: {DryRun}): {Details}")]
        public static partial void PositionMismatches(ILogger logger, int count, long runId, bool dryRun, string details);

        [LoggerMessage(EventId = 1821, Level = LogLevel.Warning, Message = "Order mismatches detected: {Count} in run {RunId} (dry run: {DryRun}): {Details}")]
        public static partial void OrderMismatches(ILogger logger, int count, long runId, bool dryRun, string details);

        [LoggerMessage(EventId = 1822, Level = LogLevel.Information, Message = "Reconciliation run {RunId} (dry run: {DryRun}): {Positions} positions and {Orders} orders agree with the venue")]
        public static partial void Clean(ILogger logger, long runId, bool dryRun, int positions, int orders);

        [LoggerMessage(EventId = 1823, Level = LogLevel.Error, Message = "Reconciliation run {RunId} failed: {Error}")]
        public static partial void RunFailed(ILogger logger, long runId, string error);

        [LoggerMessage(EventId = 1824, Level = LogLevel.Error, Message = "Reconciliation run crashed; the schedule goes on")]
        public static partial void RunCrashed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1827, Level = LogLevel.Critical, Message = "Reconciliation schedule ended on a fault: no more scheduled runs until a restart (enginectl reconcile still runs one)")]
        public static partial void ScheduleEnded(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1825, Level = LogLevel.Warning, Message = "Account query failed during reconciliation: {Error}; no Account event this run")]
        public static partial void AccountFailed(ILogger logger, VenueError error);

        [LoggerMessage(EventId = 1826, Level = LogLevel.Error, Message = "Reconciliation could not publish {Kind}: the ring stayed full")]
        public static partial void RingFull(ILogger logger, string kind);
    }
}
