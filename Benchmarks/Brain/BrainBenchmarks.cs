using BenchmarkDotNet.Attributes;
using Engine.Brain;
using Engine.Model;

namespace Benchmarks.Brain;

/// <summary>
/// Cost per trade event through the brain stage's work (candles, indicators and strategy on each closed minute,
/// stops, decisions), on one thread, for 20 and 300 symbols. Trades are a deterministic random walk 5 ms apart, so
/// every symbol closes minutes and is evaluated all the time; the walk's own cost (a few ns) is included.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class BrainBenchmarks
{
    private const int EventsPerInvoke = 100_000;

    private TradingBrain _brain = null!;
    private long[] _price = null!;
    private ulong _state;
    private long _timeMs;

    [Params(20, 300)]
    public int Symbols { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rules = new SymbolRules[Symbols + 1];
        for (var i = 1; i <= Symbols; i++)
        {
            rules[i] = new SymbolRules
            {
                TickSize = Price.FromMantissa(1_000_000),
                StepSize = Quantity.FromMantissa(100_000),
                MinQuantity = Quantity.FromMantissa(100_000),
                MaxQuantity = Quantity.FromInteger(1_000),
                MinNotional = Notional.FromInteger(5),
            };
        }

        _brain = new TradingBrain(new BrainOptions { MaxSymbols = Symbols, MinAtrFraction = 0 }, rules);
        _price = new long[Symbols + 1];
        for (var i = 1; i <= Symbols; i++)
        {
            _price[i] = 7_000_00000000L + (i * 1_00000000L);
        }

        _state = 0x9E3779B97F4A7C15;
        _timeMs = 1_577_836_800_000;
    }

    /// <summary>
    /// The worst case per event: every trade opens a new minute for its symbol, so each one closes a candle, updates
    /// every indicator, reads the strategy and decides (symbols in turn, 60 s / symbols apart).
    /// </summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public long TradeClosingAMinute()
    {
        long intents = 0;
        var e = default(MarketEvent);
        var step = Candle.MinuteMs / Symbols;
        for (var n = 0; n < EventsPerInvoke; n++)
        {
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            var symbol = (n % Symbols) + 1;
            _price[symbol] += ((long)((_state >> 20) % 21) - 10) * 10_000_000;
            _timeMs += step;
            e.Begin(MarketEventKind.Trade, new SymbolId((ushort)symbol), _timeMs, 0);
            e.Trade.Price = Price.FromMantissa(_price[symbol]);
            e.Trade.Quantity = Quantity.FromMantissa((long)(((_state >> 40) % 1000) + 1) * 100_000);
            _brain.OnEvent(ref e);
            intents += e.IntentCount;
        }

        return intents;
    }

    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public long TradeEvent()
    {
        long intents = 0;
        var e = default(MarketEvent);
        for (var n = 0; n < EventsPerInvoke; n++)
        {
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            var symbol = (int)(_state % (ulong)Symbols) + 1;
            _price[symbol] += ((long)((_state >> 20) % 21) - 10) * 10_000_000;
            _timeMs += 5;
            e.Begin(MarketEventKind.Trade, new SymbolId((ushort)symbol), _timeMs, 0);
            e.Trade.Price = Price.FromMantissa(_price[symbol]);
            e.Trade.Quantity = Quantity.FromMantissa((long)(((_state >> 40) % 1000) + 1) * 100_000);
            _brain.OnEvent(ref e);
            intents += e.IntentCount;
        }

        return intents;
    }
}
