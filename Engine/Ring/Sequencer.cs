namespace Engine.Ring;

/// <summary>
/// Hands out slots to producers and tracks what they published; keeps producers from lapping the slowest
/// consumer (its gating sequences).
/// </summary>
public abstract class Sequencer
{
    private Sequence[] _gatingSequences = [];

    private protected Sequencer(int bufferSize, IWaitStrategy waitStrategy)
    {
        if (bufferSize < 1 || !int.IsPow2(bufferSize))
        {
            throw new ArgumentOutOfRangeException(nameof(bufferSize), bufferSize, "the ring size must be a power of two");
        }

        BufferSize = bufferSize;
        WaitStrategy = waitStrategy ?? throw new ArgumentNullException(nameof(waitStrategy));
        SignalsWaiters = waitStrategy.IsBlocking;
    }

    public int BufferSize { get; }

    public IWaitStrategy WaitStrategy { get; }

    /// <summary>The producer cursor: the highest claimed sequence (single producer: also the highest published).</summary>
    public Sequence Cursor { get; } = new();

    internal bool SignalsWaiters { get; }

    private protected Sequence[] GatingSequences => Volatile.Read(ref _gatingSequences);

    /// <summary>Claims the next slot, waiting (spinning, then yielding) while the ring is full.</summary>
    public abstract long Next();

    /// <summary>Claims <paramref name="count"/> slots and returns the highest; waits while the ring is full.</summary>
    public abstract long Next(int count);

    /// <summary>Claims the next slot unless the ring is full, in which case it returns false at once.</summary>
    public abstract bool TryNext(out long sequence);

    /// <summary>Claims <paramref name="count"/> slots unless fewer are free; returns the highest.</summary>
    public abstract bool TryNext(int count, out long highest);

    /// <summary>Makes a claimed slot visible to consumers.</summary>
    public abstract void Publish(long sequence);

    /// <summary>Makes a claimed range visible to consumers.</summary>
    public abstract void Publish(long low, long high);

    /// <summary>Free slots: the ring size minus what producers are ahead of the slowest consumer.</summary>
    public long RemainingCapacity() =>
        BufferSize - (Cursor.Value - Sequence.Minimum(GatingSequences, Cursor.Value));

    /// <summary>
    /// Adds consumers the producers must not lap. Call before publishing starts (it takes the cursor value for
    /// sequences that were never advanced, so a late consumer does not block the ring).
    /// </summary>
    public void AddGatingSequences(params Sequence[] sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        Sequence[] current, updated;
        do
        {
            current = Volatile.Read(ref _gatingSequences);
            updated = [.. current, .. sequences];
            var cursor = Cursor.Value;
            foreach (var sequence in sequences)
            {
                if (sequence.Value < cursor)
                {
                    sequence.SetValue(cursor);
                }
            }
        }
        while (Interlocked.CompareExchange(ref _gatingSequences, updated, current) != current);
    }

    /// <summary>A barrier over the cursor (no upstream) or over the given upstream stages.</summary>
    public SequenceBarrier NewBarrier(params Sequence[] upstream) => new(this, upstream ?? [], null);

    /// <summary>
    /// A barrier whose consumer waits with its own <paramref name="waitStrategy"/> instead of the ring's. A parking
    /// strategy needs a ring whose writers wake parked waiters (a ring built with a blocking strategy).
    /// </summary>
    public SequenceBarrier NewBarrier(IWaitStrategy waitStrategy, params Sequence[] upstream) =>
        new(this, upstream ?? [], waitStrategy ?? throw new ArgumentNullException(nameof(waitStrategy)));

    private protected void ThrowIfBadCount(int count)
    {
        if (count < 1 || count > BufferSize)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "must be between 1 and the ring size");
        }
    }
}
