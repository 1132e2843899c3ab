using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;

namespace Engine.State.Journal;

/// <summary>
/// Appends framed records to the current segment: <c>[u32 length][u32 CRC-32 of the payload][payload]</c>, little-endian.
/// Records are staged in memory and written by <see cref="Commit"/> (one write for a batch), which also applies the
/// <see cref="FsyncPolicy"/>. Segments are rotated by size; the new segment starts with a snapshot and the older
/// ones are deleted (compaction). Single-threaded: the execution I/O loop owns it.
/// </summary>
public sealed class JournalWriter : IDisposable
{
    /// <summary>Bytes of the frame header (length and CRC).</summary>
    public const int HeaderSize = 8;

    /// <summary>The largest payload the reader accepts; anything larger in a length field is damage.</summary>
    public const int MaxPayload = 16 * 1024 * 1024;

    private readonly JournalOptions _options;
    private readonly TimeProvider _time;
    private byte[] _staging = new byte[64 * 1024];
    private int _staged;
    private FileStream _file;
    private long _segment;
    private int _unsyncedRecords;
    private long _lastSyncTimestamp;
    private bool _disposed;

    /// <summary>Opens a new segment after <paramref name="lastSegment"/> (the reader's <see cref="JournalState.LastSegment"/>).</summary>
    public JournalWriter(JournalOptions options, long lastSegment, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(options.Directory);
        _segment = lastSegment;
        _file = OpenNext();
        _lastSyncTimestamp = _time.GetTimestamp();
    }

    /// <summary>The number of the segment being written.</summary>
    public long Segment => _segment;

    public long RecordsWritten { get; private set; }

    public long Fsyncs { get; private set; }

    /// <summary>Whether the current segment has grown past <see cref="JournalOptions.SegmentMaxBytes"/>.</summary>
    public bool RotationDue => _file.Length + _staged >= _options.SegmentMaxBytes;

    /// <summary>Path of segment <paramref name="number"/> in <paramref name="directory"/>.</summary>
    public static string SegmentPath(string directory, long number) =>
        Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"wal-{number:D8}.log"));

    /// <summary>Stages one record (its payload; the frame is added here). Nothing reaches the file before <see cref="Commit"/>.</summary>
    public void Append(ReadOnlySpan<byte> payload)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (payload.IsEmpty || payload.Length > MaxPayload)
        {
            throw new ArgumentException($"a journal record holds 1..{MaxPayload} bytes (got {payload.Length})", nameof(payload));
        }

        var needed = HeaderSize + payload.Length;
        if (_staged + needed > _staging.Length)
        {
            WriteStaged();
            if (needed > _staging.Length)
            {
                _staging = new byte[needed];
            }
        }

        var frame = _staging.AsSpan(_staged, needed);
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], Crc32.Compute(payload));
        payload.CopyTo(frame[HeaderSize..]);
        _staged += needed;
        _unsyncedRecords++;
        RecordsWritten++;
    }

    /// <summary>
    /// Writes what is staged to the operating system (it survives a crash of this process from here on) and forces it
    /// to disk when the policy says so. Call before sending the requests whose intents were appended.
    /// </summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WriteStaged();
        switch (_options.Fsync)
        {
            case FsyncPolicy.EveryRecord when _unsyncedRecords > 0:
                Sync();
                break;
            // The interval's fsync is Tick's, which the I/O loop calls after it has sent what it just committed: done here,
            // every order arriving more than an interval after the last one waited for a disk flush (1-2 ms on this VM)
            // before it left, though the policy only promises the record on disk within the interval.
            case FsyncPolicy.Batched when _unsyncedRecords >= _options.GroupCommitRecords:
                Sync();
                break;
            default:
                break;
        }
    }

    /// <summary>For <see cref="FsyncPolicy.Batched"/>: forces records older than the group-commit interval to disk. Call from the loop's idle turns.</summary>
    public void Tick()
    {
        if (!_disposed && _options.Fsync == FsyncPolicy.Batched && _unsyncedRecords > 0 && SyncIntervalPassed())
        {
            WriteStaged();
            Sync();
        }
    }

    /// <summary>When the next <see cref="Tick"/> has work, as a timestamp of the writer's <see cref="TimeProvider"/> (null when none).</summary>
    public TimeSpan? TimeUntilTick() =>
        _options.Fsync == FsyncPolicy.Batched && _unsyncedRecords > 0
            ? _options.GroupCommitInterval - _time.GetElapsedTime(_lastSyncTimestamp)
            : null;

    /// <summary>
    /// Closes the current segment (unless nothing has been written to it yet), starts the next with <paramref name="snapshot"/> (a <see cref="JournalCodec.WriteSnapshot"/>
    /// payload), forces it to disk and deletes every older segment.
    /// </summary>
    public void RotateWithSnapshot(ReadOnlySpan<byte> snapshot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WriteStaged();
        if (_file.Length > 0)
        {
            Sync();
            _file.Dispose();
            _file = OpenNext();
        }

        Append(snapshot);
        WriteStaged();
        Sync();

        // The snapshot is durable: what came before it is no longer needed to rebuild the state.
        foreach (var (number, path) in JournalReader.Segments(_options.Directory))
        {
            if (number < _segment)
            {
                File.Delete(path);
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            WriteStaged();
            Sync();
        }
        finally
        {
            _file.Dispose();
            _disposed = true;
        }
    }

    private bool SyncIntervalPassed() => _time.GetElapsedTime(_lastSyncTimestamp) >= _options.GroupCommitInterval;

    private void WriteStaged()
    {
        if (_staged > 0)
        {
            _file.Write(_staging, 0, _staged);
            _file.Flush(flushToDisk: false);
            _staged = 0;
        }
    }

    private void Sync()
    {
        _file.Flush(flushToDisk: true);
        _unsyncedRecords = 0;
        _lastSyncTimestamp = _time.GetTimestamp();
        Fsyncs++;
    }

    private FileStream OpenNext()
    {
        _segment++;
        var path = SegmentPath(_options.Directory, _segment);
        Debug.Assert(!File.Exists(path), "segments are numbered past the last one read");

        // No FileStream buffer: the staging array is the buffer, and Commit must put the bytes in the OS at once.
        return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0, FileOptions.None);
    }
}
