using System.Diagnostics;
using Engine.Control.Commands;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.Signing;
using Engine.Exchange.UserData;
using Engine.Exchange.Wire;
using Engine.Exchange.WsApi;
using Engine.Execution;
using Engine.Feed;
using Engine.Feed.Replay;
using Engine.Feed.Synthetic;
using Engine.Model;
using Engine.Native;
using Engine.State.Journal;
using Engine.State.Reconciliation;
using Engine.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Engine.Hosting;

/// <summary>
/// Runs the ring for the life of the host: starts the stages, then what this mode trades with — execution's I/O loop
/// (which first publishes the journal's positions), the user-data stream, the market source (the venue's streams, a
/// replay, or the synthetic market) and the reconciler — reports throughput and latency periodically, and on shutdown
/// stops intake, drains every stage in order, stops execution with its journal flushed, and logs what each handled.
/// </summary>
public sealed class PipelineService : BackgroundService
{
    private readonly EngineOptions _options;
    private readonly ILogger<PipelineService> _logger;
    private readonly RingPipeline _constructed;
    private readonly SymbolTable _symbols;
    private readonly CommandBus _commands;
    private readonly IServiceProvider _services;
    private readonly SymbolUniverse _universe;
    private RingPipeline? _pipeline;
    private SyntheticMarketSource? _source;
    private ReplayMarketSource? _replay;
    private FeedService? _feed;
    private ExecutionService? _execution;
    private UserDataStream? _userStream;
    private Reconciler? _reconciler;
    private Timer? _isolation;
    private StageFaultGuard? _guard;
    private VenueWire? _wire;

    public PipelineService(
        IOptions<EngineOptions> options, RingPipeline pipeline, SymbolUniverse universe, CommandBus commands, IServiceProvider services,
        ILogger<PipelineService> logger)
    {
        _options = options.Value;
        _constructed = pipeline;
        _universe = universe;
        _symbols = universe.Table;
        _commands = commands;
        _services = services;
        _logger = logger;
    }

    /// <summary>The running pipeline (null before start).</summary>
    public RingPipeline? Pipeline => _pipeline;

    /// <summary>The synthetic market source (null before start and in the other modes).</summary>
    public SyntheticMarketSource? Source => _source;

    /// <summary>Events the market source has published so far, whichever it is (0 before start).</summary>
    public long EventsPublished => _source?.Published ?? _replay?.Published ?? FeedEvents();

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var pipeline = _constructed;
        var ring = pipeline.Ring;
        EngineLog.RingReady(_logger, ring.BufferSize, ring.AllocatedBytes, ring.SlotSize, ring.HugePagesRequested ? "on huge pages where the kernel has them" : "on small pages", pipeline.WaitStrategy, Environment.ProcessorCount);
        var credentials = _services.GetRequiredService<VenueSession>().Credentials;
        EngineLog.SigningBackend(_logger, credentials is null ? "HMAC-SHA256, " + HmacSha256Signer.AutoBackendDescription + " (no key: nothing is sent)" : RequestSigners.Describe(credentials));
        foreach (var placement in pipeline.Start())
        {
            EngineLog.StageStarted(_logger, placement.Stage, placement.ThreadName, placement.ManagedThreadId, placement.Cpu, placement.Pin);
            if (placement.Pin.Outcome is PinOutcome.Failed or PinOutcome.Unsupported)
            {
                EngineLog.PinFailed(_logger, placement.Stage, placement.Pin);
            }
        }

        _pipeline = pipeline;
        if (_options.Ring.IsolateStageCpus)
        {
            // Before the feed, the I/O loop and the servers' threads exist: they inherit the unreserved CPUs from here.
            var moved = pipeline.MoveOtherThreadsOffStageCpus();
            var cpus = string.Join(",", pipeline.StageCpuSet);
            EngineLog.StageCpusReserved(_logger, cpus, moved);
            _isolation = new Timer(
                static state => ((RingPipeline)state!).MoveOtherThreadsOffStageCpus(), pipeline,
                _options.Ring.IsolationSweepInterval, _options.Ring.IsolationSweepInterval);
        }

        var venue = _services.GetRequiredService<VenueSession>();
        switch (venue.Mode)
        {
            case EngineMode.Synthetic:
                _source = new SyntheticMarketSource(ring, _symbols, _options.Synthetic);
                _source.Start();
                EngineLog.SourceStarted(_logger, _source.SymbolCount, _options.Synthetic.EventsPerSecond);
                break;
            case EngineMode.Replay:
                _replay = _services.GetRequiredService<ReplayMarketSource>();
                _execution = _services.GetRequiredService<ExecutionService>();
                _execution.Start();
                _replay.Start();
                var replay = _services.GetRequiredService<ReplayOptions>();
                EngineLog.ReplayStarted(_logger, replay.Files.Count, replay.Speed > 0 ? $"x{replay.Speed:0.###}" : "as fast as the ring takes it");
                break;
            default:
                await StartVenueAsync(venue, cancellationToken).ConfigureAwait(false);
                break;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // A stop came during the start (the host's start token is its stopping token too): the parts started so far
            // are stopped by StopAsync, which runs next, in the same order as any stop; there is nothing to report on.
            EngineLog.StartInterrupted(_logger);
            return;
        }

        // From here a stage that halts on a fault puts execution in reduce-only mode and its positions get closed.
        _guard = new StageFaultGuard(pipeline, _execution, _services.GetService<ILogger<StageFaultGuard>>() ?? NullLogger<StageFaultGuard>.Instance, s_faultCheckInterval);
        _guard.Start();
        _guard.Check();
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private static readonly TimeSpan s_faultCheckInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The first stage that halted on a fault and why (null while none).</summary>
    public string? HaltedStage => _guard?.Halted;

    /// <summary>
    /// Execution first (the journal's positions reach the brain and the tail before any market data), then the user
    /// stream (so no fill of an order the journal left open is missed), then the market streams and the reconciler.
    /// </summary>
    private async Task StartVenueAsync(VenueSession venue, CancellationToken cancellationToken)
    {
        _execution = _services.GetRequiredService<ExecutionService>();
        if (venue.Credentials is not null)
        {
            _wire = await OpenWireAsync(venue, venue.Credentials, _execution, cancellationToken).ConfigureAwait(false);
            var stageSends = _execution.AttachWire(_wire);
            EngineLog.OrderWire(_logger, _wire.Session is { } session ? $"WebSocket API at {venue.WebSocketApiAddress} ({(session.LoggedOn ? "logged on, orders unsigned" : "each order signed")})" : "no WebSocket API",
                _wire.Pool?.ReadyCount ?? 0, _wire.Pool?.ConnectionCount ?? 0, stageSends);
        }

        _execution.Start();
        var userStream = "no user-data stream (orders on paper)";
        if (venue.Credentials is not null)
        {
            _userStream = _services.GetRequiredService<UserDataStream>();
            await _userStream.StartAsync(cancellationToken).ConfigureAwait(false);
            userStream = "user-data stream started";
        }

        // Each part starts only if no stop was asked for meanwhile; a start given up here is no fault, and never a
        // throw: the host would then skip StopAsync, and the stages and the journal would be left as they are.
        if (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        _feed = _services.GetRequiredService<FeedService>();
        await _feed.StartAsync(_universe.Traded, cancellationToken).ConfigureAwait(false);
        var connectTimeout = _services.GetRequiredService<FeedOptions>().ConnectTimeout;
        try
        {
            await _feed.WaitUntilConnectedAsync(connectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            EngineLog.FeedSlowToConnect(_logger, connectTimeout);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        if (venue.Credentials is not null)
        {
            _reconciler = _services.GetRequiredService<Reconciler>();
            await _reconciler.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        var journal = _services.GetRequiredService<IOptions<JournalOptions>>().Value.Directory;
        var connected = _feed.Connections.Count(c => c.Connected);
        var mode = _execution.Mode.ToString().ToLowerInvariant();
        EngineLog.VenueConnected(_logger, connected, _universe.Traded.Count, userStream, mode, _execution.RunId, journal);
    }

    /// <summary>
    /// The connections the execution stage puts orders on: the venue's WebSocket API session (when configured and
    /// offered) and the engine's own REST order pool, both opened and warmed now so the first order pays no connect.
    /// Answers and lost connections go to execution's I/O loop.
    /// </summary>
    private async Task<VenueWire> OpenWireAsync(VenueSession venue, ApiCredentials credentials, ExecutionService execution, CancellationToken cancellationToken)
    {
        var client = _services.GetRequiredService<BinanceRestClient>();
        var loggers = _services.GetRequiredService<ILoggerFactory>();
        var configuration = _services.GetRequiredService<IConfiguration>();
        var poolOptions = configuration.GetSection(RestOrderPoolOptions.Section).Get<RestOrderPoolOptions>() ?? new RestOrderPoolOptions();
        poolOptions.BaseAddress = venue.RestBaseAddress!.ToString();
        var pool = new RestOrderPool(Options.Create(poolOptions), credentials, client.Clock, client.RateLimits, execution, loggers.CreateLogger<RestOrderPool>());
        await pool.StartAsync(cancellationToken).ConfigureAwait(false);
        WsApiSession? session = null;
        if (_services.GetRequiredService<IOptions<ExecutionOptions>>().Value.WebSocketApi && venue.WebSocketApiAddress is { } endpoint)
        {
            var wsOptions = configuration.GetSection(WsApiOptions.Section).Get<WsApiOptions>() ?? new WsApiOptions();
            wsOptions.Endpoint = endpoint;
            session = new WsApiSession(wsOptions, credentials.ApiKey, RequestSigners.Create(credentials), client.RateLimits, client.Clock, execution, loggers.CreateLogger<WsApiSession>());
            try
            {
                await session.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException exception)
            {
                EngineLog.WebSocketApiUnavailable(_logger, exception, endpoint);
                await session.DisposeAsync().ConfigureAwait(false);
                session = null;
            }
        }

        var sendPath = _services.GetRequiredService<IOptions<ExecutionOptions>>().Value.WarmSendPath ? SendPathWarmer.Open() : null;
        return new VenueWire(session, pool, session is { LoggedOn: false } ? RequestSigners.Create(credentials) : null, sendPath);
    }

    private long FeedEvents()
    {
        var feed = _feed;
        if (feed is null)
        {
            return 0;
        }

        long events = 0;
        foreach (var connection in feed.Connections)
        {
            events += connection.Counters.Published;
        }

        return events;
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
        _guard?.Dispose();
        if (_isolation is not null)
        {
            await _isolation.DisposeAsync().ConfigureAwait(false);
        }

        if (_pipeline is null)
        {
            return;
        }

        // The whole stop stays within Engine:ShutdownTimeout: a quarter for the sources, the rest shared by the stages
        // and execution.
        var sourceTimeout = _options.ShutdownTimeout / 4;
        var drainTimeout = (_options.ShutdownTimeout - sourceTimeout) / (_pipeline.Stages.Count + 1);

        // Intake stops on every producer: no new commands (those in flight still complete), no new market data, no
        // reconciliation, no user-data events (execution's journal and the next start's recovery cover what follows).
        _commands.Close();
        using (var sources = new CancellationTokenSource(sourceTimeout))
        {
            if (_reconciler is not null)
            {
                await _reconciler.StopAsync(sources.Token).ConfigureAwait(false);
            }

            if (_feed is not null)
            {
                await _feed.StopAsync(sources.Token).ConfigureAwait(false);
            }

            if (_userStream is not null)
            {
                await _userStream.StopAsync(sources.Token).ConfigureAwait(false);
            }
        }

        if (_source is not null && !_source.Stop(sourceTimeout))
        {
            EngineLog.SourceDidNotStop(_logger, sourceTimeout);
        }

        if (_replay is not null && !_replay.Stop(sourceTimeout))
        {
            EngineLog.SourceDidNotStop(_logger, sourceTimeout);
        }

        EngineLog.Stopping(_logger, EventsPublished);
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

        if (_execution is not null)
        {
            // Stops the I/O loop and flushes the journal (the container disposes the rest); the venue itself closes
            // after the host (Program disposes it).
            _execution.Stop(drainTimeout);
            var journal = $"{_execution.Journal.RecordsWritten} records, {_execution.Journal.Fsyncs} fsyncs";
            EngineLog.ExecutionStopped(_logger, journal);
        }

        if (_wire is not null)
        {
            // After the I/O loop: answers still in flight had until now to arrive.
            await _wire.DisposeAsync().ConfigureAwait(false);
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
