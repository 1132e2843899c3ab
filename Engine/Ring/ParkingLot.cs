using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Engine.Native;

namespace Engine.Ring;

/// <summary>
/// Where threads waiting for one <see cref="Sequence"/> to advance sleep. Each sequence has its own, so a publish
/// wakes only the stage that reads the cursor, and a stage's progress only the stage after it.
/// </summary>
/// <remarks>
/// No wake-up is lost: a Dekker handshake with a full fence on each side. The writer stores its sequence, fences, and
/// reads the waiter count; the parker counts itself (an interlocked add, itself a full fence) and re-checks the
/// sequence. Either the writer's store is visible to the re-check, or the writer's read of the count sees the parker.
/// The writer's fence is one locked instruction per wake-up call (per batch for a stage, tens of nanoseconds). An
/// earlier version moved that fence to the parker as a process-wide barrier (<c>membarrier</c>, an IPI to every core
/// running the process) so that writers paid nothing: with a stage parking after every burst, that interrupted the
/// spinning stage on its reserved core about 125 times a second, and on this VM each interrupt stalled it for tens of
/// microseconds (2 % of its events took over 5 µs).
/// <para>
/// On Linux the sleep is a futex on a generation word (an event count) instead of a monitor: the parker reads the
/// generation before it counts itself, the writer bumps it before the wake, and the kernel sleeps the parker only if
/// the generation is still the one it read, so a wake between the re-check and the sleep is not lost either. Waking a
/// futex sleeper costs one system call and no lock; after a monitor's pulse the parked stage runs 2.3× later at p50
/// here (10 µs against 24 µs, <c>Benchmarks -- parking</c>). Elsewhere the lot sleeps on a monitor, and the pulse
/// happens under the lock the parker holds until it waits, so it cannot slip in between the re-check and the wait.
/// </para>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 128 + 8)]
internal sealed unsafe class ParkingLot
{
    // The generation's element in its pinned array: 64 bytes of the array's own on each side, so no other object's
    // data shares its line.
    private const int GenerationIndex = 16;

    [FieldOffset(0)]
    private readonly object? _gate;

    // On the pinned object heap, so the futex's address never moves; null where futexes are unsupported.
    [FieldOffset(8)]
    private readonly int[]? _futexWords;

    [FieldOffset(16)]
    private readonly int* _generation;

    // Read by the sequence's writer after every store: padded so that whatever the allocator put next to this
    // object (a stage's per-event state, say) never shares its line.
    [FieldOffset(64)]
    private int _waiters;

    public ParkingLot()
        : this(Futex.IsSupported)
    {
    }

    /// <summary>A lot that sleeps on a futex or, where <paramref name="useFutex"/> is false, on a monitor.</summary>
    internal ParkingLot(bool useFutex)
    {
        if (useFutex)
        {
            _futexWords = GC.AllocateArray<int>(GenerationIndex * 2, pinned: true);
            _generation = (int*)Unsafe.AsPointer(ref _futexWords[GenerationIndex]);
        }
        else
        {
            _gate = new object();
        }
    }

    /// <summary>Whether this lot sleeps on a futex (Linux) rather than a monitor.</summary>
    internal bool UsesFutex => _futexWords is not null;

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
    internal bool Park(long sequence, SequenceBarrier barrier, int timeoutMilliseconds)
    {
        if (_futexWords is null)
        {
            return ParkOnMonitor(sequence, barrier, timeoutMilliseconds);
        }

        // Read before counting in: a writer that bumps it after this read makes the futex refuse to sleep.
        var generation = Volatile.Read(ref *_generation);
        Interlocked.Increment(ref _waiters);
        try
        {
            return barrier.GetAvailable(sequence) >= sequence || barrier.IsAlerted
                || Futex.Wait(_generation, generation, timeoutMilliseconds);
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    private bool ParkOnMonitor(long sequence, SequenceBarrier barrier, int timeoutMilliseconds)
    {
        lock (_gate!)
        {
            // A full fence: the re-check below cannot be satisfied from before the count was raised.
            Interlocked.Increment(ref _waiters);
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

    /// <summary>Wakes every parked thread, if there is one: inline, a fence and a load when nobody is parked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WakeAll()
    {
        // The writer's side of the handshake: its sequence store before the read of the count.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _waiters) != 0)
        {
            PulseAll();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void PulseAll()
    {
        if (_futexWords is not null)
        {
            Interlocked.Increment(ref *_generation);
            Futex.WakeAll(_generation);
            return;
        }

        lock (_gate!)
        {
            Monitor.PulseAll(_gate);
        }
    }
}
