using Engine.Control.Health;
using Engine.Hosting;
using Engine.Model;
using Engine.Telemetry;

namespace Engine.Control.Metrics;

/// <summary>The ring, its stages, the events that reached the tail and the market source.</summary>
public sealed class PipelineMetrics(PipelineService service, RingPipeline pipeline, SymbolTable symbols, LaunchSettings launch) : IMetricsSource
{
    private static readonly (MarketEventKind Kind, string Name)[] s_kinds =
    [
        (MarketEventKind.Trade, "trade"), (MarketEventKind.Quote, "quote"), (MarketEventKind.Candle, "candle"),
        (MarketEventKind.OrderUpdate, "order_update"), (MarketEventKind.Command, "command"),
        (MarketEventKind.Account, "account"), (MarketEventKind.MarkPrice, "mark_price"),
        (MarketEventKind.Position, "position"),
    ];

    private readonly long[] _buckets = new long[LatencyHistogram.BucketCount];

    public void Collect(PrometheusWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var stages = pipeline.Stages;
        var names = RingPipeline.StageNames;
        writer.Family("engine_ring_slots", "gauge", "Slots in the ring.").Sample("engine_ring_slots", pipeline.Ring.BufferSize);

        writer.Family("engine_ring_backlog", "gauge", "Events claimed in the ring but not yet handled by the stage.");
        var cursor = pipeline.Ring.Cursor;
        for (var i = 0; i < stages.Count; i++)
        {
            writer.Sample("engine_ring_backlog", Math.Max(0, cursor - stages[i].Sequence.Value), ("stage", names[i]));
        }

        writer.Family("engine_stage_up", "gauge", "1 while the stage's thread runs without a fault.");
        for (var i = 0; i < stages.Count; i++)
        {
            var up = pipeline.Placements[i] is not null && stages[i].IsRunning && stages[i].Fault is null;
            writer.Sample("engine_stage_up", up ? 1 : 0, ("stage", names[i]));
        }

        writer.Family("engine_stage_events_total", "counter", "Events the stage has handled.");
        for (var i = 0; i < stages.Count; i++)
        {
            writer.Sample("engine_stage_events_total", pipeline.Statistics[i].Events, ("stage", names[i]));
        }

        writer.Family("engine_stage_batches_total", "counter", "Batches the stage has handled.");
        for (var i = 0; i < stages.Count; i++)
        {
            writer.Sample("engine_stage_batches_total", pipeline.Statistics[i].Batches, ("stage", names[i]));
        }

        writer.Family("engine_stage_latency_seconds", "histogram", "Time from an event's publication into the ring to the stage finishing it.");
        for (var i = 0; i < stages.Count; i++)
        {
            var statistics = pipeline.Statistics[i];
            statistics.SincePublished.CopyTo(_buckets);
            writer.LatencyHistogram("engine_stage_latency_seconds", _buckets, statistics.LatencySumNanoseconds / 1e9, "stage", names[i]);
        }

        var counters = pipeline.TailCounters;
        var symbolCount = Math.Min(symbols.Count, counters.SymbolCapacity);
        writer.Family("engine_events_total", "counter", "Events that passed the whole pipeline, by type and symbol.");
        foreach (var (kind, name) in s_kinds)
        {
            var noSymbol = counters.Read(kind, 0);
            if (noSymbol > 0 || kind == MarketEventKind.Command)
            {
                writer.Sample("engine_events_total", noSymbol, ("type", name), ("symbol", ""));
            }

            if (kind == MarketEventKind.Command)
            {
                continue;
            }

            for (var s = 1; s <= symbolCount; s++)
            {
                writer.Sample("engine_events_total", counters.Read(kind, s), ("type", name), ("symbol", symbols.NameOf(new SymbolId((ushort)s))));
            }
        }

        writer.Family("engine_ticks_total", "counter", "Market-data updates (trades and best bid/offer changes) that passed the whole pipeline, by symbol.");
        for (var s = 1; s <= symbolCount; s++)
        {
            var ticks = counters.Read(MarketEventKind.Trade, s) + counters.Read(MarketEventKind.Quote, s);
            writer.Sample("engine_ticks_total", ticks, ("symbol", symbols.NameOf(new SymbolId((ushort)s))));
        }

        writer.Family("engine_feed_events_published_total", "counter", "Events the market source has published into the ring.");
        writer.Sample("engine_feed_events_published_total", service.EventsPublished, ("source", SourceName(launch.Mode)));

        writer.Family("engine_commands_completed_total", "counter", "Commands that went through the ring and reached the tail.");
        writer.Sample("engine_commands_completed_total", pipeline.Replies.Completed);
    }

    private static string SourceName(EngineMode mode) => mode switch
    {
        EngineMode.Synthetic => "synthetic",
        EngineMode.Replay => "replay",
        _ => "websocket",
    };
}

/// <summary>The run itself: build, start time, venue mode, health.</summary>
public sealed class EngineInfoMetrics(EngineRuntime runtime, HealthMonitor health, CommandCounters commands) : IMetricsSource
{
    public void Collect(PrometheusWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Family("engine_build_info", "gauge", "Always 1; the labels say which build and environment run.")
            .Sample("engine_build_info", 1, ("version", runtime.Version), ("environment", runtime.Launch.Environment));
        writer.Family("engine_start_time_seconds", "gauge", "When the engine started, seconds since the Unix epoch.")
            .Sample("engine_start_time_seconds", runtime.StartedAt.ToUnixTimeMilliseconds() / 1000.0);

        writer.Family("engine_venue_mode", "gauge", "1 for the mode the engine runs in, 0 for the others.");
        var mode = runtime.Mode;
        foreach (var candidate in Enum.GetValues<EngineMode>())
        {
            writer.Sample("engine_venue_mode", candidate == mode ? 1 : 0, ("mode", candidate.ToString().ToLowerInvariant()));
        }

        var snapshot = health.Current;
        writer.Family("engine_health_serving", "gauge", "1 when every component is serving (grpc.health.v1 overall SERVING).")
            .Sample("engine_health_serving", snapshot.Serving ? 1 : 0);
        writer.Family("engine_component_up", "gauge", "1 when the component's health check passes.");
        foreach (var component in snapshot.Components)
        {
            writer.Sample("engine_component_up", component.Serving ? 1 : 0, ("component", component.Name));
        }

        writer.Family("engine_control_commands_total", "counter", "Control-plane commands received, by command and outcome.");
        foreach (var (command, outcome, count) in commands.Snapshot())
        {
            writer.Sample("engine_control_commands_total", count, ("command", command), ("outcome", outcome));
        }
    }
}

/// <summary>Counts of control-plane commands by command and outcome (RPC threads only).</summary>
public sealed class CommandCounters
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<(string Command, string Outcome), long> _counts = [];

    public void Count(string command, string outcome)
    {
        lock (_gate)
        {
            _counts[(command, outcome)] = _counts.GetValueOrDefault((command, outcome)) + 1;
        }
    }

    public IReadOnlyList<(string Command, string Outcome, long Count)> Snapshot()
    {
        lock (_gate)
        {
            return [.. _counts.Select(p => (p.Key.Command, p.Key.Outcome, p.Value))];
        }
    }
}
