using Engine.Execution;
using Engine.Model;
using Engine.Ring;
using Microsoft.Extensions.Logging;

namespace Engine.Hosting;

/// <summary>
/// Watches the ring's stages for a halt on a fault (a bug: a stage's fault handler halts it) and, at the first, makes
/// execution reduce-only and close what it holds (<see cref="ExecutionService.EnterReduceOnly"/>). The protection
/// cannot ride on the ring: when the brain halts, execution and the tail behind it stop too, and the ring fills. It
/// goes to execution's I/O loop directly, which keeps running whichever stage halted. Also says, once, when that
/// loop itself has stopped: then nothing manages the positions and only the operator can.
/// </summary>
public sealed partial class StageFaultGuard : IDisposable
{
    private readonly RingPipeline _pipeline;
    private readonly ExecutionService? _execution;
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private Timer? _timer;
    private int _checking;
    private bool _loopReported;

    /// <param name="pipeline">The running pipeline.</param>
    /// <param name="execution">Execution, when this run sends orders (null: nothing to protect).</param>
    /// <param name="logger">Logger.</param>
    /// <param name="interval">How often the stages are checked.</param>
    public StageFaultGuard(RingPipeline pipeline, ExecutionService? execution, ILogger<StageFaultGuard> logger, TimeSpan interval)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _execution = execution;
        _interval = interval;
    }

    /// <summary>The first stage found halted on a fault and why ("brain: InvalidOperationException: …"); null while none.</summary>
    public string? Halted { get; private set; }

    public void Start() => _timer ??= new Timer(static state => ((StageFaultGuard)state!).Check(), this, _interval, _interval);

    /// <summary>Checks the stages and the I/O loop once (the timer's work; callable directly).</summary>
    public void Check()
    {
        if (Interlocked.Exchange(ref _checking, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var stage in _pipeline.Stages.Distinct())
            {
                if (stage.Fault is { } fault && _reported.Add(stage.Name))
                {
                    OnHalted(stage, fault);
                }
            }

            if (_execution?.Fault is { } loopFault && !_loopReported)
            {
                _loopReported = true;
                LoopStopped(_logger, loopFault);
            }
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }

    private void OnHalted(IEventProcessor stage, Exception fault)
    {
        var why = $"stage {stage.Name} halted on a fault: {fault.GetType().Name}: {fault.Message}";
        Halted ??= why;
        if (_execution is null)
        {
            StageHalted(_logger, fault, stage.Name, "this run sends no orders: there is nothing to protect");
            return;
        }

        if (_execution.EnterReduceOnly(why))
        {
            StageHalted(_logger, fault, stage.Name, "execution goes reduce-only and closes every position it holds");
            return;
        }

        StageHalted(_logger, fault, stage.Name, "the execution I/O loop is not running: positions cannot be closed by the engine, close them at the venue");
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _timer = null;
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Critical, Message = "Stage {Stage} halted on a fault; {Action}")]
    private static partial void StageHalted(ILogger logger, Exception exception, string stage, string action);

    [LoggerMessage(EventId = 31, Level = LogLevel.Critical, Message = "The execution I/O loop has stopped: no order is sent or followed and positions are not managed; close them at the venue and restart")]
    private static partial void LoopStopped(ILogger logger, Exception exception);
}

/// <summary>
/// Test-only fault injection ("Engine:Testing"): never set in production. A stage named here throws from its handler
/// after it has handled <see cref="FaultAfterEvents"/> events, as a bug would, so that tests can watch what a halted
/// stage does to the engine (reduce-only, positions closed, health). The stage runs a wrapped handler only when set:
/// an engine without it runs the same code as before.
/// </summary>
public sealed class TestingOptions
{
    /// <summary>The stage that faults (brain, execution or tail); none when empty.</summary>
    public string? FaultStage { get; set; }

    /// <summary>Events the stage handles before the fault.</summary>
    public long FaultAfterEvents { get; set; } = 1;

    /// <summary>Problems with these settings, one line each (empty when none).</summary>
    public IEnumerable<string> Problems()
    {
        if (!string.IsNullOrEmpty(FaultStage) && Array.IndexOf(RingPipeline.StageNames, FaultStage.ToLowerInvariant()) < 0)
        {
            yield return $"Engine:Testing:FaultStage must be one of {string.Join(", ", RingPipeline.StageNames)} (got '{FaultStage}').";
        }

        if (FaultAfterEvents < 1)
        {
            yield return $"Engine:Testing:FaultAfterEvents must be at least 1 (got {FaultAfterEvents}).";
        }
    }
}

/// <summary>The wrapper <see cref="TestingOptions.FaultStage"/> puts around a stage's handler: throws at the configured event.</summary>
internal struct FaultAfter<TNext>(TNext next, string stage, long after) : IEventHandler<MarketEvent>
    where TNext : struct, IEventHandler<MarketEvent>
{
    private TNext _next = next;
    private long _seen;

    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
    {
        if (_seen++ >= after)
        {
            throw new InvalidOperationException($"injected fault in stage {stage} at its event {_seen} (Engine:Testing:FaultStage)");
        }

        _next.OnEvent(ref data, sequence, endOfBatch);
    }
}
