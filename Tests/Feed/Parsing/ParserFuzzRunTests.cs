using Benchmarks.Fuzz;

namespace Tests.Feed.Parsing;

/// <summary>
/// The fuzzing run of Benchmarks/results/fuzz.md, smaller: 20,000 mutated real frames through the frame parser
/// (with its venue-clock window) and the feed's id sequencing, and mutated documented frames through the user-data
/// parser. No exception escapes, no impossible value is published, and the run reaches every outcome that matters.
/// </summary>
public sealed class ParserFuzzRunTests
{
    [Fact]
    public void Twenty_thousand_mutated_frames_crash_nothing_and_publish_nothing_impossible()
    {
        var report = FrameFuzzer.Run(FrameFuzzer.LoadMarketCorpus(Path.Combine(AppContext.BaseDirectory, "Data")), FrameFuzzer.UserCorpus, 20_000, seed: 7);
        Assert.True(report.Crashes == 0 && report.Impossible == 0, string.Join("\n", report.Failures));
        Assert.Equal(20_000, report.Inputs);

        var outcomes = string.Join(", ", report.MarketOutcomes.Select(o => $"{o.Key} {o.Value}")) + "; " + string.Join(", ", report.UserOutcomes.Select(o => $"{o.Key} {o.Value}"));

        // Not a run that only broke JSON: events, refusals of every reason the parser judges, and user-data events.
        Assert.True(report.MarketOutcomes.GetValueOrDefault(Engine.Feed.Parsing.FrameOutcome.Event) > 1500, outcomes);
        Assert.True(report.MarketOutcomes.GetValueOrDefault(Engine.Feed.Parsing.FrameOutcome.Malformed) > 1000, outcomes);
        foreach (var reason in new[] { Engine.Feed.Parsing.FrameRefusal.Price, Engine.Feed.Parsing.FrameRefusal.Quantity, Engine.Feed.Parsing.FrameRefusal.EventTime, Engine.Feed.Parsing.FrameRefusal.Id })
        {
            Assert.True(report.Refusals.GetValueOrDefault(reason) > 0, $"no {reason} refusal");
        }

        Assert.True(report.UserOutcomes.GetValueOrDefault(Engine.Exchange.UserData.UserDataFrameKind.OrderUpdate) > 100, outcomes);
        Assert.True(report.UserOutcomes.GetValueOrDefault(Engine.Exchange.UserData.UserDataFrameKind.Malformed) > 100, outcomes);
    }
}
