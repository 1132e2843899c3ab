using System.Text;
using BenchmarkDotNet.Attributes;
using Engine.Brain;
using Engine.Exchange.UserData;
using Engine.Model;
using Engine.State.Positions;

namespace Benchmarks.State;

/// <summary>
/// The state parts' per-event costs: an order update's fill or a mark price through the tail's position stage (seqlock
/// publication included), and one ORDER_TRADE_UPDATE / ACCOUNT_UPDATE frame parsed into ring-slot form.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class StateBenchmarks
{
    private const int EventsPerInvoke = 10_000;

    private const string OrderFrame =
        """{"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{"s":"BTCUSDT","c":"e17000000042","S":"SELL","o":"LIMIT","f":"GTC","q":"0.003","p":"60000.1","ap":"60000.10000","sp":"0","x":"TRADE","X":"PARTIALLY_FILLED","i":8886774,"l":"0.001","z":"0.002","L":"60000.1","N":"USDT","n":"0.012","T":1568879465650,"t":77,"b":"0","a":"9.91","m":true,"R":true,"wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"BOTH","cp":false,"rp":"1.5","pP":false,"si":0,"ss":0,"V":"EXPIRE_TAKER","pm":"NONE","gtd":0,"er":"0"}}""";

    private const string AccountFrame =
        """{"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,"a":{"m":"ORDER","B":[{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"50.12345678"}],"P":[{"s":"BTCUSDT","pa":"20","ep":"6563.66500","bep":"0","cr":"0","up":"2850.21200","mt":"cross","iw":"0","ps":"BOTH"}]}}""";

    private PositionStage<NoStage> _stage;
    private MarketEvent[] _events = null!;
    private UserDataParser _parser = null!;
    private byte[] _order = null!;
    private byte[] _account = null!;
    private MarketEvent _scratch;

    [GlobalSetup]
    public void Setup()
    {
        _stage = new PositionStage<NoStage>(new PositionBook(64), new PositionStageCounters(64), default);
        _events = new MarketEvent[64];
        for (var i = 0; i < _events.Length; i++)
        {
            ref var e = ref _events[i];
            var symbol = new SymbolId((ushort)((i % 16) + 1));
            if (i % 2 == 0)
            {
                e.Begin(MarketEventKind.OrderUpdate, symbol, 1, 1);
                // A symbol's fills alternate buy and sell of one size (i and i + 16 hit the same symbol), so positions
                // open and close forever without drifting towards the fixed-point range.
                e.OrderUpdate.Side = ((i >> 4) & 1) == 0 ? Side.Buy : Side.Sell;
                e.OrderUpdate.LastFillQuantity = Quantity.FromMantissa(1_000_000);
                e.OrderUpdate.LastFillPrice = Price.FromMantissa(6_000_000_000_000 + (i * 10_000_000));
            }
            else
            {
                e.Begin(MarketEventKind.MarkPrice, symbol, 1, 1);
                e.MarkPrice.MarkPrice = Price.FromMantissa(6_000_000_000_000 - (i * 10_000_000));
            }
        }

        var table = new SymbolTable(8);
        table.Add("BTCUSDT");
        _parser = new UserDataParser(table);
        _order = Encoding.UTF8.GetBytes(OrderFrame);
        _account = Encoding.UTF8.GetBytes(AccountFrame);
    }

    /// <summary>Half fills (opening, then closing, each symbol's position), half marks, over 16 symbols.</summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public long PositionStageEvent()
    {
        for (var i = 0; i < EventsPerInvoke; i++)
        {
            ref var e = ref _events[i & 63];
            if (e.Kind == MarketEventKind.MarkPrice)
            {
                e.MarkPrice.MarkPrice = Price.FromMantissa(e.MarkPrice.MarkPrice.Mantissa + ((i & 128) == 0 ? 1 : -1));
            }

            _stage.OnEvent(ref e, i, true);
        }

        return _stage.Book.FillsApplied;
    }

    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public int ParseOrderTradeUpdate()
    {
        var kinds = 0;
        for (var i = 0; i < EventsPerInvoke; i++)
        {
            kinds += (int)_parser.Parse(_order, ref _scratch, i);
        }

        return kinds;
    }

    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public int ParseAccountUpdate()
    {
        var kinds = 0;
        for (var i = 0; i < EventsPerInvoke; i++)
        {
            kinds += (int)_parser.Parse(_account, ref _scratch, i);
        }

        return kinds;
    }
}
