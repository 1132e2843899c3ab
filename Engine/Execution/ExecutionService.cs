using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.Signing;
using Engine.Model;
using Engine.Exchange.UserData;
using Engine.Exchange.Wire;
using Engine.State;
using Engine.State.Journal;
using Engine.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Execution;

/// <summary>
/// Execution's I/O side: one dedicated thread (the I/O loop) that owns the order ledger, the journal, the timers and
/// recovery. It takes signed orders from the stage's queue, journals each intent before its request leaves, places it
/// on the venue new orders go to now (<see cref="IOrderVenue"/>: the live venue or the paper venue; the venue switch
/// swaps them), and funnels every statement about an order — venue answers, order queries, user-data events
/// (<see cref="OnOrderUpdate"/>, from the user-stream thread through a queue), paper fills — through
/// <see cref="OrderLedger"/> into normalized ring events. Unknown outcomes are queried by client order id and resent
/// only when the venue answers -2013 after the request's recvWindow has closed. The loop is spread over this file
/// (state, start and stop, the loop's turn) and its partial files: Orders (the queue, sends, timers), Answers (the
/// funnel), Journal, Recovery, ReduceOnly and VenueSwitch.
/// </summary>
public sealed partial class ExecutionService : IUserDataSink, IOpenOrderView, IVenueAnswers, IOrderFunnel, IDisposable
{
    private const int ControlModePaper = 3;
    private const int ControlModeLive = 4;
    private static readonly TimeSpan s_idleWait = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest an order the stage sent waits in the queue to be booked and journaled when nothing wakes the loop.</summary>
    private static readonly TimeSpan s_stageSendBooking = TimeSpan.FromMilliseconds(5);

    private readonly ExecutionOptions _options;
    private readonly JournalOptions _journalOptions;
    private readonly LiveVenue? _live;
    private readonly PaperVenue _paper;
    private readonly IRequestSigner _stageSigner;
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
    private readonly List<OrderRecord> _interruptedPaper = [];
    private readonly byte[] _recordBuffer = new byte[JournalCodec.MaxOrderRecordSize];
    private readonly CancellationTokenSource _stopping = new();
    private Thread? _thread;

    // Where new orders go now: _paper, or _live when there is one. Orders already placed stay with the venue they went to.
    private IOrderVenue _venue;
    private Notional _lastLiveWallet;
    private bool _haveLiveWallet;
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

        // The stage and the I/O loop (the live venue) each sign with their own signer: a signer is not shared between threads.
        _stageSigner = credentials is null ? HmacSha256Signer.Create("paper-only: requests are never sent"u8) : RequestSigners.Create(credentials);
        _live = client is null ? null : new LiveVenue(client, credentials!, symbols, _rules, this, _stopping.Token);
        _orders = new OrderQueue(_options.QueueCapacity, _options.RequestBufferBytes);
        _rejects = new OrderQueue(Math.Max(64, _options.QueueCapacity / 4), 0);
        _quotes = new QuoteBook(symbols.Capacity);

        // Replay: orders not final and positions; then a fresh segment that starts with their snapshot (compaction at start).
        // The folder is locked first: nothing reads, cuts or compacts a segment another engine may be writing.
        _folder = JournalFolder.Acquire(_journalOptions.Directory);
        _recovered = Recover(recoverFromVenue);
        _positions = _recovered.Positions;
        _paper = new PaperVenue(_options, _quotes, _positions, symbols, output, Counters, this, EventTimeMs);
        _venue = _live is not null && _options.InitialMode == VenueMode.Live ? _live : _paper;
        Counters.SetMode(_venue.Mode);
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
                    _paper.Rest(record);
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
        if (_live is not null && Directory.Exists(Path.Combine(_folder.Path, IntentLog.FolderName)) && Engine.Native.MappedFile.IsSupported)
        {
            // A previous run's stage sends: what it appended and the journal never heard of is queried at start.
            _intentLog = OpenIntentLog();
            RecoverIntents(new StageIntentLog(_intentLog));
            PublishSnapshot();
        }

        Gateway = new ExecutionGateway(_orders, _rejects, _signal, _stageSigner, client?.Clock ?? new ServerClock(), symbols, _rules, _quotes,
            client?.RecvWindowMs ?? 5000, _options.OrderKind, RunId);
        if (_recovered.TornReason is not null)
        {
            ExecutionLog.JournalTorn(_logger, _recovered.TornBytes, _recovered.TornReason, _recovered.TornKeptIn ?? string.Empty);
        }

        var directory = _folder.Path;
        var fsync = _journalOptions.Fsync.ToString();
        ExecutionLog.Ready(_logger, RunId, _venue.Mode, directory, fsync, _recovered.OpenOrders.Count, _positions.Count, _recovered.Records);
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

        Gateway.SetStageSends(_venue == _live);
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
        _intentLog?.Dispose();
        if (_journal.WriteError is { } error)
        {
            ExecutionLog.JournalNotWritten(_logger, _journal.PendingBytes, error.Message);
        }

        _folder.Dispose();
        _stageSigner.Dispose();
        _live?.Dispose();
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
                    ReleaseIntents();
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
                    if (_intents is not null && wait > s_stageSendBooking)
                    {
                        // Orders the stage sent are queued without a wake-up: booked within this interval even if no answer comes.
                        wait = s_stageSendBooking;
                    }

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

    /// <summary>The earlier of <paramref name="next"/> and the time until <paramref name="dueAtMs"/> (<see cref="Environment.TickCount64"/>).</summary>
    private static TimeSpan Sooner(TimeSpan next, long dueAtMs) =>
        TimeSpan.FromMilliseconds(Math.Max(0, Math.Min(dueAtMs - Environment.TickCount64, next.TotalMilliseconds)));

    private bool HasWork() => !_inbound.IsEmpty || _orders.Count > 0 || _rejects.Count > 0 || _stopping.IsCancellationRequested;

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

    /// <summary>The paper wallet (I/O loop writes).</summary>
    public Notional PaperWallet => _paper.Wallet;

    /// <summary>Positions folded from every fill execution published (and the journal's), by symbol name. I/O loop only; for tests after <see cref="Stop"/>.</summary>
    public IReadOnlyList<JournalPosition> PositionsSnapshot() => _positions.All();

    private long NowMs() => _live?.Clock.NowUnixMs ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>The time stamped on events this loop publishes: the venue's clock, or without a venue (paper, replay) the market's.</summary>
    private long EventTimeMs() => _live is not null || Gateway.MarketTimeMs == 0 ? NowMs() : Gateway.MarketTimeMs;

    /// <summary>The client order id as the venue sees it (<c>e</c> and digits).</summary>
    internal static string WireId(OrderRecord record)
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
        WireAnswer,
        ConnectionLost,
    }

    private readonly struct Inbound(
        InboundKind kind, long clientOrderId, RestResult<OrderResponse> result, MarketEvent evt, string? symbol = null, VenueError? error = null, OrderAnswer answer = default)
    {
        public readonly OrderAnswer Answer = answer;
        public readonly InboundKind Kind = kind;
        public readonly long ClientOrderId = clientOrderId;
        public readonly RestResult<OrderResponse> Result = result;
        public readonly MarketEvent Event = evt;
        public readonly string? Symbol = symbol;
        public readonly VenueError? Error = error;
    }
}
