using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.Signing;
using Engine.Model;
using Engine.Exchange.UserData;
using Engine.Native;
using Engine.State;
using Engine.State.Journal;
using Engine.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Execution;

/// <summary>
/// Execution's I/O side: one dedicated thread (the I/O loop) that owns the order ledger, the journal and the paper
/// venue. It takes signed orders from the stage's queue, journals each intent before its request leaves, sends over
/// the REST client's HTTP/1.1 keep-alive connections, and funnels every statement about an order — REST answers,
/// order queries, user-data events (<see cref="OnOrderUpdate"/>, from the user-stream thread through a queue), paper
/// fills — through <see cref="OrderLedger"/> into normalized ring events. Unknown outcomes are queried by client
/// order id and resent only when the venue answers -2013 after the request's recvWindow has closed.
/// </summary>
public sealed class ExecutionService : IUserDataSink, IOpenOrderView, IDisposable
{
    private const int ControlModePaper = 3;
    private const int ControlModeLive = 4;
    private static readonly TimeSpan s_idleWait = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_paperPoll = TimeSpan.FromMilliseconds(5);

    private readonly ExecutionOptions _options;
    private readonly JournalOptions _journalOptions;
    private readonly BinanceRestClient? _client;
    private readonly HmacSha256Signer? _ioSigner;
    private readonly HmacSha256Signer _stageSigner;
    private readonly SymbolTable _symbols;
    private readonly SymbolRules[] _rules;
    private readonly IExecutionOutput _output;
    private readonly ILogger _logger;
    private readonly OrderQueue _orders;
    private readonly OrderQueue _rejects;
    private readonly LoopSignal _signal = new();
    private readonly QuoteBook _quotes;
    private readonly ConcurrentQueue<Inbound> _inbound = new();
    private readonly OrderLedger _ledger = new();
    private readonly PositionFold _positions;
    private readonly JournalFolder _folder;
    private readonly JournalWriter _journal;
    private readonly JournalState _recovered;
    private readonly List<(OrderRecord Record, byte[] Bytes, int Length)> _toSend = [];
    private readonly List<OrderRecord> _resting = [];
    private readonly List<OrderRecord> _interruptedPaper = [];
    private readonly byte[] _recordBuffer = new byte[JournalCodec.MaxOrderRecordSize];
    private readonly CancellationTokenSource _stopping = new();
    private readonly long _takerRate;
    private readonly long _makerRate;
    private Thread? _thread;
    private VenueMode _mode;
    private Notional _paperWallet;
    private Notional _lastLiveWallet;
    private bool _haveLiveWallet;
    private long _paperOrderIds;
    private long _sentLatencySum;
    private bool _disposed;
    private volatile IReadOnlyList<OpenOrderSnapshot> _openSnapshot = [];
    private bool _snapshotDirty = true;

    // The journal cannot be written (I/O loop state): since when, and when the commit is tried again.
    private bool _journalDown;
    private long _journalDownSinceMs;
    private long _journalRetryAtMs;
    private volatile string? _journalUnavailable;

    // Reduce-only (protective) mode: entered once, for the rest of the run.
    private int _protectRequested;
    private bool _reduceOnly;
    private volatile string? _reduceOnlyReason;
    private long _protectiveSequence;
    private long _protectiveSweepAtMs;
    private readonly Dictionary<string, int> _protectiveAttempts = new(StringComparer.Ordinal);

    /// <param name="options">Execution settings.</param>
    /// <param name="journalOptions">Journal folder and fsync policy; the journal is replayed here.</param>
    /// <param name="client">The venue's REST client; null for a paper-only engine (no credentials).</param>
    /// <param name="credentials">The API key pair the stage and the I/O loop sign with (each its own signer); null for paper only.</param>
    /// <param name="symbols">This run's symbols (filled before construction).</param>
    /// <param name="rules">Venue rules indexed by <see cref="SymbolId.Value"/> (precisions for signing).</param>
    /// <param name="output">Where normalized events go (the ring, through <see cref="RingPublisher"/>).</param>
    /// <param name="logger">Logger.</param>
    /// <param name="recoverFromVenue">
    /// When the journal is damaged (not a torn write), set it aside and start from the venue's positions instead of
    /// refusing to start (<c>--recover-from-venue</c>); needs <paramref name="client"/>.
    /// </param>
    /// <exception cref="JournalUnusableException">The journal cannot be used (another engine's, damaged, unreadable,
    /// unwritable); its message is one line naming the folder or file and why.</exception>
    public ExecutionService(
        IOptions<ExecutionOptions> options, IOptions<JournalOptions> journalOptions, BinanceRestClient? client, ApiCredentials? credentials,
        SymbolTable symbols, IReadOnlyList<SymbolRules> rules, IExecutionOutput output, ILogger<ExecutionService> logger, bool recoverFromVenue = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(journalOptions);
        _options = options.Value;
        _journalOptions = journalOptions.Value;
        Check(new ExecutionOptionsValidator().Validate(null, _options), ExecutionOptions.Section);
        Check(new JournalOptionsValidator().Validate(null, _journalOptions), JournalOptions.Section);
        _symbols = symbols ?? throw new ArgumentNullException(nameof(symbols));
        _rules = [.. rules ?? throw new ArgumentNullException(nameof(rules))];
        _output = output ?? throw new ArgumentNullException(nameof(output));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        if ((client is null) != (credentials is null))
        {
            throw new ArgumentException("the REST client and the credentials come together (both null: paper only)", nameof(credentials));
        }

        _client = client;
        _mode = client is null ? VenueMode.Paper : _options.InitialMode;
        Counters.SetMode(_mode);

        // The stage and the I/O loop each sign with their own signer: a signer is not shared between threads.
        _stageSigner = credentials is null ? HmacSha256Signer.Create("paper-only: requests are never sent"u8) : HmacSha256Signer.Create(credentials);
        _ioSigner = credentials is null ? null : HmacSha256Signer.Create(credentials);
        _orders = new OrderQueue(_options.QueueCapacity, _options.RequestBufferBytes);
        _rejects = new OrderQueue(Math.Max(64, _options.QueueCapacity / 4), 0);
        _quotes = new QuoteBook(symbols.Capacity);
        _takerRate = (long)(_options.PaperTakerFee * FixedPoint.One);
        _makerRate = (long)(_options.PaperMakerFee * FixedPoint.One);
        _paperWallet = Notional.FromMantissa((long)(_options.PaperInitialWallet * FixedPoint.One));

        // Replay: orders not final and positions; then a fresh segment that starts with their snapshot (compaction at start).
        // The folder is locked first: nothing reads, cuts or compacts a segment another engine may be writing.
        _folder = JournalFolder.Acquire(_journalOptions.Directory);
        _recovered = Recover(recoverFromVenue);
        _positions = _recovered.Positions;
        RunId = Math.Max(_recovered.LastRunId + 1, (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1_577_836_800) & 0x3FFF_FFFF);
        foreach (var order in _recovered.OpenOrders.Values)
        {
            _symbols.TryGet(Encoding.ASCII.GetBytes(order.Symbol), out var id);
            var record = _ledger.Add(order, id, paper: order.Paper);
            if (order.Paper)
            {
                // A paper order never reached the exchange: a resting limit rests again, anything else fails at Start.
                if (order.Kind == OrderKind.Limit && !id.IsNone)
                {
                    _resting.Add(record);
                }
                else
                {
                    _interruptedPaper.Add(record);
                }

                continue;
            }

            record.Pending = OrderRecord.PendingAction.Query;
            record.DueAtMs = 0;
        }

        PublishSnapshot();
        _journal = OpenJournal();

        Gateway = new ExecutionGateway(_orders, _rejects, _signal, _stageSigner, client?.Clock ?? new ServerClock(), symbols, _rules, _quotes,
            client?.RecvWindowMs ?? 5000, _options.OrderKind, RunId);
        if (_recovered.TornReason is not null)
        {
            ExecutionLog.JournalTorn(_logger, _recovered.TornBytes, _recovered.TornReason, _recovered.TornKeptIn ?? string.Empty);
        }

        var directory = _folder.Path;
        var fsync = _journalOptions.Fsync.ToString();
        ExecutionLog.Ready(_logger, RunId, _mode, directory, fsync, _recovered.OpenOrders.Count, _positions.Count, _recovered.Records);
    }

    /// <summary>The stage's half: pass it to <see cref="ExecutionStage{TNext}"/>.</summary>
    public ExecutionGateway Gateway { get; }

    /// <summary>This run's id (journaled; the next run's is higher).</summary>
    public long RunId { get; }

    public ExecutionCounters Counters { get; } = new();

    /// <summary>What stopped the I/O loop, when it failed (null while it runs or after a clean stop).</summary>
    public Exception? Fault { get; private set; }

    /// <summary>Where new orders go now.</summary>
    public VenueMode Mode => Counters.Mode;

    /// <summary>
    /// Why the journal cannot be written (the error's message), while it cannot; null when it can. Meanwhile no entry is
    /// sent, and reduce-only exits wait until their intent is journaled (any thread).
    /// </summary>
    public string? JournalUnavailable => _journalUnavailable;

    /// <summary>Why execution is reduce-only (<see cref="EnterReduceOnly"/>); null while entries are allowed (any thread).</summary>
    public string? ReduceOnlyReason => _reduceOnlyReason;

    /// <summary>Whether the I/O loop is running (started, not stopped, not failed).</summary>
    public bool IsRunning => _thread is { IsAlive: true } && Fault is null;

    /// <summary>Latency from the publication of the event that caused an order to its bytes being handed to the socket, ns (I/O loop writes).</summary>
    public LatencyHistogram SentLatency { get; } = new();

    /// <summary>Each order's tick-to-order stamps and histograms (frame received → signed, → first socket write); I/O loop writes.</summary>
    public OrderLatencyTrace Trace { get; } = new();

    /// <summary>Sum of the <see cref="SentLatency"/> observations, ns.</summary>
    public long SentLatencySumNanoseconds => Volatile.Read(ref _sentLatencySum);

    /// <summary>What the journal replay found at construction.</summary>
    public JournalState Recovered => _recovered;

    /// <summary>The journal's fsync count and records (I/O loop writes; read for metrics).</summary>
    public JournalWriter Journal => _journal;

    /// <summary>Orders not final, as of the I/O loop's last turn (any thread).</summary>
    public IReadOnlyList<OpenOrderSnapshot> OpenOrders => _openSnapshot;

    /// <summary>
    /// Starts the I/O loop: publishes the journal's positions as <see cref="MarketEventKind.Position"/> events
    /// (source Journal) first, then looks up every order the journal left open, then serves the stage's queue.
    /// </summary>
    public void Start()
    {
        if (_thread is not null)
        {
            throw new InvalidOperationException("execution is already started");
        }

        foreach (var position in _positions.All())
        {
            if (!_symbols.TryGet(Encoding.ASCII.GetBytes(position.Symbol), out var id))
            {
                ExecutionLog.PositionSymbolUnknown(_logger, position.Symbol);
                continue;
            }

            var evt = default(MarketEvent);
            evt.Begin(MarketEventKind.Position, id, NowMs(), Stopwatch.GetTimestamp());
            evt.Position.Amount = position.Amount;
            evt.Position.EntryPrice = position.EntryPrice;
            evt.Position.RealizedPnl = position.RealizedPnl;
            evt.Position.Source = PositionSource.Journal;
            _output.Publish(in evt);
        }

        foreach (var record in _interruptedPaper)
        {
            Fail(record, "a paper order interrupted by the restart");
        }

        _interruptedPaper.Clear();
        _journal.Commit();
        if (_ledger.Count > 0)
        {
            ExecutionLog.Recovering(_logger, _ledger.Count, "left open by the previous run");
        }

        _thread = new Thread(Run) { Name = "execution-io", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Stops the loop (pending sends are abandoned as unknown; the journal has their intents) and flushes the journal.</summary>
    public void Stop(TimeSpan timeout)
    {
        if (_stopping.IsCancellationRequested)
        {
            _thread?.Join(timeout);
            return;
        }

        _stopping.Cancel();
        _signal.Wake();
        if (_output is RingPublisher publisher)
        {
            publisher.Close();
        }

        _thread?.Join(timeout);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Stop(TimeSpan.FromSeconds(5));
        _journal.Dispose();
        if (_journal.WriteError is { } error)
        {
            ExecutionLog.JournalNotWritten(_logger, _journal.PendingBytes, error.Message);
        }

        _folder.Dispose();
        _stageSigner.Dispose();
        _ioSigner?.Dispose();
        _signal.Dispose();
        _stopping.Dispose();
    }

    // ---- user-data stream (IUserDataSink; called on the user-stream thread) ----

    /// <summary>An ORDER_TRADE_UPDATE parsed by the user-data stream: queued for the I/O loop's ledger.</summary>
    public void OnOrderUpdate(in MarketEvent evt)
    {
        _inbound.Enqueue(new Inbound(InboundKind.StreamOrder, evt.OrderUpdate.ClientOrderId, default, evt));
        _signal.Wake();
    }

    /// <summary>An ACCOUNT_UPDATE: passed through to the ring (live mode).</summary>
    public void OnAccountUpdate(in MarketEvent evt)
    {
        _inbound.Enqueue(new Inbound(InboundKind.StreamAccount, 0, default, evt));
        _signal.Wake();
    }

    /// <summary>The user-data stream dropped: events may be lost until <see cref="OnStreamUp"/>.</summary>
    public void OnStreamDown() => Interlocked.Increment(ref _streamDowns);

    /// <summary>The stream is up again; after a gap (<paramref name="recovered"/>) every open order is queried.</summary>
    public void OnStreamUp(bool recovered)
    {
        if (recovered)
        {
            _inbound.Enqueue(new Inbound(InboundKind.Recover, 0, default, default));
            _signal.Wake();
        }
    }

    private long _streamDowns;

    /// <summary>How often the user-data stream reported itself down.</summary>
    public long StreamDowns => Interlocked.Read(ref _streamDowns);

    // ---- the loop ----

    private void Run()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var worked = DrainInbound();
                worked |= DrainQueue(_rejects);
                worked |= DrainQueue(_orders);
                if (CommitJournal())
                {
                    SendCommitted();
                }

                var next = RunTimers();
                if (!_journalDown && !_journal.Tick())
                {
                    JournalFailed();
                }

                if (_journalDown)
                {
                    next = Sooner(next, _journalRetryAtMs);
                }
                else if (_journal.RotationDue)
                {
                    Compact();
                }

                if (_reduceOnly)
                {
                    next = ProtectivePass(next);
                }

                if (_snapshotDirty)
                {
                    PublishSnapshot();
                }

                if (!worked)
                {
                    var wait = _journal.TimeUntilTick() is { } tick && tick < next ? tick : next;
                    _signal.Wait(wait, HasWork);
                }
            }
        }
        catch (Exception exception)
        {
            // Fail-stop: no order leaves without the journal and the ledger; health reports the fault.
            Fault = exception;
            ExecutionLog.LoopFailed(_logger, exception);
        }
        finally
        {
            try
            {
                if (!_journal.TryCommit())
                {
                    ExecutionLog.JournalNotWritten(_logger, _journal.PendingBytes, _journal.WriteError!.Message);
                }
            }
            catch (ObjectDisposedException)
            {
                // Disposed after Stop gave up waiting for this loop: the writer flushed what it could when it was disposed.
            }
        }
    }

    // ---- the journal cannot be written (a full disk, a quota, an I/O error) ----

    /// <summary>
    /// Commits what is staged; false when it is not durable yet (then nothing that waits on it may be sent). While the
    /// journal is down the commit is tried again every <see cref="ExecutionOptions.JournalRetryInterval"/>, as a full
    /// flush to disk, and the first that succeeds ends the episode.
    /// </summary>
    private bool CommitJournal()
    {
        if (!_journalDown)
        {
            if (_journal.TryCommit())
            {
                return true;
            }

            JournalFailed();
            return false;
        }

        var now = Environment.TickCount64;
        if (now < _journalRetryAtMs)
        {
            return false;
        }

        _journalRetryAtMs = now + (long)_options.JournalRetryInterval.TotalMilliseconds;
        if (!_journal.TryCommitDurable())
        {
            return false;
        }

        var downMs = now - _journalDownSinceMs;
        _journalDown = false;
        _journalUnavailable = null;
        Gateway.AllowEntries(RejectReason.JournalUnavailable);
        Counters.SetJournalAvailable(true);
        ExecutionLog.JournalBack(_logger, downMs, _journal.WriteFailures, _toSend.Count, _reduceOnly ? "execution stays reduce-only" : "entries resume");
        return true;
    }

    /// <summary>
    /// A commit failed. The first failure of an episode is logged CRITICAL; every entry waiting to be sent fails at
    /// once (it was never sent, and a late entry is a different trade), new entries are refused, and what reduces a
    /// position waits until its intent is journaled. Fills and order updates keep being applied and staged.
    /// </summary>
    private void JournalFailed()
    {
        var now = Environment.TickCount64;
        _journalRetryAtMs = now + (long)_options.JournalRetryInterval.TotalMilliseconds;
        if (_journalDown)
        {
            return;
        }

        _journalDown = true;
        _journalDownSinceMs = now;
        var reason = _journal.WriteError?.Message ?? "write failed";
        _journalUnavailable = reason;
        Gateway.RefuseEntries(RejectReason.JournalUnavailable);
        Counters.SetJournalAvailable(false);
        Counters.CountJournalEpisode();
        ExecutionLog.JournalUnavailable(_logger, reason, _journal.PendingBytes, (long)_options.JournalRetryInterval.TotalMilliseconds, _journal.WriteError);
        for (var i = _toSend.Count - 1; i >= 0; i--)
        {
            var (record, bytes, _) = _toSend[i];
            if (record.Order.ReduceOnly || record.Sends > 0)
            {
                continue;
            }

            _toSend.RemoveAt(i);
            if (bytes.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }

            Counters.CountEntryRefused();
            Fail(record, "not sent: the journal cannot be written (" + reason + ")");
        }
    }

    /// <summary>The earlier of <paramref name="next"/> and the time until <paramref name="dueAtMs"/> (<see cref="Environment.TickCount64"/>).</summary>
    private static TimeSpan Sooner(TimeSpan next, long dueAtMs) =>
        TimeSpan.FromMilliseconds(Math.Max(0, Math.Min(dueAtMs - Environment.TickCount64, next.TotalMilliseconds)));

    private bool HasWork() => !_inbound.IsEmpty || _orders.Count > 0 || _rejects.Count > 0 || _stopping.IsCancellationRequested;

    private bool DrainQueue(OrderQueue queue)
    {
        var any = false;
        while (queue.TryPeek(out var index))
        {
            any = true;
            ref var slot = ref queue.Slot(index);
            switch (slot.Op)
            {
                case OrderOp.New:
                    Accept(ref slot);
                    break;
                case OrderOp.Reject:
                    FailAtStage(ref slot);
                    break;
                case OrderOp.CancelAll:
                    CancelAll();
                    break;
                case OrderOp.SetMode:
                    SetMode(slot.Argument, "operator (SetMode)");
                    break;
                default:
                    break;
            }

            queue.Release(index);
        }

        return any;
    }

    private JournalOrder OrderOf(ref OrderMessage slot) => new()
    {
        ClientOrderId = slot.ClientOrderId,
        Symbol = slot.Symbol.IsNone || slot.Symbol.Value > _symbols.Count ? "UNKNOWN" : _symbols.NameOf(slot.Symbol),
        Side = slot.Side,
        Kind = slot.Kind,
        TimeInForce = slot.TimeInForce,
        Price = slot.Price,
        Quantity = slot.Quantity,
        ReduceOnly = slot.ReduceOnly,
        SignedTimestampMs = slot.SignedTimestampMs,
    };

    private void Accept(ref OrderMessage slot)
    {
        if (!slot.ReduceOnly && (_journalDown || _reduceOnly))
        {
            // The stage refuses entries too, but it may have signed this one before it was told.
            slot.Reason = _reduceOnly ? RejectReason.ReduceOnly : RejectReason.JournalUnavailable;
            FailAtStage(ref slot);
            return;
        }

        var paper = _mode == VenueMode.Paper;
        var order = OrderOf(ref slot);
        order.Paper = paper;
        var record = _ledger.Add(order, slot.Symbol, paper);
        record.PublishedTimestamp = slot.PublishedTimestamp;
        record.Trace = new OrderLatencySample
        {
            ClientOrderId = slot.ClientOrderId, Received = slot.ReceivedTimestamp, Published = slot.PublishedTimestamp,
            Brain = slot.BrainTimestamp, Signed = slot.SignedTimestamp,
        };
        _snapshotDirty = true;
        _journal.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteIntent(_recordBuffer, order)));
        if (paper)
        {
            // A venue id of its own, negative so it never looks like the exchange's.
            order.OrderId = -(++_paperOrderIds);
            _toSend.Add((record, [], 0));
            return;
        }

        var bytes = ArrayPool<byte>.Shared.Rent(slot.Length);
        slot.Buffer.AsSpan(0, slot.Length).CopyTo(bytes);
        _toSend.Add((record, bytes, slot.Length));
    }

    /// <summary>Sends what was journaled: only after <see cref="JournalWriter.Commit"/>, so no request leaves before its intent is in the journal.</summary>
    private void SendCommitted()
    {
        if (_toSend.Count == 0)
        {
            return;
        }

        if (_options.CrashAfter == CrashPoint.JournaledBeforeSend && _toSend.Exists(static s => s.Record.Sends == 0))
        {
            Crash(CrashPoint.JournaledBeforeSend);
        }

        foreach (var (record, bytes, length) in _toSend)
        {
            if (record.IsPaper)
            {
                ExecutePaper(record);
            }
            else
            {
                StartSend(record, bytes, length);
            }
        }

        _toSend.Clear();
    }

    private void StartSend(OrderRecord record, byte[] bytes, int length)
    {
        record.InFlight = true;
        record.Sends++;
        Counters.CountSent();
        if (record.PublishedTimestamp != 0)
        {
            var nanoseconds = StageStatistics.StopwatchNanoseconds(Stopwatch.GetTimestamp() - record.PublishedTimestamp);
            SentLatency.Record(nanoseconds);
            Volatile.Write(ref _sentLatencySum, _sentLatencySum + nanoseconds);
            record.PublishedTimestamp = 0;
        }

        // Only the first send is a reaction to a tick: its first socket write is stamped and traced with the answer.
        record.Written = record.Trace.Signed != 0 && record.Sends == 1 ? new SocketWriteStamp() : null;
        _ = SendAsync(record.ClientOrderId, bytes, length, record.Written);
    }

    private async Task SendAsync(long clientOrderId, byte[] bytes, int length, SocketWriteStamp? written = null)
    {
        RestResult<OrderResponse> result;
        try
        {
            result = await _client!.SendStampedOrderAsync(OrderCall.New, bytes.AsMemory(0, length), written, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            result = RestResult.Failure<OrderResponse>(new VenueError(VenueErrorCategory.UnknownOutcome, VenueError.LocalCode, exception.Message, 0, sent: true));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }

        if (_options.CrashAfter == CrashPoint.SentBeforeAck)
        {
            Crash(CrashPoint.SentBeforeAck);
        }

        _inbound.Enqueue(new Inbound(InboundKind.NewAnswer, clientOrderId, result, default));
        _signal.Wake();
    }

    private void TraceFirstSend(OrderRecord record)
    {
        if (record.Written is not { } written)
        {
            return;
        }

        Trace.Record(record.Trace with { Socket = written.Timestamp });
        record.Written = null;
        record.Trace = default;
    }

    private void Crash(CrashPoint point)
    {
        ExecutionLog.InjectedCrash(_logger, point, _options.CrashExitCode);
        ProcessExit.Now(_options.CrashExitCode);
    }

    private bool DrainInbound()
    {
        var any = false;
        while (_inbound.TryDequeue(out var item))
        {
            any = true;
            switch (item.Kind)
            {
                case InboundKind.NewAnswer:
                    OnNewAnswer(item.ClientOrderId, item.Result);
                    break;
                case InboundKind.QueryAnswer:
                    OnQueryAnswer(item.ClientOrderId, item.Result);
                    break;
                case InboundKind.CancelAllAnswer:
                    OnCancelAllAnswer(item.Symbol!, item.Error);
                    break;
                case InboundKind.StreamOrder:
                    OnStreamOrder(in item.Event);
                    break;
                case InboundKind.StreamAccount:
                    OnStreamAccount(in item.Event);
                    break;
                case InboundKind.Recover:
                    RecoverOpenOrders("user-data stream gap");
                    break;
                case InboundKind.ReduceOnly:
                    ReduceOnly(item.Symbol!);
                    break;
                default:
                    break;
            }
        }

        return any;
    }

    // ---- answers ----

    private void OnNewAnswer(long clientOrderId, RestResult<OrderResponse> result)
    {
        if (!_ledger.TryGet(clientOrderId, out var record))
        {
            return;
        }

        record.InFlight = false;
        TraceFirstSend(record);
        if (result.IsSuccess)
        {
            Counters.Success();
            Counters.CountAcknowledged();
            ApplyResponse(record, result.Value!);
            return;
        }

        var error = result.Error;
        switch (error.Category)
        {
            case VenueErrorCategory.UnknownOutcome:
                Counters.CountUnknown();
                ExecutionLog.UnknownOutcome(_logger, WireId(record), record.Order.Symbol, error.ToString());
                VenueFailure(error);
                Schedule(record, OrderRecord.PendingAction.Query, _options.QueryDelay);
                break;
            case VenueErrorCategory.RetrySafe or VenueErrorCategory.Clock when record.Sends <= _options.MaxRetries:
                if (error.Category == VenueErrorCategory.RetrySafe)
                {
                    VenueFailure(error);
                }

                var delay = error.Category == VenueErrorCategory.Clock ? TimeSpan.Zero : _options.RetryBackoff * (1 << Math.Min(record.Sends - 1, 6));
                var wireId = WireId(record);
                var text = error.ToString();
                ExecutionLog.Retrying(_logger, wireId, record.Order.Symbol, text, (long)delay.TotalMilliseconds);
                Schedule(record, OrderRecord.PendingAction.Retry, delay);
                break;
            case VenueErrorCategory.Rejected:
                Counters.Success();
                ExecutionLog.OrderRejected(_logger, WireId(record), record.Order.Symbol, error.Code, error.Message);
                Fail(record, string.Create(CultureInfo.InvariantCulture, $"venue rejected it: code {error.Code}, {error.Message}"));
                break;
            default:
                // Auth, rate limits and 418, exhausted retries: the order is not at the venue.
                VenueFailure(error);
                ExecutionLog.OrderRejected(_logger, WireId(record), record.Order.Symbol, error.Code, error.Message);
                Fail(record, string.Create(CultureInfo.InvariantCulture, $"{error.Category}: code {error.Code}, {error.Message}"));
                break;
        }
    }

    private void OnQueryAnswer(long clientOrderId, RestResult<OrderResponse> result)
    {
        if (!_ledger.TryGet(clientOrderId, out var record))
        {
            return;
        }

        record.InFlight = false;
        if (result.IsSuccess)
        {
            Counters.Success();
            ApplyResponse(record, result.Value!);
            if (!record.Order.IsFinal && record.Pending == OrderRecord.PendingAction.None && record.Queries > 0 && _flattenQueries.Remove(record.ClientOrderId))
            {
                // Still open right after a cancel-all: ask once more shortly (the cancel may not have reached it yet).
                Schedule(record, OrderRecord.PendingAction.Query, _options.QueryDelay);
            }

            return;
        }

        var error = result.Error;
        if (error.Code == -2013)
        {
            Counters.Success();
            if (record.Order.Acknowledged)
            {
                ExecutionLog.Forgotten(_logger, WireId(record), record.Order.Symbol);
                Observe(record, new OrderObservation(OrderStatus.Canceled, 0, record.Order.Filled, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero));
                return;
            }

            // The venue refuses a request after its timestamp + recvWindow: only then does "never saw it" mean it never will.
            var deadline = record.Order.SignedTimestampMs + (_client?.RecvWindowMs ?? 0) + (long)_options.RecvWindowMargin.TotalMilliseconds;
            var wait = deadline - NowMs();
            if (wait > 0)
            {
                Schedule(record, OrderRecord.PendingAction.Query, TimeSpan.FromMilliseconds(wait));
                return;
            }

            if (record.Resends >= _options.MaxResends)
            {
                Fail(record, "the venue never saw it and the resends are used up");
                return;
            }

            Resend(record);
            return;
        }

        VenueFailure(error);
        if (record.Queries >= _options.MaxQueries)
        {
            Fail(record, string.Create(CultureInfo.InvariantCulture, $"outcome still unknown after {record.Queries} queries: {error}"));
            return;
        }

        Schedule(record, OrderRecord.PendingAction.Query, _options.QueryDelay * (1 << Math.Min(record.Queries, 5)));
    }

    private void ApplyResponse(OrderRecord record, OrderResponse response)
    {
        record.Order.Acknowledged = true;
        Observe(record, new OrderObservation(
            response.Status, response.OrderId, response.ExecutedQty, response.CumQuote, Quantity.Zero, Price.Zero, response.AvgPrice));
    }

    private void OnStreamOrder(in MarketEvent evt)
    {
        ref readonly var update = ref evt.OrderUpdate;
        if (update.ClientOrderId <= 0 || !_ledger.TryGet(update.ClientOrderId, out var record))
        {
            Counters.CountForeign();
            ExecutionLog.ForeignOrder(_logger, update.ClientOrderId);
            return;
        }

        record.Order.Acknowledged = true;
        if (update.LastFillQuantity.IsZero && !update.LastFillPrice.IsZero && !update.FilledQuantity.IsZero)
        {
            // An order query handed over as an event (state's OrderRecovery): no single fill, the average price of all.
            // Σ price × quantity is then avgPrice × executed, which prices a missed fill as (that − known) / (executed − known).
            var cumulativeQuote = update.LastFillPrice.Multiply(update.FilledQuantity, RoundingMode.HalfEven);
            Observe(record, new OrderObservation(update.Status, update.OrderId, update.FilledQuantity, cumulativeQuote, Quantity.Zero, Price.Zero, update.LastFillPrice));
            return;
        }

        Observe(record, new OrderObservation(update.Status, update.OrderId, update.FilledQuantity, Notional.Zero, update.LastFillQuantity, update.LastFillPrice, Price.Zero));
    }

    private void OnStreamAccount(in MarketEvent evt)
    {
        _lastLiveWallet = evt.Account.WalletBalance;
        _haveLiveWallet = true;
        if (_mode == VenueMode.Live)
        {
            _output.Publish(in evt);
        }
    }

    /// <summary>The funnel's exit: normalize, fold the fill into positions, journal, publish. Returns the PnL the fill realized.</summary>
    private Notional Observe(OrderRecord record, in OrderObservation observation)
    {
        var wasFinal = record.Order.IsFinal;
        if (!_ledger.Apply(record, in observation, out var fillQuantity, out var fillPrice))
        {
            return Notional.Zero;
        }

        _snapshotDirty = true;
        var realized = _positions.Apply(record.Order.Symbol, record.Order.Side, fillQuantity, fillPrice);
        _journal.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteUpdate(_recordBuffer, record.Order, fillQuantity, fillPrice)));
        if (!fillQuantity.IsZero)
        {
            Counters.CountFill();
        }

        if (!wasFinal && record.Order.IsFinal)
        {
            Counters.CountFinal(record.Order.Status);
        }

        if (record.Order.IsFinal)
        {
            record.Pending = OrderRecord.PendingAction.None;
        }

        if (!record.Symbol.IsNone)
        {
            var evt = default(MarketEvent);
            evt.Begin(MarketEventKind.OrderUpdate, record.Symbol, EventTimeMs(), Stopwatch.GetTimestamp());
            ref var u = ref evt.OrderUpdate;
            u.OrderId = record.Order.OrderId;
            u.ClientOrderId = record.ClientOrderId;
            u.Price = record.Order.Price;
            u.Quantity = record.Order.Quantity;
            u.FilledQuantity = record.Order.Filled;
            u.LastFillQuantity = fillQuantity;
            u.LastFillPrice = fillPrice;
            u.Side = record.Order.Side;
            u.OrderKind = record.Order.Kind;
            u.Status = record.Order.Status;
            u.ReduceOnly = record.Order.ReduceOnly;
            _output.Publish(in evt);
        }

        return realized;
    }

    private void Fail(OrderRecord record, string reason)
    {
        record.Reason = reason;
        record.Pending = OrderRecord.PendingAction.None;
        ExecutionLog.OrderFailed(_logger, WireId(record), record.Order.Symbol, reason);
        Observe(record, new OrderObservation(OrderStatus.Rejected, 0, record.Order.Filled, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero));
    }

    private void FailAtStage(ref OrderMessage slot)
    {
        if (slot.ClientOrderId == 0)
        {
            return;
        }

        var order = OrderOf(ref slot);
        order.Paper = true;
        var record = _ledger.Add(order, slot.Symbol, paper: true);
        _journal.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteIntent(_recordBuffer, order)));
        if (slot.Reason is RejectReason.ReduceOnly or RejectReason.JournalUnavailable)
        {
            Counters.CountEntryRefused();
        }

        Fail(record, slot.Reason switch
        {
            RejectReason.QueueFull => "the queue to the I/O loop was full",
            RejectReason.UnknownSymbol => "no venue rules for the symbol",
            RejectReason.InvalidOrder => "the order could not be written (quantity or price finer than the symbol allows, or not positive)",
            RejectReason.ReduceOnly => "execution is reduce-only (" + _reduceOnlyReason + "): entries are refused",
            RejectReason.JournalUnavailable => "the journal cannot be written (" + _journalUnavailable + "): entries are refused",
            _ => "refused by the execution stage",
        });
    }

    // ---- timers: queries, retries, resends, paper resting orders ----

    private readonly HashSet<long> _flattenQueries = [];

    private static void Schedule(OrderRecord record, OrderRecord.PendingAction action, TimeSpan delay)
    {
        record.Pending = action;
        record.DueAtMs = Environment.TickCount64 + (long)Math.Max(0, delay.TotalMilliseconds);
    }

    private TimeSpan RunTimers()
    {
        var now = Environment.TickCount64;
        var next = long.MaxValue;
        List<OrderRecord>? due = null;
        foreach (var record in _ledger.Open())
        {
            if (record.Pending == OrderRecord.PendingAction.None || record.InFlight)
            {
                continue;
            }

            if (record.DueAtMs <= now)
            {
                (due ??= []).Add(record);
            }
            else
            {
                next = Math.Min(next, record.DueAtMs);
            }
        }

        if (due is not null)
        {
            foreach (var record in due)
            {
                var action = record.Pending;
                record.Pending = OrderRecord.PendingAction.None;
                if (record.IsPaper)
                {
                    continue;
                }

                if (_mode == VenueMode.Paper || _client is null)
                {
                    // The venue is out. An order waiting for a retry is certainly not there: it fails (cooldown). One
                    // whose outcome is unknown is kept as it is known; a switch back to live queries it.
                    if (action == OrderRecord.PendingAction.Retry)
                    {
                        Fail(record, "the venue was switched to paper before it could be sent");
                    }

                    continue;
                }

                if (action == OrderRecord.PendingAction.Query)
                {
                    StartQuery(record);
                }
                else
                {
                    Counters.CountRetry();
                    SignAndSend(record);
                }
            }
        }

        if (_resting.Count > 0)
        {
            CheckResting();
            return s_paperPoll;
        }

        return next == long.MaxValue ? s_idleWait : TimeSpan.FromMilliseconds(Math.Clamp(next - now, 0, s_idleWait.TotalMilliseconds));
    }

    private void StartQuery(OrderRecord record)
    {
        record.InFlight = true;
        record.Queries++;
        Counters.CountQuery();
        _ = QueryAsync(record.ClientOrderId, record.Order.Symbol, WireId(record));
    }

    private async Task QueryAsync(long clientOrderId, string symbol, string wireId)
    {
        RestResult<OrderResponse> result;
        try
        {
            result = await _client!.QueryOrderAsync(OrderReference.ByClientOrderId(symbol, wireId), _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            result = RestResult.Failure<OrderResponse>(new VenueError(VenueErrorCategory.RetrySafe, VenueError.LocalCode, exception.Message, 0, sent: false));
        }

        _inbound.Enqueue(new Inbound(InboundKind.QueryAnswer, clientOrderId, result, default));
        _signal.Wake();
    }

    private void Resend(OrderRecord record)
    {
        record.Resends++;
        Counters.CountResend();
        ExecutionLog.Resending(_logger, WireId(record), record.Order.Symbol, record.Resends, _options.MaxResends);
        SignAndSend(record);
    }

    /// <summary>Signs the order again at a fresh timestamp (same client order id), journals that, and sends it.</summary>
    private void SignAndSend(OrderRecord record)
    {
        var order = record.Order;
        if (record.Symbol.IsNone || record.Symbol.Value >= _rules.Length || _ioSigner is null)
        {
            Fail(record, "cannot sign it again: the symbol is not traded in this run");
            return;
        }

        var rules = _rules[record.Symbol.Value];
        Span<byte> clientId = stackalloc byte[ClientOrderId.MaxLength];
        var idLength = ClientOrderId.Format(order.ClientOrderId, clientId);
        var bytes = ArrayPool<byte>.Shared.Rent(_options.RequestBufferBytes);
        var timestamp = _client!.Clock.NowUnixMs;
        var length = OrderRequestWriter.Write(bytes, _symbols.Utf8NameOf(record.Symbol), order.Side, order.Kind, order.TimeInForce, order.Quantity,
            order.Price, order.ReduceOnly, clientId[..idLength], rules.PricePrecision, rules.QuantityPrecision, _client.RecvWindowMs, timestamp, _ioSigner);
        if (length <= 0)
        {
            ArrayPool<byte>.Shared.Return(bytes);
            Fail(record, "cannot sign it again: the request does not fit");
            return;
        }

        order.SignedTimestampMs = timestamp;
        _journal.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteResent(_recordBuffer, order.ClientOrderId, timestamp)));
        _toSend.Add((record, bytes, length));
        if (CommitJournal())
        {
            SendCommitted();
        }
    }

    private void RecoverOpenOrders(string why)
    {
        var count = 0;
        foreach (var record in _ledger.Open())
        {
            if (!record.IsPaper && !record.InFlight)
            {
                Schedule(record, OrderRecord.PendingAction.Query, TimeSpan.Zero);
                count++;
            }
        }

        if (count > 0)
        {
            ExecutionLog.Recovering(_logger, count, why);
        }
    }

    // ---- reduce-only (protective) mode ----

    /// <summary>
    /// Puts execution in reduce-only mode for the rest of the run and closes what it holds, from any thread (a watcher
    /// calls it when a ring stage halts on a fault: the ring behind that stage no longer moves, so this does not go
    /// through it). The stage half refuses entries at once; the I/O loop cancels the open entry orders, then closes every
    /// position of its fold with reduce-only MARKET orders, each journaled before it is sent, on the venue new orders go
    /// to (the exchange, or the paper venue in paper mode), and keeps closing what a late fill reopens. Returns false when
    /// the I/O loop is not running (stopped or failed): nothing can then be closed.
    /// </summary>
    /// <param name="reason">Why, for the log and health ("stage brain halted: …").</param>
    public bool EnterReduceOnly(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (!IsRunning || _stopping.IsCancellationRequested)
        {
            return false;
        }

        if (Interlocked.Exchange(ref _protectRequested, 1) == 1)
        {
            return true;
        }

        Gateway.RefuseEntries(RejectReason.ReduceOnly);
        _reduceOnlyReason = reason;
        Counters.SetReduceOnly();
        if (_output is RingPublisher publisher)
        {
            // The ring behind a halted stage stops: publish what still fits, drop the rest rather than wait on it forever.
            publisher.Close();
        }

        _inbound.Enqueue(new Inbound(InboundKind.ReduceOnly, 0, default, default, reason));
        _signal.Wake();
        return true;
    }

    private void ReduceOnly(string reason)
    {
        _reduceOnly = true;
        var open = 0;
        foreach (var position in _positions.All())
        {
            open += position.Amount.IsZero ? 0 : 1;
        }

        ExecutionLog.ReduceOnlyEntered(_logger, reason, open, _journalDown ? "; the journal cannot be written: the closes wait until their intents are journaled" : "");
        CancelEntries();
        _protectiveSweepAtMs = 0;
    }

    /// <summary>Cancels every open order that could add to a position (paper: at once; live: all orders of its symbol at the venue).</summary>
    private void CancelEntries()
    {
        for (var i = _resting.Count - 1; i >= 0; i--)
        {
            var record = _resting[i];
            if (!record.Order.ReduceOnly)
            {
                _resting.RemoveAt(i);
                Observe(record, new OrderObservation(OrderStatus.Canceled, 0, record.Order.Filled, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero));
            }
        }

        if (_client is null)
        {
            return;
        }

        var symbols = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in _ledger.Open())
        {
            if (!record.IsPaper && !record.Order.ReduceOnly)
            {
                symbols.Add(record.Order.Symbol);
            }
        }

        foreach (var symbol in symbols)
        {
            _ = CancelAllAsync(symbol);
        }
    }

    /// <summary>
    /// Reduce-only upkeep, every <see cref="ExecutionOptions.JournalRetryInterval"/>: every position of the fold that is
    /// open and has no close working gets a reduce-only MARKET order for all of it (a few attempts per symbol).
    /// </summary>
    private TimeSpan ProtectivePass(TimeSpan next)
    {
        var now = Environment.TickCount64;
        var interval = (long)_options.JournalRetryInterval.TotalMilliseconds;
        if (now < _protectiveSweepAtMs)
        {
            return Sooner(next, _protectiveSweepAtMs);
        }

        _protectiveSweepAtMs = now + interval;
        var closing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in _ledger.Open())
        {
            if (record.Order.ReduceOnly)
            {
                closing.Add(record.Order.Symbol);
            }
        }

        var added = false;
        foreach (var position in _positions.All())
        {
            if (position.Amount.IsZero || closing.Contains(position.Symbol))
            {
                continue;
            }

            var attempts = _protectiveAttempts.GetValueOrDefault(position.Symbol);
            if (attempts >= MaxProtectiveAttempts)
            {
                if (attempts == MaxProtectiveAttempts)
                {
                    _protectiveAttempts[position.Symbol] = attempts + 1;
                    ExecutionLog.ProtectiveCloseGaveUp(_logger, position.Symbol, position.Amount, attempts);
                }

                continue;
            }

            _protectiveAttempts[position.Symbol] = attempts + 1;
            added |= StageProtectiveClose(position);
        }

        if (added && CommitJournal())
        {
            SendCommitted();
        }

        return TimeSpan.FromMilliseconds(Math.Min(interval, next.TotalMilliseconds));
    }

    private const int MaxProtectiveAttempts = 5;

    /// <summary>Ids of protective closes: the upper half of a run's sequence space, which the stage's own count never reaches.</summary>
    private const long ProtectiveIdBase = 1L << 31;

    private bool StageProtectiveClose(JournalPosition position)
    {
        if (!_symbols.TryGet(Encoding.ASCII.GetBytes(position.Symbol), out var id) || id.Value >= _rules.Length)
        {
            ExecutionLog.PositionSymbolUnknown(_logger, position.Symbol);
            return false;
        }

        var amount = position.Amount.Mantissa;
        var paper = _mode == VenueMode.Paper || _client is null;
        var order = new JournalOrder
        {
            ClientOrderId = ExecutionGateway.ClientOrderIdOf(RunId, ProtectiveIdBase + ++_protectiveSequence),
            Symbol = position.Symbol,
            Side = amount > 0 ? Side.Sell : Side.Buy,
            Kind = OrderKind.Market,
            Quantity = Quantity.FromMantissa(Math.Abs(amount)),
            ReduceOnly = true,
            Paper = paper,
        };

        byte[] bytes = [];
        var length = 0;
        if (!paper)
        {
            var rules = _rules[id.Value];
            Span<byte> clientId = stackalloc byte[ClientOrderId.MaxLength];
            var idLength = ClientOrderId.Format(order.ClientOrderId, clientId);
            bytes = ArrayPool<byte>.Shared.Rent(_options.RequestBufferBytes);
            order.SignedTimestampMs = _client!.Clock.NowUnixMs;
            length = OrderRequestWriter.Write(bytes, _symbols.Utf8NameOf(id), order.Side, order.Kind, default, order.Quantity, Price.Zero, true,
                clientId[..idLength], rules.PricePrecision, rules.QuantityPrecision, _client.RecvWindowMs, order.SignedTimestampMs, _ioSigner!);
        }

        var record = _ledger.Add(order, id, paper);
        _snapshotDirty = true;
        _journal.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteIntent(_recordBuffer, order)));
        Counters.CountProtectiveClose();
        ExecutionLog.ProtectiveClose(_logger, WireId(record), position.Symbol, order.Side, order.Quantity, paper ? "paper" : "live");
        if (paper)
        {
            order.OrderId = -(++_paperOrderIds);
        }
        else if (length <= 0)
        {
            ArrayPool<byte>.Shared.Return(bytes);
            Fail(record, "the close could not be written (quantity finer than the symbol allows)");
            return true;
        }

        _toSend.Add((record, bytes, length));
        return true;
    }

    // ---- commands ----

    private void CancelAll()
    {
        if (_resting.Count > 0)
        {
            foreach (var record in _resting.ToArray())
            {
                Observe(record, new OrderObservation(OrderStatus.Canceled, 0, record.Order.Filled, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero));
            }

            _resting.Clear();
        }

        if (_client is null || _mode == VenueMode.Paper)
        {
            return;
        }

        var symbols = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in _ledger.Open())
        {
            if (!record.IsPaper)
            {
                symbols.Add(record.Order.Symbol);
            }
        }

        foreach (var symbol in symbols)
        {
            _ = CancelAllAsync(symbol);
        }
    }

    private async Task CancelAllAsync(string symbol)
    {
        VenueError? error;
        try
        {
            var result = await _client!.CancelAllOpenOrdersAsync(symbol, _stopping.Token).ConfigureAwait(false);
            error = result.Error;
        }
        catch (Exception exception) when (exception is OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            error = new VenueError(VenueErrorCategory.UnknownOutcome, VenueError.LocalCode, exception.Message, 0, sent: true);
        }

        _inbound.Enqueue(new Inbound(InboundKind.CancelAllAnswer, 0, default, default, symbol, error));
        _signal.Wake();
    }

    private void OnCancelAllAnswer(string symbol, VenueError? error)
    {
        ExecutionLog.CancelAll(_logger, symbol, error is null ? "done" : error.ToString());
        if (error is not null)
        {
            VenueFailure(error);
        }

        // Learn each order's final state (the user-data stream may be down).
        foreach (var record in _ledger.Open())
        {
            if (!record.IsPaper && record.Order.Symbol == symbol && !record.InFlight)
            {
                _flattenQueries.Add(record.ClientOrderId);
                Schedule(record, OrderRecord.PendingAction.Query, TimeSpan.Zero);
            }
        }
    }

    private void SetMode(long controlMode, string by)
    {
        switch (controlMode)
        {
            case ControlModePaper:
                Switch(VenueMode.Paper, by);
                break;
            case ControlModeLive when _client is null:
                ExecutionLog.ModeRefused(_logger, controlMode, "this engine has no venue credentials");
                break;
            case ControlModeLive:
                Counters.Success();
                Switch(VenueMode.Live, by);
                RecoverOpenOrders("back to live");
                break;
            default:
                ExecutionLog.ModeRefused(_logger, controlMode, "unknown mode (3 = paper, 4 = live)");
                break;
        }
    }

    private void Switch(VenueMode mode, string reason)
    {
        if (_mode == mode)
        {
            return;
        }

        ExecutionLog.VenueSwitched(_logger, _mode, mode, reason);
        Counters.SetSwitchReason(reason);
        if (mode == VenueMode.Paper)
        {
            Counters.CountSwitchToPaper();
            if (_haveLiveWallet)
            {
                _paperWallet = _lastLiveWallet;
            }
        }

        _mode = mode;
        Counters.SetMode(mode);
    }

    private void VenueFailure(VenueError error)
    {
        if (_mode != VenueMode.Live)
        {
            return;
        }

        if (error.Category == VenueErrorCategory.Auth || error.HttpStatus == 418)
        {
            Switch(VenueMode.Paper, $"the venue refuses us for good: {error}");
            return;
        }

        if (error.Category == VenueErrorCategory.RateLimit && !error.Sent)
        {
            // Refused locally while a 429 back-off runs: the venue said nothing new.
            return;
        }

        if (Counters.Failure() >= _options.MaxConsecutiveFailures)
        {
            Switch(VenueMode.Paper, $"{Counters.ConsecutiveFailures} venue failures in a row, the last: {error}");
        }
    }

    // ---- paper venue ----

    private void ExecutePaper(OrderRecord record)
    {
        var order = record.Order;
        if (!_quotes.TryRead(record.Symbol, out var bid, out var ask))
        {
            Fail(record, "paper: no quote for the symbol yet");
            return;
        }

        if (order.ReduceOnly)
        {
            var position = _positions.Get(order.Symbol).Amount.Mantissa;
            var reducible = order.Side == Side.Sell ? Math.Max(position, 0) : Math.Max(-position, 0);
            if (reducible == 0)
            {
                Observe(record, new OrderObservation(OrderStatus.Expired, order.OrderId, Quantity.Zero, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero));
                return;
            }

            if (reducible < order.Quantity.Mantissa)
            {
                order.Quantity = Quantity.FromMantissa(reducible);
            }
        }

        var touch = order.Side == Side.Buy ? ask : bid;
        var crosses = order.Kind == OrderKind.Market || (order.Side == Side.Buy ? order.Price >= ask : order.Price <= bid);
        if (crosses)
        {
            PaperFill(record, touch, _takerRate);
            return;
        }

        Observe(record, new OrderObservation(OrderStatus.New, order.OrderId, Quantity.Zero, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero));
        _resting.Add(record);
    }

    private void CheckResting()
    {
        for (var i = _resting.Count - 1; i >= 0; i--)
        {
            var record = _resting[i];
            if (record.Order.IsFinal)
            {
                _resting.RemoveAt(i);
                continue;
            }

            if (_quotes.TryRead(record.Symbol, out var bid, out var ask)
                && (record.Order.Side == Side.Buy ? ask <= record.Order.Price : bid >= record.Order.Price))
            {
                _resting.RemoveAt(i);
                PaperFill(record, record.Order.Price, _makerRate);
            }
        }
    }

    private void PaperFill(OrderRecord record, Price price, long feeRate)
    {
        var order = record.Order;
        var quote = price.Multiply(order.Quantity, RoundingMode.HalfEven);
        var realized = Observe(record, new OrderObservation(OrderStatus.Filled, order.OrderId, order.Quantity, quote, order.Quantity, price, price));
        Counters.CountPaperFill();
        var fee = Notional.FromMantissa(FixedPoint.MultiplyDivide(quote.Mantissa, feeRate, FixedPoint.One, RoundingMode.HalfEven));
        _paperWallet = _paperWallet + realized - fee;
        PublishPaperAccount();
    }

    private void PublishPaperAccount()
    {
        var unrealized = 0L;
        foreach (var position in _positions.All())
        {
            if (position.Amount.IsZero || !_symbols.TryGet(Encoding.ASCII.GetBytes(position.Symbol), out var id) || !_quotes.TryRead(id, out var bid, out var ask))
            {
                continue;
            }

            var mark = (bid.Mantissa + ask.Mantissa) / 2;
            unrealized += FixedPoint.MultiplyDivide(position.Amount.Mantissa, mark - position.EntryPrice.Mantissa, FixedPoint.One, RoundingMode.HalfEven);
        }

        var evt = default(MarketEvent);
        evt.Begin(MarketEventKind.Account, SymbolId.None, EventTimeMs(), Stopwatch.GetTimestamp());
        evt.Account.WalletBalance = _paperWallet;
        evt.Account.Equity = _paperWallet + Notional.FromMantissa(unrealized);
        _output.Publish(in evt);
    }

    /// <summary>The paper wallet (I/O loop writes).</summary>
    public Notional PaperWallet => _paperWallet;

    // ---- opening the journal ----

    /// <summary>Replays the locked journal; a damaged one is set aside for the venue's positions when told to, refused otherwise.</summary>
    private JournalState Recover(bool fromVenue)
    {
        try
        {
            try
            {
                var state = JournalReader.Replay(_folder.Path);
                if (fromVenue)
                {
                    JournalLog.RecoveryNotNeeded(_logger);
                }

                return state;
            }
            catch (JournalDamagedException damage) when (fromVenue && _client is not null)
            {
                return RecoverFromVenue(_client, damage);
            }
        }
        catch
        {
            _folder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The venue's positions become the recovered state (and so the fresh segment's snapshot, the brain's and the tail's
    /// positions at <see cref="Start"/>), read before anything is touched; then every segment is copied aside and the
    /// start-up compaction removes the originals. Orders the journal knew are lost to it: reconciliation settles the
    /// venue's open orders.
    /// </summary>
    private JournalState RecoverFromVenue(BinanceRestClient client, JournalDamagedException damage)
    {
        // Start-up, before any stage runs: waiting here is what the constructor is for.
        var risk = client.GetPositionRiskAsync().GetAwaiter().GetResult();
        if (!risk.IsSuccess)
        {
            throw new JournalUnusableException($"--recover-from-venue: the venue's positions cannot be read ({risk.Error}); the damaged journal in {_folder.Path} was left as it is");
        }

        var state = new JournalState { LastSegment = JournalReader.Segments(_folder.Path)[^1].Number, LastRunId = JournalReader.HighestRunId(_folder.Path) };
        var venue = new SortedDictionary<string, (Quantity Amount, Price Entry)>(StringComparer.Ordinal);
        foreach (var row in risk.Value!)
        {
            if (!row.PositionAmt.IsZero)
            {
                // One-way mode has one BOTH row per symbol; hedge rows (LONG/SHORT) add up to the net, as reconciliation reads them.
                venue[row.Symbol] = venue.TryGetValue(row.Symbol, out var existing) ? (existing.Amount + row.PositionAmt, row.EntryPrice) : (row.PositionAmt, row.EntryPrice);
            }
        }

        foreach (var (symbol, (amount, entry)) in venue)
        {
            state.Positions.Set(new JournalPosition(symbol, amount, entry, Notional.Zero));
        }

        var (folder, segments) = _folder.SetAside(damage.SegmentPath, DateTimeOffset.UtcNow);
        var list = venue.Count == 0 ? "flat" : string.Join(", ", venue.Select(p => $"{p.Key} {p.Value.Amount} @ {p.Value.Entry}"));
        JournalLog.SetAside(_logger, damage.Message, segments, folder, venue.Count, list);
        return state;
    }

    /// <summary>The writer on a fresh segment that starts with the recovered snapshot (compaction at start) and this run's id.</summary>
    private JournalWriter OpenJournal()
    {
        JournalWriter? writer = null;
        try
        {
            writer = new JournalWriter(_journalOptions, _recovered.LastSegment);
            writer.RotateWithSnapshot(JournalCodec.WriteSnapshot(RunId, _recovered.OpenOrders.Values, _positions.All()));
            writer.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteRunStarted(_recordBuffer, RunId)));
            writer.Commit();
            return writer;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            if (writer is not null)
            {
                try
                {
                    writer.Dispose();
                }
                catch (IOException)
                {
                    // The same failure again (a full disk): the refusal below already says it.
                }

                // A segment this start created and could not write a byte to holds nothing: leave no litter. One that
                // holds part of the snapshot stays; the next start cuts it as a torn tail.
                try
                {
                    var created = new FileInfo(JournalWriter.SegmentPath(_folder.Path, writer.Segment));
                    if (writer.Segment > _recovered.LastSegment && created.Exists && created.Length == 0)
                    {
                        created.Delete();
                    }
                }
                catch (IOException)
                {
                    // Left there it is an empty last segment, which the next start reads as nothing.
                }
            }

            _folder.Dispose();
            if (exception is JournalUnusableException)
            {
                throw;
            }

            // The writer wraps the operating system's error; the refusal names that error itself.
            var cause = exception.InnerException is IOException osError ? osError : exception;
            throw new JournalUnusableException($"journal folder {_folder.Path} cannot be written: {cause.Message.ReplaceLineEndings(" ")}", exception);
        }
    }

    // ---- journal upkeep, views ----

    private void Compact()
    {
        var open = new List<JournalOrder>();
        foreach (var record in _ledger.Open())
        {
            open.Add(record.Order);
        }

        var positions = _positions.All();
        try
        {
            _journal.RotateWithSnapshot(JournalCodec.WriteSnapshot(RunId, open, positions));
        }
        catch (IOException)
        {
            // The snapshot stays staged (the next successful commit writes it); the older segments stay until then.
            JournalFailed();
            return;
        }

        ExecutionLog.Compacted(_logger, _journal.Segment, open.Count, positions.Count);
    }

    private void PublishSnapshot()
    {
        _snapshotDirty = false;
        var list = new List<OpenOrderSnapshot>();
        foreach (var record in _ledger.Open())
        {
            var o = record.Order;
            list.Add(new OpenOrderSnapshot(o.ClientOrderId, o.Symbol, o.Side, o.Kind, o.Price, o.Quantity, o.Filled, o.Status, o.OrderId, o.ReduceOnly, record.IsPaper));
        }

        _openSnapshot = list;
    }

    /// <summary>Reconciliation's view (<see cref="IOpenOrderView"/>): the orders not final as of the I/O loop's last turn, live ones only (paper orders are not at the venue).</summary>
    public int CopyOpenOrders(List<LocalOrder> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var count = 0;
        foreach (var order in _openSnapshot)
        {
            if (order.Paper || !_symbols.TryGet(Encoding.ASCII.GetBytes(order.Symbol), out var id))
            {
                continue;
            }

            into.Add(new LocalOrder(id, order.ClientOrderId, order.Side, order.Quantity, order.Filled, order.Status));
            count++;
        }

        return count;
    }

    /// <summary>Positions folded from every fill execution published (and the journal's), by symbol name. I/O loop only; for tests after <see cref="Stop"/>.</summary>
    public IReadOnlyList<JournalPosition> PositionsSnapshot() => _positions.All();

    private long NowMs() => _client?.Clock.NowUnixMs ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>The time stamped on events this loop publishes: the venue's clock, or without a venue (paper, replay) the market's.</summary>
    private long EventTimeMs() => _client is not null || Gateway.MarketTimeMs == 0 ? NowMs() : Gateway.MarketTimeMs;

    private static string WireId(OrderRecord record)
    {
        Span<byte> buffer = stackalloc byte[ClientOrderId.MaxLength];
        return Encoding.ASCII.GetString(buffer[..ClientOrderId.Format(record.ClientOrderId, buffer)]);
    }

    private static void Check(ValidateOptionsResult result, string section)
    {
        if (result.Failed)
        {
            throw new OptionsValidationException(section, typeof(ExecutionService), result.Failures);
        }
    }

    private enum InboundKind : byte
    {
        NewAnswer,
        QueryAnswer,
        CancelAllAnswer,
        StreamOrder,
        StreamAccount,
        Recover,
        ReduceOnly,
    }

    private readonly struct Inbound(InboundKind kind, long clientOrderId, RestResult<OrderResponse> result, MarketEvent evt, string? symbol = null, VenueError? error = null)
    {
        public readonly InboundKind Kind = kind;
        public readonly long ClientOrderId = clientOrderId;
        public readonly RestResult<OrderResponse> Result = result;
        public readonly MarketEvent Event = evt;
        public readonly string? Symbol = symbol;
        public readonly VenueError? Error = error;
    }
}
