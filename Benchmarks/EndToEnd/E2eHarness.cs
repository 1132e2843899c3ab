using System.Globalization;
using System.Text;
using HdrHistogram;

namespace Benchmarks.EndToEnd;

/// <summary>
/// <c>dotnet run -c Release --project Benchmarks -- e2e [--seconds N] [--warmup N] [--speed X] [--no-baseline] [--out DIR] [--Engine:Key=value ...]</c>:
/// the engine's production pipeline against the simulator on loopback, then the simple baseline over the same input,
/// every order's hops into HdrHistogram; writes <c>e2e-latency.md</c> and <c>e2e-latency.png</c>.
/// </summary>
public static class E2eHarness
{
    public const string TableFile = "e2e-latency.md";
    public const string PlotFile = "e2e-latency.png";

    public static int Run(string[] args)
    {
        var settings = E2eSettings.Parse(args);
        var loadBefore = Load();
        var probeBefore = MachineProbe.CrossCoreRoundTrip();
        Console.WriteLine("e2e: " + probeBefore);
        var hiccups = MachineProbe.MeasureHiccups(Environment.ProcessorCount - 1, TimeSpan.FromSeconds(5));
        Console.WriteLine("e2e: hiccups: " + hiccups);
        var phases = new List<PhaseResult>();
        foreach (var profile in settings.Profiles)
        {
            Console.WriteLine($"e2e: engine phase, {profile.Name} placement ({settings.WarmUp.TotalSeconds:0} s warm-up, {settings.Measure.TotalSeconds:0} s measured), load {Load()}");
            phases.Add(EnginePhase.RunAsync(settings, profile, CancellationToken.None).GetAwaiter().GetResult());
        }

        var engines = phases.Count;
        if (settings.Baseline)
        {
            Console.WriteLine($"e2e: baseline phase, load {Load()}");
            phases.Add(BaselinePhase.RunAsync(settings, CancellationToken.None).GetAwaiter().GetResult());
        }

        var loadAfter = Load();
        var probeAfter = MachineProbe.CrossCoreRoundTrip();
        var directory = settings.OutputDirectory ?? ResultsFile.Directory();
        Directory.CreateDirectory(directory);
        var text = Render(settings, phases, engines, loadBefore, loadAfter, probeBefore, probeAfter, hiccups);
        ResultsFile.Write(TableFile, text, directory);
        E2ePlot.Write(Path.Combine(directory, PlotFile), phases, settings.CommandLine);
        if (settings.SamplesFile is { } samples)
        {
            WriteSamples(samples, phases);
        }

        Console.WriteLine($"written to {Path.Combine(directory, PlotFile)}");
        return phases.Take(engines).All(p => p.Hops.Orders > 0) ? 0 : 1;
    }

    private static string Pair(LongHistogram histogram) => histogram.TotalCount == 0
        ? "no orders"
        : string.Create(CultureInfo.InvariantCulture, $"{histogram.GetValueAtPercentile(50) / 1000.0:0.0} / {histogram.GetValueAtPercentile(99) / 1000.0:0.0}");

    /// <summary>Every order's stamps, ns from the phase's first frame received, one row per order: for looking past the percentiles.</summary>
    private static void WriteSamples(string path, List<PhaseResult> phases)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var writer = new StreamWriter(path);
        writer.WriteLine("phase,client_order_id,received_ns,published_ns,brain_ns,signed_ns,socket_ns");
        foreach (var phase in phases)
        {
            var origin = phase.Hops.Samples.Count > 0 ? phase.Hops.Samples[0].Received : 0;
            foreach (var s in phase.Hops.Samples)
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{phase.Name.Replace(",", "", StringComparison.Ordinal)},{s.ClientOrderId},{Ns(s.Received - origin)},{Ns(s.Published - origin)},{Ns(s.Brain - origin)},{Ns(s.Signed - origin)},{Ns(s.Socket - origin)}"));
            }
        }

        static long Ns(long ticks) => (long)(ticks * (1_000_000_000.0 / System.Diagnostics.Stopwatch.Frequency));
    }

    /// <summary>The machine's load averages (1, 5, 15 min) as <c>uptime</c> prints them.</summary>
    public static string Load()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]}, {parts[1]}, {parts[2]}";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static StringBuilder Render(
        E2eSettings settings, List<PhaseResult> phases, int engines, string loadBefore, string loadAfter, string probeBefore, string probeAfter,
        Hiccups hiccups)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = ResultsFile.Begin(
            "End-to-end tick-to-order latency (HdrHistogram, every order timed)",
            settings.CommandLine,
            $"Load average (1, 5, 15 min) at start {loadBefore}, at end {loadAfter}. The machine has {Environment.ProcessorCount} cores; anything else running shares them.  \n"
            + $"Machine state at start: {probeBefore}; at end: {probeAfter}. (This VM has quiet periods with about 160 ns and slow ones with about 800 ns: "
            + "every hop of the pipeline moves slots between the cores, so compare tables taken in the same state.)  \n"
            + $"Machine hiccups before the run: {hiccups}. A latency percentile above the share of time the machine takes from a pinned thread "
            + "cannot be lower than those gaps, whatever the engine does.");
        text.AppendLine("**What runs.** The engine as `Engine/Program.cs` builds it, in this process, once per placement profile and venue path (the WebSocket API as shipped; the REST order pool with the WebSocket API turned off): the feed's "
            + "WebSocket connections, `StreamFrameParser`, the ring, brain, execution stage (intent log, then its own non-blocking send on the "
            + "WebSocket API session, else the REST order pool), the I/O loop (journal, booking, fallback sends), the user-data stream, Kestrel "
            + "(control and metrics). Orders are the brain's own decisions on the simulator's market data. "
            + (settings.Venue == VenuePlacement.Process
                ? "The venue is the standalone simulator in a process of its own (`--venue process`, the default), kept off the CPUs a profile reserves, "
                  + "and the engine runs `--mode live` against it on 127.0.0.1: in production the venue is another machine, so neither its threads nor "
                  + "its garbage collections belong to the engine. "
                : "The venue is the embedded simulator in the engine's own process (`--venue embedded`, `--mode sim`): its threads share the cores and "
                  + "its allocations trigger the engine's collections. ")
            + "Then the baseline (see below) against a fresh simulator with the same seed, speed and symbols, alone on the machine.");
        text.AppendLine();
        text.AppendLine("**Stamps** (Stopwatch): *frame received* = the WebSocket message completed (`ReceiveAsync` returned end of message); "
            + "*published* = the event published into the ring (baseline: written to the channel); *brain decided* = the brain stage finished the slot; "
            + "*order signed* = the execution stage finished the order's request in its slot (the REST form signed; while the stage sends on the "
            + "WebSocket API, checked and left unsigned, signed only if the order falls back to REST) (baseline: the signature string made); "
            + "*first socket write* = immediately before the system call that writes the request's first bytes: the wire's write stamp when the "
            + "stage sends (`WireConnection`), the socket stream's when the I/O loop's HTTP client does (`SocketWriteStamp`). Only orders decided on "
            + "frames received after the warm-up count.");
        text.AppendLine();
        text.AppendLine(string.Create(inv, $"**Harness settings** (both pipelines): {settings.WarmUp.TotalSeconds:0} s warm-up, {settings.Measure.TotalSeconds:0} s measured; ")
            + string.Join(", ", settings.VenueSettings().Select(s => $"`{s.Key}={s.Value}`"))
            + "; brain, for frequent trading: " + string.Join(", ", E2eSettings.BrainSettings.Select(s => $"`{s.Key}={s.Value}`"))
            + (settings.EngineOverrides.Count > 0 ? "; engine overrides: " + string.Join(", ", settings.EngineOverrides.Select(o => $"`{o}`")) : "")
            + ". The venue clock runs ×speed, hence the 1 s clock resync and the 60 s recvWindow.");
        text.AppendLine();

        foreach (var phase in phases)
        {
            var rate = phase.Measured.TotalSeconds > 0 ? phase.Events / phase.Measured.TotalSeconds : 0;
            text.AppendLine(CultureInfo.InvariantCulture, $"## {phase.Name}");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"{phase.Hops.Orders:N0} orders in {phase.Measured.TotalSeconds:0.#} s; {phase.Events:N0} events through the first stage ({rate:N0}/s).  ");
            foreach (var note in phase.Notes)
            {
                text.AppendLine(note + "  ");
            }

            text.AppendLine();
            text.AppendLine("| hop | samples | p50 (µs) | p90 (µs) | p99 (µs) | p99.9 (µs) | max (µs) |");
            text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (var i = 0; i < HopHistograms.Names.Length; i++)
            {
                var h = phase.Hops.Hops[i];
                text.AppendLine(CultureInfo.InvariantCulture, $"| {HopHistograms.Names[i]} | {h.TotalCount:N0} | {Us(h, 50)} | {Us(h, 90)} | {Us(h, 99)} | {Us(h, 99.9)} | {Max(h)} |");
            }

            text.AppendLine();
            foreach (var (stage, bytes, events) in phase.StageAllocations)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- allocated on the {stage} stage's thread: {bytes:N0} B over {events:N0} events = **{(events > 0 ? (double)bytes / events : 0):0.###} B per event** (GC.GetAllocatedBytesForCurrentThread at batch ends)");
            }

            foreach (var line in phase.WireAgreement)
            {
                text.AppendLine("- the stamp is the wire: " + line);
            }

            var perEvent = phase.Events > 0 ? (double)phase.ProcessAllocatedBytes / phase.Events : 0;
            text.AppendLine(CultureInfo.InvariantCulture, $"- allocated by the whole process: {phase.ProcessAllocatedBytes:N0} B = {perEvent:N0} B per event (GC.GetTotalAllocatedBytes(precise); includes the WebSocket receive, HTTP, the harness{(settings.Venue == VenuePlacement.Embedded ? " and the in-process simulator" : "")})");
            text.AppendLine();
        }

        text.AppendLine("## By venue path");
        text.AppendLine();
        text.AppendLine("Tick → first socket write, p50 / p99 (µs), each placement over the WebSocket API (the shipped path) and over the REST order pool (the fallback, with the WebSocket API turned off), beside the baseline's `HttpClient`.");
        text.AppendLine();
        var hasBaseline = phases.Count > engines;
        text.AppendLine($"| placement | {EngineProfile.WebSocketApiPath} | {EngineProfile.RestPath} |{(hasBaseline ? " baseline (`HttpClient`) |" : "")}");
        text.AppendLine($"| --- | ---: | ---: |{(hasBaseline ? " ---: |" : "")}");
        foreach (var placement in phases.Take(engines).Select(p => p.Profile!.Placement).Distinct())
        {
            string Cell(string path) =>
                phases.Take(engines).FirstOrDefault(p => p.Profile!.Placement == placement && p.Profile.VenuePath == path) is { } phase
                    ? Pair(phase.Hops.Hops[HopHistograms.TickToSocket])
                    : "not run";
            text.AppendLine($"| {placement} | {Cell(EngineProfile.WebSocketApiPath)} | {Cell(EngineProfile.RestPath)} |{(hasBaseline ? $" {Pair(phases[^1].Hops.Hops[HopHistograms.TickToSocket])} |" : "")}");
        }

        text.AppendLine();
        text.AppendLine("## Bar and ratio");
        text.AppendLine();
        for (var e = 0; e < engines; e++)
        {
            var engine = phases[e].Hops.Hops;
            var p50 = engine[HopHistograms.TickToSigned].GetValueAtPercentile(50) / 1000.0;
            var p99 = engine[HopHistograms.TickToSigned].GetValueAtPercentile(99) / 1000.0;
            var stageBytes = phases[e].StageAllocations.Sum(a => a.Bytes);
            var wire = engine[HopHistograms.TickToSocket];
            var wire50 = wire.TotalCount == 0 ? double.NaN : wire.GetValueAtPercentile(50) / 1000.0;
            var wire99 = wire.TotalCount == 0 ? double.NaN : wire.GetValueAtPercentile(99) / 1000.0;
            var profile = phases[e].Profile!;
            var lowLatency = profile.Placement == EngineProfile.LowLatency.Placement;
            var wireBar = profile.VenuePath != EngineProfile.WebSocketApiPath
                ? $"p50 {wire50:0.0} µs, p99 {wire99:0.0} µs (the bars are the WebSocket API's)"
                : lowLatency
                ? $"p50 {wire50:0.0} µs (bar ≤ 20 µs: {(wire50 <= 20 ? "met" : "**not met**")}), p99 {wire99:0.0} µs (bar ≤ 250 µs: {(wire99 <= 250 ? "met" : "**not met**")})"
                : $"p50 {wire50:0.0} µs (bar ≤ 150 µs: {(wire50 <= 150 ? "met" : "**not met**")}), p99 {wire99:0.0} µs";
            text.AppendLine(CultureInfo.InvariantCulture, $"- **{phases[e].Name}**: tick → first socket write {wireBar}; tick → signed order p50 {p50:0.0} µs, p99 {p99:0.0} µs; stage threads {stageBytes:N0} B in the window (bar 0 B per order, the send included: {(stageBytes == 0 ? "met" : "**not met**")})");
            if (phases.Count > engines)
            {
                var baseline = phases[^1].Hops.Hops;
                foreach (var (hop, name) in new[] { (HopHistograms.TickToSigned, "tick → signed order"), (HopHistograms.TickToSocket, "tick → socket") })
                {
                    if (engine[hop].TotalCount == 0 || baseline[hop].TotalCount == 0)
                    {
                        continue;
                    }

                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"  - {name}: baseline / engine = {Ratio(baseline[hop], engine[hop], 50)} at p50, {Ratio(baseline[hop], engine[hop], 99)} at p99, {Ratio(baseline[hop], engine[hop], 99.9)} at p99.9");
                }
            }
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Plot: [{PlotFile}]({PlotFile}) (latency by percentile, every phase).");
        return text;
    }

    private static string Us(LongHistogram h, double percentile) =>
        h.TotalCount == 0 ? "–" : (h.GetValueAtPercentile(percentile) / 1000.0).ToString("N1", CultureInfo.InvariantCulture);

    private static string Max(LongHistogram h) => h.TotalCount == 0 ? "–" : (h.GetMaxValue() / 1000.0).ToString("N1", CultureInfo.InvariantCulture);

    private static string Ratio(LongHistogram baseline, LongHistogram engine, double percentile) =>
        (baseline.GetValueAtPercentile(percentile) / (double)Math.Max(1, engine.GetValueAtPercentile(percentile))).ToString("0.0×", CultureInfo.InvariantCulture);
}
