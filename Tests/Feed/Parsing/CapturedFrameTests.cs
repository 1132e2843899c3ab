using System.Text.Json;
using Engine.Feed.Parsing;
using Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tests.Feed.Parsing;

/// <summary>Every real captured frame goes through the parser and is accounted for, each event checked against the oracle.</summary>
public sealed class CapturedFrameTests
{
    public static TheoryData<string> Captures => [CapturedFrames.Cryptofeed, CapturedFrames.BtcUsdt, CapturedFrames.EthUsdt];

    [Theory]
    [MemberData(nameof(Captures))]
    public void Every_captured_frame_is_accounted_for_and_every_event_equals_the_oracle(string file)
    {
        var frames = CapturedFrames.Load(file);
        var symbols = CapturedFrames.SymbolTable();
        var counters = new FrameCounters();
        var parser = new StreamFrameParser(symbols, counters, NullLogger.Instance);
        var outcomes = new Dictionary<FrameOutcome, int>();
        var evt = default(MarketEvent);
        for (var i = 0; i < frames.Length; i++)
        {
            var received = 1_000_000L + i;
            var outcome = parser.Parse(frames[i], received, ref evt);
            var expected = FrameOracle.Derive(frames[i], symbols, received);
            Assert.True(expected.Outcome == outcome, $"{file} frame {i}: {outcome}, oracle {expected.Outcome} ({expected.Why})");
            if (outcome == FrameOutcome.Event)
            {
                FrameOracle.AssertSame(expected.Event, evt, $"{file} frame {i}");
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        // Counts computed from the JSON alone, independently of both the parser and the oracle.
        var byType = CountEventTypes(frames, out var marketTrades, out var otherTrades, out var restSnapshots);
        Assert.Equal(frames.Length, counters.Frames);
        Assert.Equal(frames.Sum(f => (long)f.Length), counters.Bytes);
        Assert.Equal(0, counters.Of(FrameOutcome.Malformed));
        Assert.Equal(0, counters.Of(FrameOutcome.UnknownSymbol));

        // Real frames all take the fast scanner; none needs the reader pass.
        Assert.Equal(0, counters.ReaderPasses);
        Assert.Equal(byType.GetValueOrDefault("aggTrade") + marketTrades, counters.Of(MarketEventKind.Trade));
        Assert.Equal(byType.GetValueOrDefault("kline"), counters.Of(MarketEventKind.Candle));
        Assert.Equal(byType.GetValueOrDefault("bookTicker"), counters.Of(MarketEventKind.Quote));
        Assert.Equal(byType.GetValueOrDefault("depthUpdate"), counters.Of(SkipReason.DepthUpdate));
        Assert.Equal(otherTrades, counters.Of(SkipReason.NonMarketTrade));

        // The one REST depth snapshot hftbacktest recorded into the stream file has no event type.
        Assert.Equal(restSnapshots, counters.Of(FrameProblem.NoEventType));
        Assert.Equal(restSnapshots, counters.Of(FrameOutcome.UnknownStream));
        Assert.Equal(counters.Of(FrameOutcome.Event), outcomes.GetValueOrDefault(FrameOutcome.Event));
        Assert.Equal(
            frames.Length,
            counters.Of(FrameOutcome.Event) + counters.Of(FrameOutcome.Skipped) + counters.Of(FrameOutcome.UnknownStream));
    }

    [Fact]
    public void Capture_counts_match_the_documented_counts()
    {
        // Tests/Data/SOURCES.md: 91 aggTrade, 67 kline (4 closed), 613 bookTicker, 764 depthUpdate; BTCUSDT 974 trades,
        // 7113 bookTicker, 3326 depth; ETHUSDT 1640 trades, 9089 bookTicker, 3273 depth.
        var cryptofeed = Run(CapturedFrames.Cryptofeed);
        Assert.Equal(91, cryptofeed.Of(MarketEventKind.Trade));
        Assert.Equal(67, cryptofeed.Of(MarketEventKind.Candle));
        Assert.Equal(613, cryptofeed.Of(MarketEventKind.Quote));
        Assert.Equal(764, cryptofeed.Of(SkipReason.DepthUpdate));
        var btc = Run(CapturedFrames.BtcUsdt);
        Assert.Equal(974, btc.Of(MarketEventKind.Trade));
        Assert.Equal(7113, btc.Of(MarketEventKind.Quote));
        Assert.Equal(3326, btc.Of(SkipReason.DepthUpdate));
        var eth = Run(CapturedFrames.EthUsdt);
        Assert.Equal(1640, eth.Of(MarketEventKind.Trade));
        Assert.Equal(9089, eth.Of(MarketEventKind.Quote));
        Assert.Equal(3273, eth.Of(SkipReason.DepthUpdate));
    }

    [Fact]
    public void Closed_klines_carry_their_flag_interval_and_values()
    {
        var frames = CapturedFrames.Load(CapturedFrames.Cryptofeed);
        var parser = new StreamFrameParser(CapturedFrames.SymbolTable(), new FrameCounters(), NullLogger.Instance);
        var evt = default(MarketEvent);
        var closed = 0;
        foreach (var frame in frames)
        {
            if (parser.Parse(frame, 0, ref evt) == FrameOutcome.Event && evt.Kind == MarketEventKind.Candle)
            {
                Assert.Equal(1, evt.Candle.IntervalMinutes);
                Assert.False(evt.Candle.IsBackfilled);
                Assert.Equal(0, evt.Candle.OpenTimeMs % 60_000);
                if (evt.Candle.IsClosed)
                {
                    closed++;
                }
            }
        }

        Assert.Equal(4, closed);
    }

    [Fact]
    public void Symbols_not_in_the_table_are_counted_as_unknown_and_produce_no_event()
    {
        var frames = CapturedFrames.Load(CapturedFrames.Cryptofeed);
        var symbols = CapturedFrames.SymbolTable(except: "CTKUSDT");
        var counters = new FrameCounters();
        var parser = new StreamFrameParser(symbols, counters, NullLogger.Instance);
        var evt = default(MarketEvent);
        var ctkEvents = 0;
        foreach (var frame in frames)
        {
            using var document = JsonDocument.Parse(frame);
            var data = document.RootElement.GetProperty("data");
            var depth = data.GetProperty("e").GetString() == "depthUpdate";
            var isCtkEvent = data.GetProperty("s").GetString() == "CTKUSDT" && !depth;
            var expected = depth ? FrameOutcome.Skipped : isCtkEvent ? FrameOutcome.UnknownSymbol : FrameOutcome.Event;
            Assert.Equal(expected, parser.Parse(frame, 0, ref evt));
            ctkEvents += isCtkEvent ? 1 : 0;
        }

        Assert.True(ctkEvents > 0);
        Assert.Equal(ctkEvents, counters.Of(FrameOutcome.UnknownSymbol));
        Assert.Equal(ctkEvents, counters.Of(FrameProblem.UnknownSymbol));
    }

    private static FrameCounters Run(string file)
    {
        var counters = new FrameCounters();
        var parser = new StreamFrameParser(CapturedFrames.SymbolTable(), counters, NullLogger.Instance);
        var evt = default(MarketEvent);
        foreach (var frame in CapturedFrames.Load(file))
        {
            parser.Parse(frame, 0, ref evt);
        }

        return counters;
    }

    private static Dictionary<string, long> CountEventTypes(byte[][] frames, out long marketTrades, out long otherTrades, out long restSnapshots)
    {
        var counts = new Dictionary<string, long>();
        marketTrades = otherTrades = restSnapshots = 0;
        foreach (var frame in frames)
        {
            using var document = JsonDocument.Parse(frame);
            if (!document.RootElement.TryGetProperty("data", out var data))
            {
                Assert.True(document.RootElement.TryGetProperty("lastUpdateId", out _), "only the REST snapshot lacks data");
                restSnapshots++;
                continue;
            }

            var type = data.GetProperty("e").GetString()!;
            counts[type] = counts.GetValueOrDefault(type) + 1;
            if (type == "trade")
            {
                if (data.GetProperty("X").GetString() == "MARKET")
                {
                    marketTrades++;
                }
                else
                {
                    otherTrades++;
                }
            }
        }

        return counts;
    }
}
