using Engine.Brain;
using Engine.Feed.Synthetic;
using Engine.Ring;
using Microsoft.Extensions.Options;

namespace Engine.Hosting;

/// <summary>Ring size, how its stages wait, and where their threads run.</summary>
public sealed class RingOptions
{
    /// <summary>Slots in the ring; a power of two.</summary>
    public int Size { get; set; } = 65_536;

    /// <summary>
    /// How stages wait for work. Spin-then-block is the default because this engine must share two cores with
    /// its I/O threads; busy-spin is only sane with a free core per stage.
    /// </summary>
    public WaitStrategyKind WaitStrategy { get; set; } = WaitStrategyKind.SpinThenBlock;

    /// <summary>
    /// Spin-then-block and yielding: how long an idle stage spins before it starts yielding. Short on purpose: with
    /// more stage threads than cores, a spinning stage holds the core the stage before it needs to produce its input.
    /// </summary>
    public TimeSpan Spin { get; set; } = SpinThenBlockWaitStrategy.DefaultSpin;

    /// <summary>
    /// Spin-then-block: how long an idle stage keeps yielding before it parks. Yielding gives the core to any
    /// runnable thread, so it costs the I/O threads nothing; parking costs a wake-up (tens to hundreds of microseconds
    /// here) on the next event. Longer than nearly every gap between market events keeps the stages awake while the
    /// market trades (see <see cref="SpinThenBlockWaitStrategy.DefaultYield"/>).
    /// </summary>
    public TimeSpan Yield { get; set; } = SpinThenBlockWaitStrategy.DefaultYield;

    /// <summary>
    /// A stage's own wait strategy, by stage name, in place of <see cref="WaitStrategy"/> (spin-then-block takes
    /// <see cref="Spin"/> and <see cref="Yield"/>). The tail parks at once by default: it is off the tick-to-order path
    /// (brain → execution), so its wake-up costs no order anything, and a tail that never spins or yields leaves the
    /// two cores to the critical stages, the feed and the I/O threads. A parking stage needs the ring's strategy to be
    /// a parking one too (spin-then-block or blocking): only then do writers wake parked waiters.
    /// </summary>
    public Dictionary<string, WaitStrategyKind> StageWaitStrategies { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["tail"] = WaitStrategyKind.Blocking,
    };

    /// <summary>CPU to pin each stage's thread to, by stage name ("brain", "execution", "tail"); absent = not pinned.</summary>
    public Dictionary<string, int> StageCpus { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Reserve the CPUs of <see cref="StageCpus"/> for the pinned stages: every other thread of the process is moved
    /// off them at start and again every <see cref="IsolationSweepInterval"/> (a thread inherits its creator's CPUs, so
    /// one a pinned stage starts would land on a reserved CPU). Off by default: on two cores it leaves one core to the
    /// feed, Kestrel, the I/O loop and the GC. It is the low-latency placement, with the pinned stages yielding
    /// (<see cref="WaitStrategyKind.Yielding"/>, <see cref="Spin"/> zero) so they share their core with each other and
    /// nothing else; docs/OPERATIONS.md has the profile.
    /// </summary>
    public bool IsolateStageCpus { get; set; }

    /// <summary>
    /// Run the brain and execution on one thread, the brain's (its CPU and wait strategy), each slot through the brain
    /// and then execution. Unset, they are fused on a machine with fewer than <see cref="CpusForSeparateStages"/> CPUs
    /// unless execution is given a CPU or a wait strategy of its own; otherwise every stage has a thread of its own.
    /// With two cores there is no core for each of the feed, the brain and execution: handing a slot between two
    /// threads costs a wake-up or a context switch (tens of microseconds when the receiving thread has to be woken)
    /// against about a microsecond of work on both sides, and two stage threads waiting by yielding take turns on the
    /// cores the feed needs. Fused, an order is signed and sent by the thread that decided it.
    /// </summary>
    public bool? FuseBrainAndExecution { get; set; }

    /// <summary>Below this many CPUs an unset <see cref="FuseBrainAndExecution"/> fuses: a core each for the feed, the brain, execution and the rest.</summary>
    public const int CpusForSeparateStages = 4;

    /// <summary>Whether brain and execution share a thread: <see cref="FuseBrainAndExecution"/>, or when unset the rule it describes.</summary>
    public bool FusesBrainAndExecution(int processorCount) =>
        FuseBrainAndExecution ?? (processorCount < CpusForSeparateStages
            && !StageCpus.ContainsKey("execution") && !StageWaitStrategies.ContainsKey("execution"));

    /// <summary>
    /// While the stage that signs orders waits with a strategy that never parks (busy-spin, yielding), it signs a dummy
    /// order into a scratch buffer this often, so that the next real order finds its code and data in the caches.
    /// Zero turns it off; parking strategies never do it.
    /// </summary>
    public TimeSpan KeepWarmInterval { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Whether the ring asks the kernel for transparent huge pages for its slots: fewer TLB misses for a stage streaming
    /// through the ring. Measured, no clear gain for a consumer draining a full ring and none for the sparse ticks of a
    /// trading session (the end-to-end harness had tick → signed order if anything slower with them). Off by default.
    /// </summary>
    public bool HugePages { get; set; }

    /// <summary>How often <see cref="IsolateStageCpus"/> sweeps threads off the reserved CPUs again.</summary>
    public TimeSpan IsolationSweepInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>The engine's settings, bound from the "Engine" configuration section.</summary>
public sealed class EngineOptions
{
    public const string Section = "Engine";

    public RingOptions Ring { get; set; } = new();

    public SyntheticMarketOptions Synthetic { get; set; } = new();

    /// <summary>Indicator periods, strategy thresholds, risk, rotation and cooldown ("Engine:Brain").</summary>
    public BrainOptions Brain { get; set; } = new();

    /// <summary>How often the pipeline reports its throughput and latency.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(5);

    public ControlOptions Control { get; set; } = new();

    public MetricsOptions Metrics { get; set; } = new();

    public HealthOptions Health { get; set; } = new();

    /// <summary>The embedded simulator of sim mode ("Engine:Simulator": Symbols, Speed, Seed, Balance, ...); its port is always an ephemeral loopback one.</summary>
    public Simulator.SimulatorOptions Simulator { get; set; } = new();

    /// <summary>Live and paper modes' venue endpoints when they are not Binance's ("Engine:Venue").</summary>
    public VenueEndpointOptions Venue { get; set; } = new();

    /// <summary>
    /// The bound on a graceful stop (stop intake, drain the ring, close the servers); past it the host gives up
    /// waiting and the process exits anyway.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Test-only fault injection ("Engine:Testing"); never set in production.</summary>
    public TestingOptions Testing { get; set; } = new();
}

/// <summary>Refuses to start with settings that cannot work, saying which and why.</summary>
public sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>(options.Testing.Problems());
        var size = options.Ring.Size;
        if (size < 64 || !int.IsPow2(size))
        {
            failures.Add($"Engine:Ring:Size must be a power of two of at least 64 (got {size}).");
        }
        else if (RingBytes(size) is var bytes && bytes > GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2)
        {
            // Half of what the process may use: the ring is allocated whole at start, and the rest of the engine needs room.
            var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            failures.Add($"Engine:Ring:Size {size} needs {bytes / (1024 * 1024)} MiB ({MarketEventSlotBytes} bytes a slot), more than half the {available / (1024 * 1024)} MiB this process may use: choose a smaller power of two.");
        }

        foreach (var (stage, cpu) in options.Ring.StageCpus)
        {
            if (Array.IndexOf(RingPipeline.StageNames, stage.ToLowerInvariant()) < 0)
            {
                failures.Add($"Engine:Ring:StageCpus names an unknown stage '{stage}' (known: {string.Join(", ", RingPipeline.StageNames)}).");
            }

            if (cpu < 0 || cpu >= Environment.ProcessorCount)
            {
                failures.Add($"Engine:Ring:StageCpus:{stage} = {cpu} is not a CPU of this machine (0..{Environment.ProcessorCount - 1}).");
            }
        }

        foreach (var (stage, kind) in options.Ring.StageWaitStrategies)
        {
            if (Array.IndexOf(RingPipeline.StageNames, stage.ToLowerInvariant()) < 0)
            {
                failures.Add($"Engine:Ring:StageWaitStrategies names an unknown stage '{stage}' (known: {string.Join(", ", RingPipeline.StageNames)}).");
            }

            if (kind is WaitStrategyKind.SpinThenBlock or WaitStrategyKind.Blocking
                && options.Ring.WaitStrategy is not (WaitStrategyKind.SpinThenBlock or WaitStrategyKind.Blocking))
            {
                failures.Add($"Engine:Ring:StageWaitStrategies:{stage} = {kind} parks, which needs Engine:Ring:WaitStrategy to park too (SpinThenBlock or Blocking; got {options.Ring.WaitStrategy}): only then do writers wake parked stages.");
            }
        }

        if (options.Ring.FuseBrainAndExecution == true
            && (options.Ring.StageCpus.ContainsKey("execution") || options.Ring.StageWaitStrategies.ContainsKey("execution")))
        {
            failures.Add("Engine:Ring:FuseBrainAndExecution runs execution on the brain's thread: set its CPU and wait strategy under \"brain\", not \"execution\".");
        }

        if (options.Ring.IsolateStageCpus)
        {
            var reserved = options.Ring.StageCpus.Values.Distinct().Count();
            if (reserved == 0)
            {
                failures.Add("Engine:Ring:IsolateStageCpus needs Engine:Ring:StageCpus to name the CPUs to reserve.");
            }
            else if (reserved >= Environment.ProcessorCount)
            {
                failures.Add($"Engine:Ring:IsolateStageCpus would reserve all {Environment.ProcessorCount} CPUs for the stages: leave at least one for the feed and the I/O threads.");
            }

            if (options.Ring.IsolationSweepInterval <= TimeSpan.Zero)
            {
                failures.Add("Engine:Ring:IsolationSweepInterval must be positive.");
            }
        }

        if (options.Ring.KeepWarmInterval < TimeSpan.Zero)
        {
            failures.Add("Engine:Ring:KeepWarmInterval must not be negative (zero turns it off).");
        }

        if (options.Ring.Spin < TimeSpan.Zero || options.Ring.Yield < TimeSpan.Zero)
        {
            failures.Add("Engine:Ring:Spin and Engine:Ring:Yield must not be negative.");
        }

        if (options.Synthetic.EventsPerSecond < 1)
        {
            failures.Add($"Engine:Synthetic:EventsPerSecond must be at least 1 (got {options.Synthetic.EventsPerSecond}).");
        }

        foreach (var symbol in options.Synthetic.Symbols)
        {
            if (string.IsNullOrWhiteSpace(symbol.Name) || string.IsNullOrWhiteSpace(symbol.StartPrice)
                || string.IsNullOrWhiteSpace(symbol.TickSize) || string.IsNullOrWhiteSpace(symbol.StepSize))
            {
                failures.Add("Engine:Synthetic:Symbols entries need Name, StartPrice, TickSize and StepSize.");
            }
        }

        failures.AddRange(options.Brain.Validate());

        if (options.ReportInterval <= TimeSpan.Zero)
        {
            failures.Add($"Engine:ReportInterval must be positive (got {options.ReportInterval}).");
        }

        if (options.Synthetic.MaxEvents < 0)
        {
            failures.Add($"Engine:Synthetic:MaxEvents must be 0 (no limit) or positive (got {options.Synthetic.MaxEvents}).");
        }

        if (options.ShutdownTimeout <= TimeSpan.Zero || options.ShutdownTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add($"Engine:ShutdownTimeout must be positive and at most 5 minutes (got {options.ShutdownTimeout}).");
        }

        ControlOptionsValidation.Validate(options, failures);
        options.Venue.Validate(failures);

        try
        {
            options.Simulator.Validate();
        }
        catch (ArgumentException invalid)
        {
            failures.Add($"Engine:Simulator: {invalid.Message}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>A slot's bytes: the event itself and the multi-producer sequencer's availability flag.</summary>
    private const int MarketEventSlotBytes = Model.MarketEvent.Size + sizeof(int);

    private static long RingBytes(int size) => (long)size * MarketEventSlotBytes;
}
