using System.Collections.Concurrent;
using System.Diagnostics;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Execution;
using Engine.Model;
using Engine.Ring;
using Engine.State.Journal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Simulator;
using Tests.Simulator;

namespace Tests.Execution;

/// <summary>Copies every event that reaches the end of a real ring into a queue the test reads.</summary>
internal readonly struct CollectingStage(ConcurrentQueue<MarketEvent> events) : IEventHandler<MarketEvent>
{
    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch) => events.Enqueue(data);
}

/// <summary>
/// Execution wired as the engine wires it, minus the brain: the simulator on loopback, the REST client, a real ring
/// whose one consumer records what execution publishes, the journal in a temporary folder. The test thread plays the
/// execution stage (it calls the gateway).
/// </summary>
internal sealed class ExecutionHarness : IAsyncDisposable
{
    private readonly BatchEventProcessor<MarketEvent, CollectingStage> _collector;
    private readonly bool _ownsSim;
    private bool _ownsJournal;

    private ExecutionHarness(SimulatorHost? sim, SimClient? simClient, BinanceRestClient? client, SymbolTable symbols, SymbolRules[] rules,
        string journalDir, ExecutionOptions options, JournalOptions journal, ILoggerFactory logs, bool ownsSim)
    {
        _ownsSim = ownsSim;
        Sim = sim;
        SimClient = simClient;
        Client = client;
        Symbols = symbols;
        Rules = rules;
        JournalDirectory = journalDir;
        Ring = RingBuffer.CreateMultiProducer<MarketEvent>(4096, new BlockingWaitStrategy());
        _collector = new BatchEventProcessor<MarketEvent, CollectingStage>("collector", Ring, Ring.NewBarrier(), new CollectingStage(Events));
        Ring.AddGatingSequences(_collector.Sequence);
        _collector.Start();
        Publisher = new RingPublisher(Ring);
        Service = new ExecutionService(Options.Create(options), Options.Create(journal), client,
            client is null ? null : new ApiCredentials(sim!.ApiKey, sim.ApiSecret), symbols, rules, Publisher, logs.CreateLogger<ExecutionService>());
    }

    public SimulatorHost? Sim { get; }

    public SimClient? SimClient { get; }

    public BinanceRestClient? Client { get; }

    public SymbolTable Symbols { get; }

    public SymbolRules[] Rules { get; }

    public string JournalDirectory { get; }

    public RingBuffer<MarketEvent> Ring { get; }

    public RingPublisher Publisher { get; }

    public ConcurrentQueue<MarketEvent> Events { get; } = new();

    public ExecutionService Service { get; }

    public static SimulatorOptions SimOptions() => SimClient.Options(symbols: 3);

    /// <summary>Starts a simulator (unless given), connects and builds execution against it.</summary>
    public static async Task<ExecutionHarness> StartAsync(
        Action<ExecutionOptions>? configure = null, Action<BinanceRestOptions>? rest = null, string? journalDir = null,
        SimulatorHost? sim = null, Action<JournalOptions>? journal = null, ILoggerFactory? logs = null)
    {
        var ownsSim = sim is null;
        sim ??= await SimulatorHost.StartAsync(SimOptions());
        var restOptions = new BinanceRestOptions { BaseAddress = sim.RestBaseUri.ToString().TrimEnd('/'), RequestTimeout = TimeSpan.FromSeconds(5), ClockSamples = 2, RecvWindowMs = 1000 };
        rest?.Invoke(restOptions);
        logs ??= NullLoggerFactory.Instance;
        var client = new BinanceRestClient(Options.Create(restOptions), logs.CreateLogger<BinanceRestClient>(), new ServerClock(), new RateLimitTracker(),
            new ApiCredentials(sim.ApiKey, sim.ApiSecret));
        (await client.SyncClockAsync()).GetValueOrThrow();
        var info = (await client.GetExchangeInfoAsync()).GetValueOrThrow();
        var symbols = new SymbolTable(64);
        var rules = new List<SymbolRules> { default };
        foreach (var symbol in info.Symbols)
        {
            symbols.Add(symbol.Symbol);
            rules.Add(symbol.Rules);
        }

        var options = new ExecutionOptions { QueryDelay = TimeSpan.FromMilliseconds(100), RetryBackoff = TimeSpan.FromMilliseconds(50), RecvWindowMargin = TimeSpan.FromMilliseconds(300) };
        configure?.Invoke(options);
        var journalOptions = new JournalOptions { Directory = journalDir ?? NewJournalDirectory(), Fsync = FsyncPolicy.EveryRecord };
        journal?.Invoke(journalOptions);
        return new ExecutionHarness(sim, new SimClient(sim), client, symbols, [.. rules], journalOptions.Directory, options, journalOptions, logs, ownsSim)
        {
            _ownsJournal = journalDir is null,
        };
    }

    /// <summary>Execution with no venue: paper only, symbols with plain rules.</summary>
    public static ExecutionHarness StartPaper(Action<ExecutionOptions>? configure = null, string? journalDir = null)
    {
        var symbols = new SymbolTable(8);
        symbols.Add("BTCUSDT");
        symbols.Add("ETHUSDT");
        var rule = new SymbolRules { TickSize = Price.Parse("0.1"u8), StepSize = Quantity.Parse("0.001"u8), PricePrecision = 1, QuantityPrecision = 3 };
        var options = new ExecutionOptions { InitialMode = VenueMode.Paper };
        configure?.Invoke(options);
        var journal = new JournalOptions { Directory = journalDir ?? NewJournalDirectory(), Fsync = FsyncPolicy.None };
        return new ExecutionHarness(null, null, null, symbols, [default, rule, rule], journal.Directory, options, journal, NullLoggerFactory.Instance, ownsSim: false)
        {
            _ownsJournal = journalDir is null,
        };
    }

    public static string NewJournalDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "exec-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public SymbolId Id(string name) => Symbols.TryGet(System.Text.Encoding.ASCII.GetBytes(name), out var id) ? id : throw new ArgumentException(name);

    /// <summary>An intent as the brain writes it, run through the gateway on this thread (the stage's work).</summary>
    public void Submit(string symbol, Side side, decimal quantity, decimal price = 0, bool reduceOnly = false)
    {
        var evt = OrderEvent(symbol, side, quantity, price, reduceOnly);
        Service.Gateway.OnEvent(ref evt);
    }

    /// <summary>A market-data slot carrying one intent, as the brain leaves it for the execution stage.</summary>
    public MarketEvent OrderEvent(string symbol, Side side, decimal quantity, decimal price = 0, bool reduceOnly = false)
    {
        var evt = default(MarketEvent);
        evt.Begin(MarketEventKind.Trade, Id(symbol), 0, Stopwatch.GetTimestamp());
        evt.Stamps[(int)StagePoint.Published] = Stopwatch.GetTimestamp();
        evt.IntentCount = 1;
        ref var intent = ref evt.Intents[0];
        intent.Symbol = Id(symbol);
        intent.Side = side;
        intent.Action = reduceOnly ? IntentAction.Exit : IntentAction.Enter;
        intent.Quantity = Quantity.FromMantissa((long)(quantity * FixedPoint.One));
        intent.ReferencePrice = Price.FromMantissa((long)(price * FixedPoint.One));
        intent.Flags = reduceOnly ? IntentFlags.ReduceOnly : IntentFlags.None;
        return evt;
    }

    public void Quote(string symbol, decimal bid, decimal ask)
    {
        var evt = default(MarketEvent);
        evt.Begin(MarketEventKind.Quote, Id(symbol), 0, Stopwatch.GetTimestamp());
        evt.Quote.BidPrice = Price.FromMantissa((long)(bid * FixedPoint.One));
        evt.Quote.AskPrice = Price.FromMantissa((long)(ask * FixedPoint.One));
        Service.Gateway.OnEvent(ref evt);
    }

    public void Command(CommandKind kind, long argument = 0)
    {
        var evt = default(MarketEvent);
        evt.Begin(MarketEventKind.Command, SymbolId.None, 0, Stopwatch.GetTimestamp());
        evt.Command.Kind = kind;
        evt.Command.Argument = argument;
        Service.Gateway.OnEvent(ref evt);
    }

    /// <summary>Order updates published so far, for one client order id.</summary>
    public List<OrderUpdateData> UpdatesOf(long clientOrderId) =>
        [.. Events.Where(e => e.Kind == MarketEventKind.OrderUpdate && e.OrderUpdate.ClientOrderId == clientOrderId).Select(e => e.OrderUpdate)];

    public List<OrderUpdateData> Updates() => [.. Events.Where(e => e.Kind == MarketEventKind.OrderUpdate).Select(e => e.OrderUpdate)];

    public long IdOf(long sequence) => ExecutionGateway.ClientOrderIdOf(Service.RunId, sequence);

    public static long Total(Engine.Telemetry.LatencyHistogram histogram)
    {
        var counts = new long[Engine.Telemetry.LatencyHistogram.BucketCount];
        histogram.CopyTo(counts);
        return counts.Sum();
    }

    public static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:F0} s waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Service.Dispose();
        _collector.Halt();
        _collector.Join(TimeSpan.FromSeconds(5));
        Client?.Dispose();
        SimClient?.Dispose();
        if (Sim is not null && _ownsSim)
        {
            await Sim.DisposeAsync();
        }

        if (_ownsJournal && Directory.Exists(JournalDirectory))
        {
            Directory.Delete(JournalDirectory, recursive: true);
        }
    }
}
