using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Engine.Native;

/// <summary>
/// A file of a fixed length mapped shared and writable into this process (Linux: <c>posix_fallocate</c>, <c>mmap</c>
/// <c>MAP_SHARED</c>, <c>msync</c>, <c>munmap</c>). A store into <see cref="Pointer"/> is a store into the page cache:
/// it survives the process's death at once, and reaches the disk when <see cref="Sync"/> forces it (or the kernel
/// writes it back on its own). The file's blocks are allocated when it is created, so a full disk shows as an
/// <see cref="IOException"/> from <see cref="Create"/>, never as a SIGBUS on a later store.
/// </summary>
/// <remarks>Not thread-safe as an object: one owner creates, syncs and disposes it; stores through the pointer may
/// come from any thread while it is mapped.</remarks>
public sealed unsafe partial class MappedFile : IDisposable
{
    private const int MsSync = 0x4;
    private const int Interrupted = 4;
    private const int CloseOnExec = 0x80000;

    private readonly SafeFileHandle _handle;
    private byte* _pointer;

    private MappedFile(string path, SafeFileHandle handle, byte* pointer, long length)
    {
        Path = path;
        _handle = handle;
        _pointer = pointer;
        Length = length;
    }

    /// <summary>Whether this platform has the calls (Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>The mapped file.</summary>
    public string Path { get; }

    /// <summary>The mapping's (and the file's) length in bytes.</summary>
    public long Length { get; }

    /// <summary>The first byte of the mapping; invalid after <see cref="Dispose"/>.</summary>
    public byte* Pointer => _pointer;

    /// <summary>
    /// Creates <paramref name="path"/> (it must not exist), allocates <paramref name="length"/> bytes of disk for it
    /// (zeros) and maps it. On failure nothing is left behind: the file is deleted.
    /// </summary>
    /// <exception cref="IOException">The file cannot be created, its blocks cannot be allocated (a full disk: the
    /// message is the system's "No space left on device") or it cannot be mapped.</exception>
    public static MappedFile Create(string path, long length)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        EnsureSupported();
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            int error;
            do
            {
                // posix_fallocate returns the error number itself (errno is not set).
                error = PosixFallocate((int)handle.DangerousGetHandle(), 0, length);
            }
            while (error == Interrupted);

            if (error != 0)
            {
                throw new IOException($"{Marshal.GetPInvokeErrorMessage(error)} (allocating {length} bytes for {path})", error);
            }

            return new MappedFile(path, handle, Map(handle, length, path), length);
        }
        catch
        {
            handle.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Maps an existing file, its whole length.</summary>
    /// <exception cref="IOException">The file cannot be opened or mapped, or is empty.</exception>
    public static MappedFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        EnsureSupported();
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            var length = RandomAccess.GetLength(handle);
            if (length == 0)
            {
                throw new IOException($"{path} is empty: nothing to map");
            }

            return new MappedFile(path, handle, Map(handle, length, path), length);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Forces the bytes in [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="count"/>) to disk
    /// (<c>msync(MS_SYNC)</c> over the pages that hold them). Blocks for the disk.
    /// </summary>
    /// <exception cref="IOException">The kernel reports a write-back error (EIO, ENOSPC): the pages may since have been
    /// marked clean without reaching the disk, so a caller that wants them there must dirty them again.</exception>
    public void Sync(long offset, long count)
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        if (count <= 0)
        {
            return;
        }

        var page = Environment.SystemPageSize;
        var start = offset / page * page;
        var end = Math.Min(Length, offset + count);
        if (Msync(_pointer + start, (nuint)(end - start), MsSync) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            throw new IOException($"{Marshal.GetPInvokeErrorMessage(error)} (forcing {Path} to disk)", error);
        }
    }

    /// <summary>
    /// Faults the pages of [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="count"/>) in
    /// writable now (<see cref="LibcMemory.PopulateWrite"/>): changes no byte; pages already written and forced to disk
    /// become dirty again.
    /// </summary>
    public void Prefault(long offset, long count)
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        var page = Environment.SystemPageSize;
        var start = offset / page * page;
        var end = Math.Min(Length, offset + count);
        if (end <= start)
        {
            return;
        }

        LibcMemory.PopulateWrite(_pointer + start, end - start);
    }

    /// <summary>
    /// Marks the pages of [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="count"/>) dirty again
    /// without changing a byte (an atomic or of zero into each page's first word), so the next <see cref="Sync"/> writes
    /// them even if a failed one marked them clean. Each page's first word must lie inside the range or be written by
    /// nobody else meanwhile.
    /// </summary>
    public void Redirty(long offset, long count)
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        var page = Environment.SystemPageSize;
        var end = Math.Min(Length, offset + count);
        for (var at = offset / page * page; at + sizeof(int) <= end; at += page)
        {
            Interlocked.Or(ref *(int*)(_pointer + at), 0);
        }
    }

    /// <summary>
    /// Forces <paramref name="directory"/>'s entries to disk (fsync of the folder), so that files created or deleted
    /// in it are there after a power cut.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be opened or synced.</exception>
    public static void SyncDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        EnsureSupported();
        int fd;
        do
        {
            // O_RDONLY opens a folder (O_DIRECTORY's value differs between architectures, and is not needed here).
            fd = OpenDirectory(directory, CloseOnExec);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == Interrupted);

        if (fd < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            throw new IOException($"{Marshal.GetPInvokeErrorMessage(error)} (opening {directory})", error);
        }

        using var handle = new SafeFileHandle((nint)fd, ownsHandle: true);
        if (Fsync(fd) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            throw new IOException($"{Marshal.GetPInvokeErrorMessage(error)} (forcing the folder {directory} to disk)", error);
        }
    }

    /// <summary>Unmaps and closes (unsynced stores stay in the page cache; the kernel writes them back later).</summary>
    public void Dispose()
    {
        if (_pointer is not null)
        {
            _ = LibcMemory.Munmap(_pointer, (nuint)Length);
            _pointer = null;
        }

        _handle.Dispose();
    }

    private static byte* Map(SafeFileHandle handle, long length, string path)
    {
        var address = LibcMemory.Mmap(null, (nuint)length, LibcMemory.ProtRead | LibcMemory.ProtWrite, LibcMemory.MapShared, (int)handle.DangerousGetHandle(), 0);
        if (address == LibcMemory.MapFailed)
        {
            var error = Marshal.GetLastPInvokeError();
            throw new IOException($"{Marshal.GetPInvokeErrorMessage(error)} (mapping {path})", error);
        }

        return (byte*)address;
    }

    private static void EnsureSupported()
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("memory-mapped segments use Linux's posix_fallocate, mmap and msync");
        }
    }

    [LibraryImport("libc", EntryPoint = "posix_fallocate")]
    private static partial int PosixFallocate(int fd, long offset, long length);

    [LibraryImport("libc", EntryPoint = "msync", SetLastError = true)]
    private static partial int Msync(void* address, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenDirectory(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);
}
