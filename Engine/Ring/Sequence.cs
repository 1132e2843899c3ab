using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Ring;

/// <summary>
/// A monotonically increasing position in the ring, owned by exactly one writer (a producer's cursor or a
/// consumer's progress) and read by others.
/// </summary>
/// <remarks>
/// The value sits alone in the middle of 128 bytes: two cache lines on x64 and one prefetch pair, so a
/// writer hammering its sequence never invalidates the line that holds another thread's sequence or the
/// object header next door. Reads are acquire, <see cref="SetValue"/> is a release store (a plain
/// <c>mov</c> on x64); <see cref="SetValueVolatile"/> adds the full fence needed for store-load ordering.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Padding * 2 + sizeof(long))]
public sealed class Sequence
{
    /// <summary>The value every sequence starts at: nothing claimed or processed yet.</summary>
    public const long InitialValue = -1;

    private const int Padding = 56;

    // Set before the stages start and read by the writer after each store. It sits right before the value so
    // that every cache line it can share holds only this object's own padding, header or value.
    [FieldOffset(Padding - 8)]
    private ParkingLot? _parkingLot;

    [FieldOffset(Padding)]
    private long _value;

    public Sequence(long initialValue = InitialValue) => _value = initialValue;

    /// <summary>The current value, read with acquire semantics.</summary>
    public long Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _value);
    }

    /// <summary>Release store: everything written before it is visible to a thread that reads this value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetValue(long value) => Volatile.Write(ref _value, value);

    /// <summary>Store followed by a full fence, for the rare places that must not let a later load pass it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetValueVolatile(long value) => Interlocked.Exchange(ref _value, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool CompareAndSet(long expected, long value) =>
        Interlocked.CompareExchange(ref _value, value, expected) == expected;

    /// <summary>Adds <paramref name="delta"/> atomically (a full fence) and returns the new value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long AddAndGet(long delta) => Interlocked.Add(ref _value, delta);

    /// <summary>
    /// Wakes threads parked until this sequence advances. The writer calls it after a store when the wait strategy
    /// parks; with nobody parked it costs two loads and no fence (see <see cref="ParkingLot"/> for why that is safe).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WakeWaiters() => Volatile.Read(ref _parkingLot)?.WakeAll();

    /// <summary>Where threads waiting for this sequence to advance sleep; created by the first of them.</summary>
    internal ParkingLot ParkingLot =>
        Volatile.Read(ref _parkingLot) ?? Interlocked.CompareExchange(ref _parkingLot, new ParkingLot(), null) ?? _parkingLot!;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The smallest value among <paramref name="sequences"/>, or <paramref name="minimum"/> if it is smaller or the set is empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Minimum(Sequence[] sequences, long minimum)
    {
        for (var i = 0; i < sequences.Length; i++)
        {
            var value = sequences[i].Value;
            if (value < minimum)
            {
                minimum = value;
            }
        }

        return minimum;
    }
}
