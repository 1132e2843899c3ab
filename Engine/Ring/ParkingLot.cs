using System.Runtime.CompilerServices;

namespace Engine.Ring;

/// <summary>
/// Where threads waiting for one <see cref="Sequence"/> to advance sleep. Each sequence has its own, so a publish
/// wakes only the stage that reads the cursor, and a stage's progress only the stage after it.
/// </summary>
/// <remarks>
/// No wake-up is lost: a parker counts itself (a full fence) and re-checks the sequence under the lock before
/// it sleeps; a waker stores the sequence, fences, then reads the count and pulses under the same lock. One of
/// the two always sees the other.
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

    /// <summary>Wakes every parked thread; the caller has already fenced after its store.</summary>
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
