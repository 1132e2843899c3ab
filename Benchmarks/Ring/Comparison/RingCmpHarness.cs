using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Engine.Native;

namespace Benchmarks.Ring.Comparison;

/// <summary>
/// Our ring and Disruptor-net side by side in one process: for each configuration, each round sets up both libraries
/// in turn (who goes first alternates), warms them, times one run, and tears them down, so both see the same periods of
/// a noisy host; the figure is the median of the per-round ratios. Without Disruptor-net in the build it runs our ring
/// alone.
/// Usage: <c>dotnet run -c Release --project Benchmarks [-p:DisruptorNet=path/to/Disruptor.dll] -- ringcmp [--rounds 15]
/// [--events 10000000] [--cases OneToOneBusySpin,PingPong] [--ours-only] [--no-pin] [--huge-pages]</c>.
/// </summary>
public static class RingCmpHarness
{
    /// <summary>The throughput bar: our events per second over theirs, median of per-round ratios.</summary>
    private const double ThroughputBar = 1.2;

    /// <summary>
    /// The core-to-core round trip that splits the rounds by the host's placement of the two vCPUs: observed here as two
    /// clusters, about 110–180 ns and about 400–500 ns, with nothing in between.
    /// </summary>
    private const double FastRegimeNanoseconds = 300;

    /// <summary>Round trips per run: the round trip is ~50× an event's cost, so this keeps runs of similar length.</summary>
    private const int EventsPerRoundTrip = 50;

    public static int Run(string[] args)
    {
        var rounds = 15;
        var events = 10_000_000;
        var oursOnly = false;
        var pin = true;
        var cases = Enum.GetValues<RingCaseKind>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds":
                    rounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--events":
                    events = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--cases":
                    cases = args[++i].Split(',').Select(Enum.Parse<RingCaseKind>).ToArray();
                    break;
                case "--ours-only":
                    oursOnly = true;
                    break;
                case "--no-pin":
                    pin = false;
                    break;
                case "--huge-pages":
                    OurRingCases.HugePages = true;
                    break;
                default:
                    Console.Error.WriteLine($"ringcmp: unknown argument '{args[i]}'");
                    return 2;
            }
        }

        var theirs = oursOnly ? null : TheirFactory();
        if (theirs is null && !oursOnly)
        {
            Console.WriteLine("ringcmp: this build has no Disruptor-net (build with -p:DisruptorNet=path/to/Disruptor.dll to compare); running our ring alone");
        }

        var placementText = pin && Environment.ProcessorCount >= 2
            ? "Threads are pinned, for both libraries alike: in the two-thread configurations (1P1C, batch publishing, ping-pong) the producing thread (the pinging stage) on CPU 0 and the consuming stage (the echo) on CPU 1; in the pipeline the producer and execution on CPU 0, brain and tail on CPU 1 (every hand-off crosses cores, two threads share each core), so that each run does not depend on where the scheduler happened to put four threads. The two producers run unpinned."
            : "Threads are not pinned.";
        var before = MachineState.Take();
        var rows = cases.Select(kind => new CaseRounds(kind)).ToArray();
        var loads = new List<double>();
        var crossCore = new List<double>();
        for (var round = -1; round < rounds; round++)
        {
            if (round >= 0)
            {
                loads.Add(MachineState.LoadAverage1());
                crossCore.Add(CrossCoreProbe.RoundTripNanoseconds());
            }

            for (var c = 0; c < rows.Length; c++)
            {
                var row = rows[c];
                var count = row.Kind == RingCaseKind.PingPong ? Math.Max(10_000, events / EventsPerRoundTrip) : CmpDriver.WholeBatches(events);
                var placement = pin && Environment.ProcessorCount >= 2 && IsPinned(row.Kind) ? new CmpPlacement(0, 1) : CmpPlacement.Unpinned;
                RingCaseResult ours, their = default;
                if (theirs is null)
                {
                    ours = Measure(OurRingCases.Create, row.Kind, count, placement);
                }
                else
                {
                    // A B B A: each library runs twice, once on each side of the other, so a machine that speeds up or
                    // slows down across the round weighs on both alike. Who opens alternates by round and by case.
                    var oursFirst = (round + c) % 2 == 0;
                    var (a, b) = oursFirst ? (OurRingCases.Create, theirs) : (theirs, (Func<RingCaseKind, CmpPlacement, IRingCase>)OurRingCases.Create);
                    var a1 = Measure(a, row.Kind, count, placement);
                    var b1 = Measure(b, row.Kind, count, placement);
                    var b2 = Measure(b, row.Kind, count, placement);
                    var a2 = Measure(a, row.Kind, count, placement);
                    var (o1, o2, t1, t2) = oursFirst ? (a1, a2, b1, b2) : (b1, b2, a1, a2);
                    ours = GeometricMean(o1, o2);
                    their = GeometricMean(t1, t2);
                }

                if (round >= 0)
                {
                    row.Ours.Add(ours);
                    if (theirs is not null)
                    {
                        row.Theirs.Add(their);
                    }
                }

                var theirText = theirs is null ? "" : "  Disruptor-net " + Show(row.Kind, their);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round,2} {row.Kind,-18} ours {Show(row.Kind, ours)}{theirText}"));
            }
        }

        var after = MachineState.Take();
        var command = theirs is null
            ? $"dotnet run -c Release --project Benchmarks -- ringcmp --rounds {rounds} --events {events}"
            : $"dotnet run -c Release --project Benchmarks -p:DisruptorNet={TheirAssemblyPath()} -- ringcmp --rounds {rounds} --events {events}";
        if (cases.Length != Enum.GetValues<RingCaseKind>().Length)
        {
            command += " --cases " + string.Join(',', cases);
        }

        if (!pin)
        {
            command += " --no-pin";
        }

        ResultsFile.Write(OurRingCases.HugePages ? "ringcmp-hugepages.md" : "ringcmp.md", Render(rows, rounds, events, command, before, after, loads, crossCore, theirs is not null, placementText));
        return 0;
    }

    /// <summary>The configurations run pinned: all but the two producers, whose three threads have no fixed place to go.</summary>
    private static bool IsPinned(RingCaseKind kind) => kind != RingCaseKind.TwoProducers;

    private static RingCaseResult Measure(Func<RingCaseKind, CmpPlacement, IRingCase> create, RingCaseKind kind, int count, CmpPlacement placement)
    {
        // The caller is the producer: pinned for the run when the placement says so, free again afterwards.
        ThreadAffinity.PinCurrentThread(placement.ProducerCpu);
        try
        {
            using var ringCase = create(kind, placement);
            // Fault the ring's pages in and let the loops reach their final code before the timed run.
            ringCase.Run(kind == RingCaseKind.PingPong ? 10_000 : CmpDriver.WholeBatches(4 * CmpWork.RingSize));
            return ringCase.Run(count);
        }
        finally
        {
            if (placement.ProducerCpu >= 0)
            {
                ThreadAffinity.Unpin();
            }
        }
    }

    private static RingCaseResult GeometricMean(RingCaseResult x, RingCaseResult y) => new(
        Math.Sqrt(x.NanosecondsPerEvent * y.NanosecondsPerEvent), Math.Sqrt(x.P50 * y.P50), Math.Sqrt(x.P99 * y.P99));

    private static string Show(RingCaseKind kind, RingCaseResult result) => kind == RingCaseKind.PingPong
        ? string.Create(CultureInfo.InvariantCulture, $"p50 {result.P50,6:F0} ns p99 {result.P99,6:F0} ns")
        : string.Create(CultureInfo.InvariantCulture, $"{result.NanosecondsPerEvent,6:F2} ns/event");

#if DISRUPTOR_NET
    private static Func<RingCaseKind, CmpPlacement, IRingCase>? TheirFactory() => DisruptorNetCases.Create;

    private static string TheirAssemblyPath() => DisruptorNetCases.AssemblyPath;
#else
    private static Func<RingCaseKind, CmpPlacement, IRingCase>? TheirFactory() => null;

    private static string TheirAssemblyPath() => "";
#endif

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static StringBuilder Render(CaseRounds[] rows, int rounds, int events, string command, MachineState before, MachineState after, List<double> loads, List<double> crossCore, bool compared, string placementText)
    {
        var text = new StringBuilder();
        text.AppendLine(compared ? "# Our ring beside Disruptor-net, alternating rounds in one process" : "# Our ring alone (ringcmp without Disruptor-net)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: `{command}`  ");
        if (compared)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Disruptor-net: {DisruptorNetOrigin.Describe(TheirAssemblyPath())}  ");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {before.CpuModel}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.ProcessArchitecture}  ");
        text.AppendLine(CultureInfo.InvariantCulture, $"Date (UTC): {DateTime.UtcNow:yyyy-MM-dd HH:mm}  ");
        text.AppendLine(CultureInfo.InvariantCulture, $"Load average (1, 5, 15 min): {before.LoadAverages} before, {after.LoadAverages} after; 1-min load at each round's start: {string.Join(' ', loads.Select(l => l.ToString("F2", CultureInfo.InvariantCulture)))}  ");
        text.AppendLine(CultureInfo.InvariantCulture, $"Core-to-core round trip (CPU 0 ↔ CPU 1, median of {CrossCoreProbe.RoundTrips:N0}, at each round's start; the host's placement of the two vCPUs shows here, and every ring figure follows it): {string.Join(' ', crossCore.Select(l => l.ToString("F0", CultureInfo.InvariantCulture)))} ns  ");
        text.AppendLine(CultureInfo.InvariantCulture, $"This process's nice value: {MachineState.Nice()} (other processes get correspondingly less of the cores when they contend)  ");
        text.AppendLine(CultureInfo.InvariantCulture, $"Busiest other processes before: {before.TopProcesses}  ");
        text.AppendLine(CultureInfo.InvariantCulture, $"Busiest other processes after: {after.TopProcesses}");
        text.AppendLine();
        var order = compared
            ? "each library is set up, warmed, timed and torn down twice, in the order A B B A (who is A alternates by round and by configuration), and its figure for the round is the geometric mean of its two runs"
            : "our ring is set up, warmed, timed and torn down once";
        text.AppendLine(CultureInfo.InvariantCulture, $"{rounds} rounds after one of warm-up. In each round, for each configuration, {order}. Each run warms with {4 * CmpWork.RingSize:N0} events and is timed over {events:N0} events ({Math.Max(10_000, events / EventsPerRoundTrip):N0} round trips for the ping-pong). Same 64-byte struct event, ring of {CmpWork.RingSize:N0} slots (1,024 for the ping-pong), struct handlers doing the same work, the same producer loop compiled for each library; each library's own wait strategies at their defaults. Every run checks the consumer's sum. Our slots: native memory on {(OurRingCases.HugePages ? "transparent huge pages (`--huge-pages`, `Engine:Ring:HugePages=true`; the 1,024-slot ping-pong ring is too small for one and stays on small pages)" : "small pages, as the engine ships (`--huge-pages` asks for huge pages)")}; Disruptor-net's: a managed array. {placementText}");
        text.AppendLine();
        if (compared)
        {
            text.AppendLine("Ratio: Disruptor-net's time over ours in the same round (above 1: ours is faster; bar 1.2 for throughput, 1.0 for latency); the table gives the median of the per-round ratios.");
            text.AppendLine();
            text.AppendLine("| configuration | ours (median) | Disruptor-net (median) | median ratio | rounds ours ahead | bar |");
            text.AppendLine("| --- | ---: | ---: | ---: | ---: | --- |");
        }
        else
        {
            text.AppendLine("| configuration | ours (median) | fastest round |");
            text.AppendLine("| --- | ---: | ---: |");
        }

        foreach (var row in rows)
        {
            foreach (var metric in row.Metrics())
            {
                var ours = row.Ours.Select(metric.Select).ToList();
                if (!compared)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"| {metric.Name} | {Format(metric, Median(ours))} | {Format(metric, ours.Min())} |");
                    continue;
                }

                var theirs = row.Theirs.Select(metric.Select).ToList();
                var ratios = ours.Zip(theirs, (o, t) => t / o).ToList();
                var ratio = Median(ratios);
                var bar = metric.IsLatency ? 1.0 : ThroughputBar;
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {metric.Name} | {Format(metric, Median(ours))} | {Format(metric, Median(theirs))} | **{ratio:F2}×** | {ratios.Count(r => r > 1)} of {ratios.Count} | {(ratio >= bar ? "met" : "not met")} (≥ {bar:F1}) |");
            }
        }

        if (compared && crossCore.Count == rounds && crossCore.Any(double.IsFinite))
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"By the host's placement of the two vCPUs, read from the core-to-core round trip at the round's start (under {FastRegimeNanoseconds} ns: near; at or over: far). The same per-round ratios as above, split, not a second selection:");
            text.AppendLine();
            text.AppendLine("| configuration | near: median ratio (rounds) | far: median ratio (rounds) |");
            text.AppendLine("| --- | ---: | ---: |");
            foreach (var row in rows)
            {
                foreach (var metric in row.Metrics())
                {
                    var ratios = row.Ours.Select(metric.Select).Zip(row.Theirs.Select(metric.Select), (o, t) => t / o).ToList();
                    var near = ratios.Where((_, i) => crossCore[i] < FastRegimeNanoseconds).ToList();
                    var far = ratios.Where((_, i) => !(crossCore[i] < FastRegimeNanoseconds)).ToList();
                    text.AppendLine(CultureInfo.InvariantCulture, $"| {metric.Name} | {(near.Count > 0 ? $"{Median(near):F2}×" : "–")} ({near.Count}) | {(far.Count > 0 ? $"{Median(far):F2}×" : "–")} ({far.Count}) |");
                }
            }
        }

        text.AppendLine();
        text.AppendLine("Per round (ns per event, or ns per round trip):");
        text.AppendLine();
        foreach (var row in rows)
        {
            foreach (var metric in row.Metrics())
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {metric.Name}");
                text.AppendLine(CultureInfo.InvariantCulture, $"  - ours: {Join(row.Ours.Select(metric.Select))}");
                if (compared)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"  - Disruptor-net: {Join(row.Theirs.Select(metric.Select))}");
                    text.AppendLine(CultureInfo.InvariantCulture, $"  - ratio: {string.Join(' ', row.Ours.Select(metric.Select).Zip(row.Theirs.Select(metric.Select), (o, t) => (t / o).ToString("F2", CultureInfo.InvariantCulture)))}");
                }
            }
        }

        return text;
    }

    private static string Join(IEnumerable<double> values) =>
        string.Join(' ', values.Select(v => v.ToString(v < 100 ? "F1" : "F0", CultureInfo.InvariantCulture)));

    private static string Format(Metric metric, double value) => metric.IsLatency
        ? string.Create(CultureInfo.InvariantCulture, $"{value:F0} ns")
        : string.Create(CultureInfo.InvariantCulture, $"{value:F2} ns/event ({1_000 / value:F0} M/s)");

    private sealed record Metric(string Name, Func<RingCaseResult, double> Select, bool IsLatency);

    private sealed class CaseRounds(RingCaseKind kind)
    {
        public RingCaseKind Kind { get; } = kind;

        public List<RingCaseResult> Ours { get; } = [];

        public List<RingCaseResult> Theirs { get; } = [];

        public IEnumerable<Metric> Metrics() => Kind switch
        {
            RingCaseKind.PingPong =>
            [
                new Metric("ping-pong round trip p50, BusySpin", r => r.P50, IsLatency: true),
                new Metric("ping-pong round trip p99, BusySpin", r => r.P99, IsLatency: true),
            ],
            RingCaseKind.OneToOneBusySpin => [new Metric("1P1C BusySpin", r => r.NanosecondsPerEvent, IsLatency: false)],
            RingCaseKind.OneToOneYielding => [new Metric("1P1C Yielding", r => r.NanosecondsPerEvent, IsLatency: false)],
            RingCaseKind.ThreeStagePipeline => [new Metric("3-stage pipeline (brain → execution → tail), Yielding", r => r.NanosecondsPerEvent, IsLatency: false)],
            RingCaseKind.TwoProducers => [new Metric("multi-producer, 2 producers, Yielding", r => r.NanosecondsPerEvent, IsLatency: false)],
            RingCaseKind.BatchPublish => [new Metric($"batch publishing ({CmpWork.BatchSize} per claim), BusySpin", r => r.NanosecondsPerEvent, IsLatency: false)],
            _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
        };
    }
}

/// <summary>
/// The round trip of one cache line between CPU 0 and CPU 1: two pinned threads bounce a counter. Under a hypervisor the
/// two vCPUs may sit on one physical core's two threads or on cores far apart, and the host moves them; every ring
/// figure moves with this number, so the results file gives it for each round.
/// </summary>
internal static class CrossCoreProbe
{
    public const int RoundTrips = 20_000;

    /// <summary>The median round trip in nanoseconds, over batches of 100; NaN on a machine with one CPU.</summary>
    public static double RoundTripNanoseconds()
    {
        if (Environment.ProcessorCount < 2)
        {
            return double.NaN;
        }

        var line = new PaddedCounter();
        var echo = new Thread(() =>
        {
            ThreadAffinity.PinCurrentThread(1);
            for (long expected = 1; expected < 2L * RoundTrips; expected += 2)
            {
                while (Volatile.Read(ref line.Value) != expected)
                {
                }

                Volatile.Write(ref line.Value, expected + 1);
            }
        })
        { IsBackground = true, Name = "cmp-probe-echo" };
        echo.Start();
        ThreadAffinity.PinCurrentThread(0);
        var batches = new double[RoundTrips / 100];
        try
        {
            long value = 0;
            for (var b = 0; b < batches.Length; b++)
            {
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i < 100; i++)
                {
                    Volatile.Write(ref line.Value, ++value);
                    ++value;
                    while (Volatile.Read(ref line.Value) != value)
                    {
                    }
                }

                batches[b] = Stopwatch.GetElapsedTime(started).TotalNanoseconds / 100;
            }
        }
        finally
        {
            ThreadAffinity.Unpin();
        }

        echo.Join();
        Array.Sort(batches);
        return batches[batches.Length / 2];
    }

    // The counter alone on its line: 64 bytes of the object's own on either side.
    [StructLayout(LayoutKind.Explicit, Size = 128 + 8)]
    private sealed class PaddedCounter
    {
        [FieldOffset(64)]
        public long Value;
    }
}

/// <summary>Load, CPU model and the busiest other processes, for the results file.</summary>
internal sealed record MachineState(string LoadAverages, string CpuModel, string TopProcesses)
{
    public static MachineState Take()
    {
        var load = ReadOr("/proc/loadavg", "?");
        var loads = string.Join(", ", load.Split(' ').Take(3));
        var model = ReadOr("/proc/cpuinfo", "").Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        return new MachineState(loads, model, BusiestProcesses());
    }

    public static double LoadAverage1() =>
        double.TryParse(ReadOr("/proc/loadavg", "").Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : double.NaN;

    /// <summary>The nice value this process runs at (field 19 of /proc/self/stat), or "unknown".</summary>
    public static string Nice()
    {
        var stat = ReadOr("/proc/self/stat", "");
        var afterName = stat.LastIndexOf(')');
        var fields = afterName < 0 ? [] : stat[(afterName + 2)..].Split(' ');
        // Fields after the name start at field 3 (state): nice, field 19, is the 17th of them.
        return fields.Length > 16 ? fields[16] : "unknown";
    }

    private static string ReadOr(string path, string fallback)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return fallback;
        }
        catch (UnauthorizedAccessException)
        {
            return fallback;
        }
    }

    /// <summary>The five processes other than this one with the most CPU over their lifetime (ps's %CPU), as "name pid %".</summary>
    private static string BusiestProcesses()
    {
        try
        {
            using var ps = Process.Start(new ProcessStartInfo("ps", "-eo pid,pcpu,comm --sort=-pcpu --no-headers") { RedirectStandardOutput = true });
            if (ps is null)
            {
                return "unknown";
            }

            var output = ps.StandardOutput.ReadToEnd();
            ps.WaitForExit();
            var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            return string.Join(", ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length >= 3 && fields[0] != self && fields[2] != "ps")
                .Take(5)
                .Select(fields => $"{fields[2]} {fields[1]} %"));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown (no ps)";
        }
    }
}

/// <summary>Where the Disruptor-net assembly came from: the git commit of the checkout it was built in.</summary>
internal static class DisruptorNetOrigin
{
    public static string Describe(string assemblyPath)
    {
        var directory = new FileInfo(assemblyPath).Directory;
        while (directory is not null && !Path.Exists(Path.Combine(directory.FullName, ".git")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            return $"`{assemblyPath}` (not in a git checkout: commit unknown)";
        }

        var commit = Git(directory.FullName, "rev-parse HEAD");
        var changed = Git(directory.FullName, "status --porcelain --untracked-files=no");
        var changes = string.IsNullOrWhiteSpace(changed) ? "no local changes" : "local changes in " + string.Join(", ", changed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[3..].Trim()));
        return $"commit {commit.Trim()} ({changes}), built at `{assemblyPath}`";
    }

    private static string Git(string directory, string arguments)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", $"-C {directory} {arguments}") { RedirectStandardOutput = true });
            if (git is null)
            {
                return "unknown";
            }

            var output = git.StandardOutput.ReadToEnd();
            git.WaitForExit();
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown (no git)";
        }
    }
}
