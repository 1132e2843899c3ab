using Engine.Control.Health;
using Engine.Execution;
using Engine.Model;

namespace Tests.Execution;

/// <summary>
/// Reduce-only mode (<see cref="ExecutionService.EnterReduceOnly"/>, what the host calls when a ring stage halts):
/// entries refused at the stage and in the I/O loop, every position of execution's fold closed with a reduce-only
/// market order (on paper in paper mode), health saying why; the refusing stage allocates nothing.
/// </summary>
public sealed class ReduceOnlyTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    private static bool Final(OrderUpdateData u) => u.Status is OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Rejected or OrderStatus.Expired;

    [Fact]
    public async Task Paper_positions_are_closed_on_paper_and_entries_are_refused_from_then_on()
    {
        await using var h = ExecutionHarness.StartPaper(o => o.JournalRetryInterval = TimeSpan.FromMilliseconds(50));
        Assert.False(h.Service.EnterReduceOnly("before start"));
        h.Service.Start();
        h.Quote("BTCUSDT", 60000m, 60000.5m);
        h.Quote("ETHUSDT", 3000m, 3000.5m);
        h.Submit("BTCUSDT", Side.Buy, 0.01m);
        h.Submit("ETHUSDT", Side.Sell, 0.1m);
        await ExecutionHarness.WaitUntil(() => h.Updates().Count(Final) == 2, s_wait, "both entries filled");

        var health = new ExecutionHealth(h.Service, VenueMode.Paper);
        Assert.True(health.Check().Serving);
        Assert.True(h.Service.EnterReduceOnly("stage brain halted on a fault: test"));
        await ExecutionHarness.WaitUntil(() => h.Service.Counters.ProtectiveCloses == 2 && h.Updates().Count(Final) == 4, s_wait, "both positions closed");
        var closes = h.Updates().Where(u => u.ReduceOnly).ToList();
        Assert.Equal(2, closes.Count);
        Assert.All(closes, c => Assert.Equal(OrderStatus.Filled, c.Status));
        Assert.Contains(closes, c => c.Side == Side.Sell && c.FilledQuantity == Quantity.Parse("0.01"u8));
        Assert.Contains(closes, c => c.Side == Side.Buy && c.FilledQuantity == Quantity.Parse("0.1"u8));

        var down = health.Check();
        Assert.False(down.Serving);
        Assert.Contains("reduce-only: stage brain halted on a fault: test", down.Detail, StringComparison.Ordinal);
        Assert.True(h.Service.Gateway.RefusingEntries);

        // An entry is refused (not sent to the paper venue either); an exit still passes.
        var entry = h.IdOf(3);
        h.Submit("BTCUSDT", Side.Buy, 0.01m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(entry).Any(Final), s_wait, "the entry refused");
        Assert.Equal(OrderStatus.Rejected, h.UpdatesOf(entry).Single().Status);
        Assert.Equal(1, h.Service.Counters.EntriesRefused);
        Assert.Equal(4, h.Service.Counters.PaperFills);

        h.Service.Stop(TimeSpan.FromSeconds(5));
        Assert.All(h.Service.PositionsSnapshot(), p => Assert.True(p.Amount.IsZero, p.Symbol));
        Assert.False(h.Service.EnterReduceOnly("after stop"));
    }

    [Fact]
    public void The_stage_refusing_entries_allocates_nothing()
    {
        using var h = new HarnessScope(ExecutionHarness.StartPaper(o => o.QueueCapacity = 1 << 16));
        var gateway = h.Harness.Service.Gateway;
        gateway.RefuseEntries(RejectReason.ReduceOnly);
        var evt = default(MarketEvent);
        evt.Begin(MarketEventKind.Trade, h.Harness.Id("BTCUSDT"), 0, 0);
        evt.IntentCount = 1;
        evt.Intents[0].Symbol = h.Harness.Id("BTCUSDT");
        evt.Intents[0].Side = Side.Buy;
        evt.Intents[0].Quantity = Quantity.Parse("0.001"u8);
        for (var i = 0; i < 100; i++)
        {
            gateway.OnEvent(ref evt);
        }

        Assert.Equal(0, AllocationMeter.OnThisThread(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                gateway.OnEvent(ref evt);
            }
        }, rounds: 3));
        Assert.Equal(0, gateway.Built);
    }

    private sealed class HarnessScope(ExecutionHarness harness) : IDisposable
    {
        public ExecutionHarness Harness { get; } = harness;

        public void Dispose() => Harness.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
