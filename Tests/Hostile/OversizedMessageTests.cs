using System.Buffers.Binary;
using Engine.Feed;
using Engine.Feed.WebSocket;
using Engine.Model;
using Engine.Ring;
using Simulator;
using Tests.Feed.WebSocket;
using Tests.State;

namespace Tests.Hostile;

/// <summary>
/// A venue that sends a message far longer than any real frame: the connection is closed with 1009 (Message Too Big)
/// as soon as the cap is reached, the drop is counted, the stream reconnects and goes on, and the receive buffer is
/// back at its starting size (it never grew past the cap) — on the market feed and on the user-data stream.
/// </summary>
public sealed class OversizedMessageTests
{
    [Fact]
    public async Task A_market_message_over_the_cap_is_closed_with_1009_counted_and_the_feed_reconnects_with_its_buffer_back()
    {
        const int initial = 1024;
        const int cap = 4096;
        using var server = new RawWebSocketServer();
        var record = new RingRecord();
        BatchEventProcessor<MarketEvent, RecordingHandler>? processor = null;
        var (feed, _, rest) = await RawServerTests.StartFeedAsync(server, default(RecordingHandler), r =>
        {
            processor = new BatchEventProcessor<MarketEvent, RecordingHandler>("recorder", r, r.NewBarrier(), new RecordingHandler(record));
            r.AddGatingSequences(processor.Sequence);
            processor.Start();
            return processor;
        }, o =>
        {
            o.ReceiveBufferSize = initial;
            o.MaxMessageBytes = cap;
            o.BackoffMin = TimeSpan.FromMilliseconds(50);
        });
        try
        {
            var counters = feed.Connections[0].Counters;

            // Under the cap: taken, in a buffer of its own that is dropped after it.
            server.Send(RawWebSocketServer.Frame(0x1, fin: true, RawServerTests.AggTrade(1, ",\"padding\":\"" + new string('x', 3000) + "\"")));
            await FeedHarness.UntilAsync(() => record.Events.Count == 1, RawServerTests.Wait, "the long trade under the cap");
            Assert.Equal(initial, counters.ReceiveBufferBytes);

            // Over it: ten times the cap in one frame.
            server.Send(RawWebSocketServer.Frame(0x1, fin: true, RawServerTests.AggTrade(2, ",\"padding\":\"" + new string('x', 10 * cap) + "\"")));
            var close = await NextCloseFrameAsync(server);
            Assert.Equal(1009, BinaryPrimitives.ReadUInt16BigEndian(close));

            await FeedHarness.UntilAsync(() => counters.Reconnects(ReconnectReason.MessageTooBig) == 1, RawServerTests.Wait, "the drop to be counted");
            await RawServerTests.AcceptAndSubscribeAsync(server, 2);
            server.Send(RawWebSocketServer.Frame(0x1, fin: true, RawServerTests.AggTrade(3)));
            await FeedHarness.UntilAsync(() => record.Events.Count == 2, RawServerTests.Wait, "a trade after the reconnect");

            Assert.Equal([1L, 3L], record.Events.Select(e => e.Trade.TradeId));
            Assert.Equal(initial, counters.ReceiveBufferBytes);
            Assert.InRange(counters.PeakReceiveBufferBytes, initial, cap);
            Assert.Equal(0, counters.Reconnects(ReconnectReason.Dropped));
        }
        finally
        {
            await feed.DisposeAsync();
            processor?.Halt();
            rest.Dispose();
        }
    }

    [Fact]
    public async Task A_64_MiB_market_message_from_the_simulator_drops_every_connection_once_and_the_feed_recovers()
    {
        await using var h = await FeedHarness.StartAsync(
            new SimulatorOptions { Symbols = 2, Speed = 1, Seed = 5, BackfillMinutes = 5, MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning },
            o => o.StaleTimeout = TimeSpan.FromSeconds(30));
        var defaults = new FeedOptions();
        var body = await h.FaultAsync("oversize?bytes=" + (64 * 1024 * 1024) + "&stream=market");
        Assert.Contains($"\"connections\":{h.Feed.Connections.Count}", body, StringComparison.Ordinal);

        await FeedHarness.UntilAsync(
            () => h.Feed.Connections.All(c => c.Counters.Reconnects(ReconnectReason.MessageTooBig) == 1 && c.Connected),
            TimeSpan.FromSeconds(30), "every connection dropped for the long message and connected again");
        var published = h.Feed.Connections.Select(c => c.Counters.Published).ToArray();
        await FeedHarness.UntilAsync(
            () => h.Feed.Connections.Select((c, i) => c.Counters.Published > published[i]).All(x => x),
            TimeSpan.FromSeconds(20), "events on every connection after the reconnect");

        Assert.All(h.Feed.Connections, c =>
        {
            Assert.Equal(defaults.ReceiveBufferSize, c.Counters.ReceiveBufferBytes);
            Assert.InRange(c.Counters.PeakReceiveBufferBytes, defaults.ReceiveBufferSize, defaults.MaxMessageBytes);
        });
    }

    [Fact]
    public async Task A_user_data_message_over_the_cap_is_counted_the_stream_reconnects_and_its_buffer_is_back()
    {
        await using var h = await StateHarness.StartAsync();
        var stream = h.Stream();
        await stream.StartAsync(CancellationToken.None);
        await StateHarness.WaitUntilAsync(() => stream.Counters.Connected, "the user stream");
        var initial = new Engine.Exchange.UserData.UserDataStreamOptions().ReceiveBufferBytes;
        var connects = stream.Counters.Connects;

        using var admin = new HttpClient { BaseAddress = h.Sim.RestBaseUri };
        using var response = await admin.PostAsync(new Uri("_sim/oversize?bytes=" + (8 * 1024 * 1024) + "&stream=user", UriKind.Relative), null);
        Assert.Contains("\"connections\":1", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await StateHarness.WaitUntilAsync(() => stream.Counters.Oversized == 1 && stream.Counters.Connected && stream.Counters.Connects > connects,
            "the oversized frame to be counted and the stream to reconnect");
        Assert.Equal(initial, stream.Counters.ReceiveBufferBytes);
        Assert.Equal(0, stream.Counters.Malformed);

        // Still the account's stream: a fill after the reconnect arrives.
        var updates = stream.Counters.OrderUpdates;
        await h.PlaceAsync("BTCUSDT", Side.Buy, OrderKind.Market, "0.01");
        await StateHarness.WaitUntilAsync(() => stream.Counters.OrderUpdates > updates, "an order update after the reconnect");
    }

    private static async Task<byte[]> NextCloseFrameAsync(RawWebSocketServer server)
    {
        while (true)
        {
            var (opcode, _, payload) = await server.ReadFrameAsync(RawServerTests.Wait);
            if (opcode == 0x8)
            {
                return payload;
            }
        }
    }
}
