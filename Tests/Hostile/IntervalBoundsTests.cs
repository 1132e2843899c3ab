using Engine.Hosting;
using Engine.State.Reconciliation;
using Microsoft.Extensions.Configuration;
using Tests.Hosting;

namespace Tests.Hostile;

/// <summary>
/// An interval past what timers take (about 49.7 days) used to be accepted and then killed the periodic reconciliation
/// silently, in a task nobody observed. Every interval is bounded at validation, at a day: RECONCILIATION_INTERVAL and
/// any TimeSpan setting of any section, each refused with one line and exit code 2 by the real engine process.
/// </summary>
public sealed class IntervalBoundsTests
{
    [Fact]
    public void A_reconciliation_interval_of_fifty_days_is_refused_at_start()
    {
        using var engine = new EngineProcess([], [("RECONCILIATION_INTERVAL", "4320000"), ("Engine__Control__Port", "0"), ("Engine__Metrics__Port", "0")]);

        Assert.Equal(2, engine.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Equal(["engine: RECONCILIATION_INTERVAL '4320000' must be a whole number of seconds from 1 to 86400."], engine.ErrorLines);
    }

    [Fact]
    public void The_reconciliation_validator_bounds_the_interval_to_a_day()
    {
        var validator = new ReconciliationOptionsValidator();
        Assert.True(validator.Validate(null, new ReconciliationOptions { Interval = TimeSpan.FromDays(1) }).Succeeded);
        var refused = validator.Validate(null, new ReconciliationOptions { Interval = TimeSpan.FromDays(50) });
        Assert.True(refused.Failed);
        Assert.Contains("Engine:Reconciliation:Interval must be 1 second to 1 day", refused.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_interval_setting_of_every_section_is_bounded()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Health:CheckInterval"] = "2.00:00:00",
            ["Engine:Rest:ClockSyncInterval"] = "49.17:02:47.295",
            ["Engine:UserStream:ReconnectDelay"] = "10675199.02:48:05.4775807",
            ["Engine:Execution:QueryDelay"] = "1.00:00:00",
        }).Build();
        var failures = new List<string>();

        SettingsCheck.CheckSections(configuration, failures);

        Assert.Equal(
            [
                "Engine:Health:CheckInterval must be at most 24 hours (got 2.00:00:00).",
                "Engine:Rest:ClockSyncInterval must be at most 24 hours (got 49.17:02:47.2950000).",
                "Engine:UserStream:ReconnectDelay must be at most 24 hours (got 10675199.02:48:05.4775807).",
            ],
            failures.Order(StringComparer.Ordinal));
    }
}
