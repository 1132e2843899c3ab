using System.Text;
using Engine.Feed.Parsing;
using Engine.Model;
using Engine.Ring;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tests.Feed.Parsing;

/// <summary>After warm-up, parsing (and publishing) a frame allocates nothing, whatever its kind.</summary>
public sealed class ParserAllocationTests
{
    private const int Rounds = 20;

    [Fact]
    public void Parsing_every_kind_of_frame_allocates_nothing_after_warm_up()
    {
        var frames = new List<byte[]>();
        frames.AddRange(CapturedFrames.Load(CapturedFrames.Cryptofeed));
        frames.AddRange(CapturedFrames.Load(CapturedFrames.BtcUsdt).Take(3000));
        frames.Add(Encoding.UTF8.GetBytes("""{"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1.5","i":"1.4","P":"1.3","r":"0.0001","T":2}}"""));
        frames.Add(Encoding.UTF8.GetBytes("""{"result":null,"id":1}"""));
        frames.Add(Encoding.UTF8.GetBytes("""{"e":"aggTrade","E":1,"s":"BTC\u0055SDT","a":1,"p":"1\u002e5","q":"1","f":1,"l":1,"T":7,"m":true}"""));

        // Dropped frames that do not throw inside the reader (an unknown symbol, a wrong type) cost nothing either,
        // once their problem has been logged.
        frames.Add(Encoding.UTF8.GetBytes("""{"e":"aggTrade","E":1,"s":"DOGEUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true}"""));
        frames.Add(Encoding.UTF8.GetBytes("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":1.5,"q":"1","f":1,"l":1,"T":1,"m":true}"""));
        var all = frames.ToArray();

        var counters = new FrameCounters();
        var parser = new StreamFrameParser(CapturedFrames.SymbolTable(), counters, NullLogger.Instance);
        var ring = RingBuffer.CreateMultiProducer<MarketEvent>(1024, new BusySpinWaitStrategy());
        var consumer = new Sequence();
        ring.AddGatingSequences(consumer);
        var evt = default(MarketEvent);

        // Warm-up: the first log per problem, the scratch buffer for escapes, tiering of the JIT.
        var perRound = Run(all, parser, ring, consumer, ref evt);

        var before = GC.GetAllocatedBytesForCurrentThread();
        long events = 0;
        for (var round = 0; round < Rounds; round++)
        {
            events += Run(all, parser, ring, consumer, ref evt);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(perRound > 2000, $"only {perRound} events per round");
        Assert.Equal(Rounds * perRound, events);
        Assert.Equal(0, counters.Of(FrameProblem.InvalidJson));
    }

    [Fact]
    public void Refusing_impossible_values_and_judging_event_times_allocates_nothing_after_warm_up()
    {
        // The cryptofeed capture is of 2021-07-22 22:25 UTC: with the venue's clock there its frames are events, and the
        // 2024 captures are refused for their event times; the rest are refused for their values.
        var frames = new List<byte[]>();
        frames.AddRange(CapturedFrames.Load(CapturedFrames.Cryptofeed));
        frames.AddRange(CapturedFrames.Load(CapturedFrames.BtcUsdt).Take(500));
        const long then = 1_626_992_745_000;
        frames.Add(Encoding.UTF8.GetBytes(ParserRefusalTests.Trade(p: "0", time: then)));
        frames.Add(Encoding.UTF8.GetBytes(ParserRefusalTests.Kline(l: "0.0021", time: then)));
        frames.Add(Encoding.UTF8.GetBytes(ParserRefusalTests.Book(aq: "0", time: then)));
        frames.Add(Encoding.UTF8.GetBytes(ParserRefusalTests.Mark(p: "-0", time: then)));
        var all = frames.ToArray();

        var symbols = CapturedFrames.SymbolTable();
        var counters = new FrameCounters();
        var refusals = new FeedRefusals(symbols);
        var parser = new StreamFrameParser(symbols, counters, NullLogger.Instance, new EventTimeWindow(() => then, TimeSpan.FromHours(1)), refusals);
        var evt = default(MarketEvent);
        var received = System.Diagnostics.Stopwatch.GetTimestamp();
        void Round()
        {
            foreach (var frame in all)
            {
                parser.Parse(frame, received, ref evt);
            }
        }

        Round();
        Assert.Equal(0, AllocationMeter.OnThisThread(Round));
        Assert.True(counters.Of(FrameOutcome.Event) > 1000);
        Assert.True(counters.Of(FrameRefusal.EventTime) > 500);
        Assert.True(counters.Of(FrameRefusal.Price) > 0 && counters.Of(FrameRefusal.KlineRange) > 0 && counters.Of(FrameRefusal.Quantity) > 0);
        Assert.Equal(counters.Of(FrameOutcome.Refused), refusals.Total);
    }

    private static long Run(byte[][] frames, StreamFrameParser parser, RingBuffer<MarketEvent> ring, Sequence consumer, ref MarketEvent evt)
    {
        long events = 0;
        foreach (var frame in frames)
        {
            if (parser.Parse(frame, 1, ref evt) == FrameOutcome.Event)
            {
                RingPublish.Publish(ring, in evt);
                consumer.SetValue(ring.Cursor);
                events++;
            }
        }

        return events;
    }
}
