using Engine.Brain;
using Engine.Model;
using Engine.Native;
using Engine.Ring;
using Engine.Telemetry;

namespace Engine.Hosting;

/// <summary>Where a stage's thread landed when it started.</summary>
public sealed record StagePlacement(string Stage, string ThreadName, int ManagedThreadId, int Cpu, PinResult Pin);

/// <summary>
/// The one ring and its chain of stages, <c>brain → execution → tail</c>, each on its own thread and each
/// gated on the one before it; the producer is gated on the tail. The brain position runs the
/// <see cref="TradingBrain"/> and then its <see cref="TimingStage"/>; the execution position holds only a
/// <see cref="TimingStage"/> until its logic lands.
/// </summary>
public sealed class RingPipeline
{
    /// <summary>Stage names in dependency order.</summary>
    public static readonly string[] StageNames = ["brain", "execution", "tail"];

    private readonly IEventProcessor[] _stages;
    private readonly Func<Action?, Thread>[] _starts;
    private readonly Dictionary<string, int> _stageCpus;
    private readonly StagePlacement?[] _placements;

    /// <param name="options">Ring settings.</param>
    /// <param name="brain">The brain for the brain position; without one, a brain with default options and no symbol rules (it reads the market but refuses every entry).</param>
    public RingPipeline(RingOptions options, TradingBrain? brain = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        WaitStrategy = options.WaitStrategy;
        Ring = RingBuffer.CreateSingleProducer<MarketEvent>(options.Size, WaitStrategyFactory.Create(options.WaitStrategy, options.Spin, options.Yield));
        _stageCpus = new Dictionary<string, int>(options.StageCpus, StringComparer.OrdinalIgnoreCase);
        Statistics = new StageStatistics[StageNames.Length];
        Brain = brain ?? new TradingBrain(new BrainOptions(), []);
        _stages = new IEventProcessor[StageNames.Length];
        _starts = new Func<Action?, Thread>[StageNames.Length];
        _placements = new StagePlacement?[StageNames.Length];
        Sequence[] upstream = [];
        for (var i = 0; i < StageNames.Length; i++)
        {
            Statistics[i] = new StageStatistics(StageNames[i]);
            var point = (StagePoint)(i + 1);
            var timing = new TimingStage(point, Statistics[i]);
            if (i == 0)
            {
                var processor = new BatchEventProcessor<MarketEvent, BrainStage<TimingStage>>(
                    StageNames[i], Ring, Ring.NewBarrier(upstream), new BrainStage<TimingStage>(Brain, timing));
                (_stages[i], _starts[i]) = (processor, processor.Start);
            }
            else
            {
                var processor = new BatchEventProcessor<MarketEvent, TimingStage>(StageNames[i], Ring, Ring.NewBarrier(upstream), timing);
                (_stages[i], _starts[i]) = (processor, processor.Start);
            }

            upstream = [_stages[i].Sequence];
        }

        Ring.AddGatingSequences(upstream);
    }

    public RingBuffer<MarketEvent> Ring { get; }

    public WaitStrategyKind WaitStrategy { get; }

    /// <summary>The brain in the brain position (its counters are the health and metrics view of it).</summary>
    public TradingBrain Brain { get; }

    /// <summary>Per-stage statistics in dependency order; the last one times the whole trip.</summary>
    public StageStatistics[] Statistics { get; }

    public IReadOnlyList<IEventProcessor> Stages => _stages;

    /// <summary>Starts every stage on its own thread and returns where each landed, in dependency order.</summary>
    public IReadOnlyList<StagePlacement> Start()
    {
        using var started = new CountdownEvent(_stages.Length);
        for (var i = 0; i < _stages.Length; i++)
        {
            var index = i;
            var cpu = _stageCpus.TryGetValue(StageNames[i], out var requested) ? requested : -1;
            _starts[i](() =>
            {
                var pin = ThreadAffinity.PinCurrentThread(cpu);
                _placements[index] = new StagePlacement(
                    StageNames[index], Thread.CurrentThread.Name ?? StageNames[index],
                    Environment.CurrentManagedThreadId, ThreadAffinity.CurrentCpu(), pin);
                started.Signal();
            });
        }

        started.Wait();
        return [.. _placements.Select(p => p!)];
    }

    /// <summary>
    /// Stops the stages in dependency order, each after it has drained what the one before it finished, so nothing
    /// published is left unprocessed. Call after the producers have stopped.
    /// </summary>
    public bool HaltAndDrain(TimeSpan timeoutPerStage)
    {
        var allStopped = true;
        foreach (var stage in _stages)
        {
            stage.Halt();
            allStopped &= stage.Join(timeoutPerStage);
        }

        return allStopped;
    }
}
