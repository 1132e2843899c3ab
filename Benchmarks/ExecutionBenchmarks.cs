using System.Text;
using BenchmarkDotNet.Attributes;
using Engine.Exchange;
using Engine.Exchange.Signing;
using Engine.Execution;
using Engine.Model;

namespace Benchmarks;

/// <summary>
/// The execution stage's work per order: client order id, request built and HMAC-signed into the queue slot's
/// pre-allocated buffer, the slot published to the I/O loop (with the wake-up's fence). The consumer side only
/// releases the slot (as the I/O loop does once it copied the bytes), so the queue never fills.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 20)]
[MedianColumn]
public class ExecutionBenchmarks
{
    private static readonly byte[] Secret = Encoding.ASCII.GetBytes("2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9");

    private OrderQueue _orders = null!;
    private ExecutionGateway _gateway = null!;
    private HmacSha256Signer _signer = null!;
    private LoopSignal _signal = null!;
    private OrderIntent _market;
    private OrderIntent _limit;
    private ExecutionGateway _limitGateway = null!;
    private OrderQueue _limitOrders = null!;

    [GlobalSetup]
    public void Setup()
    {
        var symbols = new SymbolTable(8);
        var btc = symbols.Add("BTCUSDT");
        var rules = new SymbolRules[] { default, new() { TickSize = Price.Parse("0.1"u8), StepSize = Quantity.Parse("0.001"u8), PricePrecision = 1, QuantityPrecision = 3 } };
        _signer = HmacSha256Signer.Create(Secret);
        _signal = new LoopSignal();
        _orders = new OrderQueue(1024, 512);
        _limitOrders = new OrderQueue(1024, 512);
        _gateway = new ExecutionGateway(_orders, new OrderQueue(64, 0), _signal, _signer, new ServerClock(), symbols, rules, new QuoteBook(8), 5000, OrderKind.Market, 217742818);
        _limitGateway = new ExecutionGateway(_limitOrders, new OrderQueue(64, 0), _signal, _signer, new ServerClock(), symbols, rules, new QuoteBook(8), 5000, OrderKind.Limit, 217742818);
        _market = new OrderIntent { Symbol = btc, Side = Side.Buy, Action = IntentAction.Enter, Quantity = Quantity.Parse("0.005"u8), ReferencePrice = Price.Parse("65000.1"u8) };
        _limit = _market;
        Submit();
        if (_orders.TryPeek(out _))
        {
            throw new InvalidOperationException("the benchmark's consumer should have drained the queue");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _signer.Dispose();
        _signal.Dispose();
    }

    [Benchmark(Baseline = true, Description = "intent → signed MARKET order in the I/O queue")]
    public long Submit()
    {
        _gateway.Submit(in _market, 0);
        _orders.TryPeek(out var index);
        var length = _orders.Slot(index).Length;
        _orders.Release(index);
        return length;
    }

    [Benchmark(Description = "intent → signed LIMIT GTC order in the I/O queue")]
    public long SubmitLimit()
    {
        _limitGateway.Submit(in _limit, 0);
        _limitOrders.TryPeek(out var index);
        var length = _limitOrders.Slot(index).Length;
        _limitOrders.Release(index);
        return length;
    }
}
