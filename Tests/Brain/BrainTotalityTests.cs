using Engine.Brain;
using Engine.Model;
using Engine.State.Positions;

namespace Tests.Brain;

/// <summary>
/// Property: no sequence of market data or venue answers makes the brain (or the position stage after it) throw.
/// Seeded random sequences of trades, klines, quotes, marks, fills, account and position events, with gaps of
/// minutes, hours and days, events out of order and repeated, extreme-but-representable prices, sizes and times,
/// go through the real <see cref="TradingBrain"/> and <see cref="PositionStage{TNext}"/>, slot by slot as the ring
/// hands them over, with the intents the brain writes answered (filled, sometimes at an absurd price, or rejected).
/// </summary>
public sealed class BrainTotalityTests
{
    private const int Symbols = 4;
    private const int EventsPerSeed = 30_000;

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 12)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void No_sequence_of_data_makes_the_brain_or_the_position_stage_throw(int seed)
    {
        var rules = new SymbolRules[Symbols + 1];
        for (var i = 1; i <= Symbols; i++)
        {
            rules[i] = BrainData.BtcUsdtRules;
        }

        // Easy entries (a low threshold, any volatility) so sizing, fills, stops, rotation and flatten all run.
        var brain = new TradingBrain(
            new BrainOptions { MaxSymbols = Symbols, EntryConfidence = 0.3, MinAtrFraction = 0, MaxAtrFraction = 10, MaxPositions = 2, MinHold = TimeSpan.Zero },
            rules);
        var book = new PositionBook(Symbols);
        var tail = new PositionStage<NoStage>(book, new PositionStageCounters(Symbols), default);
        var hostile = new HostileMarket(seed);
        var pending = new Queue<OrderIntent>();
        var sequence = 0L;
        for (var n = 0; n < EventsPerSeed; n++)
        {
            var e = pending.Count > 0 && hostile.Chance(0.5) ? hostile.Answer(pending.Dequeue()) : hostile.Next();
            brain.OnEvent(ref e);
            tail.OnEvent(ref e, sequence++, endOfBatch: true);
            for (var i = 0; i < e.IntentCount; i++)
            {
                pending.Enqueue(e.Intents[i]);
            }
        }

        // The generator did reach what it is for: refused values, long silences, closed minutes and decisions.
        Assert.True(brain.Counters[BrainCounter.ImpossibleValues] > 0, "no impossible value was generated");
        Assert.True(brain.Counters[BrainCounter.SkippedMinutes] > 0, "no silence longer than a day was generated");
        Assert.True(brain.Counters[BrainCounter.MinutesClosed] > 1000, "few minutes closed");
        Assert.True(brain.Counters[BrainCounter.LateTrades] > 0, "no late trade was generated");
        Assert.True(brain.Counters[BrainCounter.Entries] > 0, "the brain never entered: sizing and fills did not run");
    }

    /// <summary>A venue that sends mostly ordinary data and, now and then, anything a parser could let through.</summary>
    private sealed class HostileMarket(int seed)
    {
        private static readonly long[] s_extremeMantissas =
            [0, -1, 1, 2, long.MaxValue, long.MinValue, long.MaxValue - 1, long.MinValue + 1, long.MaxValue / 2, -long.MaxValue / 3, 92_233_720_368, 100_000_000];

        private static readonly long[] s_extremeTimes =
            [0, -1, long.MinValue, long.MaxValue, TradingBrain.MaxEventTimeMs, TradingBrain.MaxEventTimeMs + 1, 59_999, 60_000];

        private readonly Random _random = new(seed);
        private long _timeMs = 1_700_000_000_000;
        private long _price = 100 * FixedPoint.One;
        private MarketEvent _previous;

        public bool Chance(double p) => _random.NextDouble() < p;

        public MarketEvent Next()
        {
            if (Chance(0.02) && _previous.Kind != MarketEventKind.None)
            {
                return _previous; // a repeat, as a reconnect's overlap would send it
            }

            AdvanceTime();
            var e = default(MarketEvent);
            var roll = _random.NextDouble();
            if (roll < 0.55)
            {
                e.Begin(MarketEventKind.Trade, Symbol(), EventTime(), 0);
                e.Trade.Price = PriceValue();
                e.Trade.Quantity = Quantity.FromMantissa(Chance(0.03) ? Extreme() : _random.NextInt64(100_000, 1_000_000_000));
            }
            else if (roll < 0.75)
            {
                Kline(ref e);
            }
            else if (roll < 0.82)
            {
                e.Begin(MarketEventKind.Quote, Symbol(), EventTime(), 0);
                e.Quote.BidPrice = PriceValue();
                e.Quote.AskPrice = PriceValue();
                e.Quote.BidQuantity = Quantity.FromMantissa(Extreme());
                e.Quote.UpdateId = _random.NextInt64();
            }
            else if (roll < 0.88)
            {
                e.Begin(MarketEventKind.MarkPrice, Symbol(), EventTime(), 0);
                e.MarkPrice.MarkPrice = PriceValue();
            }
            else if (roll < 0.92)
            {
                e.Begin(MarketEventKind.Account, SymbolId.None, EventTime(), 0);
                e.Account.Equity = Notional.FromMantissa(Chance(0.3) ? Extreme() : _random.NextInt64(1_000 * FixedPoint.One, 1_000_000 * FixedPoint.One));
            }
            else if (roll < 0.95)
            {
                e.Begin(MarketEventKind.Position, Symbol(), EventTime(), 0);
                e.Position.Amount = Quantity.FromMantissa(Chance(0.5) ? Extreme() : _random.NextInt64(-10 * FixedPoint.One, 10 * FixedPoint.One));
                e.Position.EntryPrice = PriceValue();
            }
            else if (roll < 0.98)
            {
                e.Begin(MarketEventKind.OrderUpdate, Symbol(), EventTime(), 0);
                e.OrderUpdate.Side = (Side)_random.Next(0, 4);
                e.OrderUpdate.Status = (OrderStatus)_random.Next(0, 10);
                e.OrderUpdate.ReduceOnly = Chance(0.5);
                e.OrderUpdate.LastFillQuantity = Quantity.FromMantissa(Extreme());
                e.OrderUpdate.LastFillPrice = PriceValue();
            }
            else
            {
                e.Begin(MarketEventKind.Command, SymbolId.None, EventTime(), 0);
                e.Command.Kind = Chance(0.6) ? CommandKind.Resume : (CommandKind)_random.Next(0, 8); // paused for good would test less
            }

            _previous = e;
            return e;
        }

        /// <summary>The venue's answer to an intent: filled (at its price, or sometimes at an absurd one) or rejected.</summary>
        public MarketEvent Answer(in OrderIntent intent)
        {
            var e = default(MarketEvent);
            e.Begin(MarketEventKind.OrderUpdate, intent.Symbol, _timeMs, 0);
            e.OrderUpdate.Side = intent.Side;
            e.OrderUpdate.ReduceOnly = intent.ReduceOnly;
            e.OrderUpdate.Quantity = intent.Quantity;
            if (Chance(0.15))
            {
                e.OrderUpdate.Status = OrderStatus.Rejected;
                return e;
            }

            e.OrderUpdate.Status = OrderStatus.Filled;
            e.OrderUpdate.FilledQuantity = intent.Quantity;
            e.OrderUpdate.LastFillQuantity = Chance(0.05) ? Quantity.FromMantissa(Extreme()) : intent.Quantity;
            e.OrderUpdate.LastFillPrice = Chance(0.05) ? Price.FromMantissa(Extreme()) : intent.ReferencePrice;
            return e;
        }

        private void AdvanceTime()
        {
            var roll = _random.NextDouble();
            _timeMs += roll switch
            {
                < 0.90 => _random.Next(0, 3_000),
                < 0.95 => _random.Next(60_000, 5 * 60_000), // a quiet spell of minutes
                < 0.97 => -_random.Next(0, 10 * 60_000), // out of order
                < 0.995 => _random.NextInt64(3_600_000, 30 * 3_600_000L), // hours
                _ => _random.NextInt64(2, 10) * 86_400_000L, // days
            };
        }

        private long EventTime() => Chance(0.005) ? s_extremeTimes[_random.Next(s_extremeTimes.Length)] : _timeMs;

        private SymbolId Symbol() => Chance(0.01)
            ? new SymbolId((ushort)_random.Next(0, 2) == 0 ? (ushort)0 : (ushort)_random.Next(Symbols + 1, ushort.MaxValue + 1))
            : new SymbolId((ushort)_random.Next(1, Symbols + 1));

        private long Extreme() => s_extremeMantissas[_random.Next(s_extremeMantissas.Length)];

        private Price PriceValue()
        {
            if (Chance(0.03))
            {
                return Price.FromMantissa(Extreme());
            }

            // A walk that now and then jumps by orders of magnitude, so tiny and huge but true prices occur too.
            _price = Chance(0.01)
                ? Math.Clamp(_price * (Chance(0.5) ? 1000 : 1) / (Chance(0.5) ? 1000 : 1), 1, 90_000_000_000 * FixedPoint.One / 1000)
                : Math.Max(1, _price + _random.NextInt64(-_price / 500 - 1, _price / 500 + 2));
            return Price.FromMantissa(_price);
        }

        private void Kline(ref MarketEvent e)
        {
            var open = MinuteCandleBuilder.MinuteOf(_timeMs) - (Chance(0.3) ? Candle.MinuteMs * _random.Next(0, 5) : 0);
            e.Begin(MarketEventKind.Candle, Symbol(), open + Candle.MinuteMs - 1, 0);
            e.Candle.OpenTimeMs = Chance(0.01) ? s_extremeTimes[_random.Next(s_extremeTimes.Length)] : open + (Chance(0.02) ? 17 : 0);
            var a = PriceValue();
            var b = PriceValue();
            var (low, high) = Chance(0.03) ? (b, a) : (a < b ? (a, b) : (b, a));
            e.Candle.Low = low;
            e.Candle.High = high;
            e.Candle.Open = Chance(0.5) ? low : high;
            e.Candle.Close = Chance(0.5) ? high : low;
            e.Candle.Volume = Quantity.FromMantissa(Chance(0.05) ? Extreme() : _random.NextInt64(0, 100 * FixedPoint.One));
            e.Candle.TradeCount = _random.Next();
            e.Candle.IntervalMinutes = (ushort)(Chance(0.95) ? 1 : _random.Next(0, 100));
            e.Candle.IsClosed = Chance(0.9);
            e.Candle.IsBackfilled = Chance(0.1);
        }
    }
}
