using System.Globalization;
using System.Diagnostics;
using Engine.Exchange.Wire;
using Engine.Execution;
using Engine.Hosting;
using Engine.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Benchmarks.EndToEnd;

/// <summary>What one measured phase produced.</summary>
public sealed class PhaseResult
{
    public required string Name { get; init; }

    /// <summary>The engine profile measured; null for the baseline.</summary>
    public EngineProfile? Profile { get; init; }

    public HopHistograms Hops { get; } = new();

    /// <summary>Events the first stage handled in the measured window (market data and order updates).</summary>
    public long Events { get; set; }

    /// <summary>Bytes the stage threads allocated in the measured window (GC.GetAllocatedBytesForCurrentThread at batch ends), per stage.</summary>
    public List<(string Stage, long Bytes, long Events)> StageAllocations { get; } = [];

    /// <summary>GC.GetTotalAllocatedBytes(precise) over the measured window: every thread of the process.</summary>
    public long ProcessAllocatedBytes { get; set; }

    public TimeSpan Measured { get; set; }

    public List<string> Notes { get; } = [];

    /// <summary>How the engine's first-socket-write stamps compare with the kernel's packet capture (empty when not captured).</summary>
    public List<string> WireAgreement { get; } = [];
}

/// <summary>
/// The engine as it runs in production, in this process: <c>--mode sim</c> through the same calls as
/// <c>Engine/Program.cs</c> (options, embedded simulator on loopback, host, discovery, hosted services), so the feed's
/// WebSocket connections, parser, ring, brain, execution stage, I/O loop, journal and REST client are the real ones,
/// with the wait strategy and placement of the configuration (appsettings.json unless overridden). Samples come from
/// execution's <see cref="OrderLatencyTrace"/>.
/// </summary>
public static class EnginePhase
{
    public static async Task<PhaseResult> RunAsync(E2eSettings settings, EngineProfile profile, CancellationToken cancellationToken)
    {
        var journal = Path.Combine(Path.GetTempPath(), $"e2e-journal-{Environment.ProcessId}-{profile.Name}-{DateTime.UtcNow:yyyyMMddHHmmss}");
        try
        {
            return await RunAsync(settings, profile, journal, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (Directory.Exists(journal))
            {
                Directory.Delete(journal, recursive: true);
            }
        }
    }

    private static async Task<PhaseResult> RunAsync(E2eSettings settings, EngineProfile profile, string journal, CancellationToken cancellationToken)
    {
        await using var simulator = settings.Venue == VenuePlacement.Process
            ? await HarnessVenue.StartAsync(settings, VenuePlacement.Process, profile.ReservedCpus, cancellationToken).ConfigureAwait(false)
            : null;
        var errors = new List<string>();
        var launch = EngineLaunch.Parse(
            [.. settings.EngineArguments(profile, simulator, journal)],
            name => name switch
            {
                "BINANCE_API_KEY" => simulator?.ApiKey,
                "BINANCE_API_SECRET" => simulator?.ApiSecret,
                _ => null,
            },
            errors);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors));
        }

        var (builder, options) = EngineHostBuilder.Configure(launch);
        await using var venue = await VenueSession.OpenAsync(launch, options.Simulator, options.Venue, cancellationToken).ConfigureAwait(false);
        await using var app = EngineHostBuilder.Build(builder, options, launch, venue);
        await EngineHostBuilder.PrepareAsync(app, cancellationToken).ConfigureAwait(false);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var result = new PhaseResult { Name = profile.PhaseName, Profile = profile };
        result.Notes.Add($"placement profile: {profile.Description}");
        result.Notes.Add(simulator is null
            ? "venue: the embedded simulator, in this process (--mode sim)"
            : $"venue: the simulator in {simulator.Description}; the engine in --mode live against it");
        try
        {
            var pipeline = app.Services.GetRequiredService<RingPipeline>();
            var execution = app.Services.GetRequiredService<ExecutionService>();
            var ring = app.Services.GetRequiredService<IOptions<EngineOptions>>().Value.Ring;
            var waits = string.Join(", ", RingPipeline.StageNames.Select((name, i) =>
                pipeline.Fused && name == "execution" ? "execution on the brain's thread" : $"{name} {pipeline.StageWaitStrategies[i]}"));
            result.Notes.Add($"wait strategies: {waits} (spin-then-block: spin {ring.Spin.TotalMicroseconds:0.#} µs, yield {ring.Yield.TotalMilliseconds:0.###} ms); ring {ring.Size} slots");
            result.Notes.Add("placement at start: " + string.Join(", ", pipeline.Placements.Select(p => p is null ? "?" : $"{p.Stage} on CPU {p.Cpu} ({p.Pin.Outcome}, thread {p.ThreadName})"))
                + (ring.IsolateStageCpus ? $"; CPU {string.Join(",", pipeline.StageCpuSet)} reserved: every other thread moved off it" : ""));

            await Task.Delay(settings.WarmUp, cancellationToken).ConfigureAwait(false);
            var venuePort = (simulator?.RestBaseUri ?? venue.RestBaseAddress)?.Port ?? 0;
            var noCapture = "no venue port";
            using var capture = settings.Capture && venuePort > 0 ? WireCapture.TryStart(venuePort, Path.GetTempPath(), out noCapture) : null;
            if (capture is null && settings.Capture)
            {
                result.WireAgreement.Add($"no packet capture: {noCapture}");
            }

            var stats = pipeline.Statistics;
            var allocatedBefore = stats.Select(s => s.ThreadAllocatedBytes).ToArray();
            var eventsBefore = stats.Select(s => s.Events).ToArray();
            var processBefore = GC.GetTotalAllocatedBytes(precise: true);
            var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            var start = Stopwatch.GetTimestamp();
            var trace = execution.Trace;
            var next = trace.Count;
            var lost = 0L;
            var until = start + (long)(settings.Measure.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < until)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
                next = Drain(trace, next, start, result.Hops, ref lost);
            }

            result.Measured = Stopwatch.GetElapsedTime(start);
            if (capture is not null)
            {
                capture.Stop();
                Compare(capture, result);
            }

            if (settings.SlotsFile is { } slots)
            {
                WriteLastLap(pipeline, $"{Path.ChangeExtension(slots, null)}-{profile.Name}{Path.GetExtension(slots)}");
            }

            result.ProcessAllocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - processBefore;
            result.Notes.Add(GcNote(gcBefore));
            for (var i = 0; i < stats.Length; i++)
            {
                result.StageAllocations.Add((stats[i].Stage, stats[i].ThreadAllocatedBytes - allocatedBefore[i], stats[i].Events - eventsBefore[i]));
            }

            result.Events = stats[0].Events - eventsBefore[0];
            if (lost > 0)
            {
                result.Notes.Add($"{lost} samples overwritten before they were read (trace ring of {OrderLatencyTrace.Capacity})");
            }

            result.Notes.Add($"brain hand-offs mid-batch (early release): {pipeline.BrainRelease.Releases:N0}{(pipeline.BrainRelease.YieldAfterRelease ? ", each yielding the shared core" : "")}; "
                + $"signing kept warm while idle (a dummy order signed into a scratch buffer): {execution.Gateway.WarmUps:N0} times");
            result.Notes.Add($"orders: {execution.Counters.Sent} sent, {execution.Counters.Acknowledged} accepted, {execution.Counters.Rejected} rejected by the venue or locally over the whole run");
            var c = execution.Counters;
            result.Notes.Add($"venue paths over the whole run: from the execution stage {c.SentBy(WirePath.WebSocketApi, true)} on the WebSocket API and {c.SentBy(WirePath.Rest, true)} on the REST order pool; "
                + $"from the I/O loop {c.SentBy(WirePath.WebSocketApi, false)} on the WebSocket API and {c.SentBy(WirePath.Rest, false)} over REST; the stage handed {execution.Gateway.StageNotSent} to the loop (wire busy or down, or no room in the intent log)");
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>
    /// The ring's last lap, one row per slot: kind, symbol, intents and the stamps (ns from the lap's first publish). Where
    /// a stage's stamp minus the later of the previous slot's and this slot's publish is large, the stage thread was
    /// held: that is how the machine's hiccups were found.
    /// </summary>
    private static void WriteLastLap(RingPipeline pipeline, string path)
    {
        var ring = pipeline.Ring;
        var cursor = ring.Cursor;
        var first = Math.Max(0, cursor - ring.BufferSize + 1);
        var origin = ring[first].Stamps[(int)StagePoint.Published];
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var writer = new StreamWriter(path);
        writer.WriteLine("sequence,kind,symbol,intents,published_ns,brain_ns,execution_ns,tail_ns");
        for (var sequence = first; sequence <= cursor; sequence++)
        {
            ref var slot = ref ring[sequence];
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{sequence},{slot.Kind},{slot.Symbol.Value},{slot.IntentCount},{Ns(slot.Stamps[(int)StagePoint.Published])},{Ns(slot.Stamps[(int)StagePoint.Brain])},{Ns(slot.Stamps[(int)StagePoint.Execution])},{Ns(slot.Stamps[(int)StagePoint.Tail])}"));
        }

        long Ns(long stamp) => stamp == 0 ? 0 : (long)((stamp - origin) * (1e9 / Stopwatch.Frequency));
    }

    /// <summary>Collections and the time the GC held every managed thread (stage threads included) in the window.</summary>
    internal static string GcNote((int Gen0, int Gen1, int Gen2, TimeSpan Paused) before)
    {
        var paused = GC.GetTotalPauseDuration() - before.Paused;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"GC in the window: {GC.CollectionCount(0) - before.Gen0} gen0, {GC.CollectionCount(1) - before.Gen1} gen1, {GC.CollectionCount(2) - before.Gen2} gen2 collections; {paused.TotalMilliseconds:0.#} ms paused in all (every thread stops, the stages too)");
    }

    /// <summary>Each order's first-socket-write stamp against its first packet in the kernel's capture.</summary>
    private static void Compare(WireCapture capture, PhaseResult result)
    {
        var packets = capture.FirstPackets();
        var differences = new List<long>();
        var stamped = 0;
        foreach (var sample in result.Hops.Samples)
        {
            if (sample.Socket == 0)
            {
                continue;
            }

            stamped++;
            if (packets.TryGetValue(sample.ClientOrderId, out var kernel))
            {
                differences.Add(kernel - capture.ToRealtimeNanoseconds(sample.Socket));
            }
        }

        result.WireAgreement.Add($"tcpdump on lo, packets to the venue's port: {capture.Summary}");
        if (differences.Count == 0)
        {
            result.WireAgreement.Add($"no order of the {stamped:N0} stamped was found in the capture");
            return;
        }

        differences.Sort();
        double Us(double percentile) => differences[Math.Min(differences.Count - 1, (int)(percentile / 100 * differences.Count))] / 1000.0;
        var within = differences.Count(d => Math.Abs(d) <= 20_000);
        result.WireAgreement.Add(string.Create(CultureInfo.InvariantCulture,
            $"{differences.Count:N0} of {stamped:N0} stamped orders found in the capture; kernel timestamp − engine stamp: min {differences[0] / 1000.0:0.0} µs, "
            + $"p50 {Us(50):0.0} µs, p99 {Us(99):0.0} µs, max {differences[^1] / 1000.0:0.0} µs; **{within * 100.0 / differences.Count:0.0} % within ±20 µs**"));
    }

    private static long Drain(OrderLatencyTrace trace, long next, long start, HopHistograms into, ref long lost)
    {
        var count = trace.Count;
        for (; next < count; next++)
        {
            if (!trace.TryRead(next, out var sample))
            {
                lost++;
                continue;
            }

            // Only orders decided on frames received after the warm-up.
            if (sample.Received >= start)
            {
                into.Add(in sample);
            }
        }

        return next;
    }
}
