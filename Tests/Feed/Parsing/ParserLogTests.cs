using System.Text;
using Engine.Feed.Parsing;
using Engine.Model;
using Microsoft.Extensions.Logging;
using Tests.Exchange.Rest;

namespace Tests.Feed.Parsing;

/// <summary>A dropped frame is logged once per problem, with an escaped sample; later ones are only counted.</summary>
public sealed class ParserLogTests
{
    [Fact]
    public void Each_problem_is_logged_once_with_an_escaped_sample_of_the_first_200_bytes()
    {
        using var provider = new CollectingLoggerProvider();
        using var factory = provider.CreateFactory();
        var counters = new FrameCounters();
        var parser = new StreamFrameParser(CapturedFrames.SymbolTable(), counters, factory.CreateLogger<StreamFrameParser>());
        var evt = default(MarketEvent);
        var truncated = CapturedFrames.Load(CapturedFrames.Cryptofeed)[0][..60];
        var wrongType = Encoding.UTF8.GetBytes("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":1.5,"q":"1","f":1,"l":1,"T":1,"m":true}""");
        var unknownSymbol = Encoding.UTF8.GetBytes("""{"e":"aggTrade","E":1,"s":"DOGEUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true}""");
        var longGarbage = new byte[500];
        for (var i = 0; i < longGarbage.Length; i++)
        {
            longGarbage[i] = (byte)(i % 7 == 0 ? 0x01 : 'z');
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(FrameOutcome.Malformed, parser.Parse(truncated, 0, ref evt));
            Assert.Equal(FrameOutcome.Malformed, parser.Parse(wrongType, 0, ref evt));
            Assert.Equal(FrameOutcome.UnknownSymbol, parser.Parse(unknownSymbol, 0, ref evt));
            Assert.Equal(FrameOutcome.Malformed, parser.Parse(longGarbage, 0, ref evt));
        }

        var lines = provider.Lines;
        Assert.Equal(3, lines.Count);
        Assert.All(lines, line => Assert.Equal(LogLevel.Warning, line.Level));
        Assert.All(lines, line => Assert.Equal(typeof(StreamFrameParser).FullName, line.Category));

        var invalid = Assert.Single(lines, l => l.Text.Contains("(InvalidJson", StringComparison.Ordinal));
        Assert.Contains("First 60 of 60 bytes: " + Encoding.UTF8.GetString(truncated), invalid.Text, StringComparison.Ordinal);
        var wrong = Assert.Single(lines, l => l.Text.Contains("(WrongType", StringComparison.Ordinal));
        Assert.Contains("field 'p' of aggTrade", wrong.Text, StringComparison.Ordinal);
        var unknown = Assert.Single(lines, l => l.Text.Contains("UnknownSymbol (UnknownSymbol", StringComparison.Ordinal));
        Assert.Contains("DOGEUSDT", unknown.Text, StringComparison.Ordinal);

        // Counted every time, logged once.
        Assert.Equal(10, counters.Of(FrameProblem.InvalidJson));
        Assert.Equal(5, counters.Of(FrameProblem.WrongType));
        Assert.Equal(5, counters.Of(FrameOutcome.UnknownSymbol));
    }

    [Fact]
    public void The_sample_escapes_control_bytes_and_stops_at_200_bytes()
    {
        var frame = new byte[300];
        for (var i = 0; i < frame.Length; i++)
        {
            frame[i] = (byte)(i == 0 ? 0x01 : i == 1 ? (byte)'\\' : i == 2 ? 0xFF : 'a');
        }

        var sample = StreamFrameParser.Sample(frame);
        Assert.Equal(@"\x01\x5C\xFF" + new string('a', 197) + "...", sample);
    }

    [Fact]
    public void An_error_reply_is_logged_once_and_counted_as_skipped()
    {
        using var provider = new CollectingLoggerProvider();
        using var factory = provider.CreateFactory();
        var counters = new FrameCounters();
        var parser = new StreamFrameParser(CapturedFrames.SymbolTable(), counters, factory.CreateLogger<StreamFrameParser>());
        var evt = default(MarketEvent);
        var reply = Encoding.UTF8.GetBytes("""{"code":2,"msg":"Invalid request: unknown stream"}""");
        Assert.Equal(FrameOutcome.Skipped, parser.Parse(reply, 0, ref evt));
        Assert.Equal(FrameOutcome.Skipped, parser.Parse(reply, 0, ref evt));
        var line = Assert.Single(provider.Lines);
        Assert.Contains("Invalid request: unknown stream", line.Text, StringComparison.Ordinal);
        Assert.Equal(2, counters.Of(SkipReason.ErrorReply));
    }
}
