using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Engine.Hosting;

/// <summary>
/// The host's lifetime: the process's <see cref="ShutdownSignal"/> (Ctrl-C, SIGTERM, SIGQUIT) starts the one graceful
/// stop the Shutdown RPC also takes (stop intake, drain the ring, close the servers, exit 0); a signal that came while
/// the host was being built or was starting stops it as soon as it has started. Replaces the console lifetime, whose process-exit handler
/// would hold a forced exit up.
/// </summary>
public sealed partial class SignalLifetime(ShutdownSignal signal, IHostApplicationLifetime lifetime, ILogger<SignalLifetime> logger) : IHostLifetime, IDisposable
{
    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        signal.Attach(received =>
        {
            LogStopping(logger, received);
            // A stop asked for while the host starts waits for the start to finish (at once when it has): cancelling
            // the start midway fails it, and the host skips the stop of what had started after a failed start. The
            // start is bounded (the feed's connect timeout, the binds); the stop then drains as any other. Off the
            // started callbacks' thread, so that the start-up lines are written before the stop's.
            lifetime.ApplicationStarted.Register(() => _ = Task.Run(lifetime.StopApplication, CancellationToken.None));
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => signal.Detach();

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "{Signal} received: stopping (a start in progress finishes first; then stop intake, drain the ring); a second signal exits at once")]
    private static partial void LogStopping(ILogger logger, PosixSignal signal);
}
