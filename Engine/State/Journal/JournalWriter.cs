using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;

namespace Engine.State.Journal;

/// <summary>
/// Appends framed records to the current segment: <c>[u32 length][u32 CRC-32 of the payload][payload]</c>, little-endian.
/// Records are staged in memory and written by <see cref="TryCommit"/> (one write for a batch), which also applies the
/// <see cref="FsyncPolicy"/>. Segments are rotated by size; the new segment starts with a snapshot and the older
/// ones are deleted (compaction). Single-threaded: the execution I/O loop owns it.
/// </summary>
/// <remarks>
/// A write or fsync that fails (a full disk, a quota, an I/O error) loses nothing and duplicates nothing: the staged
/// bytes stay in memory until they are durable, a short write is cut back at once to the end of the last complete
/// record (no torn record is left for the next write or for a reader after a crash), and the next commit writes from
/// there. Bytes handed to the OS but still waiting for an fsync are kept too: after a failed fsync Linux may have marked
/// their pages clean without writing them and report the next fsync as a success, so they are written again (same
/// bytes, same offsets) before it.
/// </remarks>
public sealed class JournalWriter : IDisposable
{
    /// <summary>Bytes of the frame header (length and CRC).</summary>
    public const int HeaderSize = 8;

    /// <summary>The largest payload the reader accepts; anything larger in a length field is damage.</summary>
    public const int MaxPayload = 16 * 1024 * 1024;

    private readonly JournalOptions _options;
    private readonly TimeProvider _time;
    private byte[] _staging = new byte[64 * 1024];

    // _staging[0.._staged) holds every byte not yet durable; _staging[0.._inFile) of it is already in the file at
    // offset _base (the end of the last durable record), as complete records. Durable means forced to disk, or written
    // under FsyncPolicy.None.
    private int _staged;
    private int _inFile;
    private long _base;
    private bool _truncate;
    private bool _resync;
    private FileStream _file;
    private long _segment;
    private int _unsyncedRecords;
    private long _lastSyncTimestamp;
    private bool _compactionPending;
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

    /// <summary>Commits (or fsyncs) that failed; each is retried by the next commit.</summary>
    public long WriteFailures { get; private set; }

    /// <summary>Why the last commit failed; null once a commit has succeeded since.</summary>
    public Exception? WriteError { get; private set; }

    /// <summary>Bytes appended but not yet durable (waiting for a commit, an fsync, or a retry after a failure).</summary>
    public int PendingBytes => _staged;

    /// <summary>Whether the current segment has grown past <see cref="JournalOptions.SegmentMaxBytes"/>.</summary>
    public bool RotationDue => _base + _staged >= _options.SegmentMaxBytes;

    /// <summary>Path of segment <paramref name="number"/> in <paramref name="directory"/>.</summary>
    public static string SegmentPath(string directory, long number) =>
        Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"wal-{number:D8}.log"));

    /// <summary>
    /// Stages one record (its payload; the frame is added here). Nothing reaches the file before <see cref="TryCommit"/>;
    /// staging never fails for lack of disk (it grows in memory while commits fail).
    /// </summary>
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
            Array.Resize(ref _staging, Math.Max(_staging.Length * 2, _staged + needed));
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
    /// to disk when the policy says so. Call before sending the requests whose intents were appended. Throws an
    /// <see cref="IOException"/> when that fails (the staged records are kept for the next commit).
    /// </summary>
    public void Commit()
    {
        if (!TryCommit())
        {
            throw new IOException($"journal write failed: {WriteError!.Message}", WriteError);
        }
    }

    /// <summary>
    /// As <see cref="Commit"/>, without throwing: false when the write or the fsync failed (<see cref="WriteError"/> says
    /// why). Nothing staged is lost: the file is cut back to its last durable record and the next call writes again.
    /// </summary>
    public bool TryCommit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var sync = _options.Fsync switch
        {
            FsyncPolicy.EveryRecord => _unsyncedRecords > 0,

            // The interval's fsync is Tick's, which the I/O loop calls after it has sent what it just committed: done here,
            // every order arriving more than an interval after the last one waited for a disk flush (1-2 ms on this VM)
            // before it left, though the policy only promises the record on disk within the interval.
            FsyncPolicy.Batched => _unsyncedRecords >= _options.GroupCommitRecords,
            _ => false,
        };
        return Flush(sync);
    }

    /// <summary>
    /// Makes everything staged durable now, whatever the batching: written, and forced to disk unless the policy is
    /// <see cref="FsyncPolicy.None"/>. False when that failed (<see cref="WriteError"/>); nothing is lost then either.
    /// </summary>
    public bool TryCommitDurable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Flush(sync: _options.Fsync != FsyncPolicy.None);
    }

    /// <summary>
    /// For <see cref="FsyncPolicy.Batched"/>: forces records older than the group-commit interval to disk. Call from the
    /// loop's idle turns. False when that failed (<see cref="WriteError"/>).
    /// </summary>
    public bool Tick()
    {
        if (!_disposed && _options.Fsync == FsyncPolicy.Batched && _unsyncedRecords > 0 && SyncIntervalPassed())
        {
            return Flush(sync: true);
        }

        return true;
    }

    /// <summary>When the next <see cref="Tick"/> has work, as a timestamp of the writer's <see cref="TimeProvider"/> (null when none).</summary>
    public TimeSpan? TimeUntilTick() =>
        _options.Fsync == FsyncPolicy.Batched && _unsyncedRecords > 0
            ? _options.GroupCommitInterval - _time.GetElapsedTime(_lastSyncTimestamp)
            : null;

    /// <summary>
    /// Closes the current segment (unless nothing has been written to it yet), starts the next with <paramref name="snapshot"/> (a <see cref="JournalCodec.WriteSnapshot"/>
    /// payload), forces it to disk and deletes every older segment. Throws an <see cref="IOException"/> when a write
    /// fails; what was staged, the snapshot included, is then written by the next successful commit, and the older
    /// segments are deleted only once the snapshot is durable.
    /// </summary>
    public void RotateWithSnapshot(ReadOnlySpan<byte> snapshot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Flush(sync: true))
        {
            throw new IOException($"journal write failed: {WriteError!.Message}", WriteError);
        }

        if (_base > 0)
        {
            var next = OpenNext();
            _file.Dispose();
            _file = next;
            _base = 0;
        }

        Append(snapshot);
        _compactionPending = true;
        if (!Flush(sync: true))
        {
            throw new IOException($"journal write failed: {WriteError!.Message}", WriteError);
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
            // A failure here is kept in WriteError (the owner reports it); the file ends at its last durable record.
            Flush(sync: true);
        }
        finally
        {
            _file.Dispose();
            _disposed = true;
        }
    }

    private bool SyncIntervalPassed() => _time.GetElapsedTime(_lastSyncTimestamp) >= _options.GroupCommitInterval;

    /// <summary>Writes the staged bytes not yet in the file and, when <paramref name="sync"/>, forces them to disk.</summary>
    private bool Flush(bool sync)
    {
        // A snapshot that ends older segments is forced to disk before they go, whatever the policy.
        sync |= _compactionPending;
        var syncing = false;
        try
        {
            if (_truncate)
            {
                CutTorn();
            }

            if (_resync)
            {
                // The same bytes again at the same offsets: the file's content does not change, whatever part of this
                // write lands, but the pages a failed fsync may have dropped are dirty again and the next fsync writes them.
                _file.Position = _base;
                _file.Write(_staging, 0, _inFile);
                _resync = false;
            }

            if (_staged > _inFile)
            {
                _file.Position = _base + _inFile;
                _file.Write(_staging, _inFile, _staged - _inFile);
                _file.Flush(flushToDisk: false);
                _inFile = _staged;
            }

            if (sync)
            {
                syncing = true;
                _file.Flush(flushToDisk: true);
                _unsyncedRecords = 0;
                _lastSyncTimestamp = _time.GetTimestamp();
                Fsyncs++;
            }

            if (sync || _options.Fsync == FsyncPolicy.None)
            {
                Durable();
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            WriteError = exception;
            WriteFailures++;
            if (syncing)
            {
                _resync = true;
            }
            else
            {
                // A short write (ENOSPC mid-record) leaves a torn record after the last complete one: cut it now, so
                // that neither the next write nor a reader after a crash finds it. When even that fails, before the next write.
                try
                {
                    CutTorn();
                }
                catch (Exception again) when (again is IOException or UnauthorizedAccessException)
                {
                    _truncate = true;
                }
            }

            return false;
        }

        WriteError = null;
        return true;
    }

    private void CutTorn()
    {
        _truncate = true;
        _file.SetLength(_base + _inFile);
        _truncate = false;
    }

    /// <summary>The written prefix of the staging buffer is durable: drop it, and finish a compaction that waited for it.</summary>
    private void Durable()
    {
        if (_inFile > 0)
        {
            _staging.AsSpan(_inFile, _staged - _inFile).CopyTo(_staging);
            _base += _inFile;
            _staged -= _inFile;
            _inFile = 0;
        }

        if (_compactionPending)
        {
            // The snapshot is durable: what came before it is no longer needed to rebuild the state.
            foreach (var (number, path) in JournalReader.Segments(_options.Directory))
            {
                if (number < _segment)
                {
                    File.Delete(path);
                }
            }

            _compactionPending = false;
        }
    }

    private FileStream OpenNext()
    {
        var number = _segment + 1;
        var path = SegmentPath(_options.Directory, number);
        Debug.Assert(!File.Exists(path), "segments are numbered past the last one read");

        // No FileStream buffer: the staging array is the buffer, and a commit must put the bytes in the OS at once.
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0, FileOptions.None);
        _segment = number;
        return file;
    }
}
