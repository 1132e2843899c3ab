using System.Runtime.CompilerServices;

namespace Engine.Ring;

/// <summary>
/// Where threads waiting for one <see cref="Sequence"/> to advance sleep. Each sequence has its own, so a publish
/// wakes only the stage that reads the cursor, and a stage's progress only the stage after it.
/// </summary>
/// <remarks>
/// No wake-up is lost, and the writer pays no fence for it. The writer stores its sequence and then reads the
/// waiter count with plain loads; on x64 that load may pass the store still sitting in the store buffer. The
/// parker therefore counts itself and then issues a process-wide barrier (an IPI that drains every core's store
/// buffer) before it re-checks the sequence: after that barrier either the writer's store is visible to the
/// re-check, or the writer's later read of the count sees the parker. This moves the cost of the Dekker fence from
/// every publish (tens of nanoseconds on a contended line) to every park (microseconds, on a thread that is
/// about to sleep anyway). The pulse happens under the lock the parker holds until it waits, so it cannot
/// slip in between the re-check and the wait.
/// </remarks>
internal sealed class ParkingLot
{
    private readonly object _gate = new();
    private int _waiters;

    /// <summary>Sleeps until <paramref name="barrier"/> has <paramref name="sequence"/>, it is alerted, or the timeout passes.</summary>
    public long Park(long sequence, SequenceBarrier barrier, int timeoutMilliseconds)
    {
        long available;
        lock (_gate)
        {
            Interlocked.Increment(ref _waiters);
            Interlocked.MemoryBarrierProcessWide();
            try
            {
                while ((available = barrier.GetAvailable(sequence)) < sequence && !barrier.IsAlerted)
                {
                    if (!Monitor.Wait(_gate, timeoutMilliseconds))
                    {
                        return barrier.GetAvailable(sequence);
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref _waiters);
            }
        }

        return available;
    }

    /// <summary>Wakes every parked thread, if there is one.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void WakeAll()
    {
        if (Volatile.Read(ref _waiters) == 0)
        {
            return;
        }

        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }
}
