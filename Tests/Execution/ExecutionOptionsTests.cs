using Engine.Execution;
using Engine.State.Journal;

namespace Tests.Execution;

public sealed class ExecutionOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.True(new ExecutionOptionsValidator().Validate(null, new ExecutionOptions()).Succeeded);
        Assert.True(new JournalOptionsValidator().Validate(null, new JournalOptions()).Succeeded);
    }

    [Fact]
    public void Bad_settings_are_refused_by_name()
    {
        var execution = new ExecutionOptions { QueueCapacity = 1000, MaxConsecutiveFailures = 1, PaperTakerFee = 0.5m, OrderKind = Engine.Model.OrderKind.StopMarket };
        var failures = string.Join("\n", new ExecutionOptionsValidator().Validate(null, execution).Failures!);
        Assert.Contains("Engine:Execution:QueueCapacity", failures, StringComparison.Ordinal);
        Assert.Contains("Engine:Execution:MaxConsecutiveFailures must be at least 2", failures, StringComparison.Ordinal);
        Assert.Contains("Engine:Execution:PaperTakerFee", failures, StringComparison.Ordinal);
        Assert.Contains("Engine:Execution:OrderKind", failures, StringComparison.Ordinal);

        var journal = new JournalOptions { Directory = " ", GroupCommitRecords = 0, SegmentMaxBytes = 10 };
        var journalFailures = string.Join("\n", new JournalOptionsValidator().Validate(null, journal).Failures!);
        Assert.Contains("Engine:Journal:Directory", journalFailures, StringComparison.Ordinal);
        Assert.Contains("Engine:Journal:GroupCommitRecords", journalFailures, StringComparison.Ordinal);
        Assert.Contains("Engine:Journal:SegmentMaxBytes", journalFailures, StringComparison.Ordinal);
    }
}
