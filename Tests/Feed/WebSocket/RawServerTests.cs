using System.Globalization;
using System.Text;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Feed;
using Engine.Model;
using Engine.Ring;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Tests.Feed.WebSocket;

/// <summary>Counts events without allocating (the allocation test's consumer).</summary>
public sealed class EventCount
{
    public long Count;
    public long LastTradeId;
}

public readonly struct CountingHandler(EventCount count) : IEventHandler<MarketEvent>
{
    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
    {
        count.LastTradeId = data.Trade.TradeId;
        Volatile.Write(ref count.Count, count.Count + 1);
    }
}

/// <summary>
/// The feed against a hand-written RFC 6455 server on loopback: the route and SUBSCRIBE it sends, ping answered with
/// the same payload, a message split into fragments (with a ping between them) assembled, a message larger than the
/// receive buffer, and the bytes allocated per message on the receive + parse + publish path.
/// </summary>
public sealed class RawServerTests(ITestOutputHelper output)
{
    internal static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    // Times of now: the feed refuses event times far from the venue clock (here the local one, no offset measured).
    internal static byte[] AggTrade(long id, string extra = "") => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $$$"""{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":{{{Now}}},"s":"BTCUSDT","a":{{{id}}},"p":"43210.50","q":"0.125","nq":"0.125","f":{{{id * 3}}},"l":{{{(id * 3) + 2}}},"T":{{{Now}}},"m":true{{{extra}}}}}"""));

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>A feed of btcusdt@aggTrade only against <paramref name="server"/>, subscribed; <paramref name="configure"/> adjusts its options.</summary>
    internal static async Task<(FeedService Feed, RingBuffer<MarketEvent> Ring, BinanceRestClient Client)> StartFeedAsync(
        RawWebSocketServer server, IEventHandler<MarketEvent> handlerForType, Func<RingBuffer<MarketEvent>, IEventProcessor> consumer,
        Action<FeedOptions>? configure = null)
    {
        _ = handlerForType;
        var table = new SymbolTable(16);
        var btc = table.Add("BTCUSDT");
        var ring = RingBuffer.CreateMultiProducer<MarketEvent>(1 << 16, new YieldingWaitStrategy());
        consumer(ring);

        // Trades only: no klines, so the REST client (pointing nowhere) is never called.
        var rest = new BinanceRestClient(
            Microsoft.Extensions.Options.Options.Create(new BinanceRestOptions { BaseAddress = "http://127.0.0.1:9" }),
            NullLogger<BinanceRestClient>.Instance, new ServerClock(), new RateLimitTracker());
        var options = new FeedOptions
        {
            WebSocketBaseAddress = server.BaseAddress,
            Streams = FeedStreams.AggTrade,
            ReceiveBufferSize = 1024,
            StaleTimeout = TimeSpan.FromSeconds(60),
        };
        configure?.Invoke(options);
        var feed = new FeedService(options, ring, table, rest, NullLoggerFactory.Instance);
        await feed.StartAsync([btc]);
        await AcceptAndSubscribeAsync(server, 1);
        await feed.WaitUntilConnectedAsync(Wait);
        return (feed, ring, rest);
    }

    /// <summary>Takes the feed's (next) connection and answers its SUBSCRIBE of request id <paramref name="requestId"/>.</summary>
    internal static async Task AcceptAndSubscribeAsync(RawWebSocketServer server, long requestId)
    {
        await server.AcceptAsync(Wait);
        Assert.Equal("/market/stream", server.RequestPath);
        var subscribe = await server.ReadTextAsync(Wait);
        Assert.Equal($$"""{"method":"SUBSCRIBE","params":["btcusdt@aggTrade"],"id":{{requestId}}}""", subscribe);
        server.SendText($$"""{"result":null,"id":{{requestId}}}""");
    }

    [Fact]
    public async Task Pings_are_answered_fragments_assembled_and_large_messages_grow_the_buffer()
    {
        using var server = new RawWebSocketServer();
        var record = new RingRecord();
        BatchEventProcessor<MarketEvent, RecordingHandler>? processor = null;
        var (feed, ring, rest) = await StartFeedAsync(server, default(RecordingHandler), r =>
        {
            processor = new BatchEventProcessor<MarketEvent, RecordingHandler>("recorder", r, r.NewBarrier(), new RecordingHandler(record));
            r.AddGatingSequences(processor.Sequence);
            processor.Start();
            return processor;
        });
        try
        {
            // A ping: ClientWebSocket answers it from inside the pending receive, with the same payload.
            server.Send(RawWebSocketServer.Frame(0x9, fin: true, "are you there?"u8));
            var pong = await server.ReadFrameAsync(Wait);
            Assert.Equal(0xA, pong.Opcode);
            Assert.Equal("are you there?", Encoding.UTF8.GetString(pong.Payload));

            // One message in three fragments, a ping between the second and third.
            var message = AggTrade(101);
            var fragments = RawWebSocketServer.Frame(0x1, fin: false, message.AsSpan(0, 40))
                .Concat(RawWebSocketServer.Frame(0x0, fin: false, message.AsSpan(40, 60)))
                .Concat(RawWebSocketServer.Frame(0x9, fin: true, "mid"u8))
                .Concat(RawWebSocketServer.Frame(0x0, fin: true, message.AsSpan(100)))
                .ToArray();
            server.Send(fragments);
            var midPong = await server.ReadFrameAsync(Wait);
            Assert.Equal((0xA, "mid"), (midPong.Opcode, Encoding.UTF8.GetString(midPong.Payload)));

            // A message five times the 1 KiB receive buffer.
            var large = AggTrade(102, ",\"padding\":\"" + new string('x', 5000) + "\"");
            Assert.True(large.Length > 5000);
            server.Send(RawWebSocketServer.Frame(0x1, fin: true, large));

            await FeedHarness.UntilAsync(() => record.Events.Count >= 2, Wait, "both trades");
            var trades = record.Events.ToArray();
            Assert.Equal([101L, 102L], trades.Select(t => t.Trade.TradeId));
            Assert.All(trades, t =>
            {
                Assert.Equal(MarketEventKind.Trade, t.Kind);
                Assert.Equal(Price.Parse("43210.50"u8), t.Trade.Price);
                Assert.Equal(Quantity.Parse("0.125"u8), t.Trade.Quantity);
                Assert.True(t.Trade.BuyerIsMaker);
                Assert.NotEqual(0, t.ReceivedTimestamp);
            });
            var counters = feed.Connections[0].Counters;
            Assert.Equal(2, counters.Frames(0));
            Assert.Equal(message.Length + large.Length, counters.Bytes - "{\"result\":null,\"id\":1}".Length);
        }
        finally
        {
            await feed.DisposeAsync();
            processor?.Halt();
            rest.Dispose();
        }
    }

    [Fact]
    public async Task Receive_parse_and_publish_allocate_nothing_per_message_after_warm_up()
    {
        using var server = new RawWebSocketServer();
        var count = new EventCount();
        BatchEventProcessor<MarketEvent, CountingHandler>? processor = null;
        var (feed, ring, rest) = await StartFeedAsync(server, default(CountingHandler), r =>
        {
            processor = new BatchEventProcessor<MarketEvent, CountingHandler>("counter", r, r.NewBarrier(), new CountingHandler(count));
            r.AddGatingSequences(processor.Sequence);
            processor.Start();
            return processor;
        });
        try
        {
            const int WarmUp = 5_000;
            const int Measured = 50_000;
            byte[] Burst(long first, int n)
            {
                using var bytes = new MemoryStream();
                for (var i = 0; i < n; i++)
                {
                    bytes.Write(RawWebSocketServer.Frame(0x1, fin: true, AggTrade(first + i)));
                }

                return bytes.ToArray();
            }

            const int Windows = 3;
            server.Send(Burst(1, WarmUp));
            await FeedHarness.UntilAsync(() => Volatile.Read(ref count.Count) >= WarmUp, Wait, "the warm-up messages");
            var bursts = Enumerable.Range(0, Windows).Select(w => Burst(1 + WarmUp + ((long)w * Measured), Measured)).ToArray();

            // Let earlier tests' hosts finish shutting down: the count below is process-wide.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(500);

            // Several windows: any allocation per message shows in every one of them (≥ 50 kB each), while background
            // work elsewhere in the process (other tests' hosts winding down, the thread pool) comes and goes.
            var perWindow = new List<long>();
            for (var w = 0; w < Windows; w++)
            {
                var expected = WarmUp + ((w + 1) * Measured);
                var before = GC.GetTotalAllocatedBytes(precise: true);
                server.Send(bursts[w]);
                var deadline = DateTime.UtcNow + Wait;
                while (Volatile.Read(ref count.Count) < expected && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(1); // no allocation on the waiting side
                }

                perWindow.Add(GC.GetTotalAllocatedBytes(precise: true) - before);
                Assert.Equal(expected, Volatile.Read(ref count.Count));
                Assert.Equal(expected, count.LastTradeId);
            }

            output.WriteLine($"allocated process-wide per window of {Measured} messages: {string.Join(", ", perWindow)} B");
            var latency = new long[Engine.Telemetry.LatencyHistogram.BucketCount];
            feed.Connections[0].Counters.ReceiveToRing.CopyTo(latency);
            output.WriteLine($"receive → ring (bursts of {Measured} on loopback): p50 {Engine.Telemetry.LatencyHistogram.ValueAtPercentile(latency, 50)} ns, "
                + $"p99 {Engine.Telemetry.LatencyHistogram.ValueAtPercentile(latency, 99)} ns, mean {feed.Connections[0].Counters.ReceiveToRingSumNanoseconds / feed.Connections[0].Counters.Published} ns");
            var least = (double)perWindow.Min() / Measured;
            Assert.True(least < 1.0, $"{string.Join(", ", perWindow)} B per window of {Measured} messages: at least {least:0.###} B per message");
        }
        finally
        {
            await feed.DisposeAsync();
            processor?.Halt();
            rest.Dispose();
        }
    }
}
