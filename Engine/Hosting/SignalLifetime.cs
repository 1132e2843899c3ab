using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Engine.Hosting;

/// <summary>
/// The host's lifetime: the process's <see cref="ShutdownSignal"/> (Ctrl-C, SIGTERM, SIGQUIT) starts the one graceful
/// stop the Shutdown RPC also takes (stop intake, drain the ring, close the servers, exit 0); a signal that came while
/// the host was being built stops it as soon as it starts. Replaces the console lifetime, whose process-exit handler
/// would hold a forced exit up.
/// </summary>
public sealed partial class SignalLifetime(ShutdownSignal signal, IHostApplicationLifetime lifetime, ILogger<SignalLifetime> logger) : IHostLifetime, IDisposable
{
    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        signal.Attach(received =>
        {
            LogStopping(logger, received);
            lifetime.StopApplication();
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => signal.Detach();

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "{Signal} received: stopping (stop intake, drain the ring); a second signal exits at once")]
    private static partial void LogStopping(ILogger logger, PosixSignal signal);
}
