using System.Diagnostics;
using Engine.Hosting;

namespace Engine.Control.Health;

/// <summary>A ring stage: serving while its thread runs without a fault.</summary>
public sealed class StageHealth(PipelineService service, int index) : IHealthComponent
{
    public string Name { get; } = RingPipeline.StageNames[index];

    public ComponentCheck Check()
    {
        var pipeline = service.Pipeline;
        if (pipeline is null || pipeline.Placements[index] is null)
        {
            return ComponentCheck.Down("not started");
        }

        var stage = pipeline.Stages[index];
        if (stage.Fault is { } fault)
        {
            return ComponentCheck.Down($"halted on a fault: {fault.GetType().Name}: {fault.Message}");
        }

        if (!stage.IsRunning)
        {
            return ComponentCheck.Down("stopped");
        }

        var backlog = Math.Max(0, pipeline.Ring.Cursor - stage.Sequence.Value);
        return ComponentCheck.Up($"running, {pipeline.Statistics[index].Events} events, backlog {backlog}; {pipeline.Roles[index]}");
    }
}

/// <summary>
/// The market source: serving while it runs and keeps publishing. A source that publishes nothing for
/// <see cref="HealthOptions.FeedStaleAfter"/> is not serving, whether its thread is alive or not.
/// </summary>
public sealed class SyntheticFeedHealth(PipelineService service, TimeSpan staleAfter) : IHealthComponent
{
    private long _lastCount = -1;
    private long _lastChange;

    public string Name => "feed";

    public ComponentCheck Check()
    {
        var source = service.Source;
        if (source is null)
        {
            return ComponentCheck.Down("not started");
        }

        var now = Stopwatch.GetTimestamp();
        var published = source.Published;
        if (published != _lastCount)
        {
            _lastCount = published;
            _lastChange = now;
        }

        if (!source.IsRunning)
        {
            return ComponentCheck.Down($"synthetic source stopped after {published} events");
        }

        var quiet = Stopwatch.GetElapsedTime(_lastChange, now);
        return quiet > staleAfter
            ? ComponentCheck.Down($"no market data for {quiet.TotalSeconds:0.0} s (limit {staleAfter.TotalSeconds:0.#} s)")
            : ComponentCheck.Up($"synthetic source, {published} events published");
    }
}

/// <summary>The replay source: running, finished at the end of its files (still healthy: the run is complete), or stopped on a bad row.</summary>
public sealed class ReplayFeedHealth(Engine.Feed.Replay.ReplayMarketSource replay) : IHealthComponent
{
    public string Name => "feed";

    public ComponentCheck Check()
    {
        if (replay.Error is { } error)
        {
            return ComponentCheck.Down($"replay stopped after {replay.Published} events: {error.Message}");
        }

        if (replay.ReachedEnd)
        {
            return ComponentCheck.Up($"replay finished: {replay.Published} events from {replay.Files.Count} file(s)");
        }

        return replay.IsRunning
            ? ComponentCheck.Up($"replaying: {replay.Published} events so far")
            : ComponentCheck.Down("replay not running");
    }
}
