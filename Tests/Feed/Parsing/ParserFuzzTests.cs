using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Engine.Feed.Parsing;
using Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tests.Feed.Parsing;

/// <summary>
/// Random and mutated frames: no exception escapes the parser, its outcome is the oracle's, and an event is produced
/// only when the oracle derives the very same event from the same bytes (so nothing is published from garbage).
/// Seeded and deterministic; one parser and one scratch event (refilled with junk before every frame) for all cases,
/// so state left over from one frame cannot leak into the next.
/// </summary>
public sealed partial class ParserFuzzTests
{
    private const int Seed = 20_240_718;

    private static readonly byte[] _palette = Encoding.ASCII.GetBytes("{}[]\":,.-+0123456789eEtfnulr \\/abxyzPTsmqXk\t\n");

    private readonly SymbolTable _symbols = CapturedFrames.SymbolTable();
    private readonly StreamFrameParser _parser;
    private readonly FrameCounters _counters = new();
    private readonly Random _random = new(Seed);
    private readonly Dictionary<FrameOutcome, int> _outcomes = [];
    private MarketEvent _evt;
    private int _cases;

    public ParserFuzzTests() => _parser = new StreamFrameParser(_symbols, _counters, NullLogger.Instance);

    [Fact]
    public void Truncation_at_every_position_never_yields_an_event()
    {
        var truncatedEvents = 0;
        foreach (var frame in Representatives())
        {
            for (var length = 0; length < frame.Length; length++)
            {
                truncatedEvents += Check(frame[..length], "truncated") == FrameOutcome.Event ? 1 : 0;
            }

            // Whitespace after the frame leaves it the same frame.
            Assert.Equal(Check(frame, "whole"), Check([.. frame, (byte)' ', (byte)'\r', (byte)'\n'], "padded"));
        }

        Assert.Equal(0, truncatedEvents);
        Assert.True(_cases > 1000);
        Assert.Equal(2 * 5, _outcomes.GetValueOrDefault(FrameOutcome.Event));
    }

    [Fact]
    public void Byte_flips_insertions_and_deletions_match_the_oracle()
    {
        var seeds = Seeds();
        for (var n = 0; n < 30000; n++)
        {
            var frame = seeds[_random.Next(seeds.Length)];
            var position = _random.Next(frame.Length);
            byte[] mutated = (n % 3) switch
            {
                0 => [.. frame[..position], RandomByte(), .. frame[(position + 1)..]],
                1 => [.. frame[..position], RandomByte(), .. frame[position..]],
                _ => [.. frame[..position], .. frame[Math.Min(frame.Length, position + 1 + _random.Next(3))..]],
            };
            Check(mutated, "byte mutation");
        }

        // Most single-byte changes break the JSON; the rest land on values, names and whitespace. Both the fast
        // scanner and the reader pass get their share.
        Assert.True(_outcomes.GetValueOrDefault(FrameOutcome.Malformed) > 1000);
        Assert.True(_outcomes.GetValueOrDefault(FrameOutcome.Event) > 100);
        Assert.InRange(_counters.ReaderPasses, _cases / 10, _cases * 9 / 10);
    }

    [Fact]
    public void Type_swaps_and_number_surgery_match_the_oracle()
    {
        var seeds = Seeds();
        string[] decimals =
        [
            "99999999999999999999999999999999", "92233720368.54775807", "92233720368.54775808", "-92233720368.54775808", "1.000000001",
            "1.123456780000000", "1e5", ".5", "5.", "+5", " 5", "5 ", "", "-0", "-1.5", "0x10", "1,5", "٣", "00000000000000000000001.5",
        ];
        string[] integers = ["1.0", "1e3", "99999999999999999999", "-0", "-1", "9223372036854775807", "9223372036854775808", "2147483648", "0.5"];
        string[] values = ["null", "true", "false", "{}", "[]", "\"\"", "[1,2]", "{\"a\":{}}"];
        for (var n = 0; n < 20000; n++)
        {
            var text = Encoding.UTF8.GetString(seeds[_random.Next(seeds.Length)]);
            var fields = Field().Matches(text);
            var field = fields[_random.Next(fields.Count)];
            var value = field.Groups["value"];
            var quoted = value.Value.StartsWith('"');
            var replacement = (n % 4) switch
            {
                // "p":"1.5" -> "p":1.5 and "E":123 -> "E":"123"
                0 => quoted ? value.Value.Trim('"') : "\"" + value.Value + "\"",
                1 => "\"" + decimals[_random.Next(decimals.Length)] + "\"",
                2 => integers[_random.Next(integers.Length)],
                _ => values[_random.Next(values.Length)],
            };
            Check(Encoding.UTF8.GetBytes(string.Concat(text.AsSpan(0, value.Index), replacement, text.AsSpan(value.Index + value.Length))), "swap");
        }

        Assert.True(_outcomes.GetValueOrDefault(FrameOutcome.Malformed) > 1000);
        Assert.True(_outcomes.GetValueOrDefault(FrameOutcome.Event) > 100);
    }

    [Fact]
    public void Random_bytes_random_tokens_and_deep_nesting_match_the_oracle()
    {
        for (var n = 0; n < 5000; n++)
        {
            var bytes = new byte[_random.Next(300)];
            _random.NextBytes(bytes);
            Check(bytes, "random bytes");

            var tokens = new byte[_random.Next(120)];
            for (var i = 0; i < tokens.Length; i++)
            {
                tokens[i] = _palette[_random.Next(_palette.Length)];
            }

            Check(tokens, "random tokens");
        }

        var seeds = Seeds();
        foreach (var depth in new[] { 1, 2, 10, 62, 63, 64, 65, 100, 1000 })
        {
            var text = Encoding.UTF8.GetString(seeds[depth % seeds.Length]);
            var nested = string.Concat(Enumerable.Repeat("[", depth)) + "1" + string.Concat(Enumerable.Repeat("]", depth));
            var objects = string.Concat(Enumerable.Repeat("{\"z\":", depth)) + "1" + new string('}', depth);

            // Deep values in an unknown field, in the place of data and around the whole frame.
            Check(Encoding.UTF8.GetBytes(text.Insert(1, "\"deep\":" + nested + ",")), "deep unknown field");
            Check(Encoding.UTF8.GetBytes(text.Insert(1, "\"deep\":" + objects + ",")), "deep unknown object");
            Check(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("[", depth)) + text + string.Concat(Enumerable.Repeat("]", depth))), "wrapped");
        }

        Assert.True(_outcomes.GetValueOrDefault(FrameOutcome.Malformed) > 3000);
        Assert.True(_outcomes.GetValueOrDefault(FrameOutcome.Event) > 0);
    }

    [Fact]
    public void Escapes_reordering_and_duplicates_match_the_oracle()
    {
        var seeds = Seeds();
        var reorderedEvents = 0;
        for (var n = 0; n < 4000; n++)
        {
            var frame = seeds[_random.Next(seeds.Length)];
            var text = Encoding.UTF8.GetString(frame);

            // One character of a string (a name or a value) written as a \u escape: the same JSON text.
            var inside = LettersInStrings(text);
            var at = inside[_random.Next(inside.Count)];
            var escaped = string.Concat(text.AsSpan(0, at), $"\\u{(int)text[at]:x4}", text.AsSpan(at + 1));
            Assert.Equal(Check(frame, "seed"), Check(Encoding.UTF8.GetBytes(escaped), "escape"));

            // The same fields in another order: the same event.
            var node = JsonNode.Parse(frame)!.AsObject();
            var payload = node["data"] is JsonObject data ? data : node;
            var properties = payload.ToList();
            payload.Clear();
            foreach (var property in properties.OrderBy(_ => _random.Next()))
            {
                payload.Add(property.Key, property.Value);
            }

            var reordered = Encoding.UTF8.GetBytes(node.ToJsonString());
            if (Check(reordered, "reordered") == FrameOutcome.Event)
            {
                reorderedEvents++;
            }

            // A field repeated: ambiguous, never an event when the parser reads that field.
            var fields = Field().Matches(text);
            var field = fields[_random.Next(fields.Count)];
            Check(Encoding.UTF8.GetBytes(text.Insert(field.Index, field.Value + ",")), "duplicate");
        }

        Assert.True(reorderedEvents > 1500);
    }

    private static List<byte[]> Representatives()
    {
        var seeds = Seeds();
        var kinds = new[] { "\"aggTrade\"", "\"kline\"", "\"bookTicker\"", "\"trade\"", "\"depthUpdate\"", "\"markPriceUpdate\"", "\"result\"" };
        return [.. kinds.Select(kind => seeds.First(s => Encoding.UTF8.GetString(s).Contains(kind, StringComparison.Ordinal)))];
    }

    private static byte[][] Seeds()
    {
        var seeds = new List<byte[]>();
        foreach (var file in new[] { CapturedFrames.Cryptofeed, CapturedFrames.BtcUsdt })
        {
            var frames = CapturedFrames.Load(file);
            foreach (var kind in new[] { "\"aggTrade\"", "\"kline\"", "\"bookTicker\"", "\"trade\"", "\"depthUpdate\"" })
            {
                seeds.AddRange(frames.Where(f => Encoding.UTF8.GetString(f).Contains(kind, StringComparison.Ordinal)).Take(12));
            }
        }

        seeds.Add(Encoding.UTF8.GetBytes("""{"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","ap":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}}"""));
        seeds.Add(Encoding.UTF8.GetBytes("""{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","nq":"100","f":100,"l":105,"T":123456785,"m":true}"""));
        seeds.Add(Encoding.UTF8.GetBytes("""{"e":"kline","E":1638747660000,"s":"BTCUSDT","k":{"t":1638747660000,"T":1638747719999,"s":"BTCUSDT","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}"""));
        seeds.Add(Encoding.UTF8.GetBytes("""{"result":null,"id":1}"""));
        seeds.Add(Encoding.UTF8.GetBytes("""{"code":2,"msg":"Invalid request"}"""));
        return [.. seeds];
    }

    private byte RandomByte() => _random.Next(4) == 0 ? (byte)_random.Next(256) : _palette[_random.Next(_palette.Length)];

    private FrameOutcome Check(byte[] frame, string what)
    {
        _cases++;
        var junk = MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref _evt, 1));
        _random.NextBytes(junk);
        var received = _random.NextInt64();
        var refusedBefore = RefusalCounts();
        FrameOutcome outcome;
        try
        {
            outcome = _parser.Parse(frame, received, ref _evt);
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: the parser threw {e.GetType().Name} on {Show(frame)}: {e}");
            throw;
        }

        var expected = FrameOracle.Derive(frame, _symbols, received);
        Assert.True(expected.Outcome == outcome, $"{what}: {outcome}, oracle {expected.Outcome} ({expected.Why}) for {Show(frame)}");
        if (outcome == FrameOutcome.Event)
        {
            FrameOracle.AssertSame(expected.Event, _evt, $"{what}: {Show(frame)}");
        }
        else if (outcome == FrameOutcome.Refused)
        {
            // Refused for the oracle's reason, and the header names what was refused.
            var refusedAfter = RefusalCounts();
            Assert.True(refusedAfter[(int)expected.Reason] == refusedBefore[(int)expected.Reason] + 1, $"{what}: not refused for {expected.Reason}: {Show(frame)}");
            Assert.True(expected.Event.Kind == _evt.Kind && expected.Event.Symbol == _evt.Symbol, $"{what}: refused header: {Show(frame)}");
        }

        _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
        return outcome;
    }

    private static string Show(byte[] frame) => StreamFrameParser.Sample(frame);

    private long[] RefusalCounts() => [.. Enumerable.Range(0, FeedRefusals.ReasonCount).Select(r => _counters.Of((FrameRefusal)r))];

    // A "name":value pair whose value is a string, a number or a literal.
    [GeneratedRegex("\"(?<name>[A-Za-z]+)\":(?<value>\"[^\"]*\"|-?[0-9.]+|true|false|null)")]
    private static partial Regex Field();

    // Positions of letters and digits inside JSON strings (names and values).
    private static List<int> LettersInStrings(string text)
    {
        var positions = new List<int>();
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString && c == '\\')
            {
                i++;
            }
            else if (c == '"')
            {
                inString = !inString;
            }
            else if (inString && char.IsAsciiLetterOrDigit(c))
            {
                positions.Add(i);
            }
        }

        return positions;
    }
}
