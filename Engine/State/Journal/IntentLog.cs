using System.Diagnostics;
using System.Runtime.CompilerServices;
using Engine.Native;
using Microsoft.Extensions.Logging;

namespace Engine.State.Journal;

/// <summary>
/// The order path's journal: each intent is appended, before its request is sent, to a pre-allocated memory-mapped
/// segment of <see cref="FolderName"/> in the journal folder, with plain stores and no system call
/// (<see cref="TryAppend(JournalOrder, out long)"/>). A flusher thread (<c>intent-flush</c>) forces the segments to
/// disk under the journal's <see cref="FsyncPolicy"/>, allocates the next segment ahead of need and deletes segments
/// whose intents the main journal holds for good (<see cref="Release"/>). The main journal stays the system of record;
/// this log only answers, after a crash, "which orders may have left that the main journal never heard of"
/// (<see cref="Unreleased"/>). On-disk form: <see cref="IntentLogReader"/>.
/// </summary>
/// <remarks>
/// Threading: <see cref="TryAppend(JournalOrder, out long)"/> from one thread only (the execution stage), never
/// concurrently with itself or after <see cref="Dispose"/>. <see cref="Release"/>, <see cref="Flush"/>,
/// <see cref="WaitDurable"/> and every property from any thread. <see cref="Dispose"/> once the appending thread has
/// stopped. A store into a page the flusher has just forced to disk takes one minor page fault (the kernel marks
/// written-back pages read-only again): that is at most once per page per flush, not per append.
/// </remarks>
public sealed unsafe class IntentLog : IDisposable
{
    /// <summary>The intent log's folder inside the journal folder.</summary>
    public const string FolderName = "intents";

    /// <summary>Smallest <see cref="JournalOptions.IntentSegmentBytes"/>.</summary>
    public const long MinSegmentBytes = 64 * 1024;

    /// <summary>Largest <see cref="JournalOptions.IntentSegmentBytes"/>.</summary>
    public const long MaxSegmentBytes = 1L << 30;

    /// <summary>How often the flusher looks for work that needs no wake-up (a segment to allocate or delete).</summary>
    private static readonly TimeSpan s_housekeeping = TimeSpan.FromMilliseconds(10);

    /// <summary>How far past the appender's position the flusher keeps pages writable: many records, and the page a record may spill into.</summary>
    private const long ArmAheadBytes = 16 * 1024;

    private readonly JournalOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly List<Segment> _segments = [];
    private readonly Lock _flushLock = new();
    private readonly object _durableGate = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly bool _wakeOnAppend;
    private readonly Thread _flusher;
    private volatile bool _stopping;
    private bool _disposed;

    // The appending thread's own: the segment it writes, where, and what it refused.
    private Segment _active;
    private byte* _activeBase;
    private readonly byte[] _warmScratch = new byte[JournalCodec.MaxOrderRecordSize];
    private uint _warmCrc;
    private long _activeCapacity;
    private long _offset;
    private long _refused;

    // Shared. _next goes from the flusher (a new segment) to the appender (null once it moved in), never the other way.
    private Segment? _next;
    private long _appended;
    private long _durable;
    private long _releaseRequested;

    // The flusher's (under _flushLock).
    private long _releasedApplied;
    private long _lastSyncTimestamp;
    private long _syncs;
    private long _flushFailures;
    private long _allocationFailures;
    private volatile Exception? _flushError;
    private volatile Exception? _allocationError;

    private IntentLog(string directory, JournalOptions options, ILogger logger, TimeProvider time, IntentLogContents contents)
    {
        Directory = directory;
        _options = options;
        _logger = logger;
        _time = time;
        Recovered = contents;
        _wakeOnAppend = options.Fsync == FsyncPolicy.EveryRecord;
        _appended = contents.LastSequence;
        _durable = contents.LastSequence;
        _releaseRequested = contents.ReleasedUpTo;
        _releasedApplied = contents.ReleasedUpTo;
        _active = OpenSegments(contents);
        _activeBase = _active.Map!.Pointer;
        _activeCapacity = _active.Capacity;
        _offset = _active.PublishedEnd;
        _lastSyncTimestamp = _time.GetTimestamp();
        EnsureNext();
        _flusher = new Thread(RunFlusher) { Name = "intent-flush", IsBackground = true };
        _flusher.Start();
    }

    /// <summary>The log's folder (<see cref="FolderName"/> in the journal folder).</summary>
    public string Directory { get; }

    /// <summary>What was in the log when it was opened (torn tail ignored).</summary>
    public IntentLogContents Recovered { get; }

    /// <summary>
    /// The intents found at open that were never released: orders that may have left without the main journal knowing.
    /// Release them (<see cref="Release"/> up to the last one's sequence) once the main journal holds them durably.
    /// </summary>
    public IReadOnlyList<IntentRecord> Unreleased => field ??= Recovered.Unreleased();

    /// <summary>The sequence of the last intent appended (recovered ones included); the next append gets one more.</summary>
    public long AppendedSequence => Volatile.Read(ref _appended);

    /// <summary>
    /// The last sequence this log holds durably under the fsync policy: forced to disk (<see cref="FsyncPolicy.Batched"/>,
    /// <see cref="FsyncPolicy.EveryRecord"/>) or, under <see cref="FsyncPolicy.None"/>, appended (a store into the page
    /// cache survives the process's death).
    /// </summary>
    public long DurableSequence => _options.Fsync == FsyncPolicy.None ? Volatile.Read(ref _appended) : Volatile.Read(ref _durable);

    /// <summary>The released watermark the flusher has applied (segments wholly at or below it are deleted).</summary>
    public long ReleasedSequence => Volatile.Read(ref _releasedApplied);

    /// <summary>Appends refused for lack of an allocated segment (the caller took the other path).</summary>
    public long RefusedAppends => Volatile.Read(ref _refused);

    /// <summary>Times the flusher forced appended intents to disk.</summary>
    public long Syncs => Volatile.Read(ref _syncs);

    /// <summary>Forcing to disk that failed (each is retried at the next flush).</summary>
    public long FlushFailures => Volatile.Read(ref _flushFailures);

    /// <summary>Segment allocations that failed (retried every few milliseconds).</summary>
    public long AllocationFailures => Volatile.Read(ref _allocationFailures);

    /// <summary>Why the last flush failed (EIO, ENOSPC); null once one has succeeded since.</summary>
    public Exception? FlushError => _flushError;

    /// <summary>Why the next segment cannot be allocated (a full disk); null once one has been.</summary>
    public Exception? AllocationError => _allocationError;

    /// <summary>Whether a segment waits for the appender beyond the one it writes (false: appends may soon be refused).</summary>
    public bool NextSegmentReady => Volatile.Read(ref _next) is not null;

    /// <summary>
    /// Opens the intent log of <paramref name="folder"/> (whose lock this process holds): reads what is there, ignores a
    /// torn last record (its space is reused), deletes segments already released, maps the segment to write and
    /// allocates and maps the next, then starts the flusher.
    /// </summary>
    /// <exception cref="JournalDamagedException">A segment is damaged (not a torn append); nothing was changed.</exception>
    /// <exception cref="JournalUnusableException">The folder cannot be used, or the segment to write cannot be allocated or mapped.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux (<see cref="MappedFile.IsSupported"/>).</exception>
    public static IntentLog Open(JournalFolder folder, JournalOptions options, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var validation = new JournalOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        if (!MappedFile.IsSupported)
        {
            throw new PlatformNotSupportedException("the intent log maps its segments with Linux's mmap");
        }

        var directory = Path.Combine(folder.Path, FolderName);
        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new JournalUnusableException($"intent log folder {directory} cannot be created: {JournalFolder.OneLine(exception.Message)}", exception);
        }

        var contents = IntentLogReader.ReadAll(directory);
        var log = new IntentLog(directory, options, logger, time ?? TimeProvider.System, contents);
        if (contents.TornReason is not null)
        {
            IntentLogLog.Torn(logger, contents.TornBytes, contents.TornReason);
        }

        IntentLogLog.Opened(logger, directory, contents.Records.Count, log.Unreleased.Count, contents.ReleasedUpTo, contents.LastSequence, options.Fsync);
        return log;
    }

    /// <summary>
    /// Appends <paramref name="intent"/> (the appending thread only): encoded with <see cref="JournalCodec.WriteIntent"/>
    /// straight into the mapped segment, its CRC computed, then published by one 64-bit release store of the frame's
    /// length and CRC, so a reader or a crash never sees half a record as valid. No allocation, no lock, no system call
    /// (moving into the pre-allocated next segment included). Under <see cref="FsyncPolicy.EveryRecord"/> it also
    /// wakes the flusher (a futex wake when it sleeps), and the caller must not send before
    /// <see cref="DurableSequence"/> reaches <paramref name="sequence"/>.
    /// </summary>
    /// <param name="intent">The order about to be sent; the same instance may be reused for every call.</param>
    /// <param name="sequence">The intent's sequence (for <see cref="Release"/>); 0 when refused.</param>
    /// <returns>False when there is no allocated space (the next segment could not be allocated: a full disk); the
    /// caller then journals the intent the other way. Nothing was written.</returns>
    /// <exception cref="ArgumentException">The symbol cannot be journaled (empty or too long); nothing was written.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAppend(JournalOrder intent, out long sequence)
    {
        ArgumentNullException.ThrowIfNull(intent);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_offset + IntentLogFormat.MaxFrameBytes > _activeCapacity && !MoveToNext())
        {
            Volatile.Write(ref _refused, _refused + 1);
            sequence = 0;
            return false;
        }

        var frame = _activeBase + _offset;
        var payload = new Span<byte>(frame + IntentLogFormat.FrameHeaderBytes, JournalCodec.MaxOrderRecordSize);
        int length;
        try
        {
            length = JournalCodec.WriteIntent(payload, intent);
        }
        catch
        {
            // Past the published end every byte stays zero: the next record's header word must read as "none yet".
            payload.Clear();
            throw;
        }

        var crc = Crc32.Compute(payload[..length]);
        Volatile.Write(ref *(ulong*)frame, (uint)length | ((ulong)crc << 32));
        _offset += IntentLogFormat.FrameBytes(length);
        sequence = _appended + 1;
        var segment = _active;
        Volatile.Write(ref segment.PublishedEnd, _offset);
        Volatile.Write(ref segment.LastSequence, sequence);
        Volatile.Write(ref _appended, sequence);
        if (_wakeOnAppend)
        {
            _wake.Set();
        }

        return true;
    }

    /// <summary>
    /// Rehearses an append without making one (the appending thread only, while it has nothing else to do): encodes
    /// <paramref name="intent"/> and computes its CRC into a scratch buffer, and stores nothing new into the two pages
    /// the next record will occupy (an atomic or of zero into words past the published end, which stay zero). After a
    /// quiet spell of a few milliseconds the first real append took 20 µs instead of 0.4 µs on this kind of virtual
    /// machine, code, data and page mappings gone cold; rehearsing now and then keeps them warm. Publishes nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void KeepWarm(JournalOrder intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var payload = _warmScratch.AsSpan();
        var length = JournalCodec.WriteIntent(payload, intent);
        _warmCrc = Crc32.Compute(payload[..length]);
        if (_offset + IntentLogFormat.MaxFrameBytes <= _activeCapacity)
        {
            var frame = _activeBase + _offset;
            Interlocked.Or(ref *(int*)frame, 0);
            Interlocked.Or(ref *(int*)(frame + ((IntentLogFormat.MaxFrameBytes - sizeof(int)) & ~(sizeof(int) - 1))), 0);
        }
    }

    /// <summary>As <see cref="TryAppend(JournalOrder, out long)"/>, without the sequence.</summary>
    public bool TryAppend(JournalOrder intent) => TryAppend(intent, out _);

    /// <summary>
    /// Tells the log that every intent up to <paramref name="upToSequence"/> is in the main journal durably (any
    /// thread; a volatile store). The flusher records the watermark in the mapped segments' headers (so a restart does
    /// not report those intents again) and deletes the segments wholly at or below it. Lower values than before change nothing.
    /// </summary>
    public void Release(long upToSequence)
    {
        upToSequence = Math.Min(upToSequence, Volatile.Read(ref _appended));
        var current = Volatile.Read(ref _releaseRequested);
        while (upToSequence > current)
        {
            var seen = Interlocked.CompareExchange(ref _releaseRequested, upToSequence, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>
    /// Runs a flush now on the calling thread (never the appending one; blocks for the disk): forces what is appended to
    /// disk unless the policy is <see cref="FsyncPolicy.None"/>, applies <see cref="Release"/>, allocates the next
    /// segment if it is missing. False when forcing failed (<see cref="FlushError"/>).
    /// </summary>
    public bool Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_flushLock)
        {
            return Cycle(sync: _options.Fsync != FsyncPolicy.None);
        }
    }

    /// <summary>
    /// Waits until <see cref="DurableSequence"/> reaches <paramref name="sequence"/> (wakes the flusher first). For the
    /// I/O loop under <see cref="FsyncPolicy.EveryRecord"/> and for tests; never on the appending thread. False on timeout.
    /// </summary>
    public bool WaitDurable(long sequence, TimeSpan timeout)
    {
        if (DurableSequence >= sequence)
        {
            return true;
        }

        if (_disposed)
        {
            return false;
        }

        var started = Stopwatch.GetTimestamp();
        _wake.Set();
        lock (_durableGate)
        {
            while (DurableSequence < sequence)
            {
                var left = timeout - Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero || _disposed)
                {
                    return false;
                }

                Monitor.Wait(_durableGate, left);
            }
        }

        return true;
    }

    /// <summary>Stops the flusher, flushes under the policy and unmaps every segment. Call once appends have stopped.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _stopping = true;
        _wake.Set();
        _flusher.Join();
        lock (_flushLock)
        {
            Cycle(sync: _options.Fsync != FsyncPolicy.None);
            _disposed = true;
            foreach (var segment in _segments)
            {
                segment.Map?.Dispose();
                segment.Map = null;
            }
        }

        lock (_durableGate)
        {
            Monitor.PulseAll(_durableGate);
        }

        _wake.Dispose();
    }

    // ---- the appending thread ----

    /// <summary>Moves into the segment the flusher allocated; false when there is none yet.</summary>
    private bool MoveToNext()
    {
        var next = Volatile.Read(ref _next);
        if (next is null)
        {
            return false;
        }

        Volatile.Write(ref _next, null);
        var first = _appended + 1;
        next.FirstSequence = first;
        next.LastSequence = first - 1;
        Volatile.Write(ref *(long*)(next.Map!.Pointer + IntentLogFormat.FirstSequenceOffset), first);

        // Sealed last: from here the flusher may unmap the old segment once it is on disk, so it is not touched again.
        _active.Sealed = true;
        _active = next;
        _activeBase = next.Map.Pointer;
        _activeCapacity = next.Capacity;
        _offset = IntentLogFormat.SegmentHeaderBytes;
        return true;
    }

    // ---- opening ----

    /// <summary>Takes over the recovered segments: the writer's is mapped and continued, released and unused ones deleted.</summary>
    private Segment OpenSegments(IntentLogContents contents)
    {
        var scans = contents.Segments;
        var writer = scans.FindLastIndex(static s => s.HeaderValid && s.FirstSequence > 0);
        var doomed = new List<string>();
        Segment? active = null;
        try
        {
            for (var i = 0; i < scans.Count; i++)
            {
                var scan = scans[i];
                if (i > writer)
                {
                    // Allocated ahead and never entered (or an allocation a crash cut short): a fresh one follows.
                    doomed.Add(scan.Path);
                }
                else if (i < writer)
                {
                    if (scan.LastSequence <= contents.ReleasedUpTo)
                    {
                        doomed.Add(scan.Path);
                        continue;
                    }

                    using (var file = new FileStream(scan.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
                    {
                        file.Flush(flushToDisk: _options.Fsync != FsyncPolicy.None);
                    }

                    _segments.Add(new Segment(scan.Number, scan.Path, scan.Capacity)
                    {
                        FirstSequence = scan.FirstSequence,
                        LastSequence = scan.LastSequence,
                        PublishedEnd = scan.End,
                        SyncedEnd = scan.End,
                        Sealed = true,
                    });
                }
                else
                {
                    active = new Segment(scan.Number, scan.Path, scan.Capacity)
                    {
                        Map = MappedFile.Open(scan.Path),
                        FirstSequence = scan.FirstSequence,
                        LastSequence = scan.LastSequence,
                        PublishedEnd = scan.End,
                    };

                    // The torn append's bytes go: the next append reuses the space, and its next header word must be zero.
                    new Span<byte>(active.Map.Pointer + scan.End, (int)(scan.TornEnd - scan.End)).Clear();
                    _segments.Add(active);
                }
            }

            if (active is null)
            {
                var number = scans.Count == 0 ? 1 : scans[^1].Number + 1;
                active = CreateSegment(number, firstSequence: contents.LastSequence + 1, contents.ReleasedUpTo);
                _segments.Add(active);
            }

            WriteReleased(active, contents.ReleasedUpTo);
            active.Map!.Sync(0, active.Capacity);
            active.SyncedEnd = active.PublishedEnd;
            active.Map.Prefault(active.PublishedEnd, active.Capacity - active.PublishedEnd);
            foreach (var path in doomed)
            {
                File.Delete(path);
            }

            MappedFile.SyncDirectory(Directory);
            return active;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            foreach (var segment in _segments)
            {
                segment.Map?.Dispose();
            }

            throw new JournalUnusableException($"intent log folder {Directory} cannot be used: {JournalFolder.OneLine(exception.Message)}", exception);
        }
    }

    // ---- the flusher ----

    private void RunFlusher()
    {
        var batched = _options.Fsync == FsyncPolicy.Batched;
        var tick = batched && _options.GroupCommitInterval < s_housekeeping ? _options.GroupCommitInterval : s_housekeeping;
        while (!_stopping)
        {
            _wake.Wait(tick);

            // Reset before reading what to do: an append after this read sets it again, so the next wait returns at once.
            _wake.Reset();
            if (_stopping)
            {
                break;
            }

            try
            {
                lock (_flushLock)
                {
                    var sync = _options.Fsync switch
                    {
                        FsyncPolicy.EveryRecord => true,
                        FsyncPolicy.Batched => _time.GetElapsedTime(_lastSyncTimestamp) >= _options.GroupCommitInterval,
                        _ => false,
                    };
                    Cycle(sync);
                }
            }
            catch (Exception exception)
            {
                // The flusher never dies: what went wrong is kept and shown, and the next turn tries again.
                _flushError = exception;
                Interlocked.Increment(ref _flushFailures);
                IntentLogLog.FlusherFault(_logger, exception);
            }
        }
    }

    /// <summary>One flush turn (under <see cref="_flushLock"/>): force, release, unmap and delete, allocate.</summary>
    private bool Cycle(bool sync)
    {
        var target = Volatile.Read(ref _appended);

        // A new released watermark goes into the mapped headers before the sync that forces them.
        var released = Volatile.Read(ref _releaseRequested);
        if (released > _releasedApplied)
        {
            foreach (var segment in _segments)
            {
                if (segment.Map is not null)
                {
                    WriteReleased(segment, released);
                }
            }
        }

        var synced = !sync || SyncAll();
        if (released > _releasedApplied && (_options.Fsync == FsyncPolicy.None || (sync && synced)))
        {
            // Only a watermark on disk lets segments go: a restart must not find records missing yet unreleased.
            Volatile.Write(ref _releasedApplied, released);
        }

        if (sync && synced)
        {
            _lastSyncTimestamp = _time.GetTimestamp();
            if (target > Volatile.Read(ref _durable))
            {
                Volatile.Write(ref _durable, target);
                lock (_durableGate)
                {
                    Monitor.PulseAll(_durableGate);
                }
            }
        }

        Retire();
        if (!_stopping)
        {
            EnsureNext();
            ArmAhead();
        }

        return synced;
    }

    /// <summary>
    /// Makes the pages the appender writes next writable again. Forcing a shared mapping to disk (ours, or the kernel's
    /// own write-back of pages dirty for 30 s) leaves its pages clean and write-protected, so the next store into one
    /// takes a page fault that marks it dirty: measured at 50–80 µs on this kind of virtual machine, paid on the stage
    /// thread by the first order after every flush. Faulting them here (a change of no byte) moves that cost to the flusher.
    /// </summary>
    private void ArmAhead()
    {
        foreach (var segment in _segments)
        {
            if (segment.Map is { } map && !segment.Sealed)
            {
                map.Prefault(Volatile.Read(ref segment.PublishedEnd), ArmAheadBytes);
            }
        }
    }

    /// <summary>Forces every mapped segment's appended bytes to disk; after a failure the pages are dirtied again.</summary>
    private bool SyncAll()
    {
        foreach (var segment in _segments)
        {
            var map = segment.Map;
            if (map is null)
            {
                continue;
            }

            var end = Volatile.Read(ref segment.PublishedEnd);
            if (end <= segment.SyncedEnd && !segment.HeaderDirty)
            {
                continue;
            }

            // The header page first: it holds the first sequence (set by the appender) and the released watermark.
            var from = segment.HeaderDirty || segment.SyncedEnd < IntentLogFormat.SegmentHeaderBytes ? 0 : segment.SyncedEnd;
            try
            {
                segment.HeaderDirty = false;
                map.Sync(from, end - from);
                segment.SyncedEnd = end;
                Interlocked.Increment(ref _syncs);
            }
            catch (IOException exception)
            {
                // Linux may have marked the pages clean without writing them; dirty them again for the next try.
                segment.HeaderDirty = true;
                map.Redirty(0, IntentLogFormat.SegmentHeaderBytes);
                map.Redirty(from, end - from);
                FlushFailed(exception);
                return false;
            }
        }

        if (_flushError is not null)
        {
            IntentLogLog.FlushBack(_logger, _flushFailures);
            _flushError = null;
        }

        return true;
    }

    private void FlushFailed(IOException exception)
    {
        Interlocked.Increment(ref _flushFailures);
        if (_flushError is null)
        {
            IntentLogLog.FlushFailed(_logger, exception.Message, exception);
        }

        _flushError = exception;
    }

    /// <summary>Unmaps sealed segments that are on disk; deletes sealed segments wholly released.</summary>
    private void Retire()
    {
        var deleted = false;
        for (var i = 0; i < _segments.Count; i++)
        {
            var segment = _segments[i];
            if (!segment.Sealed)
            {
                continue;
            }

            var onDisk = _options.Fsync == FsyncPolicy.None || segment.SyncedEnd >= Volatile.Read(ref segment.PublishedEnd);
            if (onDisk && segment.Map is not null)
            {
                segment.Map.Dispose();
                segment.Map = null;
            }

            if (segment.Map is null && Volatile.Read(ref segment.LastSequence) <= _releasedApplied)
            {
                try
                {
                    File.Delete(segment.Path);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    IntentLogLog.DeleteFailed(_logger, segment.Path, exception.Message);
                    continue;
                }

                _segments.RemoveAt(i--);
                deleted = true;
            }
        }

        if (deleted && _options.Fsync != FsyncPolicy.None)
        {
            TrySyncDirectory();
        }
    }

    /// <summary>Allocates, maps and pre-faults the segment after the last one, unless one is waiting already.</summary>
    private void EnsureNext()
    {
        if (Volatile.Read(ref _next) is not null)
        {
            return;
        }

        try
        {
            var segment = CreateSegment(_segments[^1].Number + 1, firstSequence: 0, _releasedApplied);
            _segments.Add(segment);

            // The error cleared before the segment is published: whoever sees the next segment ready sees no stale error.
            if (_allocationError is not null)
            {
                IntentLogLog.AllocationBack(_logger, _allocationFailures);
                _allocationError = null;
            }

            Volatile.Write(ref _next, segment);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _allocationFailures);
            if (_allocationError is null)
            {
                IntentLogLog.AllocationFailed(_logger, exception.Message, (long)s_housekeeping.TotalMilliseconds);
            }

            _allocationError = exception;
        }
    }

    /// <summary>A new segment: allocated (zeros), mapped, its header written and on disk, its pages faulted in writable.</summary>
    private Segment CreateSegment(long number, long firstSequence, long released)
    {
        var path = IntentLogFormat.SegmentPath(Directory, number);
        var map = MappedFile.Create(path, _options.IntentSegmentBytes);
        try
        {
            var header = new Span<byte>(map.Pointer, IntentLogFormat.SegmentHeaderBytes);
            IntentLogFormat.WriteHeader(header, number, map.Length);
            *(long*)(map.Pointer + IntentLogFormat.FirstSequenceOffset) = firstSequence;
            *(long*)(map.Pointer + IntentLogFormat.ReleasedOffset) = released;

            // The header on disk whatever the policy: a record under a lost header would read as damage.
            map.Sync(0, IntentLogFormat.SegmentHeaderBytes);
            MappedFile.SyncDirectory(Directory);
            map.Prefault(0, map.Length);
        }
        catch
        {
            map.Dispose();
            File.Delete(path);
            throw;
        }

        return new Segment(number, path, map.Length)
        {
            Map = map,
            FirstSequence = firstSequence,
            LastSequence = firstSequence - 1,
            PublishedEnd = IntentLogFormat.SegmentHeaderBytes,
        };
    }

    private static void WriteReleased(Segment segment, long released)
    {
        Volatile.Write(ref *(long*)(segment.Map!.Pointer + IntentLogFormat.ReleasedOffset), released);
        segment.HeaderDirty = true;
    }

    private void TrySyncDirectory()
    {
        try
        {
            MappedFile.SyncDirectory(Directory);
        }
        catch (IOException exception)
        {
            FlushFailed(exception);
        }
    }

    /// <summary>A segment file and what each side knows of it.</summary>
    private sealed class Segment(long number, string path, long capacity)
    {
        public long Number { get; } = number;

        public string Path { get; } = path;

        public long Capacity { get; } = capacity;

        /// <summary>Null once unmapped (sealed and on disk) or never mapped (recovered, older than the writer's).</summary>
        public MappedFile? Map { get; set; }

        public long FirstSequence { get; set; }

        /// <summary>The appender's: the last sequence published into it.</summary>
        public long LastSequence;

        /// <summary>The appender's: the offset just past its last published record.</summary>
        public long PublishedEnd;

        /// <summary>The flusher's: how far it is on disk.</summary>
        public long SyncedEnd { get; set; }

        /// <summary>The flusher's: the header changed since it was last forced to disk.</summary>
        public bool HeaderDirty { get; set; }

        /// <summary>Set by the appender when it moves on: nothing is written to it any more.</summary>
        public volatile bool Sealed;
    }
}

/// <summary>What the intent log reports.</summary>
internal static partial class IntentLogLog
{
    [LoggerMessage(EventId = 860, Level = LogLevel.Information, Message = "Intent log {Directory} opened: {Records} intents found, {Unreleased} not released (watermark {Released}), last sequence {Last}, fsync {Fsync}")]
    public static partial void Opened(ILogger logger, string directory, int records, int unreleased, long released, long last, FsyncPolicy fsync);

    [LoggerMessage(EventId = 861, Level = LogLevel.Warning, Message = "Intent log: a torn last record ({Bytes} bytes, {Reason}) was ignored and its space will be reused: an append the process did not finish, its order never sent")]
    public static partial void Torn(ILogger logger, long bytes, string reason);

    [LoggerMessage(EventId = 862, Level = LogLevel.Critical, Message = "Intent log cannot be forced to disk: {Reason}; appends go on into memory, the flush is retried")]
    public static partial void FlushFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 863, Level = LogLevel.Information, Message = "Intent log forced to disk again after {Failures} failed flushes")]
    public static partial void FlushBack(ILogger logger, long failures);

    [LoggerMessage(EventId = 864, Level = LogLevel.Critical, Message = "Intent log cannot allocate its next segment: {Reason}; once the current one is full, appends are refused and orders take the main journal's path; retried every {RetryMs} ms")]
    public static partial void AllocationFailed(ILogger logger, string reason, long retryMs);

    [LoggerMessage(EventId = 865, Level = LogLevel.Information, Message = "Intent log allocated its next segment again after {Failures} failed attempts")]
    public static partial void AllocationBack(ILogger logger, long failures);

    [LoggerMessage(EventId = 866, Level = LogLevel.Warning, Message = "Intent log segment {Path} is released but cannot be deleted: {Reason}; tried again at the next flush")]
    public static partial void DeleteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 867, Level = LogLevel.Critical, Message = "Intent log flusher fault; it goes on")]
    public static partial void FlusherFault(ILogger logger, Exception exception);
}
