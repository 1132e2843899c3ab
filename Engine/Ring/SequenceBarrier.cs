using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Ring;

/// <summary>
/// What a consumer waits on: the producer cursor (first stage) or the sequences of the stages upstream of
/// it, so that several stages form a dependency chain over the same slots.
/// </summary>
public sealed class SequenceBarrier
{
    private readonly IWaitStrategy _waitStrategy;
    private readonly Sequence? _single;
    private readonly Sequence[] _dependents;
    // Only set when this barrier reads the cursor of a multi-producer ring, where "claimed" is not "published".
    private readonly MultiProducerSequencer? _publication;
    private volatile bool _alerted;
    private SpinHistory _spinHistory;

    internal SequenceBarrier(Sequencer sequencer, Sequence[] upstream, IWaitStrategy? waitStrategy)
    {
        _waitStrategy = waitStrategy ?? sequencer.WaitStrategy;
        if (_waitStrategy.IsBlocking && !sequencer.SignalsWaiters)
        {
            // Nobody would wake the parked consumer: it would see new events only when its park timed out.
            throw new ArgumentException("a parking wait strategy needs a ring built with a blocking wait strategy (its writers wake parked waiters)", nameof(waitStrategy));
        }

        if (upstream.Length == 0)
        {
            _single = sequencer.Cursor;
            _dependents = [];
            _publication = sequencer as MultiProducerSequencer;
        }
        else
        {
            _single = upstream.Length == 1 ? upstream[0] : null;
            _dependents = (Sequence[])upstream.Clone();
        }

        if (_waitStrategy.IsBlocking)
        {
            // Create the parking lots now, so the first park on a stage's thread allocates nothing.
            _ = _single?.ParkingLot;
            foreach (var dependent in _dependents)
            {
                _ = dependent.ParkingLot;
            }
        }
    }

    /// <summary>True once <see cref="Alert"/> has been called: the consumer should drain what is available and stop.</summary>
    public bool IsAlerted => _alerted;

    /// <summary>
    /// Returns the highest sequence the consumer may read, at least <paramref name="sequence"/> unless the barrier was
    /// alerted or the wait strategy timed out (then it is smaller and the caller decides what to do).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long WaitFor(long sequence)
    {
        var available = GetAvailable(sequence);
        return available >= sequence ? available : _waitStrategy.WaitFor(sequence, this);
    }

    /// <summary>The highest readable sequence right now, without waiting.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long GetAvailable(long sequence)
    {
        var available = _single is not null ? _single.Value : Sequence.Minimum(_dependents, long.MaxValue);
        if (_publication is not null && available >= sequence)
        {
            available = _publication.GetHighestPublishedSequence(sequence, available);
        }

        return available;
    }

    /// <summary>
    /// The sequence a blocked waiter for <paramref name="sequence"/> should park on: the first dependency that has
    /// not reached it (its writer wakes the parked thread when it advances).
    /// </summary>
    internal Sequence WaitTarget(long sequence)
    {
        if (_single is not null)
        {
            return _single;
        }

        foreach (var dependent in _dependents)
        {
            if (dependent.Value < sequence)
            {
                return dependent;
            }
        }

        return _dependents[0];
    }

    /// <summary>
    /// Whether the waiter's next timed spin is worth running: not after two in a row ran out without the sequence
    /// (its producer is probably not running), except one wait in sixteen, which tries again. Called by the consumer
    /// thread only.
    /// </summary>
    internal bool ShouldRunTimedSpin()
    {
        if (_spinHistory.Misses < 2)
        {
            return true;
        }

        return (++_spinHistory.Skipped & 15) == 0;
    }

    /// <summary>True when the last few waits all ended within a few checks: the producer is streaming (see <see cref="StreamBackOff"/>).</summary>
    internal bool IsRacingProducer => _spinHistory.QuickWaits >= StreamBackOff.QuickWaitsToBackOff;

    /// <summary>Records how many failed checks a busy-spin wait took. Called by the consumer thread only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void RecordWait(int failedChecks) =>
        _spinHistory.QuickWaits = failedChecks <= StreamBackOff.QuickWaitChecks ? Math.Min(_spinHistory.QuickWaits + 1, StreamBackOff.QuickWaitsToBackOff) : 0;

    /// <summary>Records whether a timed spin saw the sequence before it ran out. Called by the consumer thread only.</summary>
    internal void RecordTimedSpin(bool caught) => _spinHistory.Misses = caught ? 0 : Math.Min(_spinHistory.Misses + 1, 2);

    /// <summary>Asks the consumer to stop once it has drained what is available, and wakes it if it is parked.</summary>
    public void Alert()
    {
        _alerted = true;
        if (_single is not null)
        {
            _single.WakeWaiters();
        }

        foreach (var dependent in _dependents)
        {
            dependent.WakeWaiters();
        }
    }

    public void ClearAlert() => _alerted = false;
}

/// <summary>
/// How the timed spins of a barrier's waiter went: written by that waiter's thread alone, padded so that its writes never
/// share a line with the barrier's own fields (read on every check) or a neighbouring object.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128 + 8)]
internal struct SpinHistory
{
    [FieldOffset(64)]
    public int Misses;

    [FieldOffset(68)]
    public int Skipped;

    [FieldOffset(72)]
    public int QuickWaits;
}
