using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Engine.Ring;

/// <summary>
/// Spins on the dependent sequence without ever giving up the core. Lowest latency; only sane when every
/// spinning thread has a core of its own.
/// </summary>
/// <remarks>
/// The loop checks back to back, with no CPU pause between checks. A pause costs about 50 ns on this machine's cores
/// (measured: 47–60 ns per <c>pause</c>), so pausing after every failed check made a caught-up consumer notice a new
/// event 25 ns late on average, and under KVM a run of pauses is what the hypervisor's pause-loop exiting watches for
/// (it may take the vCPU away). Back-to-back checks do not make the consumer steal the producer's line on every
/// store: the consumer reads the cursor once per batch it finds, and the producer's stores to the cursor line wait in
/// its store buffer, not in its pipeline. The exception is a consumer that keeps catching up with a producer streaming
/// without pause: it backs off for about a microsecond before it looks again (<see cref="StreamBackOff"/>).
/// </remarks>
public sealed class BusySpinWaitStrategy : IWaitStrategy
{
    private readonly IdleWork? _idle;

    /// <param name="idle">Work to run now and then while there is nothing to do (keeping a cold path warm).</param>
    public BusySpinWaitStrategy(IdleWork? idle = null) => _idle = idle;

    public bool IsBlocking => false;

    // Optimized from the first call: a stage spends its idle life in here, and a spin loop left at tier 0 until
    // on-stack replacement checks several times slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public long WaitFor(long sequence, SequenceBarrier barrier)
    {
        if (barrier.IsRacingProducer)
        {
            StreamBackOff.Wait();
        }

        long available;
        var checks = 0;
        while ((available = barrier.GetAvailable(sequence)) < sequence)
        {
            if (barrier.IsAlerted)
            {
                break;
            }

            if ((++checks & 1023) == 0 && _idle is not null)
            {
                _idle.RunIfDue();
            }
        }

        barrier.RecordWait(checks);
        return available;
    }
}

/// <summary>
/// What a busy-spinning consumer does when it keeps catching up with a producer that publishes without pause: it leaves
/// the producer's cursor line alone for a moment before it looks again, so that the next batch is large.
/// </summary>
/// <remarks>
/// A consumer right behind a streaming producer reads the cursor line after every publish; each read pulls the line
/// over to the consumer's core and the producer's next store to it must fetch it back (a round trip between cores,
/// 100–200 ns here) before the stores queued behind it in its store buffer can drain, so the producer runs at the
/// speed of that round trip. A consumer that lags instead reads the cursor once per large batch and the producer keeps
/// its line. The back-off is only taken after several waits in a row that ended within a few checks, which only a
/// producer streaming faster than the consumer's own work produces; a consumer waiting for an isolated event (a
/// ping-pong, a tick after a quiet spell) spins longer than that and checks back to back as before. A busy-spinning
/// stage has its core to itself and waits out the microsecond; a yielding or spin-then-block stage shares its core, so
/// it gives the core up once instead of holding it while the stage beside it (often the producer it waits for) could run.
/// </remarks>
internal static class StreamBackOff
{
    /// <summary>A wait that ended within this many failed checks counts as "the producer was mid-stream".</summary>
    public const int QuickWaitChecks = 8;

    /// <summary>Quick waits in a row after which the consumer backs off.</summary>
    public const int QuickWaitsToBackOff = 4;

    private static readonly long s_ticks = Math.Max(1, Stopwatch.Frequency / 1_000_000);

    /// <summary>
    /// For a strategy that shares its core: give it up once. The stage beside it on the core (often the very producer it
    /// waits for) runs meanwhile; with nothing else runnable the system call alone is the pause.
    /// </summary>
    public static void YieldCore() => Thread.Yield();

    /// <summary>For a stage with a core of its own (busy-spin): about a microsecond without touching the producer's lines.</summary>
    public static void Wait()
    {
        var until = Stopwatch.GetTimestamp() + s_ticks;
        while (Stopwatch.GetTimestamp() < until)
        {
            CpuPause.Once();
        }
    }
}

/// <summary>
/// Work a spinning stage does while it waits, at most once per interval: a busy-spinning thread has the time, and
/// the work (a dummy order signed into a scratch buffer) keeps the code and data of its rare, urgent path in the
/// caches. Runs on the waiting stage's own thread, so it may touch that stage's state.
/// </summary>
public sealed class IdleWork
{
    private readonly Action _work;
    private readonly long _intervalTicks;
    private long _due;

    public IdleWork(Action work, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _work = work;
        _intervalTicks = Math.Max(1, (long)(interval.TotalSeconds * Stopwatch.Frequency));
    }

    /// <summary>Times the work ran.</summary>
    public long Runs { get; private set; }

    /// <summary>Runs the work if the interval has passed since it last ran.</summary>
    public void RunIfDue()
    {
        var now = Stopwatch.GetTimestamp();
        if (now < _due)
        {
            return;
        }

        _due = now + _intervalTicks;
        _work();
        Runs++;
    }
}

/// <summary>
/// Checks a few times back to back (<see cref="TightSpin"/>), spins for a set time (with a CPU pause between checks,
/// which keeps the spinning reader from stealing the cache line the producer is writing), then yields the core on every
/// check. Close to busy-spin latency while letting
/// other runnable threads in; still shows an idle stage at 100 % CPU.
/// </summary>
/// <remarks>
/// Two yielding stages sharing one core want no spin phase at all: while the one that has no work spins, the one
/// that has work cannot run, so every hand-off between them costs the whole spin. For the same reason the timed spin is
/// skipped while it does not pay: after two waits in a row whose timed spin ran out without the sequence, a stage yields
/// straight after the back-to-back checks, and tries the timed spin again one wait in sixteen
/// (<see cref="SequenceBarrier.ShouldRunTimedSpin"/>). With more stage threads than cores, the producer of the awaited
/// sequence is then usually not running, and a timed spin would hold the core it needs for the whole spin phase.
/// A waiter that keeps catching up with a streaming producer backs off before it looks again
/// (<see cref="StreamBackOff"/>); with <c>spin</c> zero it never does.
/// </remarks>
public sealed class YieldingWaitStrategy : IWaitStrategy
{
    /// <summary>Default spin phase before yielding.</summary>
    public static readonly TimeSpan DefaultSpin = TimeSpan.FromMicroseconds(2);

    private readonly long _spinTicks;
    private readonly IdleWork? _idle;

    /// <param name="spin">How long to spin before yielding on every check; zero yields at once.</param>
    /// <param name="idle">Work to run now and then while there is nothing to do (keeping a cold path warm).</param>
    public YieldingWaitStrategy(TimeSpan? spin = null, IdleWork? idle = null)
    {
        _idle = idle;
        var spinFor = spin ?? DefaultSpin;
        ArgumentOutOfRangeException.ThrowIfLessThan(spinFor, TimeSpan.Zero);
        _spinTicks = (long)(spinFor.TotalSeconds * Stopwatch.Frequency);
    }

    public bool IsBlocking => false;

    public long WaitFor(long sequence, SequenceBarrier barrier)
    {
        long available;
        if (_spinTicks > 0)
        {
            if (TightSpin.Open(sequence, barrier, out available))
            {
                return available;
            }

            if (barrier.ShouldRunTimedSpin())
            {
                var caught = TimedSpin(sequence, barrier, _spinTicks, out available);
                barrier.RecordTimedSpin(caught);
                if (caught || barrier.IsAlerted)
                {
                    return available;
                }
            }
        }

        while ((available = barrier.GetAvailable(sequence)) < sequence && !barrier.IsAlerted)
        {
            Thread.Yield();
            _idle?.RunIfDue();
        }

        return available;
    }

    /// <summary>Spins with a pause between checks for <paramref name="spinTicks"/>; true when the sequence came in that time.</summary>
    private static bool TimedSpin(long sequence, SequenceBarrier barrier, long spinTicks, out long available)
    {
        var spinUntil = Stopwatch.GetTimestamp() + spinTicks;
        var checks = 0;
        while ((available = barrier.GetAvailable(sequence)) < sequence)
        {
            if (barrier.IsAlerted)
            {
                return false;
            }

            if ((++checks & 31) != 0)
            {
                CpuPause.Once();
            }
            else if (Stopwatch.GetTimestamp() >= spinUntil)
            {
                // Reading the clock costs about as much as a check: look at it only every 32 spins.
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// Spins (a few checks back to back, <see cref="TightSpin"/>, then a timed phase; backing off first while it keeps
/// catching up with a streaming producer, <see cref="StreamBackOff"/>), then yields, then parks until the
/// sequence it waits on advances, with a timeout as a safety net.
/// The default on small machines: a busy ring runs at spin speed, a stage idle for longer than the yield
/// phase costs no CPU, and while it yields the I/O threads, Kestrel and the GC still get the core whenever
/// they are runnable.
/// </summary>
public sealed class SpinThenBlockWaitStrategy : IWaitStrategy
{
    private readonly long _spinTicks;
    private readonly long _yieldTicks;
    private readonly int _parkTimeoutMilliseconds;

    /// <summary>Default spin phase: long enough to catch the next event of a burst, short enough not to hold a shared core.</summary>
    public static readonly TimeSpan DefaultSpin = TimeSpan.FromMicroseconds(2);

    /// <summary>
    /// Default yield phase: longer than nearly every gap between market events, so a stage of a trading engine stays
    /// awake while its market is open and parks when the feed has gone quiet. In a capture of Binance's BTCUSDT and
    /// ETHUSDT trade and book-ticker streams 44 % of events follow a gap over 2 ms and 1.6 % one over 100 ms; a parked
    /// stage costs the next event a wake-up (tens to hundreds of microseconds on a virtual machine).
    /// </summary>
    public static readonly TimeSpan DefaultYield = TimeSpan.FromMilliseconds(100);

    /// <param name="spin">How long to spin (no yielding) before yielding.</param>
    /// <param name="yield">How long to keep checking with a yield between checks before parking.</param>
    /// <param name="parkTimeout">Longest single park; the waiter then returns so its stage can look around.</param>
    public SpinThenBlockWaitStrategy(TimeSpan? spin = null, TimeSpan? yield = null, TimeSpan? parkTimeout = null)
    {
        var spinFor = spin ?? DefaultSpin;
        var yieldFor = yield ?? DefaultYield;
        ArgumentOutOfRangeException.ThrowIfLessThan(spinFor, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(yieldFor, TimeSpan.Zero);
        _spinTicks = (long)(spinFor.TotalSeconds * Stopwatch.Frequency);
        _yieldTicks = (long)(yieldFor.TotalSeconds * Stopwatch.Frequency);
        _parkTimeoutMilliseconds = ParkingLot.TimeoutMilliseconds(parkTimeout);
    }

    public bool IsBlocking => true;

    public long WaitFor(long sequence, SequenceBarrier barrier)
    {
        long available;
        if (_spinTicks > 0)
        {
            if (TightSpin.Open(sequence, barrier, out available))
            {
                return available;
            }
        }

        var spinUntil = Stopwatch.GetTimestamp() + _spinTicks;
        var checks = 0;
        while ((available = barrier.GetAvailable(sequence)) < sequence && !barrier.IsAlerted)
        {
            // Reading the clock costs about as much as a check: look at it only every 32 spins.
            if ((++checks & 31) != 0)
            {
                CpuPause.Once();
            }
            else if (Stopwatch.GetTimestamp() >= spinUntil)
            {
                return YieldThenPark(sequence, barrier);
            }
        }

        return available;
    }

    private long YieldThenPark(long sequence, SequenceBarrier barrier)
    {
        long available;
        var yieldUntil = Stopwatch.GetTimestamp() + _yieldTicks;
        while ((available = barrier.GetAvailable(sequence)) < sequence && !barrier.IsAlerted)
        {
            if (Stopwatch.GetTimestamp() >= yieldUntil)
            {
                return ParkingLot.ParkUntilAvailable(sequence, barrier, _parkTimeoutMilliseconds);
            }

            Thread.Yield();
        }

        return available;
    }
}

/// <summary>
/// The opening of a timed spin: a few checks back to back, with no clock read and no pause. Most waits of a busy stage
/// end within them (the producer is a few nanoseconds from its next publish), and for those a clock read (a vDSO call,
/// 20–40 ns under KVM's clock) and a pause (about 50 ns here) on every wait would cost more than the wait itself.
/// </summary>
internal static class TightSpin
{
    /// <summary>Checks before the timed phase starts: a few hundred nanoseconds at most, well inside any spin phase.</summary>
    public const int Checks = 64;

    /// <summary>
    /// The opening the timed spinning strategies share: first backing off while this stage keeps catching up with a
    /// streaming producer, then the checks, recorded in the barrier's wait history. True when one saw the sequence.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Open(long sequence, SequenceBarrier barrier, out long available)
    {
        if (barrier.IsRacingProducer)
        {
            StreamBackOff.YieldCore();
        }

        barrier.RecordWait(Run(sequence, barrier, out available));
        return available >= sequence;
    }

    /// <summary>Runs the checks until one sees <paramref name="sequence"/>; returns how many failed (<see cref="Checks"/> when all did).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Run(long sequence, SequenceBarrier barrier, out long available)
    {
        var failed = 0;
        while ((available = barrier.GetAvailable(sequence)) < sequence && ++failed < Checks)
        {
        }

        return failed;
    }
}

/// <summary>One CPU pause instruction: a hint to the core (and its sibling) that this is a spin loop.</summary>
internal static class CpuPause
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Once()
    {
        if (X86Base.IsSupported)
        {
            X86Base.Pause();
        }
        else if (ArmBase.IsSupported)
        {
            ArmBase.Yield();
        }
        else
        {
            Thread.SpinWait(1);
        }
    }
}

/// <summary>
/// Parks at once until the sequence it waits on advances. Least CPU, worst latency (a wake-up costs tens of
/// microseconds): for stages where latency does not matter.
/// </summary>
public sealed class BlockingWaitStrategy : IWaitStrategy
{
    private readonly int _parkTimeoutMilliseconds;

    public BlockingWaitStrategy(TimeSpan? parkTimeout = null) =>
        _parkTimeoutMilliseconds = ParkingLot.TimeoutMilliseconds(parkTimeout);

    public bool IsBlocking => true;

    public long WaitFor(long sequence, SequenceBarrier barrier) =>
        ParkingLot.ParkUntilAvailable(sequence, barrier, _parkTimeoutMilliseconds);
}

/// <summary>The wait strategies by name, for configuration.</summary>
public enum WaitStrategyKind
{
    /// <summary>Spin, then yield, then park (the default).</summary>
    SpinThenBlock,

    /// <summary>Spin forever on a dedicated core.</summary>
    BusySpin,

    /// <summary>Spin briefly, then yield on every check.</summary>
    Yielding,

    /// <summary>Park at once.</summary>
    Blocking,
}

/// <summary>Builds a wait strategy from configuration.</summary>
public static class WaitStrategyFactory
{
    /// <param name="kind">Which strategy.</param>
    /// <param name="spin">Spin phase of <see cref="SpinThenBlockWaitStrategy"/> and <see cref="YieldingWaitStrategy"/> (default when null).</param>
    /// <param name="yield">Yield phase of <see cref="SpinThenBlockWaitStrategy"/> (default when null).</param>
    /// <param name="idle">Idle work for the strategies that never park (busy-spin, yielding); the others ignore it.</param>
    public static IWaitStrategy Create(WaitStrategyKind kind, TimeSpan? spin = null, TimeSpan? yield = null, IdleWork? idle = null) => kind switch
    {
        WaitStrategyKind.SpinThenBlock => new SpinThenBlockWaitStrategy(spin, yield),
        WaitStrategyKind.BusySpin => new BusySpinWaitStrategy(idle),
        WaitStrategyKind.Yielding => new YieldingWaitStrategy(spin, idle),
        WaitStrategyKind.Blocking => new BlockingWaitStrategy(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown wait strategy"),
    };
}
