using Engine.Brain;
using Engine.Model;

namespace Tests.Brain;

/// <summary>After warm-up the brain allocates nothing per event: trades, candle closes, decisions, fills, timers.</summary>
public sealed class BrainAllocationTests
{
    [Fact]
    public void The_brain_allocates_nothing_per_event_after_warm_up()
    {
        const int symbols = 300;
        var rules = new SymbolRules[symbols + 1];
        for (var i = 1; i <= symbols; i++)
        {
            rules[i] = BrainData.BtcUsdtRules;
        }

        var brain = new TradingBrain(new BrainOptions { MaxSymbols = symbols, EntryConfidence = 0.5, MaxPositions = 10, MinHold = TimeSpan.FromMinutes(1), MinAtrFraction = 0 }, rules);
        var walk = new Walk(symbols);
        Run(brain, walk, 400_000); // warm-up: tiers, every code path that a run of this length reaches
        var before = GC.GetAllocatedBytesForCurrentThread();
        var decided = Run(brain, walk, 400_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(decided > 0, "the measured run made decisions");
        Assert.True(brain.Counters[BrainCounter.Rotations] > 0 || brain.Counters[BrainCounter.RotationsDeclined] > 0);
        Assert.True(brain.Counters[BrainCounter.CooldownsEnded] > 0);
    }

    private static long Run(TradingBrain brain, Walk walk, int events)
    {
        long intents = 0;
        for (var n = 0; n < events; n++)
        {
            var e = default(MarketEvent);
            walk.Next(ref e);
            brain.OnEvent(ref e);
            intents += e.IntentCount;
            for (var i = 0; i < e.IntentCount; i++)
            {
                // Every 7th order is rejected (cooldowns start and end); the rest fill at the reference price.
                var intent = e.Intents[i];
                var update = default(MarketEvent);
                update.Begin(MarketEventKind.OrderUpdate, intent.Symbol, e.ExchangeTimeMs + 1, 0);
                update.OrderUpdate.Side = intent.Side;
                update.OrderUpdate.ReduceOnly = intent.ReduceOnly;
                update.OrderUpdate.Quantity = intent.Quantity;
                if (intents % 7 == 0)
                {
                    update.OrderUpdate.Status = OrderStatus.Rejected;
                }
                else
                {
                    update.OrderUpdate.Status = OrderStatus.Filled;
                    update.OrderUpdate.FilledQuantity = intent.Quantity;
                    update.OrderUpdate.LastFillQuantity = intent.Quantity;
                    update.OrderUpdate.LastFillPrice = intent.ReferencePrice;
                }

                brain.OnEvent(ref update);
            }
        }

        return intents;
    }

    /// <summary>A deterministic random walk of trades over many symbols, 50 ms apart, so minutes close all the time.</summary>
    internal sealed class Walk
    {
        private readonly long[] _price;
        private ulong _state = 0x9E3779B97F4A7C15;
        private long _timeMs = 1_577_836_800_000;

        public Walk(int symbols)
        {
            _price = new long[symbols + 1];
            for (var i = 1; i <= symbols; i++)
            {
                _price[i] = 7_000_00000000L + (i * 1_00000000L);
            }
        }

        public void Next(ref MarketEvent e)
        {
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            var symbol = (int)(_state % (ulong)(_price.Length - 1)) + 1;
            var step = (long)((_state >> 20) % 21) - 10;
            _price[symbol] += step * 10_000_000; // ±1.00 in 0.10 steps
            _timeMs += 50;
            e.Begin(MarketEventKind.Trade, new SymbolId((ushort)symbol), _timeMs, 0);
            e.Trade.Price = Price.FromMantissa(_price[symbol]);
            e.Trade.Quantity = Quantity.FromMantissa((long)((_state >> 40) % 1000 + 1) * 100_000);
        }
    }
}
