using System.Net;
using Engine.Control;
using Engine.Control.Commands;
using Engine.Control.Grpc;
using Engine.Control.Health;
using Engine.Control.Metrics;
using Engine.Exchange.Rest;
using Engine.Exchange.Rules;
using Engine.Exchange.UserData;
using Engine.Execution;
using Engine.Feed;
using Engine.Feed.Discovery;
using Engine.Feed.Replay;
using Engine.Model;
using Engine.State.Positions;
using Engine.State.Reconciliation;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Hosting;

/// <summary>
/// Wires the engine into one web host: options bound and validated before anything binds, the ring pipeline and the
/// health monitor as hosted services (started in that order, before the servers), the gRPC control plane
/// (EngineControl, grpc.health.v1, reflection) on an h2c listener and Prometheus metrics on an HTTP/1.1 listener.
/// </summary>
public static class EngineHostBuilder
{
    /// <summary>
    /// Reads the configuration and validates the engine's options before anything starts; throws
    /// <see cref="OptionsValidationException"/> listing every bad setting.
    /// </summary>
    public static (WebApplicationBuilder Builder, EngineOptions Options) Configure(LaunchSettings launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [.. launch.ConfigurationArgs],
            // appsettings.json ships beside the binary; read it from there whatever the working directory is.
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = launch.Environment == "production" ? Environments.Production : Environments.Development,
        });
        builder.Configuration.AddInMemoryCollection(launch.ConfigurationOverrides);
        builder.Logging.ClearProviders();
        // The host's own account of a failed start ("Hosting failed to start", with the trace) is left out: Program
        // tells a refusal in one line, or logs a fault with its trace itself. What the host logs at Critical (a hosted
        // service ending on a fault and stopping the host) stays.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
            console.UseUtcTimestamp = true;
        });

        // Validate before Kestrel is configured from these settings: a bad address must be a clear message, not a bind
        // error. Values that do not convert are found in every section first: binding the engine's own would throw.
        var failures = new List<string>();
        SettingsCheck.CheckSections(builder.Configuration, failures);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(EngineOptions.Section, typeof(EngineOptions), failures);
        }

        var options = builder.Configuration.GetSection(EngineOptions.Section).Get<EngineOptions>() ?? new EngineOptions();
        var validation = new EngineOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            failures.AddRange(validation.Failures);
        }
        else
        {
            // Only once the addresses are known good: a port another process holds is found before anything starts.
            SettingsCheck.CheckListeners(options, failures);
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(EngineOptions.Section, typeof(EngineOptions), failures);
        }

        return (builder, options);
    }

    /// <summary>
    /// Builds the host for <paramref name="launch"/> from <see cref="Configure"/>'s builder, trading on <paramref name="venue"/>
    /// and stopping at <paramref name="signal"/> (the process's from its start; without it, the signals from the host's start).
    /// </summary>
    public static WebApplication Build(WebApplicationBuilder builder, EngineOptions options, LaunchSettings launch, VenueSession venue, ShutdownSignal? signal = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentNullException.ThrowIfNull(venue);
        builder.Configuration.AddInMemoryCollection(TradingServices.VenueConfiguration(venue, builder.Configuration));
        var services = builder.Services;
        services.AddOptions<EngineOptions>()
            .Bind(builder.Configuration.GetSection(EngineOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        if (signal is null)
        {
            // A host embedded in another program (a benchmark) takes the signals from when it starts; the container owns them.
            services.AddSingleton(_ => ShutdownSignal.Register());
        }
        else
        {
            services.AddSingleton(signal);
        }

        services.AddSingleton<IHostLifetime, SignalLifetime>();

        services.AddSingleton(launch);
        services.AddSingleton(venue);
        services.AddSingleton<EngineRuntime>();
        TradingServices.AddTrading(services, builder.Configuration, launch, venue);
        services.AddSingleton(sp =>
        {
            var pipeline = sp.GetRequiredService<RingPipeline>();
            return new CommandBus(pipeline.Ring, pipeline.Replies, pipeline.CommandOwners, CommandOwnership.MissingOwner);
        });
        services.AddSingleton<PipelineService>();
        services.AddSingleton<EngineEvents>();
        services.AddSingleton<CommandCounters>();
        services.AddSingleton<BearerToken>();
        services.AddSingleton<ControlEndpoints>();

        // Health: one component per part that exists; the checklist items whose parts have not landed say so.
        for (var i = 0; i < RingPipeline.StageNames.Length; i++)
        {
            var index = i;
            services.AddSingleton<IHealthComponent>(sp => new StageHealth(sp.GetRequiredService<PipelineService>(), index));
        }

        AddPartHealth(services, launch, venue, options);
        services.AddSingleton(sp => new CooldownWatcher(
            sp.GetRequiredService<RingPipeline>().Brain.Counters, sp.GetRequiredService<SymbolTable>(),
            sp.GetRequiredService<EngineEvents>(), sp.GetRequiredService<ILogger<CooldownWatcher>>()));
        services.AddSingleton<IHealthComponent>(sp => sp.GetRequiredService<CooldownWatcher>());
        services.AddSingleton<HealthServiceImpl>();
        services.AddSingleton(sp => new HealthMonitor(
            sp.GetServices<IHealthComponent>(), sp.GetRequiredService<HealthServiceImpl>(), sp.GetRequiredService<EngineEvents>(),
            options.Health.CheckInterval, sp.GetRequiredService<ILogger<HealthMonitor>>()));

        services.AddSingleton<IMetricsSource, PipelineMetrics>();
        services.AddSingleton<IMetricsSource, BrainMetrics>();
        services.AddSingleton<IMetricsSource, EngineInfoMetrics>();
        AddPartMetrics(services, launch, venue);
        services.AddSingleton<MetricsEndpoint>();

        // Hosted services start in this order, all before the servers: the ring, then health, then the report.
        services.AddHostedService(sp => sp.GetRequiredService<PipelineService>());
        services.AddHostedService(sp => sp.GetRequiredService<HealthMonitor>());
        services.AddHostedService(sp => sp.GetRequiredService<CooldownWatcher>());
        services.AddHostedService<ActivityWatcher>();
        services.AddHostedService<StartupReporter>();

        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<BearerAuthInterceptor>();
            grpc.EnableDetailedErrors = false;
            // Every request of engine.control.v1 is a few short fields; anything near this is not a request of ours.
            grpc.MaxReceiveMessageSize = EngineControlService.MaxRequestBytes;
        });
        services.AddGrpcReflection();

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var endpoints = kestrel.ApplicationServices.GetRequiredService<ControlEndpoints>();
            kestrel.Listen(IPAddress.Parse(options.Control.Address), options.Control.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                endpoints.Control = listen;
            });
            if (options.Metrics.Enabled)
            {
                kestrel.Listen(IPAddress.Parse(options.Metrics.Address), options.Metrics.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    endpoints.Metrics = listen;
                });
            }
        });

        var app = builder.Build();
        var endpoints = app.Services.GetRequiredService<ControlEndpoints>();
        // Resolved on the first scrape, not here: the metrics read the ring, which is built only once the symbols are known.
        MetricsEndpoint? metrics = null;
        app.Use(async (context, next) =>
        {
            if (endpoints.IsMetricsPort(context.Connection.LocalPort))
            {
                metrics ??= app.Services.GetRequiredService<MetricsEndpoint>();
                await metrics.HandleAsync(context).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
        app.MapGrpcService<EngineControlService>();
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcReflectionService();
        return app;
    }

    /// <summary>
    /// What must be known before the host starts: in the modes with a venue, the clock offset and the traded symbols with
    /// their rules (discovery: exchangeInfo and ticker/24hr, or the configured fallback list with a warning).
    /// </summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        var venue = app.Services.GetRequiredService<VenueSession>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Engine.Hosting.Venue");
        EngineLog.VenueOpened(logger, venue.Description);
        if (venue.Mode == EngineMode.Replay)
        {
            RegisterReplaySymbols(app.Services.GetRequiredService<ReplayOptions>(), app.Services.GetRequiredService<SymbolUniverse>(), logger);
            return;
        }

        if (venue.RestBaseAddress is null)
        {
            return;
        }

        var rest = app.Services.GetRequiredService<BinanceRestClient>();
        var clock = await rest.SyncClockAsync(cancellationToken).ConfigureAwait(false);
        if (clock.IsSuccess)
        {
            EngineLog.ClockSynchronized(logger, clock.Value.OffsetMs, clock.Value.RoundTripMs);
        }
        else
        {
            EngineLog.ClockNotSynchronized(logger, clock.Error!.ToString());
        }

        var discovery = new SymbolDiscovery(rest, app.Services.GetRequiredService<FeedOptions>(), app.Services.GetRequiredService<ILogger<SymbolDiscovery>>());
        var found = await discovery.DiscoverAsync(cancellationToken).ConfigureAwait(false);
        var universe = app.Services.GetRequiredService<SymbolUniverse>();
        var (ids, rules) = found.Register(universe.Table);
        var origin = found.FromFallback ? $"the configured fallback list ({found.Failure})" : "exchangeInfo and ticker/24hr, by 24 h quote volume";
        universe.Set(ids, rules, origin);
        var first = string.Join(' ', found.Names.Take(10));
        EngineLog.SymbolsChosen(logger, ids.Count, origin, first);
    }

    /// <summary>
    /// A replay has no venue to discover from: its symbols are the files' and their rules come from a saved exchangeInfo
    /// (Engine:Replay:ExchangeInfo). They are registered before the ring is built, since the brain and execution take
    /// the rules at construction; the replay source then finds its symbols already in the table.
    /// </summary>
    private static void RegisterReplaySymbols(ReplayOptions replay, SymbolUniverse universe, ILogger logger)
    {
        var info = string.IsNullOrWhiteSpace(replay.ExchangeInfo) ? null : ExchangeInfoParser.Parse(File.ReadAllBytes(replay.ExchangeInfo));
        var ids = new List<SymbolId>();
        var missing = new List<string>();
        var byId = new SymbolRules[universe.Table.Capacity + 1];
        foreach (var name in replay.Files.Select(replay.SymbolOf).Distinct(StringComparer.Ordinal))
        {
            var id = universe.Table.Add(name);
            ids.Add(id);
            if (info is not null && info.TryGetSymbol(name, out var symbol))
            {
                byId[id.Value] = symbol.Rules;
            }
            else
            {
                missing.Add(name);
            }
        }

        if (missing.Count > 0)
        {
            EngineLog.ReplayWithoutRules(logger, string.Join(' ', missing));
        }

        var origin = info is null ? "the replayed files (no rules)" : $"the replayed files, rules from {replay.ExchangeInfo}";
        universe.Set(ids, byId, origin);
        var names = string.Join(' ', ids.Select(universe.Table.NameOf));
        EngineLog.SymbolsChosen(logger, ids.Count, origin, names);
    }

    private static void AddPartHealth(IServiceCollection services, LaunchSettings launch, VenueSession venue, EngineOptions options)
    {
        switch (launch.Mode)
        {
            case EngineMode.Synthetic:
                services.AddSingleton<IHealthComponent>(sp => new SyntheticFeedHealth(sp.GetRequiredService<PipelineService>(), options.Health.FeedStaleAfter));
                services.AddSingleton(new NotMonitored("missing_candles", "the synthetic source publishes no candles"));
                break;
            case EngineMode.Replay:
                services.AddSingleton<IHealthComponent>(sp => new ReplayFeedHealth(sp.GetRequiredService<ReplayMarketSource>()));
                services.AddSingleton(new NotMonitored("missing_candles", "a replay has the file's candles, no live stream to miss"));
                break;
            default:
                services.AddSingleton<IHealthComponent>(sp => new FeedHealth(sp.GetRequiredService<FeedService>()));
                services.AddSingleton<IHealthComponent>(sp => new MissingCandlesHealth(sp.GetRequiredService<FeedService>()));
                break;
        }

        if (launch.Mode != EngineMode.Synthetic)
        {
            services.AddSingleton<IHealthComponent>(sp => new ExecutionHealth(sp.GetRequiredService<ExecutionService>(), sp.GetRequiredService<IOptions<ExecutionOptions>>().Value.InitialMode));
            services.AddSingleton<IHealthComponent>(sp => new JournalHealth(sp.GetRequiredService<ExecutionService>()));
        }

        if (venue.Credentials is null)
        {
            var why = launch.Mode == EngineMode.Synthetic ? "no venue in synthetic mode" : "orders stay on paper in this mode: no account to stream or reconcile";
            services.AddSingleton(new NotMonitored("user_stream", why));
            services.AddSingleton(new NotMonitored("reconciler", why));
            return;
        }

        services.AddSingleton<IHealthComponent>(sp => new UserStreamHealth(sp.GetRequiredService<UserDataStream>().Counters));
        services.AddSingleton<IHealthComponent>(sp => new ReconcilerHealth(sp.GetRequiredService<Reconciler>().Counters, options.Health.ReconciliationMaxAge));
    }

    private static void AddPartMetrics(IServiceCollection services, LaunchSettings launch, VenueSession venue)
    {
        if (launch.Mode == EngineMode.Synthetic)
        {
            return;
        }

        services.AddSingleton<IMetricsSource, ExecutionMetrics>();
        services.AddSingleton<IMetricsSource>(sp => new StateMetrics(
            sp.GetRequiredService<PositionBook>(), sp.GetRequiredService<SymbolTable>(),
            venue.Credentials is null ? null : sp.GetRequiredService<Reconciler>().Counters,
            venue.Credentials is null ? null : sp.GetRequiredService<UserDataStream>().Counters,
            sp.GetRequiredService<RingPipeline>().PositionCounters));
        if (launch.Mode != EngineMode.Replay)
        {
            services.AddSingleton<IMetricsSource, FeedMetrics>();
        }

        if (venue.RestBaseAddress is not null)
        {
            services.AddSingleton<IMetricsSource, VenueMetrics>();
        }
    }
}
