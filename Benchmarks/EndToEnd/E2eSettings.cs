using System.Globalization;
using Engine.Brain;
using Engine.Hosting;

namespace Benchmarks.EndToEnd;

/// <summary>
/// The harness's settings: how long, how fast the simulated market runs, and the brain settings that make it trade
/// often enough to collect thousands of orders in minutes. Both pipelines get the same simulator and brain settings.
/// </summary>
public sealed class E2eSettings
{
    public TimeSpan WarmUp { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan Measure { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Simulated time runs this many times faster than real time (candles close Speed times per minute).</summary>
    public double Speed { get; set; } = 20;

    public int Symbols { get; set; } = 20;

    public int Seed { get; set; } = 1;

    public bool Baseline { get; set; } = true;

    /// <summary>Where the simulator runs (a separate process unless <c>--venue embedded</c>).</summary>
    public VenuePlacement Venue { get; set; } = VenuePlacement.Process;

    /// <summary>The engine placements to measure, in order (both unless <c>--profile</c> names one).</summary>
    public List<EngineProfile> Profiles { get; } = [.. EngineProfile.All];

    /// <summary>Where the table and the plot go (Benchmarks/results when null).</summary>
    public string? OutputDirectory { get; set; }

    /// <summary>Where to write the ring's last lap as CSV, one file per profile (none when null).</summary>
    public string? SlotsFile { get; set; }

    /// <summary>Where to write every order's stamps as CSV (none when null).</summary>
    public string? SamplesFile { get; set; }

    /// <summary>Whether to capture the engine's packets to the venue with tcpdump and compare them with its stamps (off with <c>--no-capture</c>).</summary>
    public bool Capture { get; set; } = true;

    /// <summary>Extra engine configuration (<c>--Engine:Ring:Yield=00:00:00.050</c>), applied last.</summary>
    public List<string> EngineOverrides { get; } = [];

    /// <summary>The arguments as given, for the header.</summary>
    public string CommandLine { get; set; } = "e2e";

    /// <summary>Brain settings for frequent trading (simulated time), as configuration keys under Engine:Brain.</summary>
    public static readonly (string Key, string Value)[] BrainSettings =
    [
        ("EntryConfidence", "0.05"),
        ("ExitAgreement", "0.01"),
        ("StopAtrMultiple", "0.25"),
        ("MaxPositions", "20"),
        ("MinHold", "00:00:00"),
        ("RotationMargin", "0"),
        ("Cooldown", "00:00:01"),
    ];

    public static E2eSettings Parse(string[] args)
    {
        var settings = new E2eSettings { CommandLine = string.Join(' ', ["e2e", .. args]) };
        var profileGiven = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--seconds":
                    settings.Measure = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture));
                    break;
                case "--warmup":
                    settings.WarmUp = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture));
                    break;
                case "--speed":
                    settings.Speed = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--symbols":
                    settings.Symbols = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--seed":
                    settings.Seed = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--no-baseline":
                    settings.Baseline = false;
                    break;
                case "--no-capture":
                    settings.Capture = false;
                    break;
                case "--venue":
                    settings.Venue = Enum.Parse<VenuePlacement>(Next(), ignoreCase: true);
                    break;
                case "--profile":
                    var name = Next();
                    if (!profileGiven)
                    {
                        // The first --profile replaces the default list; each further one adds to it.
                        settings.Profiles.Clear();
                        profileGiven = true;
                    }

                    settings.Profiles.Add(EngineProfile.All.FirstOrDefault(p => p.Name == name)
                        ?? throw new ArgumentException($"unknown profile '{name}' (known: {string.Join(", ", EngineProfile.All.Select(p => p.Name))})"));
                    break;
                case "--slots":
                    settings.SlotsFile = Next();
                    break;
                case "--samples":
                    settings.SamplesFile = Next();
                    break;
                case "--out":
                    settings.OutputDirectory = Next();
                    break;
                default:
                    if (arg.StartsWith("--Engine:", StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal))
                    {
                        settings.EngineOverrides.Add(arg);
                        break;
                    }

                    throw new ArgumentException(
                        $"unknown argument '{arg}' (e2e [--seconds N] [--warmup N] [--speed X] [--symbols N] [--seed N] [--no-baseline] [--venue process|embedded] [--profile default|low-latency|default-rest|low-latency-rest] [--out DIR] [--samples FILE.csv] [--slots FILE.csv] [--Engine:Key=value ...])");
            }
        }

        return settings;
    }

    /// <summary>The simulator and clock settings both pipelines run under (Engine:Simulator and Engine:Rest keys).</summary>
    public IEnumerable<(string Key, string Value)> VenueSettings()
    {
        var inv = CultureInfo.InvariantCulture;
        yield return ("Simulator:Speed", Speed.ToString(inv));
        yield return ("Simulator:Symbols", Symbols.ToString(inv));
        yield return ("Simulator:Seed", Seed.ToString(inv));
        // Room for twenty positions at the brain's size cap, so orders are accepted rather than refused for margin.
        yield return ("Simulator:Balance", "1000000");
        // Simulated time runs faster than ours: a listenKey would expire between keep-alives, the rate limits are per simulated minute.
        yield return ("Simulator:ListenKeyLifetime", "30.00:00:00");
        yield return ("Simulator:OrderLimitPerMinute", "1000000");
        yield return ("Simulator:OrderLimitPer10Seconds", "1000000");
        yield return ("Simulator:WeightLimitPerMinute", "10000000");
        // The venue clock runs Speed times faster than ours: resynchronise every second, and accept the widest recvWindow.
        yield return ("Rest:RecvWindowMs", "60000");
        yield return ("Rest:ClockSyncInterval", "00:00:01");
        yield return ("Feed:MaxSymbols", Symbols.ToString(inv));
    }

    /// <summary>
    /// The engine's command line for <paramref name="profile"/>: sim mode with the embedded simulator, or live mode against
    /// <paramref name="venue"/> (a separate simulator process); ephemeral control and metrics ports, quiet logs, the
    /// settings above, the profile's placement, then the overrides.
    /// </summary>
    public IEnumerable<string> EngineArguments(EngineProfile profile, HarnessVenue? venue, string journal)
    {
        yield return "--mode";
        yield return venue is null ? "sim" : "live";
        if (venue is not null)
        {
            yield return $"--Engine:Venue:RestBaseAddress={venue.RestBaseUri}";
            yield return $"--Engine:Venue:StreamBaseAddress={venue.WebSocketBaseUri}";
            yield return $"--Engine:Venue:WebSocketApiAddress={new Uri(venue.WebSocketBaseUri, "ws-fapi/v1")}";
        }

        yield return $"--Engine:Journal:Directory={journal}";
        yield return "--Engine:Control:Port=0";
        yield return "--Engine:Metrics:Port=0";
        yield return "--Logging:LogLevel:Default=Warning";
        foreach (var (key, value) in VenueSettings())
        {
            yield return $"--Engine:{key}={value}";
        }

        foreach (var (key, value) in BrainSettings)
        {
            yield return $"--Engine:Brain:{key}={value}";
        }

        foreach (var (key, value) in profile.Settings)
        {
            yield return $"--Engine:{key}={value}";
        }

        foreach (var extra in EngineOverrides)
        {
            yield return extra;
        }
    }

    /// <summary>The same brain settings as an object, for the baseline.</summary>
    public static BrainOptions BrainOptions() => new()
    {
        EntryConfidence = 0.05,
        ExitAgreement = 0.01,
        StopAtrMultiple = 0.25,
        MaxPositions = 20,
        MinHold = TimeSpan.Zero,
        RotationMargin = 0,
        Cooldown = TimeSpan.FromSeconds(1),
    };
}

/// <summary>A placement of the engine's stages the harness measures.</summary>
/// <param name="Name">As <c>--profile</c> takes it.</param>
/// <param name="Description">One line for the report.</param>
/// <param name="Settings">Engine configuration keys (under Engine:) it sets.</param>
/// <param name="ReservedCpus">CPUs it keeps for the stages; a separate simulator process is kept off them.</param>
public sealed record EngineProfile(string Name, string Description, (string Key, string Value)[] Settings, int[] ReservedCpus)
{
    /// <summary>The venue path of the shipped configuration: orders on the WebSocket API, REST as the fallback.</summary>
    public const string WebSocketApiPath = "WebSocket API";

    /// <summary>The venue path with the WebSocket API turned off: orders on the engine's REST order pool.</summary>
    public const string RestPath = "REST order pool";

    private static readonly int s_lastCpu = Environment.ProcessorCount - 1;

    /// <summary>The placement this profile measures ("default", "low-latency"), whatever the venue path.</summary>
    public string Placement { get; init; } = Name;

    /// <summary>Which venue path its orders take (<see cref="WebSocketApiPath"/> or <see cref="RestPath"/>).</summary>
    public string VenuePath { get; init; } = WebSocketApiPath;

    /// <summary>The phase's title in the report.</summary>
    public string PhaseName => VenuePath == WebSocketApiPath ? $"engine, {Placement} placement" : $"engine, {Placement} placement, {VenuePath}";

    /// <summary>The same placement with the WebSocket API off (<c>Engine:Execution:WebSocketApi=false</c>): the REST fallback's own column.</summary>
    private EngineProfile OverRest() => this with
    {
        Name = Name + "-rest",
        Description = Description + "; the WebSocket API turned off (Engine:Execution:WebSocketApi=false), so the stage sends on the REST order pool",
        Settings = [.. Settings, ("Execution:WebSocketApi", "false")],
        VenuePath = RestPath,
    };

    /// <summary>appsettings.json as shipped: spin-then-block stages, nothing pinned, brain and execution fused on a small machine.</summary>
    public static readonly EngineProfile Default = new(
        "default",
        new RingOptions().FusesBrainAndExecution(Environment.ProcessorCount)
            ? $"the shipped configuration: brain and execution on one thread (fewer than {RingOptions.CpusForSeparateStages} CPUs), spin-then-block, blocking tail, no pinning"
            : "the shipped configuration: spin-then-block brain and execution, blocking tail, no pinning",
        [],
        []);

    /// <summary>
    /// The low-latency placement (docs/OPERATIONS.md): brain and execution fused on one thread, pinned to the last CPU,
    /// busy-spinning there (keeping the signing path warm), with every other thread of the process moved off that CPU.
    /// </summary>
    public static readonly EngineProfile LowLatency = new(
        "low-latency",
        $"brain and execution on one thread (Engine:Ring:FuseBrainAndExecution), busy-spinning on CPU {s_lastCpu}, which is reserved for it (Engine:Ring:IsolateStageCpus); the signing path kept warm every 1 ms; the tail, feed, I/O loop and servers on the other CPUs",
        [
            ("Ring:FuseBrainAndExecution", "true"),
            ("Ring:StageCpus:brain", s_lastCpu.ToString(CultureInfo.InvariantCulture)),
            ("Ring:IsolateStageCpus", "true"),
            ("Ring:StageWaitStrategies:brain", "BusySpin"),
        ],
        [s_lastCpu]);

    /// <summary>Every placement over each venue path: the WebSocket API phases carry the bars, the REST ones their column.</summary>
    public static readonly EngineProfile[] All = Environment.ProcessorCount > 1
        ? [Default, LowLatency, Default.OverRest(), LowLatency.OverRest()]
        : [Default, Default.OverRest()];
}
