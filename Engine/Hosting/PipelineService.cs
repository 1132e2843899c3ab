using Engine.Exchange.Signing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Diagnostics;
using Engine.Feed.Synthetic;
using Engine.Model;
using Engine.Native;
using Engine.Telemetry;
using Microsoft.Extensions.Options;
using Engine.Control.Commands;

namespace Engine.Hosting;

/// <summary>
/// Runs the ring for the life of the host: builds it, starts the stages and the market source, reports
/// throughput and latency periodically, and on shutdown stops intake, drains every stage in order and logs
/// what each handled.
/// </summary>
public sealed class PipelineService : BackgroundService
{
    private readonly EngineOptions _options;
    private readonly ILogger<PipelineService> _logger;
    private readonly RingPipeline _constructed;
    private readonly SymbolTable _symbols;
    private readonly CommandBus _commands;
    private RingPipeline? _pipeline;
    private SyntheticMarketSource? _source;

    public PipelineService(IOptions<EngineOptions> options, RingPipeline pipeline, SymbolTable symbols, CommandBus commands, ILogger<PipelineService> logger)
    {
        _options = options.Value;
        _constructed = pipeline;
        _symbols = symbols;
        _commands = commands;
        _logger = logger;
    }

    /// <summary>The running pipeline (null before start).</summary>
    public RingPipeline? Pipeline => _pipeline;

    /// <summary>The market source (null before start).</summary>
    public SyntheticMarketSource? Source => _source;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var pipeline = _constructed;
        var ring = pipeline.Ring;
        EngineLog.RingReady(_logger, ring.BufferSize, ring.AllocatedBytes, ring.SlotSize, pipeline.WaitStrategy, Environment.ProcessorCount);
        EngineLog.SigningBackend(_logger, HmacSha256Signer.AutoBackendDescription);
        foreach (var placement in pipeline.Start())
        {
            EngineLog.StageStarted(_logger, placement.Stage, placement.ThreadName, placement.ManagedThreadId, placement.Cpu, placement.Pin);
            if (placement.Pin.Outcome is PinOutcome.Failed or PinOutcome.Unsupported)
            {
                EngineLog.PinFailed(_logger, placement.Stage, placement.Pin);
            }
        }

        _pipeline = pipeline;
        _source = new SyntheticMarketSource(ring, _symbols, _options.Synthetic);
        _source.Start();
        EngineLog.SourceStarted(_logger, _source.SymbolCount, _options.Synthetic.EventsPerSecond);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tail = _pipeline!.Statistics[^1];
        var previous = new long[LatencyHistogram.BucketCount];
        var current = new long[LatencyHistogram.BucketCount];
        var interval = new long[LatencyHistogram.BucketCount];
        var previousEvents = 0L;
        var previousTime = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(_options.ReportInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                var events = tail.Events;
                tail.SincePublished.CopyTo(current);
                for (var i = 0; i < interval.Length; i++)
                {
                    interval[i] = current[i] - previous[i];
                }

                var seconds = Stopwatch.GetElapsedTime(previousTime, now).TotalSeconds;
                var p50 = LatencyHistogram.ValueAtPercentile(interval, 50);
                var p99 = LatencyHistogram.ValueAtPercentile(interval, 99);
                var p999 = LatencyHistogram.ValueAtPercentile(interval, 99.9);
                var max = LatencyHistogram.MaxValue(interval);
                EngineLog.Throughput(_logger, (events - previousEvents) / seconds, seconds, events, p50, p99, p999, max);

                (previous, current) = (current, previous);
                previousEvents = events;
                previousTime = now;
                ReportFaults();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: StopAsync drains the ring.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_pipeline is null || _source is null)
        {
            return;
        }

        // The whole stop stays within Engine:ShutdownTimeout: a quarter for the source, the rest shared by the stages.
        var sourceTimeout = _options.ShutdownTimeout / 4;
        var drainTimeout = (_options.ShutdownTimeout - sourceTimeout) / _pipeline.Stages.Count;

        // Intake stops on both producers: no new commands (those in flight still complete), no new market data.
        _commands.Close();
        if (!_source.Stop(sourceTimeout))
        {
            EngineLog.SourceDidNotStop(_logger, sourceTimeout);
        }

        EngineLog.Stopping(_logger, _source.Published);
        _pipeline.HaltAndDrain(drainTimeout);
        for (var i = 0; i < _pipeline.Stages.Count; i++)
        {
            var stage = _pipeline.Stages[i];
            if (stage.IsRunning)
            {
                EngineLog.DrainTimedOut(_logger, stage.Name, drainTimeout);
            }

            EngineLog.StageStopped(_logger, stage.Name, _pipeline.Statistics[i].Events, _pipeline.Statistics[i].Batches);
        }

        ReportFaults();
    }

    private void ReportFaults()
    {
        foreach (var stage in _pipeline!.Stages)
        {
            if (stage.Fault is { } fault)
            {
                EngineLog.StageFaulted(_logger, fault, stage.Name);
            }
        }
    }
}
