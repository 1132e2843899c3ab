using Engine.Exchange.Wire;
using Engine.Execution;
using Engine.Model;
using Engine.State.Journal;

namespace Tests.Execution;

/// <summary>
/// The execution stage puts orders on the wire itself: the simulator's WebSocket API on loopback, the intent log in the
/// journal folder, the I/O loop booking, answering and querying. Real sockets, the real simulator.
/// </summary>
public sealed class StageSendTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    private static bool Final(OrderUpdateData u) => u.Status is OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Rejected or OrderStatus.Expired;

    private static Task<ExecutionHarness> StartAsync() =>
        ExecutionHarness.StartAsync(journal: j => j.Fsync = FsyncPolicy.Batched);

    /// <summary>The harness with the venue's wire attached and the service started: the stage sends from the first order.</summary>
    private sealed class StageSending : IAsyncDisposable
    {
        private StageSending(ExecutionHarness harness, VenueWire wire) => (Harness, Wire) = (harness, wire);

        public ExecutionHarness Harness { get; }

        public VenueWire Wire { get; }

        public static async Task<StageSending> StartAsync()
        {
            var harness = await StageSendTests.StartAsync();
            VenueWire? wire = null;
            try
            {
                wire = await VenueWires.OpenAsync(harness.Sim!, harness);
                Assert.True(harness.Service.AttachWire(wire));
                harness.Service.Start();
                return new StageSending(harness, wire);
            }
            catch
            {
                if (wire is not null)
                {
                    await wire.DisposeAsync();
                }

                await harness.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Wire.DisposeAsync();
            await Harness.DisposeAsync();
        }
    }

    private static async Task<int> VenueOrdersWithClientId(ExecutionHarness h, string symbol, long clientOrderId)
    {
        var all = await h.SimClient!.SignedAsync(HttpMethod.Get, "fapi/v1/allOrders", "symbol=" + symbol);
        return all.Json.EnumerateArray().Count(o => o.GetProperty("clientOrderId").GetString() == "e" + clientOrderId);
    }

    [Fact]
    public async Task Orders_the_stage_sends_on_the_WebSocket_API_are_accepted_and_rejected_with_codes()
    {
        await using var sending = await StageSending.StartAsync();
        var (h, wire) = (sending.Harness, sending.Wire);

        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the first order final");
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(h.IdOf(1))[^1].Status);

        await h.SimClient!.AdminAsync("reject-orders?count=1&code=-2010");
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(2)).Any(Final), s_wait, "the rejection");
        var rejected = h.UpdatesOf(h.IdOf(2));
        Assert.Single(rejected);
        Assert.Equal(OrderStatus.Rejected, rejected[0].Status);

        var c = h.Service.Counters;
        Assert.Equal(2, c.SentBy(WirePath.WebSocketApi, fromStage: true));
        Assert.Equal(0, c.SentBy(WirePath.Rest, fromStage: false));
        Assert.Equal(1, c.Rejected);
        Assert.Equal(0, c.ConsecutiveFailures);
        Assert.Equal(VenueMode.Live, h.Service.Mode);
        Assert.Equal(2, h.Service.Gateway.StageSent);

        // The trace's socket stamp is the wire's write stamp, and the sample names the path.
        Assert.True(h.Service.Trace.Count >= 1);
        Assert.True(h.Service.Trace.TryRead(0, out var sample));
        Assert.Equal(WirePath.WebSocketApi, sample.Path);
        Assert.True(sample.Socket >= sample.Signed);
    }

    [Fact]
    public async Task The_stage_allocates_nothing_per_order_the_send_on_the_wire_included()
    {
        await using var sending = await StageSending.StartAsync();
        var (h, wire) = (sending.Harness, sending.Wire);
        var buy = h.OrderEvent("BTCUSDT", Side.Buy, 0.005m);
        var sell = h.OrderEvent("BTCUSDT", Side.Sell, 0.005m);
        for (var i = 0; i < 20; i++)
        {
            var warm = i % 2 == 0 ? buy : sell;
            h.Service.Gateway.OnEvent(ref warm);
        }

        await ExecutionHarness.WaitUntil(() => Enumerable.Range(1, 20).All(n => h.UpdatesOf(h.IdOf(n)).Any(Final)), s_wait, "the warm-up orders final");
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 40; i++)
        {
            var evt = i % 2 == 0 ? buy : sell;
            h.Service.Gateway.OnEvent(ref evt);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        await ExecutionHarness.WaitUntil(() => Enumerable.Range(21, 40).All(n => h.UpdatesOf(h.IdOf(n)).Any(Final)), s_wait, "the measured orders final");
        Assert.Equal(60, h.Service.Gateway.StageSent + h.Service.Gateway.StageNotSent);
        Assert.True(h.Service.Counters.SentBy(WirePath.WebSocketApi, fromStage: true) > 0, "orders went out on the WebSocket API from the stage");
    }

    [Fact]
    public async Task Keeping_the_stage_send_warm_puts_nothing_on_the_wire_and_allocates_nothing()
    {
        await using var sending = await StageSending.StartAsync();
        var (h, wire) = (sending.Harness, sending.Wire);
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the first order final");
        Assert.True(h.Service.Gateway.StageSends);

        var gateway = h.Service.Gateway;
        gateway.KeepWarm();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            gateway.KeepWarm();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1_001, gateway.WarmUps);
        Assert.Equal(1_001, wire.SendPath!.Warmings);
        Assert.Equal(0, wire.EncodeFailures);

        // The next real order takes the next id, and the venue saw exactly the two real ones.
        h.Submit("BTCUSDT", Side.Sell, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(2)).Any(Final), s_wait, "the second order final");
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(h.IdOf(2))[^1].Status);
        Assert.Equal(2, gateway.StageSent);
        var all = await h.SimClient!.SignedAsync(HttpMethod.Get, "fapi/v1/allOrders", "symbol=BTCUSDT");
        Assert.Equal(2, all.Json.GetArrayLength());
    }

    [Fact]
    public async Task A_connection_dropped_mid_order_is_an_unknown_outcome_queried_and_the_venue_has_exactly_one_order()
    {
        await using var sending = await StageSending.StartAsync();
        var (h, wire) = (sending.Harness, sending.Wire);

        // The venue takes the order, then drops the connection without answering it.
        await h.SimClient!.AdminAsync("ws-api-drop-after-order?count=1");
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the order's final state");

        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(h.IdOf(1))[^1].Status);
        Assert.Equal(1, h.Service.Counters.UnknownOutcomes);
        Assert.True(h.Service.Counters.Queries >= 1);
        Assert.Equal(0, h.Service.Counters.Resends);
        Assert.Equal(1, await VenueOrdersWithClientId(h, "BTCUSDT", h.IdOf(1)));
        Assert.Equal((long)(0.005m * FixedPoint.One), h.UpdatesOf(h.IdOf(1)).Sum(u => u.LastFillQuantity.Mantissa));
    }

    [Fact]
    public async Task While_the_WebSocket_API_is_down_the_stage_sends_on_its_REST_pool_and_with_both_down_the_IO_loop_sends()
    {
        await using var sending = await StageSending.StartAsync();
        var (h, wire) = (sending.Harness, sending.Wire);
        await h.SimClient!.AdminAsync("ws-api-down");
        await h.SimClient!.AdminAsync("ws-api-drop");
        await ExecutionHarness.WaitUntil(() => !wire.Session!.IsReady, s_wait, "the WebSocket API connection gone");

        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the order final");
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(h.IdOf(1))[^1].Status);
        Assert.Equal(1, h.Service.Counters.SentBy(WirePath.Rest, fromStage: true));
        Assert.Equal(0, h.Service.Counters.SentBy(WirePath.WebSocketApi, fromStage: true));
        Assert.Equal(1, await VenueOrdersWithClientId(h, "BTCUSDT", h.IdOf(1)));

        // The REST pool gone too: nothing leaves from the stage, the I/O loop sends through the REST client.
        wire.Pool!.Dispose();
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(2)).Any(Final), s_wait, "the second order final");
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(h.IdOf(2))[^1].Status);
        Assert.Equal(1, h.Service.Gateway.StageNotSent);
        Assert.Equal(1, h.Service.Counters.SentBy(WirePath.Rest, fromStage: false));
        Assert.Equal(1, await VenueOrdersWithClientId(h, "BTCUSDT", h.IdOf(2)));
    }

    [Fact]
    public async Task Under_fsync_per_record_the_stage_does_not_send_and_the_IO_loop_does()
    {
        await using var h = await ExecutionHarness.StartAsync();
        await using var wire = await VenueWires.OpenAsync(h.Sim!, h);
        Assert.False(h.Service.AttachWire(wire));
        h.Service.Start();
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the order final");
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(h.IdOf(1))[^1].Status);
        Assert.Equal(0, h.Service.Gateway.StageSent);
        Assert.Equal(1, h.Service.Counters.SentBy(WirePath.Rest, fromStage: false));
    }

    [Fact]
    public async Task In_paper_mode_the_stage_does_not_send()
    {
        await using var sending = await StageSending.StartAsync();
        var (h, wire) = (sending.Harness, sending.Wire);
        h.Command(CommandKind.SetMode, 3);
        await ExecutionHarness.WaitUntil(() => h.Service.Mode == VenueMode.Paper, s_wait, "paper mode");
        h.Quote("BTCUSDT", 100m, 100.1m);
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the paper fill");
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(h.IdOf(1))[^1].Status);
        Assert.Equal(0, h.Service.Gateway.StageSent);
        Assert.Equal(1, h.Service.Counters.PaperFills);
        Assert.Equal(0, await VenueOrdersWithClientId(h, "BTCUSDT", h.IdOf(1)));
    }

    [Fact]
    public async Task An_order_the_stage_sent_that_the_journal_never_heard_of_is_queried_at_the_next_start()
    {
        await using var sim = await global::Simulator.SimulatorHost.StartAsync(ExecutionHarness.SimOptions());
        var journal = ExecutionHarness.NewJournalDirectory();
        long clientOrderId;
        await using (var first = await ExecutionHarness.StartAsync(sim: sim, journalDir: journal, journal: j => j.Fsync = FsyncPolicy.Batched))
        {
            await using var wire = await VenueWires.OpenAsync(sim, first);
            Assert.True(first.Service.AttachWire(wire));

            // The stage sends, and the I/O loop never takes its turn: a crash between the send and the journal.
            first.Service.Gateway.SetStageSends(true);
            first.Submit("BTCUSDT", Side.Buy, 0.005m);
            clientOrderId = first.IdOf(1);
            Assert.Equal(1, first.Service.Gateway.StageSent);
            await ExecutionHarness.WaitUntil(() => VenueOrdersWithClientId(first, "BTCUSDT", clientOrderId).GetAwaiter().GetResult() == 1, s_wait, "the order at the venue");
        }

        await using var second = await ExecutionHarness.StartAsync(sim: sim, journalDir: journal, journal: j => j.Fsync = FsyncPolicy.Batched);
        Assert.Contains(second.Service.OpenOrders, o => o.ClientOrderId == clientOrderId);
        second.Service.Start();
        await ExecutionHarness.WaitUntil(() => second.UpdatesOf(clientOrderId).Any(Final), s_wait, "the recovered order's state");

        Assert.Equal(OrderStatus.Filled, second.UpdatesOf(clientOrderId)[^1].Status);
        Assert.True(second.Service.Counters.Queries >= 1);
        Assert.Equal(0, second.Service.Counters.Resends);
        Assert.Equal(1, await VenueOrdersWithClientId(second, "BTCUSDT", clientOrderId));
        Directory.Delete(journal, recursive: true);
    }
}
