using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Engine.Model;
using Engine.Ring;

namespace Tests.Ring;

/// <summary>
/// The padded types and the ring slot, field by field against a table: the offsets and sizes declared, the offsets
/// the runtime actually gives each field, and for every field written on a hot path, that nothing written by another
/// thread (nor a neighbouring object) can share its cache line. A field added, moved or resized fails here until the
/// table says where it belongs.
/// </summary>
public sealed class RingLayoutTests
{
    /// <summary>
    /// Bytes of its own on each side of a hot field: with the object only 8-byte aligned, 56 bytes either side keep
    /// every 64-byte line the field can fall in free of anything else.
    /// </summary>
    private const int LinePadding = 56;

    private const string SequenceWriter = "the sequence's one writer";
    private const string Producer = "the producer";
    private const string Parkers = "parking threads";
    private const string Stage = "the stage thread";

    /// <summary>A field where the table wants it; <paramref name="Writer"/> is who stores to it once threads run (null: set before they start).</summary>
    public sealed record FieldAt(string Name, int Offset, int Size, string? Writer = null);

    public sealed record Layout(Type Type, int Size, FieldAt[] Fields)
    {
        public override string ToString() => Type.Name;
    }

    public static TheoryData<Layout> Layouts =>
    [
        new(typeof(Sequence), 120,
        [
            new("_parkingLot", 48, 8),
            new("_value", 56, 8, SequenceWriter),
        ]),
        new(typeof(ParkingLot), 136,
        [
            new("_gate", 0, 8),
            new("_futexWords", 8, 8),
            new("_generation", 16, 8),
            new("_waiters", 64, 4, Parkers),
        ]),
        new(typeof(SingleProducerSequencer.ProducerState), 144,
        [
            new("NextValue", 64, 8, Producer),
            new("CachedGatingValue", 72, 8, Producer),
        ]),
        new(typeof(InFlight), 136,
        [
            new("Sequence", 64, 8, Stage),
        ]),
        new(typeof(SpinHistory), 136,
        [
            new("Misses", 64, 4, Stage),
            new("Skipped", 68, 4, Stage),
            new("QuickWaits", 72, 4, Stage),
        ]),
        // The slot: the header on the first line, the payload union on the second, the brain's decision on the third.
        new(typeof(MarketEvent), MarketEvent.Size,
        [
            new(nameof(MarketEvent.Kind), 0, 1),
            new(nameof(MarketEvent.IntentCount), 1, 1),
            new(nameof(MarketEvent.Symbol), 2, 2),
            new(nameof(MarketEvent.Notes), 4, 1),
            new(nameof(MarketEvent.ExchangeTimeMs), 8, 8),
            new(nameof(MarketEvent.ReceivedTimestamp), 16, 8),
            new(nameof(MarketEvent.Stamps), 24, 40),
            new(nameof(MarketEvent.Trade), 64, 48),
            new(nameof(MarketEvent.Quote), 64, 40),
            new(nameof(MarketEvent.Candle), 64, 64),
            new(nameof(MarketEvent.OrderUpdate), 64, 64),
            new(nameof(MarketEvent.Command), 64, 24),
            new(nameof(MarketEvent.Account), 64, 16),
            new(nameof(MarketEvent.MarkPrice), 64, 40),
            new(nameof(MarketEvent.Position), 64, 40),
            new(nameof(MarketEvent.Intents), 128, 64),
        ]),
    ];

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Declared_layout_matches_the_table(Layout layout)
    {
        var attribute = layout.Type.StructLayoutAttribute;
        Assert.NotNull(attribute);
        Assert.Equal(LayoutKind.Explicit, attribute.Value);
        Assert.Equal(layout.Size, attribute.Size);

        var declared = InstanceFields(layout.Type);
        Assert.Equal(layout.Fields.Select(f => f.Name).Order(), declared.Select(f => f.Name).Order());
        var differences = new List<string>();
        foreach (var field in declared)
        {
            var row = layout.Fields.Single(f => f.Name == field.Name);
            var offset = field.GetCustomAttribute<FieldOffsetAttribute>()?.Value;
            var size = SizeOf(field.FieldType);
            if (offset != row.Offset || size != row.Size || row.Offset + row.Size > layout.Size)
            {
                differences.Add($"{field.Name}: {size} bytes at {offset?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no offset"}, the table says {row.Size} at {row.Offset} (type size {layout.Size})");
            }
        }

        Assert.True(differences.Count == 0, $"{layout.Type.Name}: {string.Join("; ", differences)}");
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void The_runtime_puts_every_field_where_the_table_says(Layout layout)
    {
        var instance = RuntimeHelpers.GetUninitializedObject(layout.Type);
        if (layout.Type.IsValueType)
        {
            Assert.Equal(layout.Size, RuntimeHelpers.SizeOf(layout.Type.TypeHandle));
        }

        foreach (var row in layout.Fields)
        {
            var field = layout.Type.GetField(row.Name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)!;
            ref var start = ref Unsafe.As<RawData>(instance).Data;
            ref var at = ref FieldAddress(field)(instance);
            Assert.Equal(row.Offset, (int)Unsafe.ByteOffset(ref start, ref at));
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void A_hot_field_shares_no_line_with_another_writer_or_a_neighbouring_object(Layout layout)
    {
        foreach (var hot in layout.Fields.Where(f => f.Writer is not null))
        {
            Assert.True(hot.Offset >= LinePadding, $"{layout.Type.Name}.{hot.Name}: only {hot.Offset} bytes before it, a neighbouring object may share its line");
            Assert.True(layout.Size - (hot.Offset + hot.Size) >= LinePadding, $"{layout.Type.Name}.{hot.Name}: only {layout.Size - (hot.Offset + hot.Size)} bytes after it, a neighbouring object may share its line");
            foreach (var other in layout.Fields.Where(f => f != hot && f.Writer is not null && f.Writer != hot.Writer))
            {
                var gap = Math.Max(other.Offset - (hot.Offset + hot.Size), hot.Offset - (other.Offset + other.Size));
                Assert.True(gap >= LinePadding, $"{layout.Type.Name}.{hot.Name} ({hot.Writer}) and {other.Name} ({other.Writer}) are {gap} bytes apart");
            }
        }
    }

    [Theory]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(MarketEvent.Size)]
    public void The_ring_keeps_a_guard_of_at_least_two_lines_before_the_first_slot_and_after_the_last(int slotSize)
    {
        var method = typeof(RingLayoutTests).GetMethod(nameof(GuardBytes), BindingFlags.NonPublic | BindingFlags.Static)!;
        var slotType = slotSize switch
        {
            8 => typeof(long),
            64 => typeof(Line),
            _ => typeof(MarketEvent),
        };
        var (before, after) = ((int, int))method.MakeGenericMethod(slotType).Invoke(null, null)!;
        Assert.True(before >= 128, $"{before} bytes between the array's start and the first slot");
        Assert.True(after >= 128, $"{after} bytes after the last slot");
    }

    private static (int Before, int After) GuardBytes<T>()
        where T : struct
    {
        var ring = RingBuffer.CreateSingleProducer<T>(16, new BusySpinWaitStrategy());
        var before = (int)ring.BytesBeforeFirstSlot;
        return (before, (int)(ring.AllocatedBytes - before - (ring.BufferSize * ring.SlotSize)));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(MarketEvent.Size)]
    public void A_slot_type_without_references_starts_on_a_line_boundary_and_stays_there(int slotSize)
    {
        var method = typeof(RingLayoutTests).GetMethod(nameof(FirstSlotLineOffsets), BindingFlags.NonPublic | BindingFlags.Static)!;
        var slotType = slotSize switch
        {
            8 => typeof(long),
            64 => typeof(Line),
            _ => typeof(MarketEvent),
        };
        var offsets = (int[])method.MakeGenericMethod(slotType).Invoke(null, null)!;
        Assert.All(offsets, offset => Assert.Equal(0, offset));
    }

    [Fact]
    public void A_slot_type_with_references_keeps_the_plain_guard()
    {
        var ring = RingBuffer.CreateSingleProducer<Boxed>(16, new BusySpinWaitStrategy());
        Assert.False(ring.IsLineAligned);
        Assert.True(ring.BytesBeforeFirstSlot >= 128);
        ring[3].Value = "three";
        Assert.Equal("three", ring[3 + 16].Value);
    }

    /// <summary>
    /// Where slot 0 falls within its cache line, for rings of several sizes created between allocations of odd sizes
    /// (so the arrays start at different offsets), then again for each after a compacting collection.
    /// </summary>
    private static unsafe int[] FirstSlotLineOffsets<T>()
        where T : struct
    {
        var rings = new List<RingBuffer<T>>();
        var spacers = new List<byte[]>();
        foreach (var size in new[] { 16, 64, 1024, 4096 })
        {
            for (var odd = 1; odd <= 7; odd++)
            {
                spacers.Add(new byte[odd * 8]);
                rings.Add(RingBuffer.CreateSingleProducer<T>(size, new BusySpinWaitStrategy()));
            }
        }

        var offsets = new List<int>();
        foreach (var ring in rings)
        {
            Assert.True(ring.IsLineAligned);
            offsets.Add((int)((nint)Unsafe.AsPointer(ref ring[0]) & 63));
        }

        spacers.Clear();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        foreach (var ring in rings)
        {
            offsets.Add((int)((nint)Unsafe.AsPointer(ref ring[ring.BufferSize]) & 63));
        }

        return [.. offsets];
    }

    private static FieldInfo[] InstanceFields(Type type) =>
        type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    private static int SizeOf(Type type) => type.IsValueType ? RuntimeHelpers.SizeOf(type.TypeHandle) : IntPtr.Size;

    private delegate ref byte FieldAddressOf(object instance);

    /// <summary>
    /// A reference to the field inside <paramref name="field"/>'s declaring object (or box): IL's <c>ldflda</c>, the
    /// address the JIT itself uses, so the offset measured is the runtime's, not the attribute's.
    /// </summary>
    private static FieldAddressOf FieldAddress(FieldInfo field)
    {
        var declaring = field.DeclaringType!;
        var method = new DynamicMethod($"AddressOf{field.Name}", typeof(byte).MakeByRefType(), [typeof(object)], typeof(RingLayoutTests).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        if (declaring.IsValueType)
        {
            il.Emit(OpCodes.Unbox, declaring);
        }
        else
        {
            il.Emit(OpCodes.Castclass, declaring);
        }

        il.Emit(OpCodes.Ldflda, field);
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<FieldAddressOf>();
    }

    /// <summary>Stands for an object's (or a box's) first byte of data; never created, only laid over real objects.</summary>
    private sealed class RawData
    {
#pragma warning disable CS0649 // read through Unsafe.As over other objects, never assigned
        public byte Data;
#pragma warning restore CS0649
    }

    [StructLayout(LayoutKind.Sequential, Size = 64)]
    private struct Line
    {
        public long Value;
    }

    private struct Boxed
    {
        public string? Value;
    }
}
