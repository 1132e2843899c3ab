using Engine.Control;
using Engine.Control.Health;
using Engine.Control.V1;
using Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Tests.Brain;

namespace Tests.Control;

public sealed class CooldownWatcherTests
{
    [Fact]
    public async Task A_failed_order_shows_in_health_and_as_started_and_ended_events()
    {
        var symbols = new SymbolTable();
        symbols.Add("BTCUSDT");
        var driver = new BrainDriver(BrainDriver.TestOptions(), 1);
        var events = new EngineEvents();
        using var watch = events.Subscribe();
        var watcher = new CooldownWatcher(driver.Brain.Counters, symbols, events, NullLogger<CooldownWatcher>.Instance);

        Assert.Equal(0, watcher.Poll());
        Assert.Equal("no symbol in cooldown", watcher.Check().Detail);

        driver.Warm(0, 40, 1);
        var entry = Assert.Single(BrainDriver.Intents(driver.Kline(1, 40, 20)));
        var rejectedAt = BrainDriver.CloseTime(40) + 1_000;
        driver.Reject(entry, rejectedAt);

        Assert.Equal(1, watcher.Poll());
        var check = watcher.Check();
        Assert.True(check.Serving);
        Assert.StartsWith("1 in cooldown: BTCUSDT until", check.Detail, StringComparison.Ordinal);
        Assert.Equal(0, watcher.Poll());

        Assert.Empty(BrainDriver.Intents(driver.Kline(1, 41, 20))); // refused: inside the cooldown
        driver.Trade(1, rejectedAt + 60_000, BrainDriver.TrendCandle(41).Close);
        Assert.Equal(1, watcher.Poll());
        Assert.Equal("no symbol in cooldown", watcher.Check().Detail);

        events.Complete();
        var seen = new List<Cooldown>();
        await foreach (var e in watch.Reader.ReadAllAsync())
        {
            seen.Add(e.Cooldown);
        }

        Assert.Collection(
            seen,
            c => Assert.Equal(("BTCUSDT", "started", rejectedAt + 60_000), (c.Symbol, c.Phase, c.UntilMs)),
            c => Assert.Equal(("BTCUSDT", "ended", 0L), (c.Symbol, c.Phase, c.UntilMs)));
    }
}
