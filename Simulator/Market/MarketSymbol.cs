namespace Simulator;

/// <summary>One one-minute candle; mutable while open.</summary>
internal sealed class Bar
{
    public long OpenTime;
    public decimal Open;
    public decimal High;
    public decimal Low;
    public decimal Close;
    public decimal Volume;
    public decimal QuoteVolume;
    public decimal TakerBuyVolume;
    public decimal TakerBuyQuoteVolume;
    public long Count;
    public long FirstTradeId = -1;
    public long LastTradeId = -1;

    public long CloseTime => OpenTime + 59_999;
}

/// <summary>One aggregated public trade.</summary>
internal readonly record struct PublicTrade(long Id, long Time, decimal Price, decimal Quantity, bool BuyerMaker);

/// <summary>One price level.</summary>
internal readonly record struct Level(decimal Price, decimal Quantity);

/// <summary>
/// Market state of one symbol: last and mark price, candles, trade ids and a synthetic book around the mid. The book's
/// quantity at a price is a pure function of the symbol, the price and (for the top three levels) the step, so a REST
/// snapshot and the depth diffs always describe the same book.
/// </summary>
internal sealed class MarketSymbol
{
    public const int MaxBars = 20_000;
    private const int TopLevelsThatFlicker = 3;

    private readonly List<Bar> _bars = [];
    private readonly decimal _typicalQty;
    private readonly uint _hashSeed;

    public MarketSymbol(SymbolSpec spec, int index, int seed)
    {
        Spec = spec;
        Index = index;
        Walk = new PriceWalk(seed, index, (double)spec.StartPrice, spec.AnnualVolatility);
        Mid = (double)spec.StartPrice;
        Last = RoundToTick(spec.StartPrice);
        _typicalQty = Math.Max(spec.StepSize, RoundToStep(3000m / spec.StartPrice));
        _hashSeed = unchecked((uint)((seed * 2654435761L) ^ (index * 40503L)));
        StreamName = spec.Symbol.ToLowerInvariant();
    }

    public SymbolSpec Spec { get; }

    /// <summary>Most a resting order can fill in one step when the market trades through its price (the flow that crossed it).</summary>
    public decimal ThroughVolume => _typicalQty * 5;

    public int Index { get; }

    public string StreamName { get; }

    public PriceWalk Walk { get; }

    public double Mid { get; private set; }

    public decimal Last { get; private set; }

    public long NextAggId { get; private set; } = 1_000_000;

    public long NextTradeId { get; private set; } = 5_000_000;

    /// <summary>Order-book update id; grows by one every step.</summary>
    public long UpdateId { get; private set; } = 100_000_000;

    public long Step { get; private set; }

    public long LastEventTime { get; private set; }

    public IReadOnlyList<Bar> Bars => _bars;

    public decimal MarkPrice => Math.Round((decimal)Mid, 8);

    public decimal IndexPrice => Math.Round((decimal)Mid * 0.99995m, 8);

    public decimal BestBid => BidAt(0);

    public decimal BestAsk => BestBid + Spec.TickSize;

    public decimal RoundToTick(decimal price)
    {
        var t = Spec.TickSize;
        return Math.Max(t, Math.Round(price / t, MidpointRounding.ToEven) * t);
    }

    public decimal RoundToStep(decimal qty) => Math.Floor(qty / Spec.StepSize) * Spec.StepSize;

    /// <summary>Steps the random walk and prints this step's trades into <paramref name="trades"/>.</summary>
    public void WalkStep(long timeMs, double seconds, List<PublicTrade> trades)
    {
        var before = Mid;
        Mid = Walk.Step(seconds);
        var u = Walk.NextUniform();
        var count = u < 0.35 ? 0 : u < 0.8 ? 1 : u < 0.95 ? 2 : 3;
        for (var i = 0; i < count; i++)
        {
            var size = Walk.NextUniform();
            var qty = Math.Max(Spec.StepSize, RoundToStep(_typicalQty * (decimal)(0.1 + (size * size * 4))));
            var buyerMaker = Mid < before || (Mid == before && Walk.NextUniform() < 0.5);
            var price = buyerMaker ? BestBidFor(Mid) : BestBidFor(Mid) + Spec.TickSize;
            Trade(timeMs, price, qty, buyerMaker, trades);
        }

        AdvanceStep(timeMs);
    }

    /// <summary>Applies an externally given trade (replay) as the new price.</summary>
    public void ReplayTrade(long timeMs, decimal price, decimal qty, bool buyerMaker, List<PublicTrade> trades)
    {
        Mid = (double)price + ((double)Spec.TickSize * (buyerMaker ? 0.5 : -0.5));
        Walk.Reset(Mid);
        Trade(timeMs, RoundToTick(price), Math.Max(Spec.StepSize, RoundToStep(qty)), buyerMaker, trades);
    }

    public void StartAt(decimal price)
    {
        Mid = (double)price;
        Walk.Reset(Mid);
        Last = RoundToTick(price);
    }

    public void AdvanceStep(long timeMs)
    {
        Step++;
        UpdateId++;
        LastEventTime = timeMs;
        EnsureBar(timeMs);
    }

    public Bar CurrentBar(long timeMs)
    {
        EnsureBar(timeMs);
        return _bars[^1];
    }

    /// <summary>Price of the i-th bid level (0 = best).</summary>
    public decimal BidAt(int i) => BestBidFor(Mid) - (i * Spec.TickSize);

    public decimal AskAt(int i) => BestBidFor(Mid) + ((i + 1) * Spec.TickSize);

    /// <summary>Resting quantity of the synthetic book at a price on one side; 0 if the price is on the other side.</summary>
    public decimal QuantityAt(decimal price, bool bid)
    {
        var best = BestBidFor(Mid);
        var level = bid ? (int)((best - price) / Spec.TickSize) : (int)((price - best - Spec.TickSize) / Spec.TickSize);
        if (level < 0)
        {
            return 0m;
        }

        var ticks = (long)(price / Spec.TickSize);
        var h = Hash01(_hashSeed, ticks, 0);
        var f = 0.3 + (1.4 * h);
        if (level < TopLevelsThatFlicker)
        {
            f *= 0.5 + Hash01(_hashSeed, ticks, Step + 1);
        }

        var q = _typicalQty * 3m * (decimal)f;
        return Math.Max(Spec.StepSize, RoundToStep(q));
    }

    public void Levels(int count, List<Level> bids, List<Level> asks)
    {
        bids.Clear();
        asks.Clear();
        for (var i = 0; i < count; i++)
        {
            var b = BidAt(i);
            if (b <= 0)
            {
                break;
            }

            bids.Add(new Level(b, QuantityAt(b, bid: true)));
        }

        for (var i = 0; i < count; i++)
        {
            var a = AskAt(i);
            asks.Add(new Level(a, QuantityAt(a, bid: false)));
        }
    }

    /// <summary>Adds a bar series computed elsewhere (history back-fill) without trades.</summary>
    public void BackfillStep(long timeMs, double seconds, List<PublicTrade> scratch)
    {
        scratch.Clear();
        WalkStep(timeMs, seconds, scratch);
    }

    private decimal BestBidFor(double mid)
    {
        var t = Spec.TickSize;
        var ticks = Math.Floor((decimal)mid / t);
        if (ticks * t == (decimal)mid)
        {
            ticks--;
        }

        return Math.Max(t, ticks * t);
    }

    private void Trade(long timeMs, decimal price, decimal qty, bool buyerMaker, List<PublicTrade> trades)
    {
        var firstId = NextTradeId;
        var fills = 1 + (long)(qty / (_typicalQty * 2));
        NextTradeId += fills;
        var t = new PublicTrade(NextAggId++, timeMs, price, qty, buyerMaker);
        Last = price;
        var bar = CurrentBar(timeMs);
        if (bar.Count == 0)
        {
            bar.Open = bar.High = bar.Low = price;
            bar.FirstTradeId = firstId;
        }

        bar.High = Math.Max(bar.High, price);
        bar.Low = Math.Min(bar.Low, price);
        bar.Close = price;
        bar.Volume += qty;
        bar.QuoteVolume += price * qty;
        bar.Count += fills;
        bar.LastTradeId = NextTradeId - 1;
        if (!buyerMaker)
        {
            bar.TakerBuyVolume += qty;
            bar.TakerBuyQuoteVolume += price * qty;
        }

        trades.Add(t);
    }

    private void EnsureBar(long timeMs)
    {
        var open = timeMs - (((timeMs % 60_000) + 60_000) % 60_000);
        if (_bars.Count > 0 && _bars[^1].OpenTime >= open)
        {
            return;
        }

        var previousClose = _bars.Count > 0 ? _bars[^1].Close : Last;
        _bars.Add(new Bar { OpenTime = open, Open = previousClose, High = previousClose, Low = previousClose, Close = previousClose });
        if (_bars.Count > MaxBars)
        {
            _bars.RemoveRange(0, _bars.Count - MaxBars);
        }
    }

    private static double Hash01(uint seed, long a, long b)
    {
        var x = unchecked((ulong)a * 0x9E3779B97F4A7C15UL) ^ unchecked((ulong)b * 0xC2B2AE3D27D4EB4FUL) ^ seed;
        x ^= x >> 33;
        x = unchecked(x * 0xFF51AFD7ED558CCDUL);
        x ^= x >> 33;
        x = unchecked(x * 0xC4CEB9FE1A85EC53UL);
        x ^= x >> 33;
        return (x >> 11) * (1.0 / (1UL << 53));
    }
}
