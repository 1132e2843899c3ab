using System.Diagnostics;
using System.Text;
using CsCheck;
using Engine.Feed.Parsing;
using Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tests.Feed.Parsing;

/// <summary>
/// Values that parse but cannot be true are refused (outcome Refused, counted per reason), whichever path reads the
/// frame (the fast scanner, or the reader when a string holds an escape), and the values that are legal at the
/// boundary of each rule still make events.
/// </summary>
public sealed class ParserRefusalTests
{
    private const long Now = 1_700_000_000_000;

    private readonly SymbolTable _symbols = CapturedFrames.SymbolTable();

    public static TheoryData<string, FrameRefusal> Impossible => new()
    {
        // trades (aggTrade and raw trade): price and quantity above zero, ids not negative
        { Trade(p: "0"), FrameRefusal.Price },
        { Trade(p: "-0"), FrameRefusal.Price },
        { Trade(p: "0.00000000"), FrameRefusal.Price },
        { Trade(p: "-1.5"), FrameRefusal.Price },
        { Trade(q: "0"), FrameRefusal.Quantity },
        { Trade(q: "-0.001"), FrameRefusal.Quantity },
        { Trade(a: "-1"), FrameRefusal.Id },
        { Trade(f: "106"), FrameRefusal.Id },
        { RawTrade(p: "0"), FrameRefusal.Price },
        { RawTrade(q: "0.00000000"), FrameRefusal.Quantity },
        { RawTrade(t: "-5"), FrameRefusal.Id },

        // klines: open, high, low and close above zero; volumes not negative; open and close within low..high
        { Kline(o: "0"), FrameRefusal.Price },
        { Kline(h: "-0"), FrameRefusal.Price },
        { Kline(l: "0.00000000"), FrameRefusal.Price },
        { Kline(c: "-2"), FrameRefusal.Price },
        { Kline(v: "-1"), FrameRefusal.Quantity },
        { Kline(qv: "-0.5"), FrameRefusal.Quantity },
        { Kline(l: "0.0021"), FrameRefusal.KlineRange },
        { Kline(h: "0.0012"), FrameRefusal.KlineRange },

        // book tickers: both prices and both quantities above zero, update id not negative
        { Book(b: "0"), FrameRefusal.Price },
        { Book(a: "-0"), FrameRefusal.Price },
        { Book(bq: "0"), FrameRefusal.Quantity },
        { Book(aq: "0.00000000"), FrameRefusal.Quantity },
        { Book(u: "-1"), FrameRefusal.Id },

        // mark prices: the mark above zero, index and settle not negative
        { Mark(p: "0"), FrameRefusal.Price },
        { Mark(p: "-0.00000000"), FrameRefusal.Price },
        { Mark(i: "-1"), FrameRefusal.Price },
        { Mark(settle: "-1"), FrameRefusal.Price },
    };

    public static TheoryData<string> Legal => new()
    {
        Trade(p: "0.00000001", q: "0.00000001"),
        Kline(v: "0", qv: "0", n: "0"),
        Kline(o: "0.0015", c: "0.0025"),
        Mark(i: "0", settle: "0"),
        Mark(r: "-0.00375"),
        Book(),
        Trade(f: "105"),
    };

    [Theory]
    [MemberData(nameof(Impossible))]
    public void An_impossible_value_is_refused_for_its_reason_on_either_path(string frame, FrameRefusal reason)
    {
        foreach (var bytes in new[] { Encoding.UTF8.GetBytes(frame), Escaped(frame) })
        {
            var counters = new FrameCounters();
            var refusals = new FeedRefusals(_symbols);
            var parser = new StreamFrameParser(_symbols, counters, NullLogger.Instance, null, refusals);
            var evt = default(MarketEvent);
            Assert.Equal(FrameOutcome.Refused, parser.Parse(bytes, 1, ref evt));
            Assert.Equal(1, counters.Of(reason));
            Assert.Equal(1, counters.Of(FrameOutcome.Refused));
            Assert.Equal(0, counters.Of(FrameOutcome.Event));
            Assert.Equal(1, refusals.Of(reason));
            Assert.True(_symbols.TryGet("BTCUSDT"u8, out var btc));
            Assert.Equal(btc, evt.Symbol);
            Assert.Equal(1, refusals.Of(btc));
            Assert.Equal(reason, refusals.LastOf(btc).Reason);
        }
    }

    [Theory]
    [MemberData(nameof(Legal))]
    public void The_legal_edge_of_every_rule_is_an_event(string frame)
    {
        var counters = new FrameCounters();
        var parser = new StreamFrameParser(_symbols, counters, NullLogger.Instance);
        var evt = default(MarketEvent);
        Assert.Equal(FrameOutcome.Event, parser.Parse(Encoding.UTF8.GetBytes(frame), 1, ref evt));
        Assert.Equal(FrameOutcome.Event, parser.Parse(Escaped(frame), 1, ref evt));
    }

    [Fact]
    public void A_negative_trade_count_stays_malformed()
    {
        var counters = new FrameCounters();
        var parser = new StreamFrameParser(_symbols, counters, NullLogger.Instance);
        var evt = default(MarketEvent);
        Assert.Equal(FrameOutcome.Malformed, parser.Parse(Encoding.UTF8.GetBytes(Kline(n: "-1")), 1, ref evt));
        Assert.Equal(1, counters.Of(FrameProblem.NegativeValue));
    }

    [Fact]
    public void Event_times_farther_from_the_venue_clock_than_the_skew_are_refused_either_way()
    {
        var venueNow = Now;
        var counters = new FrameCounters();
        var parser = new StreamFrameParser(_symbols, counters, NullLogger.Instance, new EventTimeWindow(() => venueNow, TimeSpan.FromMinutes(5)), null);
        var evt = default(MarketEvent);
        var received = Stopwatch.GetTimestamp();
        FrameOutcome At(long time, string kind) => parser.Parse(Encoding.UTF8.GetBytes(kind switch
        {
            "trade" => Trade(time: time),
            "kline" => Kline(time: time),
            "book" => Book(time: time),
            _ => Mark(time: time),
        }), received, ref evt);

        foreach (var kind in new[] { "trade", "kline", "book", "mark" })
        {
            Assert.Equal(FrameOutcome.Event, At(Now, kind));
            Assert.Equal(FrameOutcome.Event, At(Now - 300_000, kind));
            Assert.Equal(FrameOutcome.Event, At(Now + 300_000, kind));
            Assert.Equal(FrameOutcome.Refused, At(Now - 300_001, kind));
            Assert.Equal(FrameOutcome.Refused, At(Now + 300_001, kind));
            Assert.Equal(FrameOutcome.Refused, At(0, kind));
            Assert.Equal(FrameOutcome.Refused, At(long.MaxValue, kind));
            Assert.Equal(FrameOutcome.Refused, At(long.MinValue, kind));
        }

        Assert.Equal(4 * 5, counters.Of(FrameRefusal.EventTime));
    }

    [Fact]
    public void The_window_follows_the_venue_clock_between_its_readings()
    {
        var reads = 0;
        var window = new EventTimeWindow(() => { reads++; return Now; }, TimeSpan.FromSeconds(1));
        var start = Stopwatch.GetTimestamp();
        var fiftyMs = Stopwatch.Frequency / 20;

        // 50 ms after the reading the venue's time is Now + 50 ms, without reading the clock again.
        Assert.True(window.Accepts(Now, start));
        Assert.True(window.Accepts(Now + 1050, start + fiftyMs));
        Assert.False(window.Accepts(Now + 1051, start + fiftyMs));
        Assert.False(window.Accepts(Now - 951, start + fiftyMs));
        Assert.Equal(1, reads);

        // 100 ms after the reading (or at an earlier timestamp) the clock is read again.
        Assert.True(window.Accepts(Now, start + (3 * fiftyMs)));
        Assert.Equal(2, reads);
        Assert.True(window.Accepts(Now, start));
        Assert.Equal(3, reads);
    }

    [Fact]
    public void Any_price_or_quantity_of_zero_or_below_is_refused_and_any_above_is_an_event()
    {
        var parser = new StreamFrameParser(_symbols, new FrameCounters(), NullLogger.Instance);
        var mantissa = Gen.Long[-100_000_000_000_000, 100_000_000_000_000];
        Gen.Select(mantissa, mantissa, Gen.Int[0, 3]).Sample((price, quantity, kind) =>
        {
            var p = Decimal(price);
            var q = Decimal(quantity);
            var frame = kind switch
            {
                0 => Trade(p: p, q: q),
                1 => RawTrade(p: p, q: q),
                2 => Book(b: p, bq: q),
                _ => Mark(p: p, i: q.TrimStart('-')),
            };
            var evt = default(MarketEvent);
            var outcome = parser.Parse(Encoding.UTF8.GetBytes(frame), 1, ref evt);
            var possible = price > 0 && (quantity > 0 || kind == 3);
            return outcome == (possible ? FrameOutcome.Event : FrameOutcome.Refused);
        }, iter: 20_000, threads: 1);
    }

    internal static string Trade(string p = "0.001", string q = "100", string a = "5933014", string f = "100", long time = Now) =>
        $$$"""{"e":"aggTrade","E":{{{time + 4}}},"s":"BTCUSDT","a":{{{a}}},"p":"{{{p}}}","q":"{{{q}}}","nq":"100","f":{{{f}}},"l":105,"T":{{{time}}},"m":true}""";

    internal static string RawTrade(string p = "64000.10", string q = "0.002", string t = "5057297316", long time = Now) =>
        $$$"""{"stream":"btcusdt@trade","data":{"e":"trade","E":{{{time}}},"T":{{{time}}},"s":"BTCUSDT","t":{{{t}}},"p":"{{{p}}}","q":"{{{q}}}","X":"MARKET","m":false}}""";

    internal static string Kline(string o = "0.0010", string h = "0.0025", string l = "0.0010", string c = "0.0020", string v = "1000", string qv = "1.0000", string n = "100", long time = Now) =>
        $$$"""{"e":"kline","E":{{{time}}},"s":"BTCUSDT","k":{"t":{{{time - 60_000}}},"T":{{{time - 1}}},"s":"BTCUSDT","i":"1m","f":100,"L":200,"o":"{{{o}}}","c":"{{{c}}}","h":"{{{h}}}","l":"{{{l}}}","v":"{{{v}}}","n":{{{n}}},"x":false,"q":"{{{qv}}}","V":"500","Q":"0.500","B":"123456"}}""";

    internal static string Book(string b = "25.35190000", string bq = "31.21000000", string a = "25.36520000", string aq = "40.66000000", string u = "400900217", long time = Now) =>
        $$$"""{"e":"bookTicker","u":{{{u}}},"E":{{{time}}},"T":{{{time}}},"s":"BTCUSDT","b":"{{{b}}}","B":"{{{bq}}}","a":"{{{a}}}","A":"{{{aq}}}"}""";

    internal static string Mark(string p = "11794.15000000", string i = "11784.62659091", string settle = "11784.25641265", string r = "0.00038167", long time = Now) =>
        $$$"""{"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate","E":{{{time}}},"s":"BTCUSDT","p":"{{{p}}}","ap":"{{{p}}}","i":"{{{i}}}","P":"{{{settle}}}","r":"{{{r}}}","T":1562306400000}}""";

    private static string Decimal(long mantissa) =>
        (mantissa / 100_000_000m).ToString("0.########", System.Globalization.CultureInfo.InvariantCulture);

    // The symbol's first letter as a \u escape: valid JSON the fast scanner leaves to the reader.
    private static byte[] Escaped(string frame) => Encoding.UTF8.GetBytes(frame.Replace("\"BTCUSDT\"", "\"\\u0042TCUSDT\"", StringComparison.Ordinal));
}
