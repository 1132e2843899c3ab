using System.Diagnostics;
using System.Text;
using Engine.Exchange.UserData;
using Engine.Feed.Parsing;
using Engine.Feed.WebSocket;
using Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Benchmarks.Fuzz;

/// <summary>One seed frame, exactly as it arrived, and when it arrived (the venue clock the parser judges it by).</summary>
internal sealed record FuzzSeed(byte[] Frame, long VenueNowMs);

/// <summary>What a fuzzing run did and found.</summary>
internal sealed class FuzzReport
{
    public long Inputs { get; set; }

    public long MarketInputs { get; set; }

    public long UserInputs { get; set; }

    /// <summary>Exceptions that escaped a parser.</summary>
    public long Crashes { get; set; }

    /// <summary>Events published (by the parser, then the per-symbol sequencing) that carry a value no venue can send.</summary>
    public long Impossible { get; set; }

    public Dictionary<FrameOutcome, long> MarketOutcomes { get; } = [];

    public Dictionary<FrameRefusal, long> Refusals { get; } = [];

    public Dictionary<IdVerdict, long> Sequencing { get; } = [];

    public Dictionary<UserDataFrameKind, long> UserOutcomes { get; } = [];

    public long ReaderPasses { get; set; }

    public List<string> Failures { get; } = [];

    public TimeSpan Elapsed { get; set; }
}

/// <summary>
/// A seeded, mutation-based fuzzer of the market-stream frame parser and the user-data parser. Each input is a real
/// captured frame (or a documented one) changed by one or two mutations: bit flips, byte insertions and deletions,
/// truncation, splices of two frames, a duplicated field, a digit nudged, or a field's value replaced by one of the
/// values hostile venues send (0, -0, 0.00000000, negative amounts, 9e18, ids at the long limits, event times at and
/// beyond the allowed skew, wrong JSON types, escapes). Every input must parse without an exception, and every event
/// the parser publishes (followed, for market data, by the feed's per-symbol id sequencing) is checked for impossible
/// values: prices and required quantities above zero, klines within their range, event times within the skew of the
/// venue clock, ids not negative and within the jump of the symbol's last, fills at a price above zero.
/// </summary>
internal static class FrameFuzzer
{
    /// <summary>The skew the fuzzed parsers allow (the engine's default).</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    private const long MaxIdJump = 1_000_000_000;
    private const int ResyncFrames = 3;
    private const int MaxFailuresKept = 20;

    private static readonly byte[] s_palette = Encoding.ASCII.GetBytes("{}[]\":,.-+0123456789eEtfnulr \\/abxyzPTsmqXk\t\n");

    private static readonly string[] s_values =
    [
        "\"0\"", "\"-0\"", "\"0.00000000\"", "\"-0.00000001\"", "\"0.00000001\"", "\"-1\"", "\"-1.5\"", "\"1e5\"", "\"\"",
        "\"92233720368.54775807\"", "\"92233720368.54775808\"", "\"99999999999\"", "\"1.000000001\"", "\" 5\"", "\"1\"", "\"0.0001\"", "\"100000\"", "\"64000.1\"", "\"\\u0030\"",
        "\"1\\u002e5\"", "\"MARKET\"", "\"BTCUSDT\"", "\"1m\"", "\"1s\"", "\"x\"",
        "0", "-0", "-1", "1", "9e18", "9000000000000000000", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
        "1.5", "1e3", "null", "true", "false", "{}", "[]", "{\"a\":1}", "[1,2]",
    ];

    /// <summary>The symbols of the captures in Tests/Data.</summary>
    public static readonly string[] Symbols = ["SUSHIUSDT", "AKROUSDT", "KEEPUSDT", "CTKUSDT", "BTCUSDT", "ETHUSDT"];

    /// <summary>
    /// Documented user-data frames (Binance's examples, BINANCE_USDM.md §11, as the parser's tests use them): an order
    /// update with a fill, a new order, an account update with balances and positions, a listen key's expiry and
    /// the events the engine ignores.
    /// </summary>
    public static readonly byte[][] UserCorpus =
    [
        .. new[]
        {
            """{"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{"s":"BTCUSDT","c":"e17000000042","S":"SELL","o":"LIMIT","f":"GTC","q":"0.003","p":"60000.1","ap":"60000.10000","sp":"0","x":"TRADE","X":"PARTIALLY_FILLED","i":8886774,"l":"0.001","z":"0.002","L":"60000.1","N":"USDT","n":"0.012","T":1568879465650,"t":77,"b":"0","a":"9.91","m":true,"R":true,"wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"BOTH","cp":false,"rp":"1.5","pP":false,"si":0,"ss":0,"V":"EXPIRE_TAKER","pm":"NONE","gtd":0,"er":"0"}}""",
            """{"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{"s":"ETHUSDT","c":"web_1","S":"BUY","o":"MARKET","f":"GTC","q":"1.000","p":"0","ap":"0","sp":"0","x":"NEW","X":"NEW","i":42,"l":"0","z":"0","L":"0","T":1568879465650,"t":0,"R":false,"ps":"BOTH"}}""",
            """{"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,"a":{"m":"ORDER","B":[{"a":"BNB","wb":"5","cw":"5","bc":"0"},{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"50.12345678"}],"P":[{"s":"BTCUSDT","pa":"20","ep":"6563.66500","bep":"0","cr":"0","up":"2850.21200","mt":"isolated","iw":"13200.70726908","ps":"BOTH"},{"s":"ETHUSDT","pa":"-1","ep":"2000","bep":"0","cr":"0","up":"-10.5","mt":"cross","iw":"0","ps":"BOTH"}]}}""",
            """{"e":"ACCOUNT_UPDATE","E":2,"T":2,"a":{"m":"FUNDING_FEE","B":[],"P":[{"s":"BTCUSDT","pa":"20","ep":"6563.665","up":"100","ps":"BOTH"}]}}""",
            """{"e":"listenKeyExpired","E":1736996475556,"listenKey":"WsCMN0a4"}""",
            """{"e":"TRADE_LITE","E":1,"T":1,"s":"BTCUSDT","q":"0.001","p":"0","m":false,"c":"z8","S":"BUY","L":"64089.20","l":"0.040","t":1,"i":1}""",
            """{"e":"ACCOUNT_CONFIG_UPDATE","E":1,"T":1,"ac":{"s":"BTCUSDT","l":25}}""",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    /// <summary>
    /// Every frame of the captures in <paramref name="dataDirectory"/> (Tests/Data: cryptofeed's fstream capture and
    /// hftbacktest's BTCUSDT and ETHUSDT captures, see Tests/Data/SOURCES.md), each with its arrival time, and
    /// Binance's documented mark-price frame, which no capture holds.
    /// </summary>
    public static List<FuzzSeed> LoadMarketCorpus(string dataDirectory)
    {
        var seeds = new List<FuzzSeed>();
        foreach (var line in File.ReadLines(Path.Combine(dataDirectory, "BINANCE_FUTURES.ws.1.0")).Skip(1))
        {
            // "<epoch s with a fraction>: <json>"
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            var seconds = double.Parse(line.AsSpan(0, colon), System.Globalization.CultureInfo.InvariantCulture);
            seeds.Add(new FuzzSeed(Encoding.UTF8.GetBytes(line[(colon + 2)..]), (long)(seconds * 1000)));
        }

        foreach (var file in new[] { "btcusdt_20240718", "ethusdt_20240718" })
        {
            foreach (var line in File.ReadLines(Path.Combine(dataDirectory, file)))
            {
                // "<receive ns> <json>"
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var nanoseconds = long.Parse(line.AsSpan(0, space), System.Globalization.CultureInfo.InvariantCulture);
                seeds.Add(new FuzzSeed(Encoding.UTF8.GetBytes(line[(space + 1)..]), nanoseconds / 1_000_000));
            }
        }

        seeds.Add(new FuzzSeed(Encoding.UTF8.GetBytes("""{"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","ap":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}}"""), 1562305380000));
        return seeds;
    }

    /// <summary>Runs <paramref name="inputs"/> fuzzed inputs, a share of <paramref name="userShare"/> of them user-data frames.</summary>
    public static FuzzReport Run(IReadOnlyList<FuzzSeed> market, IReadOnlyList<byte[]> user, long inputs, int seed, double userShare = 0.2)
    {
        ArgumentNullException.ThrowIfNull(market);
        ArgumentNullException.ThrowIfNull(user);
        var report = new FuzzReport();
        var random = new Random(seed);
        var table = new SymbolTable(64);
        foreach (var s in Symbols)
        {
            table.Add(s);
        }

        // The venue clock is the seed's arrival time; the arrival timestamp moves on by 200 ms per input, so the
        // window reads the clock for every frame.
        long venueNowMs = 0;
        var counters = new FrameCounters();
        var parser = new StreamFrameParser(table, counters, NullLogger.Instance, new EventTimeWindow(() => venueNowMs, MaxSkew), null);
        var step = Stopwatch.Frequency / 5;
        var userParser = new UserDataParser(table);
        var sequences = new IdSequence[(table.Capacity + 1) * 3];
        var buffer = new byte[1 << 16];
        var evt = default(MarketEvent);
        var received = Stopwatch.GetTimestamp();
        var userSeeds = user.Select(f => new FuzzSeed(f, 0)).ToArray();
        var cursor = 0;
        var started = Stopwatch.GetTimestamp();
        var skewMs = (long)MaxSkew.TotalMilliseconds;
        for (long n = 0; n < inputs; n++)
        {
            report.Inputs++;
            if (user.Count > 0 && random.NextDouble() < userShare)
            {
                report.UserInputs++;
                var length = Mutate(random, userSeeds, buffer);
                var frame = buffer.AsSpan(0, length);
                UserDataFrameKind kind;
                try
                {
                    kind = userParser.Parse(frame, ref evt, received);
                }
                catch (Exception e)
                {
                    Fail(report, ref n, "user-data parser threw " + e.GetType().Name, frame, crash: true);
                    continue;
                }

                report.UserOutcomes[kind] = report.UserOutcomes.GetValueOrDefault(kind) + 1;
                if (kind == UserDataFrameKind.OrderUpdate && ImpossibleOrder(in evt) is { } why)
                {
                    Fail(report, ref n, why, frame, crash: false);
                }

                continue;
            }

            report.MarketInputs++;
            // Half the time the next captured frame, so ids advance as on a live stream; else any frame.
            cursor = random.Next(2) == 0 ? (cursor + 1) % market.Count : random.Next(market.Count);
            var chosen = market[cursor];
            venueNowMs = chosen.VenueNowMs;
            var size = Mutate(random, market, buffer, chosen);
            var bytes = buffer.AsSpan(0, size);
            received += step;
            FrameOutcome outcome;
            try
            {
                outcome = parser.Parse(bytes, received, ref evt);
            }
            catch (Exception e)
            {
                Fail(report, ref n, "frame parser threw " + e.GetType().Name, bytes, crash: true);
                continue;
            }

            report.MarketOutcomes[outcome] = report.MarketOutcomes.GetValueOrDefault(outcome) + 1;
            if (outcome != FrameOutcome.Event)
            {
                continue;
            }

            if (ImpossibleEvent(in evt, table, venueNowMs, skewMs) is { } impossible)
            {
                Fail(report, ref n, impossible, bytes, crash: false);
                continue;
            }

            // The feed's per-symbol sequencing, as the session applies it: what it lets through keeps to the jump.
            var slot = (evt.Symbol.Value * 3) + evt.Kind switch { MarketEventKind.Trade => 0, MarketEventKind.Quote => 1, _ => 2 };
            if (evt.Kind is MarketEventKind.Trade or MarketEventKind.Quote)
            {
                var id = evt.Kind == MarketEventKind.Trade ? evt.Trade.TradeId : evt.Quote.UpdateId;
                var wasStarted = sequences[slot].IsStarted;
                var last = sequences[slot].Last;
                var verdict = sequences[slot].Next(id, MaxIdJump, ResyncFrames);
                report.Sequencing[verdict] = report.Sequencing.GetValueOrDefault(verdict) + 1;
                if (verdict == IdVerdict.Next && wasStarted && (id <= last || (ulong)(id - last) > MaxIdJump))
                {
                    Fail(report, ref n, $"id {id} published after {last}, beyond the jump", bytes, crash: false);
                }
            }
        }

        report.ReaderPasses = counters.ReaderPasses;
        foreach (var reason in Enum.GetValues<FrameRefusal>())
        {
            report.Refusals[reason] = counters.Of(reason);
        }

        report.Elapsed = Stopwatch.GetElapsedTime(started);
        return report;
    }

    /// <summary>Why a published market event is impossible, or null.</summary>
    public static string? ImpossibleEvent(in MarketEvent e, SymbolTable table, long venueNowMs, long skewMs)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (e.Symbol.IsNone || e.Symbol.Value > table.Count)
        {
            return "an event for a symbol outside the table";
        }

        if (e.ExchangeTimeMs < venueNowMs - skewMs || e.ExchangeTimeMs > venueNowMs + skewMs)
        {
            return $"event time {e.ExchangeTimeMs} beyond the skew of {venueNowMs}";
        }

        return e.Kind switch
        {
            MarketEventKind.Trade when e.Trade.Price.Mantissa <= 0 => "a trade at a price of zero or below",
            MarketEventKind.Trade when e.Trade.Quantity.Mantissa <= 0 => "a trade of a quantity of zero or below",
            MarketEventKind.Trade when e.Trade.TradeId < 0 || e.Trade.FirstTradeId < 0 || e.Trade.FirstTradeId > e.Trade.LastTradeId => "a trade with an impossible id",
            MarketEventKind.Candle when e.Candle.Open.Mantissa <= 0 || e.Candle.High.Mantissa <= 0 || e.Candle.Low.Mantissa <= 0 || e.Candle.Close.Mantissa <= 0 => "a kline price of zero or below",
            MarketEventKind.Candle when e.Candle.Volume.Mantissa < 0 || e.Candle.QuoteVolume.Mantissa < 0 || e.Candle.TradeCount < 0 => "a negative kline volume or count",
            MarketEventKind.Candle when e.Candle.Low > e.Candle.Open || e.Candle.Low > e.Candle.Close || e.Candle.High < e.Candle.Open || e.Candle.High < e.Candle.Close => "a kline outside its range",
            MarketEventKind.Candle when e.Candle.IntervalMinutes == 0 => "a kline of no interval",
            MarketEventKind.Quote when e.Quote.BidPrice.Mantissa <= 0 || e.Quote.AskPrice.Mantissa <= 0 => "a book price of zero or below",
            MarketEventKind.Quote when e.Quote.BidQuantity.Mantissa <= 0 || e.Quote.AskQuantity.Mantissa <= 0 => "a book quantity of zero or below",
            MarketEventKind.Quote when e.Quote.UpdateId < 0 => "a negative book update id",
            MarketEventKind.MarkPrice when e.MarkPrice.MarkPrice.Mantissa <= 0 || e.MarkPrice.IndexPrice.Mantissa < 0 || e.MarkPrice.EstimatedSettlePrice.Mantissa < 0 => "a mark price of zero or below",
            MarketEventKind.Trade or MarketEventKind.Candle or MarketEventKind.Quote or MarketEventKind.MarkPrice => null,
            _ => $"an event of kind {e.Kind} from the market parser",
        };
    }

    /// <summary>Why a published order update is impossible, or null.</summary>
    public static string? ImpossibleOrder(in MarketEvent e)
    {
        var u = e.OrderUpdate;
        return u.Quantity.Mantissa < 0 || u.FilledQuantity.Mantissa < 0 || u.LastFillQuantity.Mantissa < 0 || u.Price.Mantissa < 0 || u.LastFillPrice.Mantissa < 0
            ? "an order update with a negative amount"
            : u.LastFillQuantity.Mantissa > 0 && u.LastFillPrice.Mantissa <= 0 ? "a fill at a price of zero"
            : u.FilledQuantity < u.LastFillQuantity ? "a fill larger than the order's filled quantity"
            : null;
    }

    private static void Fail(FuzzReport report, ref long n, string why, ReadOnlySpan<byte> frame, bool crash)
    {
        if (crash)
        {
            report.Crashes++;
        }
        else
        {
            report.Impossible++;
        }

        if (report.Failures.Count < MaxFailuresKept)
        {
            report.Failures.Add($"input {n}: {why}: {StreamFrameParser.Sample(frame)}");
        }
    }

    // One or two mutations of a random seed into `buffer`; returns the length.
    private static int Mutate(Random random, FuzzSeed[] seeds, byte[] buffer) => Mutate(random, seeds, buffer, seeds[random.Next(seeds.Length)]);

    private static int Mutate(Random random, IReadOnlyList<FuzzSeed> seeds, byte[] buffer, FuzzSeed chosen)
    {
        var seed = chosen.Frame;
        var venueNowMs = chosen.VenueNowMs;
        var length = Math.Min(seed.Length, buffer.Length);
        seed.AsSpan(0, length).CopyTo(buffer);
        var rounds = random.Next(4) == 0 ? 2 : 1;
        for (var round = 0; round < rounds; round++)
        {
            // Byte-level damage mostly breaks the JSON; value surgery reaches the checks behind it, so it gets half.
            length = random.Next(20) switch
            {
                0 or 1 => FlipBits(random, buffer, length),
                2 => ReplaceByte(random, buffer, length),
                3 => Insert(buffer, length, random.Next(length + 1), [Palette(random)]),
                4 => Delete(buffer, length, random.Next(Math.Max(1, length)), 1 + random.Next(4)),
                5 => random.Next(Math.Max(1, length)),
                6 => Splice(random, seeds, buffer, length),
                7 => DuplicateField(random, buffer, length),
                8 or 9 => NudgeDigit(random, buffer, length),
                _ => ReplaceValue(random, buffer, length, venueNowMs),
            };
        }

        return length;
    }

    private static byte Palette(Random random) => random.Next(4) == 0 ? (byte)random.Next(256) : s_palette[random.Next(s_palette.Length)];

    private static int FlipBits(Random random, byte[] buffer, int length)
    {
        for (var i = 0; i < 1 + random.Next(3) && length > 0; i++)
        {
            buffer[random.Next(length)] ^= (byte)(1 << random.Next(8));
        }

        return length;
    }

    private static int ReplaceByte(Random random, byte[] buffer, int length)
    {
        if (length > 0)
        {
            buffer[random.Next(length)] = Palette(random);
        }

        return length;
    }

    private static int Insert(byte[] buffer, int length, int at, ReadOnlySpan<byte> text)
    {
        var count = Math.Min(text.Length, buffer.Length - length);
        buffer.AsSpan(at, length - at).CopyTo(buffer.AsSpan(at + count));
        text[..count].CopyTo(buffer.AsSpan(at));
        return length + count;
    }

    private static int Delete(byte[] buffer, int length, int at, int count)
    {
        count = Math.Min(count, length - at);
        if (count <= 0)
        {
            return length;
        }

        buffer.AsSpan(at + count, length - at - count).CopyTo(buffer.AsSpan(at));
        return length - count;
    }

    private static int Splice(Random random, IReadOnlyList<FuzzSeed> seeds, byte[] buffer, int length)
    {
        var other = seeds[random.Next(seeds.Count)].Frame;
        var cut = random.Next(length + 1);
        var from = random.Next(other.Length + 1);
        var tail = Math.Min(other.Length - from, buffer.Length - cut);
        other.AsSpan(from, tail).CopyTo(buffer.AsSpan(cut));
        return cut + tail;
    }

    private static int DuplicateField(Random random, byte[] buffer, int length)
    {
        if (!FindValue(random, buffer, length, out var nameStart, out _, out var valueEnd))
        {
            return length;
        }

        var pair = buffer.AsSpan(nameStart, valueEnd - nameStart).ToArray();
        var at = nameStart;
        length = Insert(buffer, length, at, pair);
        return Insert(buffer, length, at + pair.Length, ","u8);
    }

    private static int NudgeDigit(Random random, byte[] buffer, int length)
    {
        for (var tries = 0; tries < 8 && length > 0; tries++)
        {
            var i = random.Next(length);
            if (buffer[i] is >= (byte)'0' and <= (byte)'9')
            {
                buffer[i] = (byte)('0' + ((buffer[i] - '0' + (random.Next(2) == 0 ? 1 : 9)) % 10));
                return length;
            }
        }

        return length;
    }

    private static int ReplaceValue(Random random, byte[] buffer, int length, long venueNowMs)
    {
        if (!FindValue(random, buffer, length, out _, out var valueStart, out var valueEnd))
        {
            return length;
        }

        var skew = (long)MaxSkew.TotalMilliseconds;
        var value = random.Next(5) switch
        {
            0 => (venueNowMs + random.Next(7) switch
            {
                0 => skew,
                1 => skew + 1,
                2 => -skew,
                3 => -skew - 1,
                4 => random.NextInt64(-2 * skew, 2 * skew),
                5 => -venueNowMs,
                _ => 0,
            }).ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => s_values[random.Next(s_values.Length)],
        };
        length = Delete(buffer, length, valueStart, valueEnd - valueStart);
        return Insert(buffer, length, valueStart, Encoding.UTF8.GetBytes(value));
    }

    // A random "name":value pair of the frame: where its name's quote starts and where its value starts and ends.
    private static bool FindValue(Random random, byte[] buffer, int length, out int nameStart, out int valueStart, out int valueEnd)
    {
        nameStart = valueStart = valueEnd = 0;
        var span = buffer.AsSpan(0, length);
        var colons = 0;
        for (var i = 1; i < length; i++)
        {
            if (span[i] == (byte)':' && span[i - 1] == (byte)'"')
            {
                colons++;
            }
        }

        if (colons == 0)
        {
            return false;
        }

        var pick = random.Next(colons);
        for (var i = 1; i < length; i++)
        {
            if (span[i] != (byte)':' || span[i - 1] != (byte)'"' || pick-- != 0)
            {
                continue;
            }

            nameStart = span[..(i - 1)].LastIndexOf((byte)'"');
            if (nameStart < 0)
            {
                return false;
            }

            valueStart = i + 1;
            valueEnd = ValueEnd(span, valueStart);
            return valueEnd > valueStart;
        }

        return false;
    }

    private static int ValueEnd(ReadOnlySpan<byte> span, int i)
    {
        if (i >= span.Length)
        {
            return i;
        }

        if (span[i] == (byte)'"')
        {
            for (var j = i + 1; j < span.Length; j++)
            {
                if (span[j] == (byte)'\\')
                {
                    j++;
                }
                else if (span[j] == (byte)'"')
                {
                    return j + 1;
                }
            }

            return span.Length;
        }

        var depth = 0;
        for (var j = i; j < span.Length; j++)
        {
            switch (span[j])
            {
                case (byte)'{' or (byte)'[':
                    depth++;
                    break;
                case (byte)'}' or (byte)']':
                    if (depth == 0)
                    {
                        return j;
                    }

                    depth--;
                    if (depth == 0)
                    {
                        return j + 1;
                    }

                    break;
                case (byte)',' when depth == 0:
                    return j;
            }
        }

        return span.Length;
    }
}
