using Engine.Native;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Ring;

/// <summary>Creates rings.</summary>
public static class RingBuffer
{
    /// <summary>Creates a ring for one publishing thread.</summary>
    /// <param name="size">Slots: a power of two.</param>
    /// <param name="waitStrategy">How consumers wait.</param>
    /// <param name="hugePages">Whether slots of 2 MiB or more, without references, ask for transparent huge pages.</param>
    public static RingBuffer<T> CreateSingleProducer<T>(int size, IWaitStrategy waitStrategy, bool hugePages = false)
        where T : struct => new(new SingleProducerSequencer(size, waitStrategy), hugePages);

    /// <summary>Creates a ring any number of threads may publish into.</summary>
    /// <param name="size">Slots: a power of two.</param>
    /// <param name="waitStrategy">How consumers wait.</param>
    /// <param name="hugePages">Whether slots of 2 MiB or more, without references, ask for transparent huge pages.</param>
    public static RingBuffer<T> CreateMultiProducer<T>(int size, IWaitStrategy waitStrategy, bool hugePages = false)
        where T : struct => new(new MultiProducerSequencer(size, waitStrategy), hugePages);
}

/// <summary>
/// A fixed ring of <typeparamref name="T"/> slots allocated once, read and written in place through
/// <c>ref T</c>; producers claim and publish sequences, consumers follow behind barriers.
/// </summary>
/// <remarks>
/// Slots are structs in one block allocated at construction, so publishing and consuming never allocate and every
/// slot is reused every lap. The block carries a guard of two lines at each end so that the first and last slots never
/// share a cache line with anything else. When the slot type holds no references the block is native memory
/// (<see cref="SlotMemory"/>): slot 0 starts on a cache-line boundary, so a 64-byte slot is exactly one line
/// (unaligned, every slot straddles two lines, one of them shared with the slot next door, so a producer writing slot
/// n and a consumer reading slot n - 1 pull the same line back and forth), and a ring of 2 MiB or more created with
/// <c>hugePages</c> sits on huge pages where the kernel has them. A slot type with references lives in a plain array
/// with a guard of empty slots.
/// The ring must stay reachable while its slots are used (every stage and publisher holds it). The sequencer is held
/// as its concrete sealed type (one of two fields, a branch the predictor always gets right) so that claim and publish
/// inline instead of going through a virtual call.
/// </remarks>
public sealed unsafe class RingBuffer<T>
    where T : struct
{
    // Two lines before slot 0 and after the last slot: no neighbour shares a line with a slot, nor one prefetch pair.
    private const int GuardBytes = 2 * SlotMemory.LineSize;

    private static readonly int s_guard = Math.Max(1, 128 / Math.Max(1, Unsafe.SizeOf<T>()) + 1);

    // Slot types with references: the array (the GC must see the references) and the guard before slot 0.
    private readonly T[]? _slots;
    private readonly nint _guardBytes;
    // Slot types without: the native block, and slot 0's address in it.
    private readonly SlotMemory? _memory;
    private readonly nint _firstSlotAddress;
    private readonly long _mask;
    private readonly SingleProducerSequencer? _single;
    private readonly MultiProducerSequencer? _multi;

    internal RingBuffer(Sequencer sequencer, bool hugePages)
    {
        Sequencer = sequencer;
        _single = sequencer as SingleProducerSequencer;
        _multi = sequencer as MultiProducerSequencer;
        _mask = sequencer.BufferSize - 1;
        var slotBytes = (long)sequencer.BufferSize * Unsafe.SizeOf<T>();
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            _slots = new T[sequencer.BufferSize + (2 * s_guard)];
            _guardBytes = (nint)s_guard * Unsafe.SizeOf<T>();
            AllocatedBytes = (long)_slots.Length * Unsafe.SizeOf<T>();
        }
        else
        {
            _memory = SlotMemory.Allocate(GuardBytes + slotBytes + GuardBytes, hugePages);
            _guardBytes = GuardBytes;
            _firstSlotAddress = (nint)_memory.Pointer + GuardBytes;
            AllocatedBytes = _memory.Length;
        }
    }

    public Sequencer Sequencer { get; }

    public int BufferSize => Sequencer.BufferSize;

    /// <summary>Bytes held by the slots themselves (guards included): what the ring costs in memory.</summary>
    public long AllocatedBytes { get; }

    /// <summary>Bytes per slot.</summary>
    public int SlotSize => Unsafe.SizeOf<T>();

    /// <summary>True when the kernel accepted the request for huge pages for the slots (a ring of 2 MiB or more on Linux).</summary>
    public bool HugePagesRequested => _memory?.HugePagesRequested ?? false;

    /// <summary>Bytes of the block in front of slot 0 (the guard).</summary>
    internal long BytesBeforeFirstSlot => _guardBytes;

    /// <summary>True when slot 0 sits on a cache-line boundary and stays there (native memory, never moved).</summary>
    internal bool IsLineAligned => _memory is not null;

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
        // The test is a constant for each T: the JIT keeps one of the two arms and no branch.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref RuntimeHelpers.IsReferenceOrContainsReferences<T>()
            ? ref Unsafe.As<byte, T>(ref Unsafe.AddByteOffset(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetArrayDataReference(_slots!)), _guardBytes))
            : ref Unsafe.AsRef<T>((void*)_firstSlotAddress);
    }

    internal long IndexMask => _mask;

    /// <summary>The producer cursor (claimed; for a single producer also published).</summary>
    public long Cursor => Sequencer.Cursor.Value;

    public long RemainingCapacity() => Sequencer.RemainingCapacity();

    public void AddGatingSequences(params Sequence[] sequences) => Sequencer.AddGatingSequences(sequences);

    public SequenceBarrier NewBarrier(params Sequence[] upstream) => Sequencer.NewBarrier(upstream);

    /// <summary>A barrier with a wait strategy of its own (see <see cref="Sequencer.NewBarrier(IWaitStrategy, Sequence[])"/>).</summary>
    public SequenceBarrier NewBarrier(IWaitStrategy waitStrategy, params Sequence[] upstream) => Sequencer.NewBarrier(waitStrategy, upstream);

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
