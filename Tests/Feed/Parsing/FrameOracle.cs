using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Engine.Feed.Parsing;
using Engine.Model;

namespace Tests.Feed.Parsing;

/// <summary>
/// What a frame must parse to, derived independently of the parser: <see cref="JsonDocument"/> for the structure,
/// <see cref="decimal"/> and a regular expression for the numbers, the rules written out from the parser's
/// documentation (docs/ARCHITECTURE.md, "Feed: parser and replay") rather than from its code.
/// </summary>
internal static partial class FrameOracle
{
    private static readonly HashSet<string> _payloadNames =
        [.. "eETsapqflmtXubBAiPrk".Select(c => c.ToString()), "stream", "data", "result", "id", "code", "msg"];

    private static readonly HashSet<string> _klineNames = [.. "tiochlvnxq".Select(c => c.ToString())];

    private static readonly HashSet<string> _unusedEvents =
        ["24hrTicker", "24hrMiniTicker", "forceOrder", "continuous_kline", "compositeIndex", "contractInfo", "assetIndexUpdate"];

    public readonly record struct Expectation(FrameOutcome Outcome, MarketEvent Event, string Why, FrameRefusal Reason = FrameRefusal.None);

    public static Expectation Derive(byte[] frame, SymbolTable symbols, long received)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(frame);
        }
        catch (JsonException e)
        {
            return Fail(FrameOutcome.Malformed, "invalid JSON: " + e.Message);
        }

        using (document)
        {
            try
            {
                return Derive(document.RootElement, symbols, received);
            }
            catch (InvalidOperationException e)
            {
                // A string whose escapes do not decode (GetString refuses it); the parser cannot read it either.
                return Fail(FrameOutcome.Malformed, "undecodable string: " + e.Message);
            }
        }
    }

    private static Expectation Derive(JsonElement root, SymbolTable symbols, long received)
    {
        if (root.ValueKind == JsonValueKind.Array)
        {
            return Fail(FrameOutcome.UnknownStream, "array frame");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return Fail(FrameOutcome.Malformed, "not an object");
        }

        // Objects the parser reads: the frame, its data, and the kline object under either.
        var read = new List<(JsonElement Object, HashSet<string> Names)> { (root, _payloadNames) };
        var rootData = Get(root, "data");
        if (rootData is { ValueKind: JsonValueKind.Object } d)
        {
            read.Add((d, _payloadNames));
            if (Get(d, "k") is { ValueKind: JsonValueKind.Object } dk)
            {
                read.Add((dk, _klineNames));
            }
        }

        if (Get(root, "k") is { ValueKind: JsonValueKind.Object } rk)
        {
            read.Add((rk, _klineNames));
        }

        foreach (var (obj, names) in read)
        {
            var seen = new HashSet<string>();
            foreach (var property in obj.EnumerateObject())
            {
                string name;
                try
                {
                    name = property.Name;
                }
                catch (InvalidOperationException)
                {
                    continue;
                }

                if (names.Contains(name) && !seen.Add(name))
                {
                    return Fail(FrameOutcome.Malformed, "duplicate " + name);
                }
            }
        }

        var payload = root;
        if (rootData is { } data)
        {
            if (Get(root, "stream") is { } stream && stream.ValueKind != JsonValueKind.String)
            {
                return Fail(FrameOutcome.Malformed, "stream not a string");
            }

            if (data.ValueKind == JsonValueKind.Array)
            {
                return Fail(FrameOutcome.UnknownStream, "array data");
            }

            if (data.ValueKind != JsonValueKind.Object)
            {
                return Fail(FrameOutcome.Malformed, "data not an object");
            }

            payload = data;
        }
        else if (Get(root, "e") is null)
        {
            if (Get(root, "result") is not null || Get(root, "id") is not null)
            {
                return Fail(FrameOutcome.Skipped, "reply");
            }

            if (Get(root, "code") is not null)
            {
                return Fail(FrameOutcome.Skipped, "error reply");
            }
        }

        if (Get(payload, "e") is not { } e)
        {
            return Fail(FrameOutcome.UnknownStream, "no e");
        }

        if (e.ValueKind != JsonValueKind.String)
        {
            return Fail(FrameOutcome.Malformed, "e not a string");
        }

        var type = Text(e);
        if (type == "depthUpdate" || _unusedEvents.Contains(type))
        {
            return Fail(FrameOutcome.Skipped, type);
        }

        if (type is not ("aggTrade" or "trade" or "kline" or "bookTicker" or "markPriceUpdate"))
        {
            return Fail(FrameOutcome.UnknownStream, "unknown e " + type);
        }

        if (Get(payload, "s") is not { ValueKind: JsonValueKind.String } s)
        {
            return Fail(FrameOutcome.Malformed, "s missing or not a string");
        }

        if (!symbols.TryGet(System.Text.Encoding.UTF8.GetBytes(Text(s)), out var symbol))
        {
            return Fail(FrameOutcome.UnknownSymbol, "symbol " + Text(s));
        }

        if (!Long(payload, "E", out var eventTime))
        {
            return Fail(FrameOutcome.Malformed, "E");
        }

        var evt = default(MarketEvent);
        switch (type)
        {
            case "aggTrade":
                if (!Long(payload, "T", out var time) || !Long(payload, "a", out var id) || !Fixed(payload, "p", true, out var price)
                    || !Fixed(payload, "q", true, out var quantity) || !Long(payload, "f", out var first) || !Long(payload, "l", out var last)
                    || !Bool(payload, "m", out var maker))
                {
                    return Fail(FrameOutcome.Malformed, "aggTrade field");
                }

                evt.Begin(MarketEventKind.Trade, symbol, time, received);
                evt.Trade = new TradeData
                {
                    Price = Price.FromMantissa(price), Quantity = Quantity.FromMantissa(quantity), TradeId = id,
                    FirstTradeId = first, LastTradeId = last, BuyerIsMaker = maker,
                };
                break;
            case "trade":
                if (Get(payload, "X") is not { ValueKind: JsonValueKind.String } x)
                {
                    return Fail(FrameOutcome.Malformed, "X");
                }

                if (Text(x) != "MARKET")
                {
                    return Fail(FrameOutcome.Skipped, "non-market trade");
                }

                if (!Long(payload, "T", out var tradeTime) || !Long(payload, "t", out var tradeId) || !Fixed(payload, "p", true, out var tradePrice)
                    || !Fixed(payload, "q", true, out var tradeQuantity) || !Bool(payload, "m", out var tradeMaker))
                {
                    return Fail(FrameOutcome.Malformed, "trade field");
                }

                evt.Begin(MarketEventKind.Trade, symbol, tradeTime, received);
                evt.Trade = new TradeData
                {
                    Price = Price.FromMantissa(tradePrice), Quantity = Quantity.FromMantissa(tradeQuantity), TradeId = tradeId,
                    FirstTradeId = tradeId, LastTradeId = tradeId, BuyerIsMaker = tradeMaker,
                };
                break;
            case "kline":
                if (Get(payload, "k") is not { ValueKind: JsonValueKind.Object } k)
                {
                    return Fail(FrameOutcome.Malformed, "k");
                }

                if (Get(k, "i") is not { ValueKind: JsonValueKind.String } i)
                {
                    return Fail(FrameOutcome.Malformed, "i");
                }

                var minutes = Minutes(Text(i));
                if (minutes is < 1 or > 65535)
                {
                    return Fail(FrameOutcome.Skipped, "interval");
                }

                if (!Long(k, "t", out var openTime) || !Fixed(k, "o", true, out var open) || !Fixed(k, "h", true, out var high)
                    || !Fixed(k, "l", true, out var low) || !Fixed(k, "c", true, out var close) || !Fixed(k, "v", true, out var volume)
                    || !Fixed(k, "q", true, out var quoteVolume) || Get(k, "n") is not { ValueKind: JsonValueKind.Number } n
                    || !n.TryGetInt32(out var count) || count < 0 || !Bool(k, "x", out var closed))
                {
                    return Fail(FrameOutcome.Malformed, "kline field");
                }

                evt.Begin(MarketEventKind.Candle, symbol, eventTime, received);
                evt.Candle = new CandleData
                {
                    OpenTimeMs = openTime, Open = Price.FromMantissa(open), High = Price.FromMantissa(high), Low = Price.FromMantissa(low),
                    Close = Price.FromMantissa(close), Volume = Quantity.FromMantissa(volume), QuoteVolume = Notional.FromMantissa(quoteVolume),
                    TradeCount = count, IntervalMinutes = (ushort)minutes, IsClosed = closed, IsBackfilled = false,
                };
                break;
            case "bookTicker":
                if (!Long(payload, "u", out var update) || !Fixed(payload, "b", true, out var bid) || !Fixed(payload, "B", true, out var bidQuantity)
                    || !Fixed(payload, "a", true, out var ask) || !Fixed(payload, "A", true, out var askQuantity))
                {
                    return Fail(FrameOutcome.Malformed, "bookTicker field");
                }

                evt.Begin(MarketEventKind.Quote, symbol, eventTime, received);
                evt.Quote = new QuoteData
                {
                    BidPrice = Price.FromMantissa(bid), BidQuantity = Quantity.FromMantissa(bidQuantity), AskPrice = Price.FromMantissa(ask),
                    AskQuantity = Quantity.FromMantissa(askQuantity), UpdateId = update,
                };
                break;
            default:
                long funding = 0;
                var emptyRate = Get(payload, "r") is { ValueKind: JsonValueKind.String } r && Text(r).Length == 0;
                if (!Fixed(payload, "p", true, out var mark) || !Fixed(payload, "i", true, out var index) || !Fixed(payload, "P", true, out var settle)
                    || !(emptyRate || Fixed(payload, "r", true, out funding)) || !Long(payload, "T", out var nextFunding))
                {
                    return Fail(FrameOutcome.Malformed, "markPriceUpdate field");
                }

                evt.Begin(MarketEventKind.MarkPrice, symbol, eventTime, received);
                evt.MarkPrice = new MarkPriceData
                {
                    MarkPrice = Price.FromMantissa(mark), IndexPrice = Price.FromMantissa(index), EstimatedSettlePrice = Price.FromMantissa(settle),
                    FundingRate = funding, NextFundingTimeMs = nextFunding,
                };
                break;
        }

        var reason = Refusal(in evt);
        return reason == FrameRefusal.None ? new Expectation(FrameOutcome.Event, evt, type) : new Expectation(FrameOutcome.Refused, evt, "refused " + type, reason);
    }

    /// <summary>
    /// The values no venue can send (docs/ARCHITECTURE.md, "The frame parser"): ids below zero (and an aggregate
    /// trade's first id after its last); prices of zero or below (a kline's four, bid, ask, mark; index and settle
    /// below zero); trade, bid and ask quantities of zero or below and kline volumes below zero; a kline's open or
    /// close outside its low..high. Without a venue clock the event time is not judged.
    /// </summary>
    private static FrameRefusal Refusal(in MarketEvent evt)
    {
        switch (evt.Kind)
        {
            case MarketEventKind.Trade:
                var t = evt.Trade;
                return t.TradeId < 0 || t.FirstTradeId < 0 || t.FirstTradeId > t.LastTradeId ? FrameRefusal.Id
                    : t.Price.Mantissa <= 0 ? FrameRefusal.Price
                    : t.Quantity.Mantissa <= 0 ? FrameRefusal.Quantity
                    : FrameRefusal.None;
            case MarketEventKind.Candle:
                var c = evt.Candle;
                long[] prices = [c.Open.Mantissa, c.High.Mantissa, c.Low.Mantissa, c.Close.Mantissa];
                return prices.Any(p => p <= 0) ? FrameRefusal.Price
                    : c.Volume.Mantissa < 0 || c.QuoteVolume.Mantissa < 0 ? FrameRefusal.Quantity
                    : c.Low.Mantissa > Math.Min(c.Open.Mantissa, c.Close.Mantissa) || c.High.Mantissa < Math.Max(c.Open.Mantissa, c.Close.Mantissa) ? FrameRefusal.KlineRange
                    : FrameRefusal.None;
            case MarketEventKind.Quote:
                var q = evt.Quote;
                return q.UpdateId < 0 ? FrameRefusal.Id
                    : q.BidPrice.Mantissa <= 0 || q.AskPrice.Mantissa <= 0 ? FrameRefusal.Price
                    : q.BidQuantity.Mantissa <= 0 || q.AskQuantity.Mantissa <= 0 ? FrameRefusal.Quantity
                    : FrameRefusal.None;
            default:
                var m = evt.MarkPrice;
                return m.MarkPrice.Mantissa <= 0 || m.IndexPrice.Mantissa < 0 || m.EstimatedSettlePrice.Mantissa < 0 ? FrameRefusal.Price : FrameRefusal.None;
        }
    }

    /// <summary>Asserts the parsed event has exactly the header and payload fields the oracle expects.</summary>
    public static void AssertSame(in MarketEvent expected, in MarketEvent actual, string context)
    {
        Assert.True(expected.Kind == actual.Kind, $"{context}: kind {actual.Kind}, expected {expected.Kind}");
        Assert.True(expected.Symbol == actual.Symbol, $"{context}: symbol");
        Assert.True(expected.ExchangeTimeMs == actual.ExchangeTimeMs, $"{context}: time {actual.ExchangeTimeMs}, expected {expected.ExchangeTimeMs}");
        Assert.True(expected.ReceivedTimestamp == actual.ReceivedTimestamp, $"{context}: received");
        Assert.True(actual.IntentCount == 0 && actual.Notes == BrainNotes.None, $"{context}: header not reset");
        var same = expected.Kind switch
        {
            MarketEventKind.Trade => expected.Trade.Equals(actual.Trade),
            MarketEventKind.Quote => expected.Quote.Equals(actual.Quote),
            MarketEventKind.Candle => expected.Candle.Equals(actual.Candle),
            MarketEventKind.MarkPrice => expected.MarkPrice.Equals(actual.MarkPrice),
            _ => false,
        };
        Assert.True(same, $"{context}: payload differs");
    }

    /// <summary>
    /// A string's text; raw bytes that are not UTF-8 (the reader does not validate them) read as text that equals no
    /// word and no number, as the parser compares bytes. Escapes that do not decode throw, as for the parser.
    /// </summary>
    private static string Text(JsonElement element)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException) when (!JsonMarshal.GetRawUtf8Value(element).Contains((byte)'\\'))
        {
            return "\uFFFF(not UTF-8)";
        }
    }

    private static Expectation Fail(FrameOutcome outcome, string why) => new(outcome, default, why);

    private static JsonElement? Get(JsonElement obj, string name)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (property.NameEquals(name))
            {
                return property.Value;
            }
        }

        return null;
    }

    private static bool Long(JsonElement obj, string name, out long value)
    {
        value = 0;
        return Get(obj, name) is { ValueKind: JsonValueKind.Number } n && n.TryGetInt64(out value);
    }

    private static bool Bool(JsonElement obj, string name, out bool value)
    {
        var element = Get(obj, name);
        value = element is { ValueKind: JsonValueKind.True };
        return element is { ValueKind: JsonValueKind.True or JsonValueKind.False };
    }

    /// <summary>Plain decimal text to a scale-8 mantissa through System.Decimal: exact, no exponent, 8 decimals unless the rest are zeros.</summary>
    private static bool Fixed(JsonElement obj, string name, bool allowNegative, out long mantissa)
    {
        mantissa = 0;
        if (Get(obj, name) is not { ValueKind: JsonValueKind.String } element)
        {
            return false;
        }

        var text = Text(element);
        var match = PlainDecimal().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var fraction = match.Groups["fraction"].Value;
        if (fraction.Length > 8)
        {
            if (fraction[8..].Any(c => c != '0'))
            {
                return false;
            }

            fraction = fraction[..8];
        }

        var integer = match.Groups["integer"].Value.TrimStart('0');
        if (integer.Length > 12)
        {
            return false;
        }

        var value = decimal.Parse(
            string.Concat(match.Groups["sign"].Value, integer.Length == 0 ? "0" : integer, fraction.Length > 0 ? "." + fraction : ""),
            NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
            CultureInfo.InvariantCulture) * 100_000_000m;
        if (value > long.MaxValue || value < long.MinValue)
        {
            return false;
        }

        mantissa = (long)value;
        return allowNegative || mantissa >= 0;
    }

    private static int Minutes(string interval)
    {
        var match = Interval().Match(interval);
        if (!match.Success)
        {
            return 0;
        }

        var unit = match.Groups["unit"].Value switch
        {
            "m" => 1,
            "h" => 60,
            "d" => 1440,
            _ => 10080,
        };
        return (int)Math.Min(int.MaxValue, long.Parse(match.Groups["count"].Value, CultureInfo.InvariantCulture) * unit);
    }

    [GeneratedRegex("^(?<sign>-?)(?<integer>[0-9]+)(\\.(?<fraction>[0-9]+))?$")]
    private static partial Regex PlainDecimal();

    [GeneratedRegex("^(?<count>[1-9][0-9]{0,4})(?<unit>[mhdw])$")]
    private static partial Regex Interval();
}
