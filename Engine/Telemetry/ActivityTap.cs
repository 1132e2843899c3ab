using System.Runtime.InteropServices;
using Engine.Model;

namespace Engine.Telemetry;

/// <summary>What an <see cref="Activity"/> records.</summary>
public enum ActivityKind : byte
{
    None = 0,

    /// <summary>The brain decided an entry (an intent to open a position).</summary>
    Signal,

    /// <summary>One of our orders filled, in part or whole (a normalized fill: each once).</summary>
    Fill,
}

/// <summary>One signal or fill, as the tail saw it; a fixed-size value so the tap's ring holds them without allocation.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct Activity
{
    public Price Price;
    public Quantity Quantity;
    public long OrderId;
    public long ClientOrderId;
    public SymbolId Symbol;
    public ushort ConfidenceBasisPoints;
    public Side Side;
    public ActivityKind Kind;
}

/// <summary>
/// A single-producer, single-consumer ring of <see cref="Activity"/> between the tail stage (the producer, which
/// must never wait or allocate) and the control plane's watcher (the consumer, on a timer). When the watcher falls
/// behind, new records are dropped and counted rather than slowing a tick.
/// </summary>
public sealed class ActivityTap
{
    private readonly Activity[] _items;
    private readonly int _mask;
    private long _written;
    private long _read;
    private long _dropped;

    public ActivityTap(int capacity = 4096)
    {
        if (capacity < 2 || !int.IsPow2(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a power of two, at least 2");
        }

        _items = new Activity[capacity];
        _mask = capacity - 1;
    }

    /// <summary>Records the watcher had no room for.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Producer side (the tail's thread only).</summary>
    public void Write(in Activity activity)
    {
        var written = _written;
        if (written - Volatile.Read(ref _read) >= _items.Length)
        {
            Volatile.Write(ref _dropped, _dropped + 1);
            return;
        }

        _items[written & _mask] = activity;
        Volatile.Write(ref _written, written + 1);
    }

    /// <summary>Consumer side (one reader): takes the oldest record not read yet.</summary>
    public bool TryRead(out Activity activity)
    {
        var read = _read;
        if (read == Volatile.Read(ref _written))
        {
            activity = default;
            return false;
        }

        activity = _items[read & _mask];
        Volatile.Write(ref _read, read + 1);
        return true;
    }
}
