using System.Runtime.InteropServices;

namespace Engine.Hosting;

/// <summary>
/// The process's stop signals from its first instruction to its last: Ctrl-C (SIGINT), SIGTERM and SIGQUIT. The first
/// asks for the one graceful stop — before the host exists it cancels <see cref="Token"/> (what start-up waits on, so
/// opening the venue or discovering the symbols gives up), once the host runs it stops the application — and a
/// second exits at once with 128 + the signal number (libc <c>_exit</c>: no handler may hold it up). Registered before
/// anything starts, so that no instant of start-up is left to the runtime's default handling.
/// </summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly CancellationTokenSource _requested = new();
    private readonly Lock _gate = new();
    private Action<PosixSignal>? _onFirst;
    private PosixSignal? _first;
    private int _signals;

    /// <summary>Registers the handlers; dispose to hand the signals back to the runtime.</summary>
    public static ShutdownSignal Register()
    {
        var signal = new ShutdownSignal();
        foreach (var kind in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT })
        {
            signal._registrations.Add(PosixSignalRegistration.Create(kind, signal.OnSignal));
        }

        return signal;
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _requested.Token;

    /// <summary>True once a stop was asked for by a signal.</summary>
    public bool Requested => _requested.IsCancellationRequested;

    /// <summary>
    /// Hands the first signal to <paramref name="onFirst"/> (the host's graceful stop); a signal that came before this
    /// call is handed over at once.
    /// </summary>
    public void Attach(Action<PosixSignal> onFirst)
    {
        ArgumentNullException.ThrowIfNull(onFirst);
        PosixSignal? early;
        lock (_gate)
        {
            _onFirst = onFirst;
            early = _first;
        }

        if (early is { } signal)
        {
            onFirst(signal);
        }
    }

    /// <summary>Stops handing signals to the host (it is gone); a later first signal only cancels <see cref="Token"/>.</summary>
    public void Detach()
    {
        lock (_gate)
        {
            _onFirst = null;
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _registrations.Clear();
        _requested.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _signals) == 1)
        {
            Action<PosixSignal>? onFirst;
            lock (_gate)
            {
                _first = context.Signal;
                onFirst = _onFirst;
            }

            _requested.Cancel();
            onFirst?.Invoke(context.Signal);
            return;
        }

        var number = context.Signal switch
        {
            PosixSignal.SIGINT => 2,
            PosixSignal.SIGQUIT => 3,
            PosixSignal.SIGTERM => 15,
            _ => 0,
        };

        // Straight to stderr: the console logger writes on its own thread, which an immediate exit does not wait for.
        Console.Error.WriteLine($"engine: {context.Signal} received again: exiting now (code {128 + number}) without finishing the drain");
        Console.Error.Flush();
        Native.ProcessExit.Now(128 + number);
    }
}
