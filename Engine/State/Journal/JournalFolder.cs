using System.Globalization;
using System.Text;
using Engine.Native;
using Microsoft.Win32.SafeHandles;

namespace Engine.State.Journal;

/// <summary>
/// The journal's folder, owned by one engine for the life of its process: <see cref="Acquire"/> checks that the folder
/// is one and takes an exclusive lock on <see cref="LockFileName"/> in it (flock, pid written inside) before anything
/// reads, cuts or compacts a segment. A second engine on the same folder is refused instead of compacting away the
/// first one's live segment. Damaged segments are never deleted: <see cref="SetAside"/> copies them into
/// <see cref="DamagedFolderName"/> first.
/// </summary>
public sealed class JournalFolder : IDisposable
{
    /// <summary>The lock file: held (flock) by the engine that owns the folder, its pid inside.</summary>
    public const string LockFileName = "journal.lock";

    /// <summary>Subfolder where set-aside segments and cut torn tails are kept as evidence.</summary>
    public const string DamagedFolderName = "damaged";

    private readonly SafeFileHandle _lock;

    private JournalFolder(string path, SafeFileHandle lockHandle)
    {
        Path = path;
        _lock = lockHandle;
    }

    /// <summary>The folder, as a full path.</summary>
    public string Path { get; }

    /// <summary>
    /// Creates <paramref name="directory"/> when missing and locks it for this process.
    /// </summary>
    /// <exception cref="JournalUnusableException">The path is a file, cannot be created or written (permissions, a
    /// read-only file system, a full disk), or another process holds the lock (the message names its pid).</exception>
    public static JournalFolder Acquire(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = System.IO.Path.GetFullPath(directory);
        if (File.Exists(full))
        {
            throw new JournalUnusableException($"journal folder {full} is a file, not a folder: point Engine:Journal:Directory at a folder");
        }

        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new JournalUnusableException($"journal folder {full} cannot be created: {OneLine(exception.Message)}", exception);
        }

        var lockPath = System.IO.Path.Combine(full, LockFileName);
        SafeFileHandle? handle;
        string holder;
        try
        {
            handle = FileLock.TryAcquire(lockPath, out holder);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new JournalUnusableException($"journal folder {full} cannot be used: {OneLine(exception.Message)} (opening {lockPath} for writing)", exception);
        }

        if (handle is null)
        {
            var pid = holder.Length > 0 ? "pid " + holder : "a process that has not written its pid yet";
            throw new JournalUnusableException($"journal folder {full} is in use by another engine ({pid} holds {lockPath}): one engine per journal");
        }

        try
        {
            var pidText = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            RandomAccess.SetLength(handle, 0);
            RandomAccess.Write(handle, pidText, 0);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            handle.Dispose();
            throw new JournalUnusableException($"journal folder {full} cannot be written: {OneLine(exception.Message)} (writing the pid into {lockPath})", exception);
        }

        return new JournalFolder(full, handle);
    }

    /// <summary>
    /// Copies every segment into <see cref="DamagedFolderName"/> (the damaged one as <c>NAME.damaged-TIME</c>, the
    /// others as <c>NAME.set-aside-TIME</c>), each forced to disk, so that the start-up compaction may then delete the
    /// originals: a crash at any point leaves either the whole journal in place or its copies. Returns the copies'
    /// folder and how many segments went there.
    /// </summary>
    /// <exception cref="JournalUnusableException">A copy cannot be made (the originals are untouched).</exception>
    public (string Folder, int Segments) SetAside(string damagedSegment, DateTimeOffset now)
    {
        var folder = System.IO.Path.Combine(Path, DamagedFolderName);
        var stamp = Stamp(now);
        var segments = JournalReader.Segments(Path);
        try
        {
            Directory.CreateDirectory(folder);
            foreach (var (_, segment) in segments)
            {
                var name = System.IO.Path.GetFileName(segment);
                var kind = string.Equals(name, System.IO.Path.GetFileName(damagedSegment), StringComparison.Ordinal) ? "damaged" : "set-aside";
                var copy = Unused(System.IO.Path.Combine(folder, $"{name}.{kind}-{stamp}"));
                File.Copy(segment, copy, overwrite: false);
                using var written = new FileStream(copy, FileMode.Open, FileAccess.Write);
                written.Flush(flushToDisk: true);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new JournalUnusableException($"the damaged journal in {Path} cannot be set aside into {folder}: {OneLine(exception.Message)}; nothing in the journal was changed", exception);
        }

        return (folder, segments.Count);
    }

    /// <summary>Releases the lock (the process's end does the same).</summary>
    public void Dispose() => _lock.Dispose();

    /// <summary>A file-name-safe UTC time stamp, to the millisecond.</summary>
    internal static string Stamp(DateTimeOffset now) => now.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);

    /// <summary><paramref name="path"/>, or when that exists already the first of <c>path.2</c>, <c>path.3</c>, … that does not.</summary>
    internal static string Unused(string path)
    {
        var candidate = path;
        for (var n = 2; File.Exists(candidate); n++)
        {
            candidate = string.Create(CultureInfo.InvariantCulture, $"{path}.{n}");
        }

        return candidate;
    }

    /// <summary>A system message on one line (an operator reads it as the whole reason).</summary>
    internal static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
