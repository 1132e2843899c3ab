using System.Text.Json;

namespace Simulator;

internal sealed partial class RestApi
{
    private static readonly int[] DepthLimits = [5, 10, 20, 50, 100, 500, 1000];

    private static readonly Dictionary<string, long> Intervals = new(StringComparer.Ordinal)
    {
        ["1m"] = 60_000, ["3m"] = 180_000, ["5m"] = 300_000, ["15m"] = 900_000, ["30m"] = 1_800_000,
        ["1h"] = 3_600_000, ["2h"] = 7_200_000, ["4h"] = 14_400_000, ["6h"] = 21_600_000, ["8h"] = 28_800_000,
        ["12h"] = 43_200_000, ["1d"] = 86_400_000, ["3d"] = 259_200_000, ["1w"] = 604_800_000,
    };

    private void RegisterMarketData()
    {
        Add("GET", "/fapi/v1/ping", Security.None, 1, [], _ => Reply.Ok("{}"u8.ToArray()));
        Add("GET", "/fapi/v1/time", Security.None, 1, [], _ => Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("serverTime", _venue.Clock.ServerNowMs);
            w.WriteEndObject();
        }));
        Add("GET", "/fapi/v1/exchangeInfo", Security.None, 1, [], _ => Json(ExchangeInfo));
        Add("GET", "/fapi/v1/klines", Security.None, p => KlineWeight(p.Long("limit") ?? 500), ["symbol", "interval", "startTime", "endTime", "limit"], Klines);
        Add("GET", "/fapi/v1/depth", Security.None, p => DepthWeight(p.Long("limit") ?? 500), ["symbol", "limit"], Depth);
        Add("GET", "/fapi/v1/ticker/bookTicker", Security.None, p => p.Has("symbol") ? 2 : 5, ["symbol"], p => PerSymbol(p, BookTicker));
        Add("GET", "/fapi/v1/ticker/24hr", Security.None, p => p.Has("symbol") ? 1 : 40, ["symbol"], p => PerSymbol(p, Ticker24h));
        Add("GET", "/fapi/v1/ticker/price", Security.None, p => p.Has("symbol") ? 1 : 2, ["symbol"], p => PerSymbol(p, TickerPrice));
        Add("GET", "/fapi/v1/premiumIndex", Security.None, p => p.Has("symbol") ? 1 : 10, ["symbol"], p => PerSymbol(p, PremiumIndex));
    }

    private static int KlineWeight(long limit) => limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;

    private static int DepthWeight(long limit) => limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20;

    private Reply PerSymbol(RequestParams p, Action<Utf8JsonWriter, MarketSymbol> write)
    {
        var one = OptionalSymbol(p);
        lock (_venue.Gate)
        {
            return Json(w =>
            {
                if (one is not null)
                {
                    write(w, one);
                    return;
                }

                w.WriteStartArray();
                foreach (var s in _venue.Symbols)
                {
                    write(w, s);
                }

                w.WriteEndArray();
            });
        }
    }

    private void ExchangeInfo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("timezone", "UTC");
        w.WriteNumber("serverTime", _venue.Clock.ServerNowMs);
        w.WriteString("futuresType", "U_MARGINED");
        w.WritePropertyName("rateLimits");
        w.WriteStartArray();
        RateLimit(w, "REQUEST_WEIGHT", "MINUTE", 1, _options.WeightLimitPerMinute);
        RateLimit(w, "ORDERS", "MINUTE", 1, _options.OrderLimitPerMinute);
        RateLimit(w, "ORDERS", "SECOND", 10, _options.OrderLimitPer10Seconds);
        w.WriteEndArray();
        w.WritePropertyName("exchangeFilters");
        w.WriteStartArray();
        w.WriteEndArray();
        w.WritePropertyName("assets");
        w.WriteStartArray();
        w.WriteStartObject();
        w.WriteString("asset", "USDT");
        w.WriteBoolean("marginAvailable", true);
        w.WriteString("autoAssetExchange", "-10000");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WritePropertyName("symbols");
        w.WriteStartArray();
        foreach (var s in _venue.Symbols)
        {
            var x = s.Spec;
            w.WriteStartObject();
            w.WriteString("symbol", x.Symbol);
            w.WriteString("pair", x.Symbol);
            w.WriteString("contractType", "PERPETUAL");
            w.WriteNumber("deliveryDate", 4133404800000);
            w.WriteNumber("onboardDate", 1569398400000);
            w.WriteString("status", "TRADING");
            w.WriteString("maintMarginPercent", "2.5000");
            w.WriteString("requiredMarginPercent", "5.0000");
            w.WriteString("baseAsset", x.BaseAsset);
            w.WriteString("quoteAsset", "USDT");
            w.WriteString("marginAsset", "USDT");
            w.WriteNumber("pricePrecision", x.PricePrecision);
            w.WriteNumber("quantityPrecision", x.QuantityPrecision);
            w.WriteNumber("baseAssetPrecision", 8);
            w.WriteNumber("quotePrecision", 8);
            w.WriteString("underlyingType", "COIN");
            w.WritePropertyName("underlyingSubType");
            w.WriteStartArray();
            w.WriteEndArray();
            w.WriteNumber("settlePlan", 0);
            w.WriteString("triggerProtect", "0.0500");
            w.WriteString("liquidationFee", "0.012500");
            w.WriteString("marketTakeBound", "0.05");
            w.WriteNumber("maxMoveOrderLimit", 10000);
            w.WritePropertyName("filters");
            w.WriteStartArray();
            w.WriteStartObject();
            w.WriteString("filterType", "PRICE_FILTER");
            w.WriteString("minPrice", Num.Plain(x.MinPrice));
            w.WriteString("maxPrice", Num.Plain(x.MaxPrice));
            w.WriteString("tickSize", Num.Plain(x.TickSize));
            w.WriteEndObject();
            Lot(w, "LOT_SIZE", x.MinQty, x.MaxQty, x.StepSize);
            Lot(w, "MARKET_LOT_SIZE", x.MinQty, x.MarketMaxQty, x.StepSize);
            w.WriteStartObject();
            w.WriteString("filterType", "MAX_NUM_ORDERS");
            w.WriteNumber("limit", 200);
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("filterType", "MIN_NOTIONAL");
            w.WriteString("notional", Num.Plain(x.MinNotional));
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("filterType", "PERCENT_PRICE");
            w.WriteString("multiplierUp", "1.0500");
            w.WriteString("multiplierDown", "0.9500");
            w.WriteString("multiplierDecimal", "4");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WritePropertyName("orderTypes");
            w.WriteStartArray();
            foreach (var t in (string[])["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"])
            {
                w.WriteStringValue(t);
            }

            w.WriteEndArray();
            w.WritePropertyName("timeInForce");
            w.WriteStartArray();
            foreach (var t in (string[])["GTC", "IOC", "FOK", "GTX", "GTD"])
            {
                w.WriteStringValue(t);
            }

            w.WriteEndArray();
            w.WritePropertyName("permissionSets");
            w.WriteStartArray();
            w.WriteStringValue("GRID");
            w.WriteStringValue("COPY");
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();

        static void RateLimit(Utf8JsonWriter w, string type, string interval, int num, int limit)
        {
            w.WriteStartObject();
            w.WriteString("rateLimitType", type);
            w.WriteString("interval", interval);
            w.WriteNumber("intervalNum", num);
            w.WriteNumber("limit", limit);
            w.WriteEndObject();
        }

        static void Lot(Utf8JsonWriter w, string type, decimal min, decimal max, decimal step)
        {
            w.WriteStartObject();
            w.WriteString("filterType", type);
            w.WriteString("minQty", Num.Plain(min));
            w.WriteString("maxQty", Num.Plain(max));
            w.WriteString("stepSize", Num.Plain(step));
            w.WriteEndObject();
        }
    }

    private Reply Klines(RequestParams p)
    {
        var s = Symbol(p);
        var intervalName = p.Required("interval");
        if (!Intervals.TryGetValue(intervalName, out var interval))
        {
            throw VenueException.Bad(-1120, "Invalid interval.");
        }

        var limit = p.Long("limit") ?? 500;
        if (limit is < 1 or > 1500)
        {
            throw VenueException.Bad(-1130, "Data sent for parameter 'limit' is not valid.");
        }

        var start = p.Long("startTime");
        var end = p.Long("endTime");
        lock (_venue.Gate)
        {
            var now = _venue.Now;
            var bars = Aggregate(s, interval, now);
            IEnumerable<Bar> selected = bars.Where(b => (start is null || b.OpenTime >= start) && (end is null || b.OpenTime <= end));
            var list = selected.ToList();
            list = start is not null ? list.Take((int)limit).ToList() : list.Skip(Math.Max(0, list.Count - (int)limit)).ToList();
            return Json(w =>
            {
                w.WriteStartArray();
                foreach (var b in list)
                {
                    WriteKlineRow(w, s.Spec, b, interval);
                }

                w.WriteEndArray();
            });
        }
    }

    private static void WriteKlineRow(Utf8JsonWriter w, SymbolSpec spec, Bar b, long interval)
    {
        w.WriteStartArray();
        w.WriteNumberValue(b.OpenTime);
        w.WriteStringValue(Num.Price(spec, b.Open));
        w.WriteStringValue(Num.Price(spec, b.High));
        w.WriteStringValue(Num.Price(spec, b.Low));
        w.WriteStringValue(Num.Price(spec, b.Close));
        w.WriteStringValue(Num.Qty(spec, b.Volume));
        w.WriteNumberValue(b.OpenTime + interval - 1);
        w.WriteStringValue(Num.Fixed(b.QuoteVolume, 5));
        w.WriteNumberValue(b.Count);
        w.WriteStringValue(Num.Qty(spec, b.TakerBuyVolume));
        w.WriteStringValue(Num.Fixed(b.TakerBuyQuoteVolume, 5));
        w.WriteStringValue("0");
        w.WriteEndArray();
    }

    /// <summary>Candles of any interval built from the one-minute bars (weeks start on Monday, as on the venue).</summary>
    private static List<Bar> Aggregate(MarketSymbol s, long interval, long now)
    {
        s.CurrentBar(now);
        var result = new List<Bar>();
        var offset = interval == 604_800_000 ? 4 * 86_400_000L : 0L;
        foreach (var m in s.Bars)
        {
            if (m.OpenTime > now)
            {
                break;
            }

            var open = m.OpenTime - ((((m.OpenTime - offset) % interval) + interval) % interval);
            if (interval == 60_000)
            {
                result.Add(m);
                continue;
            }

            if (result.Count == 0 || result[^1].OpenTime != open)
            {
                result.Add(new Bar { OpenTime = open, Open = m.Open, High = m.High, Low = m.Low, Close = m.Close, FirstTradeId = m.FirstTradeId });
            }

            var b = result[^1];
            b.High = Math.Max(b.High, m.High);
            b.Low = Math.Min(b.Low, m.Low);
            b.Close = m.Close;
            b.Volume += m.Volume;
            b.QuoteVolume += m.QuoteVolume;
            b.TakerBuyVolume += m.TakerBuyVolume;
            b.TakerBuyQuoteVolume += m.TakerBuyQuoteVolume;
            b.Count += m.Count;
            b.LastTradeId = m.LastTradeId;
        }

        return result;
    }

    private Reply Depth(RequestParams p)
    {
        var s = Symbol(p);
        var asked = p.Long("limit") ?? 500;
        var limit = DepthLimits.FirstOrDefault(l => l >= asked);
        if (asked < 1 || limit == 0)
        {
            throw VenueException.Bad(-1130, "Data sent for parameter 'limit' is not valid.");
        }

        var bids = new List<Level>(limit);
        var asks = new List<Level>(limit);
        lock (_venue.Gate)
        {
            s.Levels(limit, bids, asks);
            var updateId = s.UpdateId;
            var t = s.LastEventTime;
            var now = _venue.Now;
            return Json(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("lastUpdateId", updateId);
                w.WriteNumber("E", now);
                w.WriteNumber("T", t);
                WriteLevels(w, "bids", s.Spec, bids);
                WriteLevels(w, "asks", s.Spec, asks);
                w.WriteEndObject();
            });
        }
    }

    internal static void WriteLevels(Utf8JsonWriter w, string name, SymbolSpec spec, List<Level> levels)
    {
        w.WritePropertyName(name);
        w.WriteStartArray();
        foreach (var l in levels)
        {
            w.WriteStartArray();
            w.WriteStringValue(Num.Price(spec, l.Price));
            w.WriteStringValue(Num.Qty(spec, l.Quantity));
            w.WriteEndArray();
        }

        w.WriteEndArray();
    }

    private void BookTicker(Utf8JsonWriter w, MarketSymbol s)
    {
        var spec = s.Spec;
        w.WriteStartObject();
        w.WriteString("symbol", spec.Symbol);
        w.WriteString("bidPrice", Num.Price(spec, s.BestBid));
        w.WriteString("bidQty", Num.Qty(spec, s.QuantityAt(s.BestBid, bid: true)));
        w.WriteString("askPrice", Num.Price(spec, s.BestAsk));
        w.WriteString("askQty", Num.Qty(spec, s.QuantityAt(s.BestAsk, bid: false)));
        w.WriteNumber("time", s.LastEventTime);
        w.WriteEndObject();
    }

    private void TickerPrice(Utf8JsonWriter w, MarketSymbol s)
    {
        w.WriteStartObject();
        w.WriteString("symbol", s.Spec.Symbol);
        w.WriteString("price", Num.Price(s.Spec, s.Last));
        w.WriteNumber("time", s.LastEventTime);
        w.WriteEndObject();
    }

    private void Ticker24h(Utf8JsonWriter w, MarketSymbol s)
    {
        var spec = s.Spec;
        var now = _venue.Now;
        var from = now - 86_400_000;
        decimal open = 0, high = 0, low = decimal.MaxValue, vol = 0, quote = 0;
        long count = 0, firstId = -1, lastId = -1;
        var any = false;
        foreach (var b in s.Bars)
        {
            if (b.OpenTime < from - 59_999 || b.OpenTime > now)
            {
                continue;
            }

            if (!any)
            {
                open = b.Open;
                any = true;
            }

            high = Math.Max(high, b.High);
            low = Math.Min(low, b.Low);
            vol += b.Volume;
            quote += b.QuoteVolume;
            count += b.Count;
            if (b.FirstTradeId >= 0 && firstId < 0)
            {
                firstId = b.FirstTradeId;
            }

            if (b.LastTradeId >= 0)
            {
                lastId = b.LastTradeId;
            }
        }

        if (!any)
        {
            open = high = low = s.Last;
        }

        var change = s.Last - open;
        w.WriteStartObject();
        w.WriteString("symbol", spec.Symbol);
        w.WriteString("priceChange", Num.Price(spec, change));
        w.WriteString("priceChangePercent", Num.Fixed(open == 0 ? 0 : change / open * 100m, 3));
        w.WriteString("weightedAvgPrice", Num.Price(spec, vol == 0 ? s.Last : quote / vol));
        w.WriteString("lastPrice", Num.Price(spec, s.Last));
        w.WriteString("lastQty", Num.Qty(spec, spec.MinQty));
        w.WriteString("openPrice", Num.Price(spec, open));
        w.WriteString("highPrice", Num.Price(spec, high));
        w.WriteString("lowPrice", Num.Price(spec, low));
        w.WriteString("volume", Num.Qty(spec, vol));
        w.WriteString("quoteVolume", Num.Fixed(quote, 2));
        w.WriteNumber("openTime", from);
        w.WriteNumber("closeTime", now);
        w.WriteNumber("firstId", firstId);
        w.WriteNumber("lastId", lastId);
        w.WriteNumber("count", count);
        w.WriteEndObject();
    }

    private void PremiumIndex(Utf8JsonWriter w, MarketSymbol s)
    {
        var now = _venue.Now;
        w.WriteStartObject();
        w.WriteString("symbol", s.Spec.Symbol);
        w.WriteString("markPrice", Num.Fixed(s.MarkPrice, 8));
        w.WriteString("indexPrice", Num.Fixed(s.IndexPrice, 8));
        w.WriteString("estimatedSettlePrice", Num.Fixed(s.IndexPrice, 8));
        w.WriteString("lastFundingRate", "0.00010000");
        w.WriteString("interestRate", "0.00010000");
        w.WriteNumber("nextFundingTime", NextFunding(now));
        w.WriteNumber("time", now);
        w.WriteEndObject();
    }

    internal static long NextFunding(long now) => now - (now % 28_800_000) + 28_800_000;
}
