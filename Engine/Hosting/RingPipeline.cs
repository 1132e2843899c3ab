using Engine.Brain;
using Engine.Control.Commands;
using Engine.Execution;
using Engine.Model;
using Engine.Native;
using Engine.Ring;
using Engine.State.Positions;
using Engine.Telemetry;

namespace Engine.Hosting;

/// <summary>Where a stage's thread landed when it started.</summary>
public sealed record StagePlacement(string Stage, string ThreadName, int ManagedThreadId, int OsThreadId, int Cpu, PinResult Pin);

/// <summary>
/// The one ring and its chain of stages, <c>brain → execution → tail</c>, each on its own thread and each
/// gated on the one before it; the producers are gated on the tail. The brain position runs the
/// <see cref="TradingBrain"/> and then its <see cref="TimingStage"/>; the execution position holds only a
/// <see cref="TimingStage"/> until its logic lands (issue 8). The ring is multi-producer: the market source and
/// the control plane (commands) both publish into it.
/// </summary>
public sealed class RingPipeline
{
    /// <summary>Stage names in dependency order.</summary>
    public static readonly string[] StageNames = ["brain", "execution", "tail"];

    private readonly IEventProcessor[] _stages;
    private readonly Func<Action, Thread>?[] _starts;
    private readonly Dictionary<string, int> _stageCpus;
    private readonly StagePlacement?[] _placements;
    private readonly string? _faultStage;
    private readonly long _faultAfter;

    /// <param name="options">Ring size, wait strategy and placement.</param>
    /// <param name="brain">The brain for the brain position; without one, a brain with default options and no symbol rules (it reads the market but refuses every entry).</param>
    /// <param name="replies">The reply table the tail completes for commands; a private one when omitted.</param>
    /// <param name="symbolCapacity">Symbols the tail counts one by one.</param>
    /// <param name="execution">
    /// Builds execution's stage half for this ring (it publishes its answers into the ring, so it is made once the ring
    /// exists); without it the execution position only times events (a run with no orders: the synthetic market).
    /// </param>
    /// <param name="positions">The position book the tail keeps from fills, marks and position events; none without execution.</param>
    /// <param name="testing">Test-only fault injection (<see cref="TestingOptions"/>); none in production.</param>
    public RingPipeline(
        RingOptions options, TradingBrain? brain = null, CommandReplies? replies = null, int symbolCapacity = 1024,
        Func<RingBuffer<MarketEvent>, ExecutionGateway>? execution = null, PositionBook? positions = null, TestingOptions? testing = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _faultStage = string.IsNullOrEmpty(testing?.FaultStage) ? null : testing.FaultStage.ToLowerInvariant();
        _faultAfter = testing?.FaultAfterEvents ?? 0;
        WaitStrategy = options.WaitStrategy;
        Ring = RingBuffer.CreateMultiProducer<MarketEvent>(options.Size, WaitStrategyFactory.Create(options.WaitStrategy, options.Spin, options.Yield), options.HugePages);
        _stageCpus = new Dictionary<string, int>(options.StageCpus, StringComparer.OrdinalIgnoreCase);
        Brain = brain ?? new TradingBrain(new BrainOptions(), []);
        Replies = replies ?? new CommandReplies();
        TailCounters = new TailCounters(symbolCapacity);
        Statistics = [.. StageNames.Select(name => new StageStatistics(name))];
        _placements = new StagePlacement?[StageNames.Length];
        Gateway = execution?.Invoke(Ring);
        Positions = positions;
        PositionCounters = new PositionStageCounters(positions?.SymbolCapacity ?? symbolCapacity);

        StageWaitStrategies = [.. StageNames.Select(name => options.StageWaitStrategies.TryGetValue(name, out var kind) ? kind : options.WaitStrategy)];
        Fused = options.FusesBrainAndExecution(Environment.ProcessorCount);

        // The thread that signs orders keeps that path warm while it spins (busy-spin and yielding waits only): the
        // execution stage's thread, or the brain's when the two are fused.
        var keepWarm = options.KeepWarmInterval > TimeSpan.Zero && Gateway is not null ? new IdleWork(Gateway.KeepWarm, options.KeepWarmInterval) : null;
        var signingStage = Fused ? 0 : 1;
        SequenceBarrier Barrier(int stage, params Sequence[] upstream)
        {
            var idle = stage == signingStage ? keepWarm : null;
            return options.StageWaitStrategies.ContainsKey(StageNames[stage]) || idle is not null
                ? Ring.NewBarrier(WaitStrategyFactory.Create(StageWaitStrategies[stage], options.Spin, options.Yield, idle), upstream)
                : Ring.NewBarrier(upstream);
        }

        // Execution takes an order's slot as soon as the brain has decided it; when both stages share a core the
        // brain also yields it then, or execution would wait for the brain to finish the burst.
        BrainRelease = new EarlyRelease(yieldAfterRelease: !Fused && SharesCore("brain", "execution"));
        var brainTiming = new TimingStage(StagePoint.Brain, Statistics[0]);
        var executionTiming = new TimingStage(StagePoint.Execution, Statistics[1]);
        IEventProcessor brainStage, executionStage;
        Func<Action, Thread>? startBrain, startExecution;
        if (Fused)
        {
            // One thread runs both stages' handlers on each slot, brain first: no hop between them.
            (brainStage, startBrain) = Gateway is null
                ? Processor("brain+execution", Barrier(0), new BrainStage<HandlerChain<MarketEvent, TimingStage, TimingStage>>(
                    Brain, new(brainTiming, executionTiming), BrainRelease), BrainRelease)
                : Processor("brain+execution", Barrier(0), new BrainStage<HandlerChain<MarketEvent, TimingStage, ExecutionStage<TimingStage>>>(
                    Brain, new(brainTiming, new ExecutionStage<TimingStage>(Gateway, executionTiming)), BrainRelease), BrainRelease);
            (executionStage, startExecution) = (brainStage, null);
        }
        else
        {
            (brainStage, startBrain) = Processor("brain", Barrier(0), new BrainStage<TimingStage>(Brain, brainTiming, BrainRelease), BrainRelease);
            (executionStage, startExecution) = Gateway is null
                ? Processor("execution", Barrier(1, brainStage.Sequence), executionTiming)
                : Processor("execution", Barrier(1, brainStage.Sequence), new ExecutionStage<TimingStage>(Gateway, executionTiming));
        }

        var tailStage = new TailStage(Statistics[2], TailCounters, Replies, Activity);
        var (tail, startTail) = Positions is null
            ? Processor("tail", Barrier(2, executionStage.Sequence), tailStage)
            : Processor("tail", Barrier(2, executionStage.Sequence), new PositionStage<TailStage>(Positions, PositionCounters, tailStage));
        _stages = [brainStage, executionStage, tail];
        _starts = [startBrain, startExecution, startTail];
        Roles =
        [
            "strategy, sizing, rotation, cooldown; timing",
            Gateway is null ? "timing only (no orders in this mode)" : "intents to signed orders for the I/O loop; quotes for paper fills; timing",
            Positions is null ? "timing, counters, command replies" : "positions from fills and marks; timing, counters, command replies",
        ];

        // Which stage acts on which command. Shutdown needs only the tail's reply: it marks the point up to which
        // the ring has drained before the host stops. The brain stops and resumes entries and emits the exits of a
        // flatten; execution cancels the open orders of a flatten and switches the venue.
        var owners = new Dictionary<CommandKind, string[]>
        {
            [CommandKind.Shutdown] = ["tail"],
            [CommandKind.Pause] = ["brain"],
            [CommandKind.Resume] = ["brain"],
        };
        if (Gateway is not null)
        {
            owners[CommandKind.Flatten] = ["brain", "execution"];
            owners[CommandKind.SetMode] = ["execution"];
        }

        CommandOwners = owners;
        Ring.AddGatingSequences(tail.Sequence);
    }

    /// <summary>How the brain hands an order's slot to execution mid-batch (its count is a statistic).</summary>
    public EarlyRelease BrainRelease { get; }

    private bool SharesCore(string first, string second) =>
        _stageCpus.TryGetValue(first, out var a) && _stageCpus.TryGetValue(second, out var b) && a == b;

    /// <summary>Execution's stage half (null when this run sends no orders).</summary>
    public ExecutionGateway? Gateway { get; }

    /// <summary>The tail's position book (null when this run sends no orders).</summary>
    public PositionBook? Positions { get; }

    /// <summary>Signals and fills the tail copies out for the control plane's event stream.</summary>
    public ActivityTap Activity { get; } = new();

    /// <summary>What the tail's position keeper applied.</summary>
    public PositionStageCounters PositionCounters { get; }

    public RingBuffer<MarketEvent> Ring { get; }

    public WaitStrategyKind WaitStrategy { get; }

    /// <summary>How each stage waits, in dependency order (the ring's strategy unless <see cref="RingOptions.StageWaitStrategies"/> names the stage).</summary>
    public IReadOnlyList<WaitStrategyKind> StageWaitStrategies { get; }

    /// <summary>Per-stage statistics in dependency order; the last one times the whole trip.</summary>
    public StageStatistics[] Statistics { get; }

    public IReadOnlyList<IEventProcessor> Stages => _stages;

    /// <summary>The brain in the brain position (its counters are the health and metrics view of it).</summary>
    public TradingBrain Brain { get; }

    /// <summary>What each stage does in this build, in dependency order (reported by GetStatus).</summary>
    public IReadOnlyList<string> Roles { get; }

    /// <summary>The reply table the tail stage completes when a command reaches it.</summary>
    public CommandReplies Replies { get; }

    /// <summary>Events that reached the tail, by kind and symbol.</summary>
    public TailCounters TailCounters { get; }

    /// <summary>For each command some stage of this build acts on, those stages.</summary>
    public IReadOnlyDictionary<CommandKind, string[]> CommandOwners { get; }

    /// <summary>Where each stage landed (null before <see cref="Start"/>).</summary>
    public IReadOnlyList<StagePlacement?> Placements => _placements;

    private (IEventProcessor Processor, Func<Action, Thread> Start) Processor<THandler>(
        string name, SequenceBarrier barrier, THandler handler, EarlyRelease? earlyRelease = null)
        where THandler : struct, IEventHandler<MarketEvent>
    {
        if (_faultStage is not null && Array.IndexOf(name.Split('+'), _faultStage) >= 0)
        {
            var faulting = new BatchEventProcessor<MarketEvent, FaultAfter<THandler>>(
                name, Ring, barrier, new FaultAfter<THandler>(handler, name, _faultAfter), earlyRelease: earlyRelease);
            return (faulting, faulting.Start);
        }

        var processor = new BatchEventProcessor<MarketEvent, THandler>(name, Ring, barrier, handler, earlyRelease: earlyRelease);
        return (processor, processor.Start);
    }

    /// <summary>Starts every stage on its own thread and returns where each landed, in dependency order.</summary>
    public IReadOnlyList<StagePlacement> Start()
    {
        using var started = new CountdownEvent(_starts.Count(start => start is not null));
        for (var i = 0; i < _stages.Length; i++)
        {
            if (_starts[i] is not { } start)
            {
                continue; // fused into the stage before it: started with that one
            }

            var index = i;
            var cpu = _stageCpus.TryGetValue(StageNames[i], out var requested) ? requested : -1;
            start(() =>
            {
                var pin = ThreadAffinity.PinCurrentThread(cpu);
                _placements[index] = new StagePlacement(
                    StageNames[index], Thread.CurrentThread.Name ?? StageNames[index],
                    Environment.CurrentManagedThreadId, ThreadAffinity.CurrentOsThreadId(), ThreadAffinity.CurrentCpu(), pin);
                started.Signal();
            });
        }

        started.Wait();
        for (var i = 0; i < _stages.Length; i++)
        {
            if (_starts[i] is null)
            {
                _placements[i] = _placements[i - 1]! with { Stage = StageNames[i] };
            }
        }

        return [.. _placements.Select(p => p!)];
    }

    /// <summary>
    /// Brain and execution run on one thread (<see cref="RingOptions.FuseBrainAndExecution"/>): <see cref="Stages"/> lists
    /// the one processor in both positions.
    /// </summary>
    public bool Fused { get; }

    /// <summary>The CPUs the pinned stages run on (<see cref="RingOptions.StageCpus"/>), ascending.</summary>
    public IReadOnlyList<int> StageCpuSet => [.. _stageCpus.Values.Distinct().Order()];

    /// <summary>
    /// Moves every other thread of the process (the feed, Kestrel, the I/O loop, the thread pool, the GC) off the CPUs
    /// the pinned stages run on, so those CPUs are theirs alone (<see cref="RingOptions.IsolateStageCpus"/>). Call after
    /// <see cref="Start"/>; returns how many threads were moved.
    /// </summary>
    public int MoveOtherThreadsOffStageCpus()
    {
        var keep = new List<int>(_placements.Length);
        for (var i = 0; i < _placements.Length; i++)
        {
            if (_placements[i] is { Pin.Outcome: PinOutcome.Pinned } placement)
            {
                keep.Add(placement.OsThreadId);
            }
        }

        return ThreadAffinity.MoveOtherThreadsOff(StageCpuSet, keep);
    }

    /// <summary>
    /// Stops the stages in dependency order, each after it has drained what the one before it finished, so nothing
    /// published is left unprocessed. Call after the producers have stopped.
    /// </summary>
    public bool HaltAndDrain(TimeSpan timeoutPerStage)
    {
        var allStopped = true;
        foreach (var stage in _stages.Distinct())
        {
            stage.Halt();
            allStopped &= stage.Join(timeoutPerStage);
        }

        return allStopped;
    }
}
