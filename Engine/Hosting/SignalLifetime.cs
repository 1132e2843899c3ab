using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Engine.Hosting;

/// <summary>
/// The host's lifetime: Ctrl-C (SIGINT), SIGTERM and SIGQUIT all start the one graceful stop the Shutdown RPC also
/// takes (stop intake, drain the ring, close the servers, exit 0); a second signal while that runs exits at once with
/// 128 + the signal number (libc <c>_exit</c>: no handler may hold it up). Replaces the console lifetime, whose process-exit handler would hold a forced exit up.
/// </summary>
public sealed partial class SignalLifetime(IHostApplicationLifetime lifetime, ILogger<SignalLifetime> logger) : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _signals;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _registrations.Clear();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        var number = context.Signal switch
        {
            PosixSignal.SIGINT => 2,
            PosixSignal.SIGQUIT => 3,
            PosixSignal.SIGTERM => 15,
            _ => 0,
        };
        if (Interlocked.Increment(ref _signals) == 1)
        {
            LogStopping(logger, context.Signal);
            lifetime.StopApplication();
            return;
        }

        // Straight to stderr: the console logger writes on its own thread, which an immediate exit does not wait for.
        Console.Error.WriteLine($"engine: {context.Signal} received again: exiting now (code {128 + number}) without finishing the drain");
        Console.Error.Flush();
        Engine.Native.ProcessExit.Now(128 + number);
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "{Signal} received: stopping (stop intake, drain the ring); a second signal exits at once")]
    private static partial void LogStopping(ILogger logger, PosixSignal signal);
}
