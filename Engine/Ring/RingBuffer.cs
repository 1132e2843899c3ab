using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Ring;

/// <summary>Creates rings.</summary>
public static class RingBuffer
{
    /// <summary>Creates a ring for one publishing thread.</summary>
    public static RingBuffer<T> CreateSingleProducer<T>(int size, IWaitStrategy waitStrategy)
        where T : struct => new(new SingleProducerSequencer(size, waitStrategy));

    /// <summary>Creates a ring any number of threads may publish into.</summary>
    public static RingBuffer<T> CreateMultiProducer<T>(int size, IWaitStrategy waitStrategy)
        where T : struct => new(new MultiProducerSequencer(size, waitStrategy));
}

/// <summary>
/// A fixed ring of <typeparamref name="T"/> slots allocated once, read and written in place through
/// <c>ref T</c>; producers claim and publish sequences, consumers follow behind barriers.
/// </summary>
/// <remarks>
/// Slots are structs in one array, so publishing and consuming never allocate and every slot is reused
/// every lap. The array carries a guard of empty slots at each end so that the first and last slots never
/// share a cache line with the array header or a neighbouring object. When the slot type holds no references the
/// array is allocated pinned and slot 0 starts on a cache-line boundary: a 64-byte slot is then exactly one line
/// (unaligned, every slot straddles two lines, one of them shared with the slot next door, so a producer writing slot
/// n and a consumer reading slot n - 1 pull the same line back and forth). The sequencer is held as its concrete
/// sealed type (one of two fields, a branch the predictor always gets right) so that claim and publish
/// inline instead of going through a virtual call.
/// </remarks>
public sealed class RingBuffer<T>
    where T : struct
{
    /// <summary>The boundary slot 0 is aligned to: one cache line.</summary>
    internal const int SlotAlignment = 64;

    private static readonly int s_guard = Math.Max(1, 128 / Math.Max(1, Unsafe.SizeOf<T>()) + 1);

    private readonly T[] _slots;
    // Bytes from the array's first element to slot 0: the guard, plus the shift onto a line boundary.
    private readonly nint _firstSlotOffset;
    private readonly long _mask;
    private readonly SingleProducerSequencer? _single;
    private readonly MultiProducerSequencer? _multi;

    internal RingBuffer(Sequencer sequencer)
    {
        Sequencer = sequencer;
        _single = sequencer as SingleProducerSequencer;
        _multi = sequencer as MultiProducerSequencer;
        _mask = sequencer.BufferSize - 1;
        (_slots, _firstSlotOffset) = AllocateSlots(sequencer.BufferSize);
    }

    public Sequencer Sequencer { get; }

    public int BufferSize => Sequencer.BufferSize;

    /// <summary>Bytes held by the slots themselves (guards included): what the ring costs in memory.</summary>
    public long AllocatedBytes => (long)_slots.Length * Unsafe.SizeOf<T>();

    /// <summary>Bytes per slot.</summary>
    public int SlotSize => Unsafe.SizeOf<T>();

    /// <summary>Bytes of the slot array in front of slot 0 (the guard and the alignment shift).</summary>
    internal long BytesBeforeFirstSlot => _firstSlotOffset;

    /// <summary>True when slot 0 sits on a cache-line boundary and stays there (the array is pinned).</summary>
    internal bool IsLineAligned { get; } = !RuntimeHelpers.IsReferenceOrContainsReferences<T>();

    /// <summary>The slot for <paramref name="sequence"/>, by reference.</summary>
    public ref T this[long sequence]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Unsafe.Add(ref FirstSlot, (nint)(sequence & _mask));
    }

    /// <summary>Claims the next slot, waiting while the ring is full (back-pressure, never overwrite).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next() => _single is not null ? _single.Next() : NextMulti();

    /// <summary>Claims <paramref name="count"/> slots and returns the highest sequence.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next(int count) => _single is not null ? _single.Next(count) : NextMulti(count);

    /// <summary>Claims the next slot, or returns false at once when the ring is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryNext(out long sequence) =>
        _single is not null ? _single.TryNext(out sequence) : TryNextMulti(out sequence);

    public bool TryNext(int count, out long highest) =>
        _single is not null ? _single.TryNext(count, out highest) : _multi!.TryNext(count, out highest);

    /// <summary>Publishes a claimed slot to consumers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long sequence)
    {
        if (_single is not null)
        {
            _single.Publish(sequence);
        }
        else
        {
            PublishMulti(sequence);
        }
    }

    /// <summary>Publishes a claimed range to consumers (for a single producer, one store of the cursor).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long low, long high)
    {
        if (_single is not null)
        {
            _single.Publish(high);
        }
        else
        {
            PublishMulti(low, high);
        }
    }

    /// <summary>The slot of sequence 0 (and of every multiple of the size); index it with <see cref="IndexMask"/>.</summary>
    internal ref T FirstSlot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Unsafe.As<byte, T>(ref Unsafe.AddByteOffset(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetArrayDataReference(_slots)), _firstSlotOffset));
    }

    internal long IndexMask => _mask;

    /// <summary>The producer cursor (claimed; for a single producer also published).</summary>
    public long Cursor => Sequencer.Cursor.Value;

    public long RemainingCapacity() => Sequencer.RemainingCapacity();

    public void AddGatingSequences(params Sequence[] sequences) => Sequencer.AddGatingSequences(sequences);

    public SequenceBarrier NewBarrier(params Sequence[] upstream) => Sequencer.NewBarrier(upstream);

    /// <summary>A barrier with a wait strategy of its own (see <see cref="Sequencer.NewBarrier(IWaitStrategy, Sequence[])"/>).</summary>
    public SequenceBarrier NewBarrier(IWaitStrategy waitStrategy, params Sequence[] upstream) => Sequencer.NewBarrier(waitStrategy, upstream);

    /// <summary>
    /// The slot array and where slot 0 starts in it. A slot type without references goes on the pinned object heap (it
    /// never moves, so an alignment computed once holds for the ring's life) with one line to spare for the shift onto
    /// a line boundary; one with references cannot be pinned and keeps the plain guard.
    /// </summary>
    private static unsafe (T[] Slots, nint FirstSlotOffset) AllocateSlots(int size)
    {
        var slotSize = Unsafe.SizeOf<T>();
        var guardBytes = (nint)s_guard * slotSize;
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            return (new T[size + (2 * s_guard)], guardBytes);
        }

        var spare = (SlotAlignment + slotSize - 1) / slotSize;
        var slots = GC.AllocateArray<T>(size + (2 * s_guard) + spare, pinned: true);
        var first = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(slots)) + guardBytes;
        var shift = (SlotAlignment - (first & (SlotAlignment - 1))) & (SlotAlignment - 1);
        return (slots, guardBytes + shift);
    }

    // The multi-producer paths stay out of line so that a single-producer ring's claim and publish inline
    // into the producer's loop without dragging the CAS loop and its spin-wait along.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long NextMulti() => _multi!.Next();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long NextMulti(int count) => _multi!.Next(count);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void PublishMulti(long low, long high) => _multi!.Publish(low, high);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryNextMulti(out long sequence) => _multi!.TryNext(out sequence);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void PublishMulti(long sequence) => _multi!.Publish(sequence);
}
