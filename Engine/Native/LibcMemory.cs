using System.Runtime.InteropServices;

namespace Engine.Native;

/// <summary>The libc memory-mapping calls (Linux) that the mapped journal segments and the ring's slot blocks share.</summary>
internal static unsafe partial class LibcMemory
{
    public const int ProtRead = 0x1;
    public const int ProtWrite = 0x2;
    public const int MapShared = 0x01;
    public const int MapPrivate = 0x02;
    public const int MapAnonymous = 0x20;
    public const int MadvHugePage = 14;
    public const int MadvPopulateWrite = 23;

    /// <summary>What <see cref="Mmap"/> returns on failure.</summary>
    public static readonly void* MapFailed = (void*)-1;

    /// <summary>
    /// Faults the pages of [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) in writable
    /// now, so the first store into each costs no page fault later (<c>MADV_POPULATE_WRITE</c>; where the kernel lacks
    /// it, an atomic or of zero into each page's first word). Changes no byte, so another thread may be writing into the
    /// same pages meanwhile. <paramref name="start"/> is page-aligned.
    /// </summary>
    public static void PopulateWrite(byte* start, long length)
    {
        if (Madvise(start, (nuint)length, MadvPopulateWrite) == 0)
        {
            return;
        }

        var page = Environment.SystemPageSize;
        for (long at = 0; at < length; at += page)
        {
            // An atomic or of nothing: a write that changes no byte, whoever else may write the word.
            Interlocked.Or(ref *(int*)(start + at), 0);
        }
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(void* address, nuint length, int advice);
}
