using System.Diagnostics;
using System.Globalization;
using Engine.Control.Metrics;
using Engine.Execution;
using Engine.Model;

namespace Tests.Execution;

/// <summary>
/// The tick-to-order trace: a real order through the gateway, the I/O loop, the REST client and a real socket to the
/// simulator carries its stamps to a sample, and the metrics export it. Values are checked for order and plausibility,
/// never for speed.
/// </summary>
public sealed class OrderLatencyTraceTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_sent_order_is_traced_from_frame_received_to_its_first_socket_write()
    {
        await using var h = await ExecutionHarness.StartAsync();
        h.Service.Start();
        var received = Stopwatch.GetTimestamp();
        Decide(h, "BTCUSDT", received);
        await ExecutionHarness.WaitUntil(() => h.Service.Trace.Count == 1, s_wait, "the order's trace sample");
        var answered = Stopwatch.GetTimestamp();

        Assert.True(h.Service.Trace.TryRead(0, out var sample));
        Assert.Equal(h.IdOf(1), sample.ClientOrderId);
        Assert.Equal(received, sample.Received);
        Assert.True(sample.Received < sample.Published && sample.Published < sample.Brain, "the stamps the event carried");
        Assert.True(sample.Brain < sample.Signed, "signed after the brain decided");
        Assert.True(sample.Signed < sample.Socket, "written to the socket after it was signed");
        Assert.True(sample.Socket < answered, "written before the answer was handled");
        Assert.False(h.Service.Trace.TryRead(1, out _));

        var writer = new PrometheusWriter();
        new ExecutionMetrics(h.Service).Collect(writer);
        var text = writer.ToString();
        Assert.Contains("# TYPE engine_tick_to_order_seconds histogram", text, StringComparison.Ordinal);
        Assert.Equal(1, Value(text, "engine_tick_to_order_seconds_count"));
        Assert.Equal(1, Value(text, "engine_tick_to_signed_order_seconds_count"));
        var toSocket = Value(text, "engine_tick_to_order_seconds_sum");
        var toSigned = Value(text, "engine_tick_to_signed_order_seconds_sum");
        Assert.InRange(toSigned, 1e-9, toSocket);
        Assert.InRange(toSocket, toSigned, Stopwatch.GetElapsedTime(received, answered).TotalSeconds);
    }

    [Fact]
    public async Task Only_orders_decided_on_market_data_that_reach_a_socket_are_traced_and_a_venue_rejection_still_counts()
    {
        await using var h = await ExecutionHarness.StartAsync();
        h.Service.Start();
        await h.SimClient!.AdminAsync("reject-orders?count=1&code=-2010");
        Decide(h, "BTCUSDT", Stopwatch.GetTimestamp());
        await ExecutionHarness.WaitUntil(() => h.Service.Counters.Rejected == 1, s_wait, "the venue's rejection");
        Assert.Equal(1, h.Service.Trace.Count);

        // Decided on an order update (an exit after a fill): sent, but its receive stamp is no frame's, so not traced.
        Decide(h, "BTCUSDT", Stopwatch.GetTimestamp(), MarketEventKind.OrderUpdate);
        await ExecutionHarness.WaitUntil(() => h.Service.Counters.Acknowledged == 1, s_wait, "the order decided on an order update");
        Assert.Equal(1, h.Service.Trace.Count);

        // Switched to paper: orders are filled locally and never written to a socket.
        h.Command(CommandKind.SetMode, 3);
        await ExecutionHarness.WaitUntil(() => h.Service.Mode == VenueMode.Paper, s_wait, "the switch to paper");
        h.Quote("BTCUSDT", 60_000m, 60_001m);
        Decide(h, "BTCUSDT", Stopwatch.GetTimestamp());
        await ExecutionHarness.WaitUntil(() => h.Service.Counters.PaperFills == 1, s_wait, "the paper fill");
        Assert.Equal(1, h.Service.Trace.Count);
    }

    /// <summary>An event as the feed and the brain leave it: received, published and brain-stamped, with one intent.</summary>
    private static void Decide(ExecutionHarness h, string symbol, long received, MarketEventKind kind = MarketEventKind.Candle)
    {
        var evt = default(MarketEvent);
        evt.Begin(kind, h.Id(symbol), 0, received);
        evt.Stamps[(int)StagePoint.Published] = received + 1;
        evt.Stamps[(int)StagePoint.Brain] = received + 2;
        evt.IntentCount = 1;
        ref var intent = ref evt.Intents[0];
        intent.Symbol = h.Id(symbol);
        intent.Side = Side.Buy;
        intent.Action = IntentAction.Enter;
        intent.Quantity = Quantity.FromMantissa(FixedPoint.One / 200);
        h.Service.Gateway.OnEvent(ref evt);
    }

    private static double Value(string exposition, string series)
    {
        var line = exposition.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
