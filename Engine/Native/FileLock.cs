using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Engine.Native;

/// <summary>
/// An exclusive advisory lock on a file (flock(2) <c>LOCK_EX | LOCK_NB</c>), held while its handle is open: the kernel
/// drops it when the process ends, however it ends, so a lock file left behind by a killed process never blocks the
/// next one. The file is opened with libc directly: every <see cref="FileStream"/> on Linux takes a shared flock of its
/// own, so a second process could not even read the holder's pid through one.
/// </summary>
public static partial class FileLock
{
    private const int ReadWrite = 0x2;
    private const int Create = 0x40;
    private const int CloseOnExec = 0x80000;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int WouldBlock = 11;
    private const int Interrupted = 4;
    private const uint Mode0644 = 0b110_100_100;

    /// <summary>
    /// Opens (creating it with mode 0644 when missing) and locks <paramref name="path"/>. Returns the open handle that
    /// holds the lock, or null when another open file holds it (<paramref name="holder"/> then has the file's content,
    /// trimmed). Throws <see cref="IOException"/> carrying the system's reason when the file cannot be opened at all.
    /// </summary>
    public static SafeFileHandle? TryAcquire(string path, out string holder)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        holder = string.Empty;
        if (!OperatingSystem.IsLinux())
        {
            // Elsewhere .NET's own FileShare.None lock (also flock on Unix) does the job, without the holder's pid.
            try
            {
                return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (File.Exists(path))
            {
                return null;
            }
        }

        int fd;
        do
        {
            fd = Open(path, ReadWrite | Create | CloseOnExec, Mode0644);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == Interrupted);

        if (fd < 0)
        {
            throw new IOException(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()), Marshal.GetLastPInvokeError());
        }

        var handle = new SafeFileHandle((nint)fd, ownsHandle: true);
        int locked;
        do
        {
            locked = Flock(fd, LockExclusive | LockNonBlocking);
        }
        while (locked < 0 && Marshal.GetLastPInvokeError() == Interrupted);

        if (locked == 0)
        {
            return handle;
        }

        var error = Marshal.GetLastPInvokeError();
        try
        {
            if (error != WouldBlock)
            {
                throw new IOException(Marshal.GetPInvokeErrorMessage(error), error);
            }

            var buffer = new byte[64];
            var read = RandomAccess.Read(handle, buffer, 0);
            holder = System.Text.Encoding.ASCII.GetString(buffer, 0, read).Trim();
            return null;
        }
        finally
        {
            handle.Dispose();
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}
