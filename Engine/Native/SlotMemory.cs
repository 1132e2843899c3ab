using System.Runtime.InteropServices;

namespace Engine.Native;

/// <summary>
/// Zeroed native memory for a ring's slots, aligned to a cache line; a block of <see cref="HugePageSize"/> or more that
/// asks for huge pages is aligned to one and, on Linux, advised to use them (<c>madvise(MADV_HUGEPAGE)</c>) before its
/// first touch. Every page is touched when the block is allocated, so no page fault waits for the hot path.
/// </summary>
/// <remarks>
/// A ring of 64-byte slots (1P1C, 65,536 slots: 4 MiB) on 4 KiB pages needs a thousand TLB entries, more than a core's
/// first-level TLB holds; under a hypervisor each miss walks two sets of page tables. Measured here, huge pages did not
/// pay clearly (a consumer draining a full ring: from no gain to 1.2× between runs; the engine's sparse ticks: none, the
/// end-to-end latency if anything worse), so rings ask for them only when told to. Where the kernel has
/// transparent huge pages off, or cannot find a free 2 MiB page, the block is the same memory on small pages.
/// The memory is freed when the handle is disposed or finalized: whoever holds a pointer into it keeps its owner
/// reachable (a ring's stages and publishers hold the ring, the ring holds this handle).
/// </remarks>
public sealed unsafe class SlotMemory : SafeHandle
{
    /// <summary>The huge-page size on x64 and Arm64 Linux with 4 KiB base pages.</summary>
    public const int HugePageSize = 2 * 1024 * 1024;

    /// <summary>The alignment of every block: one cache line.</summary>
    public const int LineSize = 64;

    // Bytes mapped for the block (whole pages) on Linux, where it is a mapping of its own; 0 where it came from the allocator.
    private readonly long _mapped;

    private SlotMemory(void* pointer, long length, long mapped, bool hugePagesRequested)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((IntPtr)pointer);
        Length = length;
        _mapped = mapped;
        HugePagesRequested = hugePagesRequested;
        GC.AddMemoryPressure(length);
    }

    /// <summary>The first byte, aligned to <see cref="LineSize"/> (to <see cref="HugePageSize"/> for a large block).</summary>
    public byte* Pointer => (byte*)handle;

    /// <summary>Bytes in the block: what was asked for, rounded up to whole huge pages for a large block.</summary>
    public long Length { get; }

    /// <summary>True when the kernel accepted the request for huge pages (whether it found them shows in /proc/self/smaps).</summary>
    public bool HugePagesRequested { get; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>
    /// Allocates, zeroes and touches at least <paramref name="bytes"/> bytes. On Linux the block is a private anonymous
    /// mapping of its own (not the C allocator's heap, which would keep it after the ring is gone and whose neighbours
    /// would share the huge-page advice), unmapped when released.
    /// </summary>
    /// <param name="bytes">Bytes wanted.</param>
    /// <param name="hugePages">Whether a block of <see cref="HugePageSize"/> or more is huge-page aligned and asks for huge pages.</param>
    /// <exception cref="InsufficientMemoryException">The kernel refused the mapping (no memory, or a limit).</exception>
    public static SlotMemory Allocate(long bytes, bool hugePages)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        var huge = hugePages && bytes >= HugePageSize;
        var length = huge ? RoundUp(bytes, HugePageSize) : bytes;
        if (!OperatingSystem.IsLinux())
        {
            var block = NativeMemory.AlignedAlloc((nuint)length, huge ? (nuint)HugePageSize : LineSize);
            NativeMemory.Clear(block, (nuint)length);
            return new SlotMemory(block, length, 0, hugePagesRequested: false);
        }

        var mapped = RoundUp(length, Environment.SystemPageSize);
        var pointer = huge ? MapAligned(mapped) : Map(mapped);
        var requested = huge && LibcMemory.Madvise(pointer, (nuint)mapped, LibcMemory.MadvHugePage) == 0;
        // An anonymous mapping is zero already; faulting it in now puts the faults (and the kernel's huge-page
        // allocation) here, not on a publish.
        LibcMemory.PopulateWrite(pointer, mapped);
        return new SlotMemory(pointer, length, mapped, requested);
    }

    protected override bool ReleaseHandle()
    {
        if (_mapped > 0)
        {
            LibcMemory.Munmap((void*)handle, (nuint)_mapped);
        }
        else
        {
            NativeMemory.AlignedFree((void*)handle);
        }

        GC.RemoveMemoryPressure(Length);
        return true;
    }

    private static long RoundUp(long value, long multiple) => (value + multiple - 1) & ~(multiple - 1);

    private static byte* Map(long bytes)
    {
        var pointer = LibcMemory.Mmap(null, (nuint)bytes, LibcMemory.ProtRead | LibcMemory.ProtWrite, LibcMemory.MapPrivate | LibcMemory.MapAnonymous, -1, 0);
        if (pointer == LibcMemory.MapFailed)
        {
            throw new InsufficientMemoryException($"mmap of {bytes:N0} bytes for ring slots failed: errno {Marshal.GetLastPInvokeError()} ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})");
        }

        return (byte*)pointer;
    }

    /// <summary>Maps <paramref name="bytes"/> (whole huge pages) starting on a huge-page boundary: one spare huge page mapped, the slack unmapped.</summary>
    private static byte* MapAligned(long bytes)
    {
        var raw = Map(bytes + HugePageSize);
        var aligned = (byte*)RoundUp((long)raw, HugePageSize);
        var head = aligned - raw;
        if (head > 0)
        {
            LibcMemory.Munmap(raw, (nuint)head);
        }

        var tail = HugePageSize - head;
        if (tail > 0)
        {
            LibcMemory.Munmap(aligned + bytes, (nuint)tail);
        }

        return aligned;
    }
}
