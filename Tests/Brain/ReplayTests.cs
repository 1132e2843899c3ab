using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Engine.Brain;
using Engine.Model;

namespace Tests.Brain;

/// <summary>
/// Real data through the brain with default options: the decisions are compared with a reviewed, committed file,
/// and a second replay must decide the same bit for bit. Fills come back as the execution contract says: every
/// intent is answered by a FILLED order update at its reference price one millisecond later.
/// </summary>
public sealed class ReplayTests
{
    private const string UpdateVariable = "BRAIN_UPDATE_EXPECTED";

    [Fact]
    public void Btcusdt_klines_give_the_reviewed_decisions()
    {
        CompareWithExpected("btcusdt-klines-2020-01-01-to-03.txt", ReplayBtcUsdt(out _));
    }

    [Fact]
    public void Xrpeth_trades_give_the_reviewed_decisions()
    {
        CompareWithExpected("xrpeth-trades-2019-10-11-to-13.txt", ReplayXrpEth(out _));
    }

    [Fact]
    public void A_replay_decides_the_same_bit_for_bit()
    {
        var first = ReplayBtcUsdt(out var firstReadings);
        var second = ReplayBtcUsdt(out var secondReadings);
        Assert.Equal(first, second);
        Assert.Equal(firstReadings, secondReadings);
        Assert.True(firstReadings.Count > 4_000);
        Assert.Equal(ReplayXrpEth(out var a), ReplayXrpEth(out var b));
        Assert.Equal(a, b);
    }

    internal static List<string> ReplayBtcUsdt(out List<long> readingBits)
    {
        var brain = new TradingBrain(new BrainOptions { MaxSymbols = 4 }, [default, BrainData.BtcUsdtRules]);
        var symbol = new SymbolId(1);
        var lines = new List<string>();
        readingBits = [];
        foreach (var candle in BrainData.BtcUsdtKlines())
        {
            var e = BrainData.KlineEvent(symbol, candle);
            Run(brain, ref e, "BTCUSDT", 2, 3, lines);
            Record(brain, symbol, e, readingBits);
        }

        lines.Add(Summary(brain));
        return lines;
    }

    internal static List<string> ReplayXrpEth(out List<long> readingBits)
    {
        // XRPETH was a spot market; the rules are its 2019 price and lot grid (8-decimal tick, whole-unit step),
        // with a 0.01 ETH minimum notional, and equity is counted in ETH.
        var rules = new SymbolRules
        {
            TickSize = Price.FromMantissa(1),
            StepSize = Quantity.FromInteger(1),
            MinQuantity = Quantity.FromInteger(1),
            MaxQuantity = Quantity.FromInteger(90_000_000),
            MinNotional = Notional.Parse("0.01"u8),
        };
        var brain = new TradingBrain(new BrainOptions { MaxSymbols = 4, InitialEquity = 10m, MaxNotionalPerPosition = 100m }, [default, rules]);
        var symbol = new SymbolId(1);
        var lines = new List<string>();
        readingBits = [];
        foreach (var t in BrainData.XrpEthTrades())
        {
            var e = BrainData.TradeEvent(symbol, t.TimeMs, t.Price, t.Amount);
            e.Trade.BuyerIsMaker = t.BuyerIsMaker;
            Run(brain, ref e, "XRPETH", 8, 0, lines);
            Record(brain, symbol, e, readingBits);
        }

        lines.Add(Summary(brain));
        return lines;
    }

    private static void Run(TradingBrain brain, ref MarketEvent e, string name, int priceDecimals, int quantityDecimals, List<string> lines)
    {
        brain.OnEvent(ref e);
        for (var i = 0; i < e.IntentCount; i++)
        {
            var intent = e.Intents[i];
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{DateTimeOffset.FromUnixTimeMilliseconds(e.ExchangeTimeMs):yyyy-MM-ddTHH:mm:ss.fffZ} {name} {intent.Action.ToString().ToUpperInvariant()} {intent.Side.ToString().ToUpperInvariant()} qty={intent.Quantity.ToString("F" + quantityDecimals, null)} ref={intent.ReferencePrice.ToString("F" + priceDecimals, null)} stop={intent.StopDistance.ToString("F" + priceDecimals, null)} conf={intent.Confidence:F4} reason={intent.Reason}{(intent.ReduceOnly ? " reduce-only" : "")}"));
        }

        for (var i = 0; i < e.IntentCount; i++)
        {
            var intent = e.Intents[i];
            var fill = default(MarketEvent);
            fill.Begin(MarketEventKind.OrderUpdate, intent.Symbol, e.ExchangeTimeMs + 1, 0);
            fill.OrderUpdate.Side = intent.Side;
            fill.OrderUpdate.OrderKind = OrderKind.Market;
            fill.OrderUpdate.Status = OrderStatus.Filled;
            fill.OrderUpdate.ReduceOnly = intent.ReduceOnly;
            fill.OrderUpdate.Quantity = intent.Quantity;
            fill.OrderUpdate.FilledQuantity = intent.Quantity;
            fill.OrderUpdate.LastFillQuantity = intent.Quantity;
            fill.OrderUpdate.LastFillPrice = intent.ReferencePrice;
            Run(brain, ref fill, name, priceDecimals, quantityDecimals, lines);
        }
    }

    private static void Record(TradingBrain brain, SymbolId symbol, in MarketEvent e, List<long> bits)
    {
        if ((e.Notes & BrainNotes.Evaluated) != 0 && brain.TryGetReading(symbol, out var r))
        {
            bits.Add(BitConverter.DoubleToInt64Bits(r.Agreement));
            bits.Add(BitConverter.DoubleToInt64Bits(r.Confidence));
            bits.Add(BitConverter.DoubleToInt64Bits(r.VolumeConfirmation));
        }
    }

    private static string Summary(TradingBrain brain)
    {
        var c = brain.Counters;
        return string.Create(CultureInfo.InvariantCulture,
            $"# minutes={c[BrainCounter.MinutesClosed]} evaluations={c[BrainCounter.Evaluations]} entry-signals={c[BrainCounter.EntrySignals]} entries={c[BrainCounter.Entries]} exits={c[BrainCounter.Exits]} refused-min-qty={c[BrainCounter.RefusedBelowMinQuantity]} refused-min-notional={c[BrainCounter.RefusedBelowMinNotional]} position={brain.PositionOf(new SymbolId(1))}");
    }

    private static void CompareWithExpected(string file, List<string> actual, [CallerFilePath] string source = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(source)!, "Expected", file);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllLines(path, actual, new UTF8Encoding(false));
        }

        Assert.True(File.Exists(path), $"{path} is missing; review a run with {UpdateVariable}=1 and commit it.");
        var expected = File.ReadAllLines(path);
        Assert.Equal(expected, actual);
    }
}
