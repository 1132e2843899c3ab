using Engine.Model;

namespace Tests.Execution;

/// <summary>
/// A venue clock that jumped ahead (as an accelerated simulator's does, or a drifting host's): the order signed on the
/// stage is refused with -1021, the REST client resynchronises, and execution signs it again at a fresh timestamp —
/// same client order id — so it is accepted, once.
/// </summary>
public sealed class ExecutionClockTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_presigned_order_refused_for_its_timestamp_is_signed_again_after_the_resync_and_placed_once()
    {
        await using var h = await ExecutionHarness.StartAsync();
        h.Service.Start();

        // The harness signs with a 1 s recvWindow: 5 s of skew puts every timestamp signed on the old offset outside it.
        await h.SimClient!.AdminAsync("skew?ms=5000");
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(u => u.Status == OrderStatus.Filled), s_wait, "the order filled");

        Assert.True(h.Service.Counters.Retries >= 1, "the order was not refused and signed again");
        Assert.DoesNotContain(h.UpdatesOf(h.IdOf(1)), u => u.Status == OrderStatus.Rejected);
        var wire = "e" + h.IdOf(1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var all = await h.SimClient.SignedAsync(HttpMethod.Get, "fapi/v1/allOrders", "symbol=BTCUSDT");
        Assert.Single(all.Json.EnumerateArray(), o => o.GetProperty("clientOrderId").GetString() == wire);
        Assert.Equal(0, h.Service.Counters.SwitchesToPaper);
    }
}
