using System.Runtime.CompilerServices;

namespace Engine.Execution;

/// <summary>
/// Wakes the I/O loop. The waiter announces it is going to sleep and re-checks its queues; a producer pays one fence
/// and sets the event only when someone sleeps, so a busy loop costs producers nothing more. Only the first producer
/// to find the waiter asleep sets the event: the others, the rest of a burst of orders signed before the loop has
/// woken, would each pay a system call (the event's lock and a futex wake) on the stage thread for nothing.
/// </summary>
public sealed class LoopSignal : IDisposable
{
    private readonly ManualResetEventSlim _event = new(false, spinCount: 0);
    private int _sleeping;

    /// <summary>Producers: call after publishing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Wake()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _sleeping) != 0)
        {
            WakeSlow();
        }
    }

    /// <summary>The waiter: sleeps until woken or <paramref name="timeout"/>, unless <paramref name="hasWork"/> says there is work.</summary>
    public void Wait(TimeSpan timeout, Func<bool> hasWork)
    {
        ArgumentNullException.ThrowIfNull(hasWork);
        _event.Reset();
        Interlocked.Exchange(ref _sleeping, 1);
        if (!hasWork())
        {
            _event.Wait(timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout);
        }

        Volatile.Write(ref _sleeping, 0);
    }

    public void Dispose() => _event.Dispose();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WakeSlow()
    {
        if (Interlocked.Exchange(ref _sleeping, 0) != 0)
        {
            _event.Set();
        }
    }
}
