using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
[StructLayout(LayoutKind.Explicit, Size = 128 + 8)]
internal sealed class ParkingLot
{
    [FieldOffset(0)]
    private readonly object _gate = new();

    // Read by the sequence's writer after every store: padded so that whatever the allocator put next to this
    // object (a stage's per-event state, say) never shares its line.
    [FieldOffset(64)]
    private int _waiters;

    /// <summary>The longest single park in milliseconds for a configured timeout (default 50 ms); it must be positive.</summary>
    public static int TimeoutMilliseconds(TimeSpan? parkTimeout)
    {
        var timeout = parkTimeout ?? TimeSpan.FromMilliseconds(50);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(parkTimeout));
        return (int)Math.Max(1, timeout.TotalMilliseconds);
    }

    /// <summary>
    /// Parks the calling thread until <paramref name="barrier"/> has <paramref name="sequence"/> or is alerted, each time on
    /// the lot of the dependency it is still waiting for (with several upstream stages, that changes as they
    /// advance). Returns the highest available sequence; smaller than <paramref name="sequence"/> when alerted or when a
    /// single park times out, so the caller can look around.
    /// </summary>
    public static long ParkUntilAvailable(long sequence, SequenceBarrier barrier, int timeoutMilliseconds)
    {
        long available;
        while ((available = barrier.GetAvailable(sequence)) < sequence && !barrier.IsAlerted)
        {
            if (!barrier.WaitTarget(sequence).ParkingLot.Park(sequence, barrier, timeoutMilliseconds))
            {
                return barrier.GetAvailable(sequence);
            }
        }

        return available;
    }

    /// <summary>Sleeps once, unless the sequence is already there; false when the timeout passed without a wake-up.</summary>
    private bool Park(long sequence, SequenceBarrier barrier, int timeoutMilliseconds)
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _waiters);
            Interlocked.MemoryBarrierProcessWide();
            try
            {
                return barrier.GetAvailable(sequence) >= sequence || barrier.IsAlerted
                    || Monitor.Wait(_gate, timeoutMilliseconds);
            }
            finally
            {
                Interlocked.Decrement(ref _waiters);
            }
        }
    }

    /// <summary>Wakes every parked thread, if there is one: inline, a single load when nobody is parked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WakeAll()
    {
        if (Volatile.Read(ref _waiters) != 0)
        {
            PulseAll();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void PulseAll()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }
}
