using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Engine.Exchange.Wire;
using Engine.Model;

namespace Engine.Execution;

/// <summary>What a queue slot asks the I/O loop to do.</summary>
public enum OrderOp : byte
{
    None = 0,

    /// <summary>Send the signed new order in the slot's buffer.</summary>
    New,

    /// <summary>The stage could not build the order: publish it as Rejected.</summary>
    Reject,

    /// <summary>Flatten: cancel every open order (the brain sends the closing exits itself).</summary>
    CancelAll,

    /// <summary>Switch the venue (<see cref="OrderMessage.Argument"/> is the control plane's mode: 3 paper, 4 live).</summary>
    SetMode,
}

/// <summary>Why the stage failed an intent before it reached the venue.</summary>
public enum RejectReason : byte
{
    None = 0,
    QueueFull,
    UnknownSymbol,
    InvalidOrder,

    /// <summary>Execution is reduce-only (a stage halted): entries are refused.</summary>
    ReduceOnly,

    /// <summary>The journal cannot be written: entries are refused until it can.</summary>
    JournalUnavailable,
}

/// <summary>What the execution stage's own send did with an order.</summary>
public enum StageSend : byte
{
    /// <summary>Not tried: the stage does not send now (paper, no wire, fsync per record); the I/O loop sends it.</summary>
    None = 0,

    /// <summary>On the wire from the stage thread; the I/O loop books it in flight.</summary>
    Sent,

    /// <summary>The wire could not take it now; the I/O loop sends it.</summary>
    WouldBlock,

    /// <summary>No connection was ready; the I/O loop sends it.</summary>
    Down,

    /// <summary>The intent log had no room; the I/O loop journals and sends it.</summary>
    NotLogged,
}

/// <summary>One slot of the stage → I/O queue: the order's facts and its signed request bytes (a buffer per slot, allocated once).</summary>
internal struct OrderMessage
{
    public OrderOp Op;
    public RejectReason Reason;
    public Side Side;
    public OrderKind Kind;
    public TimeInForce TimeInForce;
    public bool ReduceOnly;
    public SymbolId Symbol;
    public long ClientOrderId;
    public Quantity Quantity;
    public Price Price;
    public long SignedTimestampMs;

    /// <summary>When the event that caused it was published (Stopwatch), for the intent → socket histogram.</summary>
    public long PublishedTimestamp;

    /// <summary>Tick-to-order stamps (Stopwatch; 0 = unknown): the causing frame received, the brain done, the order signed.</summary>
    public long ReceivedTimestamp;
    public long BrainTimestamp;
    public long SignedTimestamp;
    public long Argument;
    public int Length;
    public byte[] Buffer;

    /// <summary>Whether <see cref="Buffer"/> holds the signed REST form; false while the stage left the signature for a fallback that may never come.</summary>
    public bool RestSigned;

    /// <summary>What the stage's own send did; with <see cref="StageSend.Sent"/> the path, connection and Stopwatch write stamp.</summary>
    public StageSend StageSend;
    public WirePath Path;
    public int ConnectionId;
    public long WriteStamp;

    /// <summary>The intent's sequence in the stage's intent log (0: not appended).</summary>
    public long IntentSequence;
}

/// <summary>
/// A bounded single-producer single-consumer queue of pre-allocated <see cref="OrderMessage"/> slots: the execution
/// stage claims, fills and publishes a slot in place; the I/O loop reads and releases it. Never blocks, never
/// allocates; the producer and consumer indexes live on cache lines of their own.
/// </summary>
internal sealed class OrderQueue
{
    private readonly OrderMessage[] _slots;
    private readonly int _mask;
    private Indexes _indexes;

    public OrderQueue(int capacity, int bufferBytes)
    {
        if (capacity < 2 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a power of two >= 2");
        }

        _slots = new OrderMessage[capacity];
        for (var i = 0; i < capacity; i++)
        {
            _slots[i].Buffer = bufferBytes > 0 ? new byte[bufferBytes] : [];
        }

        _mask = capacity - 1;
    }

    public int Capacity => _slots.Length;

    /// <summary>Messages published and not yet released (approximate from other threads).</summary>
    public int Count => (int)(Volatile.Read(ref _indexes.Tail) - Volatile.Read(ref _indexes.Head));

    /// <summary>Producer: the next free slot, or false when the queue is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryClaim(out long index)
    {
        index = _indexes.Tail;
        if (index - _indexes.CachedHead >= _slots.Length)
        {
            _indexes.CachedHead = Volatile.Read(ref _indexes.Head);
            if (index - _indexes.CachedHead >= _slots.Length)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The slot at <paramref name="index"/> (from <see cref="TryClaim"/> or <see cref="TryPeek"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref OrderMessage Slot(long index) => ref _slots[index & _mask];

    /// <summary>Producer: makes the claimed slot visible to the consumer (release store).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long index) => Volatile.Write(ref _indexes.Tail, index + 1);

    /// <summary>Consumer: the oldest published slot, if any.</summary>
    public bool TryPeek(out long index)
    {
        index = _indexes.Head;
        return index < Volatile.Read(ref _indexes.Tail);
    }

    /// <summary>Consumer: hands the oldest slot back to the producer.</summary>
    public void Release(long index) => Volatile.Write(ref _indexes.Head, index + 1);

    [StructLayout(LayoutKind.Explicit, Size = 384)]
    private struct Indexes
    {
        [FieldOffset(128)]
        public long Head;

        [FieldOffset(256)]
        public long Tail;

        // The producer's copy of Head, next to Tail: only the producer touches this line on the fast path.
        [FieldOffset(264)]
        public long CachedHead;
    }
}
