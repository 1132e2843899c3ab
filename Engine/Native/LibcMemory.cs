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

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(void* address, nuint length, int advice);
}
