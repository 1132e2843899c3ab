using System.Net;
using Engine.Brain;
using Engine.Control;
using Engine.Control.Commands;
using Engine.Control.Grpc;
using Engine.Control.Health;
using Engine.Control.Metrics;
using Engine.Model;
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
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
            console.UseUtcTimestamp = true;
        });

        // Validate before Kestrel is configured from these settings: a bad address must be a clear message, not a bind error.
        var options = builder.Configuration.GetSection(EngineOptions.Section).Get<EngineOptions>() ?? new EngineOptions();
        var validation = new EngineOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(EngineOptions.Section, typeof(EngineOptions), validation.Failures);
        }

        return (builder, options);
    }

    /// <summary>Builds the host for <paramref name="launch"/> from <see cref="Configure"/>'s builder, trading on <paramref name="venue"/>.</summary>
    public static WebApplication Build(WebApplicationBuilder builder, EngineOptions options, LaunchSettings launch, VenueSession venue)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentNullException.ThrowIfNull(venue);
        var services = builder.Services;
        services.AddOptions<EngineOptions>()
            .Bind(builder.Configuration.GetSection(EngineOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        services.AddSingleton<IHostLifetime, SignalLifetime>();

        services.AddSingleton(launch);
        services.AddSingleton(venue);
        services.AddSingleton<EngineRuntime>();
        services.AddSingleton<SymbolTable>();
        services.AddSingleton(sp =>
        {
            var engine = sp.GetRequiredService<IOptions<EngineOptions>>().Value;

            // No venue rules in synthetic mode: the brain reads the market and refuses every entry, with the reason
            // counted, until a mode with exchangeInfo (issue 10) hands it rules indexed by SymbolId.
            return new RingPipeline(engine.Ring, new TradingBrain(engine.Brain, []));
        });
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

        services.AddSingleton<IHealthComponent>(sp => new SyntheticFeedHealth(sp.GetRequiredService<PipelineService>(), options.Health.FeedStaleAfter));
        services.AddSingleton(new NotMonitored("user_stream", "the user-data stream lands with issue 8"));
        services.AddSingleton(new NotMonitored("reconciler", $"the reconciler and its age limit ({options.Health.ReconciliationMaxAge}) land with issue 8"));
        services.AddSingleton(new NotMonitored("missing_candles", $"the candle feed and its {options.Health.MissingCandlesWindow} gap check land with issue 6 (the synthetic source publishes no candles)"));
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
        services.AddSingleton<MetricsEndpoint>();

        // Hosted services start in this order, all before the servers: the ring, then health, then the report.
        services.AddHostedService(sp => sp.GetRequiredService<PipelineService>());
        services.AddHostedService(sp => sp.GetRequiredService<HealthMonitor>());
        services.AddHostedService(sp => sp.GetRequiredService<CooldownWatcher>());
        services.AddHostedService<StartupReporter>();

        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<BearerAuthInterceptor>();
            grpc.EnableDetailedErrors = false;
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
        var metrics = app.Services.GetRequiredService<MetricsEndpoint>();
        app.Use(async (context, next) =>
        {
            if (endpoints.IsMetricsPort(context.Connection.LocalPort))
            {
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
}
