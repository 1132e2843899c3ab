using Engine.Control;
using Engine.Control.Grpc;
using Engine.Control.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Engine.Hosting;

/// <summary>
/// Logs the last start-up lines once the servers are bound (the control plane's and metrics' real addresses, then
/// "All stages running"), and tells watchers about the life cycle; ends every watch when the engine stops.
/// </summary>
public sealed partial class StartupReporter(
    IHostApplicationLifetime lifetime, ControlEndpoints endpoints, BearerToken token, EngineRuntime runtime, PipelineService pipeline,
    EngineEvents events, ILogger<StartupReporter> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            LogControlListening(logger, endpoints.ControlEndPoint, token.Required ? "bearer token required" : "no token (loopback)");
            if (endpoints.MetricsEndPoint is { } metrics)
            {
                LogMetricsListening(logger, metrics);
            }
            else
            {
                LogMetricsDisabled(logger);
            }

            LogAllRunning(logger, pipeline.Pipeline?.Stages.Count ?? 0, runtime.Launch);
            events.Publish(new EngineEvent { Lifecycle = new Lifecycle { Phase = "running", Detail = runtime.Launch.ToString() } });
        });
        lifetime.ApplicationStopping.Register(() =>
        {
            events.Publish(new EngineEvent { Lifecycle = new Lifecycle { Phase = "stopping", Detail = "stop intake, drain the ring" } });
            events.Complete();
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Control plane listening on http://{Address} (gRPC h2c: engine.control.v1.EngineControl, grpc.health.v1.Health, reflection; {Auth})")]
    private static partial void LogControlListening(ILogger logger, System.Net.IPEndPoint? address, string auth);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Metrics listening on http://{Address}/metrics")]
    private static partial void LogMetricsListening(ILogger logger, System.Net.IPEndPoint address);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Metrics endpoint disabled (Engine:Metrics:Enabled = false)")]
    private static partial void LogMetricsDisabled(ILogger logger);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "All stages running ({Stages} stages; {Launch})")]
    private static partial void LogAllRunning(ILogger logger, int stages, LaunchSettings launch);
}
