using System.Globalization;
using Engine.Model;
using Engine.Native;
using Engine.Ring;

namespace Tests.Native;

/// <summary>
/// The native memory under a ring's slots: zeroed, line-aligned, huge-page aligned and backed when large (read back from
/// the kernel's own accounting in /proc/self/smaps), and freed when its owner goes.
/// </summary>
public sealed unsafe class SlotMemoryTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4096 + 8)]
    [InlineData(SlotMemory.HugePageSize - 1)]
    public void A_small_block_is_line_aligned_zeroed_and_asks_for_no_huge_pages(int bytes)
    {
        using var memory = SlotMemory.Allocate(bytes, hugePages: true);
        Assert.Equal(0, (nint)memory.Pointer % SlotMemory.LineSize);
        Assert.Equal(bytes, memory.Length);
        Assert.False(memory.HugePagesRequested);
        Assert.True(new ReadOnlySpan<byte>(memory.Pointer, bytes).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void A_large_block_is_rounded_to_whole_huge_pages_aligned_to_one_and_zeroed()
    {
        var bytes = SlotMemory.HugePageSize + 12345;
        using var memory = SlotMemory.Allocate(bytes, hugePages: true);
        Assert.Equal(0, (nint)memory.Pointer % SlotMemory.HugePageSize);
        Assert.Equal(2L * SlotMemory.HugePageSize, memory.Length);
        Assert.Equal(OperatingSystem.IsLinux(), memory.HugePagesRequested);
        Assert.True(new ReadOnlySpan<byte>(memory.Pointer, (int)memory.Length).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Without_huge_pages_a_large_block_is_only_line_aligned_and_asks_for_none_as_the_ring_does_by_default()
    {
        var bytes = SlotMemory.HugePageSize + 12345;
        using var memory = SlotMemory.Allocate(bytes, hugePages: false);
        Assert.Equal(0, (nint)memory.Pointer % SlotMemory.LineSize);
        Assert.Equal(bytes, memory.Length);
        Assert.False(memory.HugePagesRequested);
        var ring = RingBuffer.CreateMultiProducer<MarketEvent>(65_536, new BusySpinWaitStrategy());
        Assert.False(ring.HugePagesRequested);
        Assert.Equal(2 * 128 + (65_536L * MarketEvent.Size), ring.AllocatedBytes);
    }

    [Fact]
    public void The_engine_ring_asked_for_huge_pages_sits_on_them_where_the_kernel_has_them()
    {
        // The engine's ring size: 65,536 slots of 192 bytes, 12 MiB.
        var ring = RingBuffer.CreateMultiProducer<MarketEvent>(65_536, new BusySpinWaitStrategy(), hugePages: true);
        ref var first = ref ring[0];
        var address = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref first);
        Assert.True(ring.AllocatedBytes >= 65_536L * MarketEvent.Size + 256);
        if (!OperatingSystem.IsLinux())
        {
            Assert.False(ring.HugePagesRequested);
            return;
        }

        Assert.True(ring.HugePagesRequested);
        var (mode, hugeKb) = (TransparentHugePageMode(), AnonHugePagesKilobytes(address));
        if (mode == "never")
        {
            Assert.Equal(0, hugeKb);
            return;
        }

        // Asked for before the first touch, the pages come as huge ones unless the kernel has no free 2 MiB page at all.
        Assert.True(hugeKb >= SlotMemory.HugePageSize / 1024, $"THP mode '{mode}': {hugeKb} kB on huge pages in the ring's mapping");
        GC.KeepAlive(ring);
    }

    [Fact]
    public void Disposing_the_block_gives_the_memory_back()
    {
        var memory = SlotMemory.Allocate(4 * SlotMemory.HugePageSize, hugePages: true);
        var address = (nint)memory.Pointer;
        Assert.False(memory.IsInvalid);
        var mapped = OperatingSystem.IsLinux() ? MappingOf(address)![0].Split(' ')[0] : null;
        // The block is a mapping of its own, exactly the block (the huge-page advice would split a shared one anyway).
        Assert.True(mapped is null || mapped == $"{address:x}-{address + (nint)memory.Length:x}", mapped);
        memory.Dispose();
        Assert.True(memory.IsClosed);
        if (mapped is not null)
        {
            // Freed, it is unmapped: nothing holds its first byte, unless another test's mapping took the addresses at once,
            // which could not be this block's range with its huge-page flag.
            var after = MappingOf(address);
            Assert.True(after is null || after[0].Split(' ')[0] != mapped || !after.Any(l => l.StartsWith("VmFlags:", StringComparison.Ordinal) && l.Contains(" hg", StringComparison.Ordinal)),
                string.Join("\n", after ?? []));
        }
    }

    private static string TransparentHugePageMode()
    {
        const string Path = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (!File.Exists(Path))
        {
            return "never";
        }

        var text = File.ReadAllText(Path);
        var open = text.IndexOf('[', StringComparison.Ordinal);
        return text[(open + 1)..text.IndexOf(']', open)];
    }

    private static long AnonHugePagesKilobytes(nint address)
    {
        var mapping = MappingOf(address) ?? throw new InvalidOperationException($"no mapping holds 0x{address:x}");
        var line = mapping.First(l => l.StartsWith("AnonHugePages:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The lines of /proc/self/smaps for the mapping that holds <paramref name="address"/>, or null.</summary>
    private static List<string>? MappingOf(nint address)
    {
        List<string>? current = null;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            var dash = line.IndexOf('-', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && IsHex(line.AsSpan(0, dash)))
            {
                if (current is not null)
                {
                    return current;
                }

                var start = long.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var end = long.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (address >= start && address < end)
                {
                    current = [line];
                }
            }
            else
            {
                current?.Add(line);
            }
        }

        return current;
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return text.Length > 0;
    }
}
