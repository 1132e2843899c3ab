using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Execution;
using Engine.Model;
using Engine.Ring;
using Engine.State.Journal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// CrashHost <restBase> <apiKey> <apiSecret> <journalDir> <crashAfter: None|JournaledBeforeSend|SentBeforeAck> <orders: SYMBOL:SIDE:QTY,...|->
// Places the orders through execution (the calling thread plays the execution stage), waits until every order the
// ledger knows (the journal's included) is final, and prints one JSON line: run id, counters, positions. With a crash
// point the process ends at it with exit code 86, like a kill -9 there.
if (args.Length > 0 && args[0] == IntentAppendHost.Verb)
{
    return IntentAppendHost.Run(args[1..]);
}

if (args.Length != 6)
{
    Console.Error.WriteLine("usage: CrashHost <restBase> <apiKey> <apiSecret> <journalDir> <crashAfter> <orders|->");
    return 2;
}

var restOptions = new BinanceRestOptions { BaseAddress = args[0].TrimEnd('/'), RecvWindowMs = 1000, RequestTimeout = TimeSpan.FromSeconds(5), ClockSamples = 2 };
var credentials = new ApiCredentials(args[1], args[2]);
using var client = new BinanceRestClient(Options.Create(restOptions), NullLogger<BinanceRestClient>.Instance, new ServerClock(), new RateLimitTracker(), credentials);
(await client.SyncClockAsync()).GetValueOrThrow();
var info = (await client.GetExchangeInfoAsync()).GetValueOrThrow();
var symbols = new SymbolTable(64);
var rules = new List<SymbolRules> { default };
foreach (var symbol in info.Symbols)
{
    symbols.Add(symbol.Symbol);
    rules.Add(symbol.Rules);
}

var ring = RingBuffer.CreateMultiProducer<MarketEvent>(1024, new BlockingWaitStrategy());
var events = new ConcurrentQueue<MarketEvent>();
var collector = new BatchEventProcessor<MarketEvent, Collect>("collector", ring, ring.NewBarrier(), new Collect(events));
ring.AddGatingSequences(collector.Sequence);
collector.Start();
var options = new ExecutionOptions
{
    CrashAfter = Enum.Parse<CrashPoint>(args[4]),
    QueryDelay = TimeSpan.FromMilliseconds(100),
    RecvWindowMargin = TimeSpan.FromMilliseconds(300),
};
using var execution = new ExecutionService(Options.Create(options), Options.Create(new JournalOptions { Directory = args[3], Fsync = FsyncPolicy.EveryRecord }),
    client, credentials, symbols, rules, new RingPublisher(ring), NullLogger<ExecutionService>.Instance);
execution.Start();

if (args[5] != "-")
{
    foreach (var spec in args[5].Split(','))
    {
        var parts = spec.Split(':');
        symbols.TryGet(Encoding.ASCII.GetBytes(parts[0]), out var id);
        var evt = default(MarketEvent);
        evt.Begin(MarketEventKind.Trade, id, 0, Stopwatch.GetTimestamp());
        evt.IntentCount = 1;
        evt.Intents[0].Symbol = id;
        evt.Intents[0].Side = parts[1] == "BUY" ? Side.Buy : Side.Sell;
        evt.Intents[0].Action = IntentAction.Enter;
        evt.Intents[0].Quantity = Quantity.Parse(Encoding.ASCII.GetBytes(parts[2]));
        execution.Gateway.OnEvent(ref evt);
    }
}

var deadline = Stopwatch.StartNew();
var placed = args[5] == "-" ? 0 : args[5].Split(',').Length;
while (execution.OpenOrders.Count > 0 || events.Count(e => e.Kind == MarketEventKind.OrderUpdate && e.OrderUpdate.Status is OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Rejected or OrderStatus.Expired) < placed)
{
    if (deadline.Elapsed > TimeSpan.FromSeconds(30))
    {
        Console.Error.WriteLine("orders still open after 30 s");
        return 3;
    }

    await Task.Delay(20);
}

await Task.Delay(200);
execution.Stop(TimeSpan.FromSeconds(5));
var result = new
{
    runId = execution.RunId,
    resends = execution.Counters.Resends,
    queries = execution.Counters.Queries,
    recoveredOpen = execution.Recovered.OpenOrders.Keys.ToArray(),
    positions = execution.PositionsSnapshot().ToDictionary(p => p.Symbol, p => p.Amount.ToString(null, CultureInfo.InvariantCulture)),
    updates = events.Where(e => e.Kind == MarketEventKind.OrderUpdate).Select(e => new { id = e.OrderUpdate.ClientOrderId, status = e.OrderUpdate.Status.ToString(), fill = e.OrderUpdate.LastFillQuantity.ToString(null, CultureInfo.InvariantCulture) }).ToArray(),
};
Console.WriteLine(JsonSerializer.Serialize(result));
collector.Halt();
return 0;

internal readonly struct Collect(ConcurrentQueue<MarketEvent> events) : IEventHandler<MarketEvent>
{
    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch) => events.Enqueue(data);
}
