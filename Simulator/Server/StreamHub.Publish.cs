namespace Simulator;

internal sealed partial class StreamHub
{
    private readonly List<Level> _bids = [];
    private readonly List<Level> _asks = [];

    /// <summary>Stream names of one symbol, built once, and the per-stream publishing state.</summary>
    private sealed class SymbolStreams
    {
        public SymbolStreams(string s)
        {
            AggTrade = s + "@aggTrade";
            Trade = s + "@trade";
            BookTicker = s + "@bookTicker";
            Kline = s + "@kline_1m";
            Mark = s + "@markPrice";
            Mark1S = s + "@markPrice@1s";
            Diff = [new DiffStream(s + "@depth", 250), new DiffStream(s + "@depth@100ms", 100), new DiffStream(s + "@depth@500ms", 500)];
            Partial = [];
            foreach (var n in (int[])[5, 10, 20])
            {
                Partial.Add((s + "@depth" + n, n, 250));
                Partial.Add((s + "@depth" + n + "@100ms", n, 100));
                Partial.Add((s + "@depth" + n + "@500ms", n, 500));
            }
        }

        public string AggTrade { get; }

        public string Trade { get; }

        public string BookTicker { get; }

        public string Kline { get; }

        public string Mark { get; }

        public string Mark1S { get; }

        public List<DiffStream> Diff { get; }

        public List<(string Name, int Levels, int Period)> Partial { get; }

        public decimal LastBid { get; set; }

        public decimal LastBidQty { get; set; }

        public decimal LastAsk { get; set; }

        public decimal LastAskQty { get; set; }

        public long LastBarOpen { get; set; } = long.MinValue;
    }

    /// <summary>Diff-depth state of one stream: what its subscribers last saw, so each event carries exactly the changes.</summary>
    private sealed class DiffStream(string name, int period)
    {
        public string Name { get; } = name;

        public int Period { get; } = period;

        public Dictionary<decimal, decimal> Bids { get; } = [];

        public Dictionary<decimal, decimal> Asks { get; } = [];

        public long PreviousFinal { get; set; }

        public long FirstPending { get; set; } = -1;

        public decimal LowBid { get; set; }

        public decimal HighAsk { get; set; }
    }

    public void OnMarketStep(MarketSymbol symbol, List<PublicTrade> trades, long timeMs)
    {
        if (!_names.TryGetValue(symbol, out var n))
        {
            n = new SymbolStreams(symbol.StreamName);
            _names[symbol] = n;
        }

        var spec = symbol.Spec;
        lock (_gate)
        {
            if (_subscriptions.Count == 0)
            {
                n.LastBarOpen = symbol.CurrentBar(timeMs).OpenTime;
                foreach (var d in n.Diff)
                {
                    Idle(symbol, d);
                }

                return;
            }

            var starving = StarvingAt(spec.Symbol, timeMs, trades.Count > 0);
            var silent = starving == Starving.Silent;
            foreach (var t in starving == Starving.No ? trades : [])
            {
                Publish(n.AggTrade, () => JsonOut.Build(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("e", "aggTrade");
                    w.WriteNumber("E", timeMs);
                    w.WriteString("s", spec.Symbol);
                    w.WriteNumber("a", t.Id);
                    w.WriteString("p", Num.Price(spec, t.Price));
                    w.WriteString("q", Num.Qty(spec, t.Quantity));
                    w.WriteString("nq", Num.Qty(spec, t.Quantity));
                    w.WriteNumber("f", t.Id * 3);
                    w.WriteNumber("l", (t.Id * 3) + 2);
                    w.WriteNumber("T", t.Time);
                    w.WriteBoolean("m", t.BuyerMaker);
                    w.WriteEndObject();
                }));
                Publish(n.Trade, () => JsonOut.Build(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("e", "trade");
                    w.WriteNumber("E", timeMs);
                    w.WriteNumber("T", t.Time);
                    w.WriteString("s", spec.Symbol);
                    w.WriteNumber("t", t.Id);
                    w.WriteString("p", Num.Price(spec, t.Price));
                    w.WriteString("q", Num.Qty(spec, t.Quantity));
                    w.WriteString("X", "MARKET");
                    w.WriteBoolean("m", t.BuyerMaker);
                    w.WriteEndObject();
                }));
            }

            var bid = symbol.BestBid;
            var ask = symbol.BestAsk;
            var bidQty = symbol.QuantityAt(bid, bid: true);
            var askQty = symbol.QuantityAt(ask, bid: false);
            if (!silent && (bid != n.LastBid || ask != n.LastAsk || bidQty != n.LastBidQty || askQty != n.LastAskQty))
            {
                n.LastBid = bid;
                n.LastAsk = ask;
                n.LastBidQty = bidQty;
                n.LastAskQty = askQty;
                byte[]? payload = null;
                byte[] Book() => payload ??= JsonOut.Build(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("e", "bookTicker");
                    w.WriteNumber("u", symbol.UpdateId);
                    w.WriteNumber("E", timeMs);
                    w.WriteNumber("T", timeMs);
                    w.WriteString("s", spec.Symbol);
                    w.WriteString("b", Num.Price(spec, bid));
                    w.WriteString("B", Num.Qty(spec, bidQty));
                    w.WriteString("a", Num.Price(spec, ask));
                    w.WriteString("A", Num.Qty(spec, askQty));
                    w.WriteEndObject();
                });
                Publish(n.BookTicker, Book);
                Publish("!bookTicker", Book);
            }

            foreach (var d in silent ? [] : n.Diff)
            {
                PublishDiff(symbol, d, timeMs);
            }

            foreach (var (name, levels, period) in n.Partial)
            {
                if (!silent && Due(timeMs, period))
                {
                    Publish(name, () => Partial(symbol, levels, timeMs));
                }
            }

            var bar = symbol.CurrentBar(timeMs);
            if (n.LastBarOpen != long.MinValue && bar.OpenTime != n.LastBarOpen)
            {
                var closed = symbol.Bars.Count >= 2 ? symbol.Bars[^2] : null;
                if (closed is not null && closed.OpenTime == n.LastBarOpen && (!silent || SendsClosedKline(spec.Symbol, closed.OpenTime)))
                {
                    Publish(n.Kline, () => Kline(spec, closed, timeMs, isClosed: true));
                }
            }

            n.LastBarOpen = bar.OpenTime;
            if (!silent && Due(timeMs, 250))
            {
                Publish(n.Kline, () => Kline(spec, bar, timeMs, isClosed: false));
            }

            if (!silent && timeMs % 1000 == 0)
            {
                Publish(n.Mark1S, () => MarkPrice(symbol, timeMs));
            }

            if (!silent && timeMs % 3000 == 0)
            {
                Publish(n.Mark, () => MarkPrice(symbol, timeMs));
            }
        }
    }

    public void OnUserEvent(byte[] payload)
    {
        lock (_gate)
        {
            string? type = null;
            foreach (var s in _sessions)
            {
                if (s.ListenKey is null || s.Expired)
                {
                    continue;
                }

                if (s.EventFilter.Count > 0 && !s.EventFilter.Contains(type ??= EventType(payload)))
                {
                    continue;
                }

                s.Send(s.Combined ? Wrap(s.ListenKey, payload) : payload);
            }
        }
    }

    public void OnListenKeyExpired(string listenKey, byte[] payload)
    {
        lock (_gate)
        {
            foreach (var s in _sessions)
            {
                if (string.Equals(s.ListenKey, listenKey, StringComparison.Ordinal) && !s.Expired)
                {
                    s.Send(s.Combined ? Wrap(listenKey, payload) : payload);
                    s.Expired = true;
                }
            }
        }
    }

    public void OnListenKeyClosed(string listenKey)
    {
        lock (_gate)
        {
            foreach (var s in _sessions)
            {
                if (string.Equals(s.ListenKey, listenKey, StringComparison.Ordinal))
                {
                    s.Expired = true;
                    s.CloseGracefully("listenKey deleted");
                }
            }
        }
    }

    /// <summary>True once per period: when this 100 ms step is the first one in a new period.</summary>
    private static bool Due(long timeMs, int period) => timeMs / period != (timeMs - Venue.StepMs) / period;

    private void Publish(string stream, Func<byte[]> build)
    {
        if (!_subscriptions.TryGetValue(stream, out var list) || _faults.IsStalled(stream))
        {
            return;
        }

        if (Poisons.TryTake(stream, out var field, out var value))
        {
            var clean = build;
            build = () => StreamPoisons.Apply(clean(), field, value);
        }

        byte[]? raw = null;
        byte[]? wrapped = null;
        foreach (var s in list)
        {
            if (s.Combined)
            {
                wrapped ??= Wrap(stream, raw ??= build());
                s.Send(wrapped);
            }
            else
            {
                s.Send(raw ??= build());
            }
        }
    }

    /// <summary>
    /// A diff stream nobody listens to still advances like Binance's, which runs whether anyone listens or not: a new
    /// subscriber's first event chains (pu) to the update before it and starts (U) right after it, so a snapshot taken
    /// after subscribing always satisfies the futures rule U &lt;= lastUpdateId &lt;= u or pu == lastUpdateId (ccxt's
    /// watchOrderBook enforces exactly that), and the prices the best levels leave in between are zeroed in that event.
    /// </summary>
    private static void Idle(MarketSymbol symbol, DiffStream d)
    {
        d.Bids.Clear();
        d.Asks.Clear();
        d.FirstPending = -1;
        d.LowBid = symbol.BestBid;
        d.HighAsk = symbol.BestAsk;
        d.PreviousFinal = symbol.UpdateId;
    }

    private void PublishDiff(MarketSymbol symbol, DiffStream d, long timeMs)
    {
        if (!_subscriptions.ContainsKey(d.Name))
        {
            Idle(symbol, d);
            return;
        }

        var bestBid = symbol.BestBid;
        var bestAsk = symbol.BestAsk;
        if (d.FirstPending < 0)
        {
            d.FirstPending = d.PreviousFinal + 1;
        }

        // every price the best levels swept over since the last event may have changed side
        d.LowBid = d.LowBid == 0 ? bestBid : Math.Min(d.LowBid, bestBid);
        d.HighAsk = Math.Max(d.HighAsk, bestAsk);
        if (!Due(timeMs, d.Period) || _faults.IsStalled(d.Name))
        {
            return;
        }

        const int window = 20;
        const int maxSwept = 2000;
        symbol.Levels(window, _bids, _asks);
        var tick = symbol.Spec.TickSize;
        var prices = new HashSet<decimal>();
        for (var p = d.LowBid; p <= d.HighAsk && prices.Count < maxSwept; p += tick)
        {
            prices.Add(p);
        }

        var bidChanges = Changes(symbol, d.Bids, _bids, prices, bid: true);
        var askChanges = Changes(symbol, d.Asks, _asks, prices, bid: false);
        d.LowBid = bestBid;
        d.HighAsk = bestAsk;
        var first = d.FirstPending;
        var final = symbol.UpdateId;
        var previous = d.PreviousFinal;
        d.PreviousFinal = final;
        d.FirstPending = final + 1;
        var spec = symbol.Spec;
        Publish(d.Name, () => JsonOut.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("e", "depthUpdate");
            w.WriteNumber("E", timeMs);
            w.WriteNumber("T", timeMs);
            w.WriteString("s", spec.Symbol);
            w.WriteNumber("U", first);
            w.WriteNumber("u", final);
            w.WriteNumber("pu", previous);
            RestApi.WriteLevels(w, "b", spec, bidChanges);
            RestApi.WriteLevels(w, "a", spec, askChanges);
            w.WriteEndObject();
        }));
    }

    /// <summary>
    /// One side's changes: the window's levels that differ from what subscribers saw, every price the best levels swept
    /// over (absolute quantity, "0" where the price is now on the other side or in the spread), and levels that left the
    /// window (their true depth). Quantities outside the top three levels depend on the price alone, so nothing else moves.
    /// </summary>
    private static List<Level> Changes(MarketSymbol symbol, Dictionary<decimal, decimal> seen, List<Level> now, HashSet<decimal> swept, bool bid)
    {
        var changes = new Dictionary<decimal, decimal>();
        var current = new Dictionary<decimal, decimal>(now.Count);
        foreach (var l in now)
        {
            current[l.Price] = l.Quantity;
            if (!seen.TryGetValue(l.Price, out var q) || q != l.Quantity)
            {
                changes[l.Price] = l.Quantity;
            }
        }

        foreach (var p in swept)
        {
            if (!current.ContainsKey(p) && p > 0)
            {
                changes[p] = symbol.QuantityAt(p, bid);
            }
        }

        foreach (var (price, old) in seen)
        {
            if (!current.ContainsKey(price) && !changes.ContainsKey(price))
            {
                var q = symbol.QuantityAt(price, bid);
                if (q != old)
                {
                    changes[price] = q;
                }
            }
        }

        seen.Clear();
        foreach (var (p, q) in current)
        {
            seen[p] = q;
        }

        var list = changes.Select(kv => new Level(kv.Key, kv.Value)).ToList();
        list.Sort((a, b) => bid ? b.Price.CompareTo(a.Price) : a.Price.CompareTo(b.Price));
        return list;
    }

    private byte[] Partial(MarketSymbol symbol, int levels, long timeMs)
    {
        symbol.Levels(levels, _bids, _asks);
        var spec = symbol.Spec;
        return JsonOut.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("e", "depthUpdate");
            w.WriteNumber("E", timeMs);
            w.WriteNumber("T", timeMs);
            w.WriteString("s", spec.Symbol);
            w.WriteNumber("U", symbol.UpdateId);
            w.WriteNumber("u", symbol.UpdateId);
            w.WriteNumber("pu", symbol.UpdateId - 1);
            RestApi.WriteLevels(w, "b", spec, _bids);
            RestApi.WriteLevels(w, "a", spec, _asks);
            w.WriteEndObject();
        });
    }

    private static byte[] Kline(SymbolSpec spec, Bar b, long timeMs, bool isClosed) => JsonOut.Build(w =>
    {
        w.WriteStartObject();
        w.WriteString("e", "kline");
        w.WriteNumber("E", timeMs);
        w.WriteString("s", spec.Symbol);
        w.WritePropertyName("k");
        w.WriteStartObject();
        w.WriteNumber("t", b.OpenTime);
        w.WriteNumber("T", b.CloseTime);
        w.WriteString("s", spec.Symbol);
        w.WriteString("i", "1m");
        w.WriteNumber("f", b.FirstTradeId);
        w.WriteNumber("L", b.LastTradeId);
        w.WriteString("o", Num.Price(spec, b.Open));
        w.WriteString("c", Num.Price(spec, b.Close));
        w.WriteString("h", Num.Price(spec, b.High));
        w.WriteString("l", Num.Price(spec, b.Low));
        w.WriteString("v", Num.Qty(spec, b.Volume));
        w.WriteNumber("n", b.Count);
        w.WriteBoolean("x", isClosed);
        w.WriteString("q", Num.Fixed(b.QuoteVolume, 5));
        w.WriteString("V", Num.Qty(spec, b.TakerBuyVolume));
        w.WriteString("Q", Num.Fixed(b.TakerBuyQuoteVolume, 5));
        w.WriteString("B", "0");
        w.WriteEndObject();
        w.WriteEndObject();
    });

    private static byte[] MarkPrice(MarketSymbol s, long timeMs) => JsonOut.Build(w =>
    {
        w.WriteStartObject();
        w.WriteString("e", "markPriceUpdate");
        w.WriteNumber("E", timeMs);
        w.WriteString("s", s.Spec.Symbol);
        w.WriteString("p", Num.Fixed(s.MarkPrice, 8));
        w.WriteString("ap", Num.Fixed(s.MarkPrice, 8));
        w.WriteString("i", Num.Fixed(s.IndexPrice, 8));
        w.WriteString("P", Num.Fixed(s.IndexPrice, 8));
        w.WriteString("r", "0.00010000");
        w.WriteNumber("T", RestApi.NextFunding(timeMs));
        w.WriteEndObject();
    });

    private static byte[] Wrap(string stream, byte[] data)
    {
        var head = JsonOut.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("stream", stream);
            w.WritePropertyName("data");
            w.WriteRawValue("0"u8);
            w.WriteEndObject();
        });

        // head is {"stream":"…","data":0}; splice the payload in place of the 0
        var result = new byte[head.Length - 2 + data.Length + 1];
        head.AsSpan(0, head.Length - 2).CopyTo(result);
        data.CopyTo(result.AsSpan(head.Length - 2));
        result[^1] = (byte)'}';
        return result;
    }
}
