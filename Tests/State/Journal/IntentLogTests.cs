using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Engine.Model;
using Engine.State.Journal;
using Microsoft.Extensions.Logging.Abstractions;
using Tests.Hostile;
using Xunit.Abstractions;

namespace Tests.State.Journal;

/// <summary>
/// The intent log on real files: what is appended reads back in order; a torn last record is ignored and its space
/// reused; damage before the tail is refused naming file and offset; segments roll over and are deleted once released;
/// the fsync policies; a full disk refuses appends instead of corrupting anything; appends allocate nothing.
/// </summary>
public sealed class IntentLogTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "intent-log-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>An intent whose every field follows from <paramref name="id"/>, so a read-back can be checked field by field.</summary>
    internal static JournalOrder Intent(long id) => new()
    {
        ClientOrderId = id,
        Symbol = (id % 3) switch { 0 => "BTCUSDT", 1 => "ETHUSDT", _ => "1000PEPEUSDT" },
        Side = id % 2 == 0 ? Side.Buy : Side.Sell,
        Kind = id % 5 == 0 ? OrderKind.Limit : OrderKind.Market,
        TimeInForce = id % 5 == 0 ? TimeInForce.Gtc : default,
        Price = id % 5 == 0 ? Price.FromMantissa(60_000 * FixedPoint.One + id) : Price.Zero,
        Quantity = Quantity.FromMantissa((id % 97) + 1),
        ReduceOnly = id % 7 == 0,
        SignedTimestampMs = 1_765_000_000_000 + id,
    };

    internal static void AssertIntent(long id, JournalOrder actual)
    {
        var expected = Intent(id);
        Assert.Equal(expected.ClientOrderId, actual.ClientOrderId);
        Assert.Equal(expected.Symbol, actual.Symbol);
        Assert.Equal(expected.Side, actual.Side);
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.TimeInForce, actual.TimeInForce);
        Assert.Equal(expected.Price, actual.Price);
        Assert.Equal(expected.Quantity, actual.Quantity);
        Assert.Equal(expected.ReduceOnly, actual.ReduceOnly);
        Assert.Equal(expected.SignedTimestampMs, actual.SignedTimestampMs);
    }

    private string Intents => Path.Combine(_dir, IntentLog.FolderName);

    private JournalOptions Options(FsyncPolicy fsync = FsyncPolicy.Batched, long segmentBytes = 4L * 1024 * 1024) =>
        new() { Directory = _dir, Fsync = fsync, IntentSegmentBytes = segmentBytes, GroupCommitInterval = TimeSpan.FromMilliseconds(20) };

    private static IntentLog Open(JournalFolder folder, JournalOptions options) => IntentLog.Open(folder, options, NullLogger.Instance);

    /// <summary>Appends ids <paramref name="from"/>..<paramref name="to"/>, waiting for the flusher whenever the next segment is not there yet.</summary>
    private static void Append(IntentLog log, long from, long to)
    {
        var intent = new JournalOrder();
        for (var id = from; id <= to; id++)
        {
            Fill(intent, id);
            var deadline = DateTime.UtcNow + s_wait;
            while (!log.TryAppend(intent, out var sequence))
            {
                Assert.True(DateTime.UtcNow < deadline, $"append {id} refused for {s_wait}: {log.AllocationError?.Message}");
                log.Flush();
            }
        }
    }

    private static void Fill(JournalOrder into, long id)
    {
        var source = Intent(id);
        into.ClientOrderId = source.ClientOrderId;
        into.Symbol = source.Symbol;
        into.Side = source.Side;
        into.Kind = source.Kind;
        into.TimeInForce = source.TimeInForce;
        into.Price = source.Price;
        into.Quantity = source.Quantity;
        into.ReduceOnly = source.ReduceOnly;
        into.SignedTimestampMs = source.SignedTimestampMs;
    }

    [Fact]
    public void Appended_intents_read_back_in_order_and_a_reopened_log_reports_them_and_continues_their_sequence()
    {
        using (var folder = JournalFolder.Acquire(_dir))
        {
            using var log = Open(folder, Options());
            Assert.Empty(log.Unreleased);
            Assert.Equal(0, log.AppendedSequence);
            for (var id = 1L; id <= 300; id++)
            {
                Assert.True(log.TryAppend(Intent(id), out var sequence));
                Assert.Equal(id, sequence);
            }

            Assert.Equal(300, log.AppendedSequence);

            // Read from the files while the log is open: every published record is whole in the page cache.
            var live = IntentLogReader.ReadAll(log.Directory);
            Assert.Equal(300, live.Records.Count);
            Assert.Null(live.TornReason);
        }

        var contents = IntentLogReader.ReadAll(Intents);
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), contents.Records.Select(r => r.Sequence));
        foreach (var record in contents.Records)
        {
            AssertIntent(record.Sequence, record.Intent);
        }

        using (var folder = JournalFolder.Acquire(_dir))
        {
            using var log = Open(folder, Options());
            Assert.Equal(300, log.Unreleased.Count);
            Assert.Equal(300, log.AppendedSequence);
            Assert.True(log.TryAppend(Intent(301), out var sequence));
            Assert.Equal(301, sequence);
        }

        Assert.Equal(301, IntentLogReader.ReadAll(Intents).Records.Count);
    }

    public static TheoryData<string> TornTails => ["payload without its header", "header whose payload was cut", "header only"];

    [Theory]
    [MemberData(nameof(TornTails))]
    public void A_torn_last_record_is_ignored_and_its_space_reused(string torn)
    {
        WriteThree();
        var (path, end) = EndOfRecords();
        var bytes = File.ReadAllBytes(path);
        var record = new byte[JournalCodec.MaxOrderRecordSize];
        var length = JournalCodec.WriteIntent(record, Intent(4));
        switch (torn)
        {
            case "payload without its header":
                // A crash after the payload's stores, before the header word's: what a kill mid-append leaves.
                record.AsSpan(0, length).CopyTo(bytes.AsSpan(end + 8));
                break;
            case "header whose payload was cut":
                // A power cut that kept the header's page but not all of the payload.
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(end), (uint)length);
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(end + 4), Crc32.Compute(record.AsSpan(0, length)));
                record.AsSpan(0, length / 2).CopyTo(bytes.AsSpan(end + 8));
                break;
            default:
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(end), (uint)length);
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(end + 4), 0xDEADBEEF);
                break;
        }

        File.WriteAllBytes(path, bytes);
        var contents = IntentLogReader.ReadAll(Intents);
        Assert.Equal([1L, 2, 3], contents.Records.Select(r => r.Sequence));
        Assert.True(contents.TornBytes > 0);
        Assert.Contains($"offset {end}", contents.TornReason, StringComparison.Ordinal);

        using (var folder = JournalFolder.Acquire(_dir))
        {
            using var log = Open(folder, Options());
            Assert.Equal(3, log.Unreleased.Count);
            Assert.True(log.TryAppend(Intent(40), out var sequence));
            Assert.Equal(4, sequence);
            Assert.True(log.TryAppend(Intent(41), out _));
        }

        var after = IntentLogReader.ReadAll(Intents);
        Assert.Null(after.TornReason);
        Assert.Equal([1L, 2, 3, 4, 5], after.Records.Select(r => r.Sequence));
        AssertIntent(40, after.Records[3].Intent);
        AssertIntent(41, after.Records[4].Intent);
        Assert.Equal(end, EndOfRecordsBefore(path, 3));
    }

    public static TheoryData<string> Damages => ["payload bit", "crc bit", "impossible length", "zeroed header"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void Damage_before_the_last_record_is_refused_naming_file_and_offset_and_nothing_changes(string damage)
    {
        WriteThree();
        var (path, _) = EndOfRecords();
        var bytes = File.ReadAllBytes(path);
        var second = EndOfRecordsBefore(path, 1);
        switch (damage)
        {
            case "payload bit":
                bytes[second + 8 + 10] ^= 0x10;
                break;
            case "crc bit":
                bytes[second + 5] ^= 0x01;
                break;
            case "impossible length":
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(second), 100_000);
                break;
            default:
                bytes.AsSpan(second, 8).Clear();
                break;
        }

        File.WriteAllBytes(path, bytes);
        var damaged = Assert.Throws<JournalDamagedException>(() => IntentLogReader.ReadAll(Intents));
        Assert.Equal(path, damaged.SegmentPath);
        Assert.Equal(second, damaged.Offset);
        Assert.Contains(path, damaged.Message, StringComparison.Ordinal);
        Assert.Contains($"offset {second}", damaged.Message, StringComparison.Ordinal);

        using var folder = JournalFolder.Acquire(_dir);
        Assert.Throws<JournalDamagedException>(() => Open(folder, Options()));
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Segments_roll_over_without_a_gap_and_released_ones_are_deleted()
    {
        const long segment = 64 * 1024;
        const int count = 6_000; // about 1,100 intents a 64 KiB segment: six segments
        using (var folder = JournalFolder.Acquire(_dir))
        {
            using var log = Open(folder, Options(segmentBytes: segment));
            Append(log, 1, count);
            Assert.True(IntentLogReader.Segments(log.Directory).Count >= 6, "several segments");
            var all = IntentLogReader.ReadAll(log.Directory);
            Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), all.Records.Select(r => r.Sequence));

            log.Release(3_000);
            Assert.True(log.Flush());
            Assert.Equal(3_000, log.ReleasedSequence);
            var left = IntentLogReader.ReadAll(log.Directory);
            Assert.Equal(3_000, left.ReleasedUpTo);
            Assert.True(left.Records[0].Sequence <= 3_001, "no unreleased intent was deleted");
            Assert.True(left.Records[0].Sequence > 2_000, "segments wholly released were deleted");
            Assert.Equal(count, left.Records[^1].Sequence);

            // Released below what was released changes nothing.
            log.Release(10);
            Assert.True(log.Flush());
            Assert.Equal(3_000, log.ReleasedSequence);
        }

        using (var folder = JournalFolder.Acquire(_dir))
        {
            using var log = Open(folder, Options(segmentBytes: segment));
            Assert.Equal(Enumerable.Range(3_001, count - 3_000).Select(i => (long)i), log.Unreleased.Select(r => r.Sequence));
            AssertIntent(3_001, log.Unreleased[0].Intent);
            log.Release(count);
            Append(log, count + 1, count + 2_000);
            log.Release(count + 2_000);
            Assert.True(log.Flush());
        }

        var final = IntentLogReader.ReadAll(Intents);
        Assert.Equal(count + 2_000, final.ReleasedUpTo);
        Assert.Empty(final.Unreleased());
        Assert.Equal(count + 2_000, final.Records[^1].Sequence);
        Assert.True(final.Records[0].Sequence > count, "the first run's segments are gone");
    }

    [Fact]
    public void Batched_forces_to_disk_within_the_interval_and_none_never_syncs()
    {
        using (var folder = JournalFolder.Acquire(_dir))
        using (var log = Open(folder, Options(FsyncPolicy.Batched)))
        {
            Assert.True(log.TryAppend(Intent(1), out var sequence));
            Assert.True(log.WaitDurable(sequence, s_wait), "made durable by the flusher's timer");
            Assert.True(log.Syncs >= 1);
            Assert.Null(log.FlushError);
        }

        Dispose();
        using (var folder = JournalFolder.Acquire(_dir))
        using (var log = Open(folder, Options(FsyncPolicy.None)))
        {
            Assert.True(log.TryAppend(Intent(1), out var sequence));
            Assert.Equal(sequence, log.DurableSequence);
            Thread.Sleep(100);
            Assert.Equal(0, log.Syncs);
        }
    }

    [Fact]
    public void Every_record_wakes_the_flusher_and_durable_follows_each_append()
    {
        using var folder = JournalFolder.Acquire(_dir);
        using var log = Open(folder, Options(FsyncPolicy.EveryRecord));
        for (var id = 1L; id <= 20; id++)
        {
            Assert.True(log.TryAppend(Intent(id), out var sequence));
            Assert.True(log.WaitDurable(sequence, s_wait), $"intent {id} forced to disk");
            Assert.True(log.DurableSequence >= sequence);
        }

        Assert.True(log.Syncs >= 1);
    }

    [Fact]
    public void An_append_allocates_nothing()
    {
        using var folder = JournalFolder.Acquire(_dir);
        using var log = Open(folder, Options(segmentBytes: 16L * 1024 * 1024));
        var intent = Intent(5);
        for (var i = 0; i < 1_000; i++)
        {
            Assert.True(log.TryAppend(intent, out _));
        }

        var refused = 0;
        var allocated = AllocationMeter.OnThisThread(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                if (!log.TryAppend(intent, out _))
                {
                    refused++;
                }
            }
        });
        Assert.Equal(0, allocated);
        Assert.Equal(0, refused);
    }

    [Fact]
    public void An_append_after_the_flusher_forced_its_page_to_disk_takes_no_page_fault()
    {
        // Forcing a shared mapping to disk leaves its pages write-protected; the flusher makes the next ones writable
        // again, so the appending thread (the execution stage) never pays the fault. Counted by the kernel for this thread.
        using var folder = JournalFolder.Acquire(_dir);
        using var log = Open(folder, Options(FsyncPolicy.Batched));
        var intent = Intent(5);
        Assert.True(log.TryAppend(intent, out _));
        _ = MinorFaultsOfThisThread();
        var faulted = new List<long>();
        for (var round = 0; round < 5; round++)
        {
            Assert.True(log.TryAppend(intent, out var sequence));
            Assert.True(log.WaitDurable(sequence, s_wait));

            // The flusher's next turns (every 10 ms) find the pages forced and make them writable again.
            Thread.Sleep(60);
            var before = MinorFaultsOfThisThread();
            Assert.True(log.TryAppend(intent, out _));
            faulted.Add(MinorFaultsOfThisThread() - before);
        }

        output.WriteLine($"page faults of the first append after each sync: {string.Join(' ', faulted)}");
        Assert.All(faulted, faults => Assert.Equal(0, faults));
    }

    [Fact]
    public void Keeping_the_append_warm_writes_nothing_a_reader_sees_and_allocates_nothing()
    {
        using (var folder = JournalFolder.Acquire(_dir))
        using (var log = Open(folder, Options(FsyncPolicy.Batched)))
        {
            Assert.True(log.TryAppend(Intent(1), out _));
            var warm = Intent(2);
            log.KeepWarm(warm);
            var allocated = AllocationMeter.OnThisThread(() =>
            {
                for (var i = 0; i < 1_000; i++)
                {
                    log.KeepWarm(warm);
                }
            });
            Assert.Equal(0, allocated);
            Assert.True(log.TryAppend(Intent(3), out var last));
            Assert.Equal(2, last);
            Assert.True(log.Flush());
        }

        var contents = IntentLogReader.ReadAll(Intents);
        Assert.Null(contents.TornReason);
        Assert.Equal(2, contents.Records.Count);
        AssertIntent(1, contents.Records[0].Intent);
        AssertIntent(3, contents.Records[1].Intent);
    }

    /// <summary>The kernel's count of minor page faults taken by the calling thread (getrusage, RUSAGE_THREAD).</summary>
    private static long MinorFaultsOfThisThread()
    {
        // struct rusage: two timevals (4 longs), then maxrss, ixrss, idrss, isrss, minflt, ...
        var usage = new long[18];
        Assert.Equal(0, GetRusage(1, usage));
        return usage[8];
    }

    [DllImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static extern int GetRusage(int who, [Out] long[] usage);

    [Fact]
    public void A_symbol_that_cannot_be_journaled_throws_and_leaves_no_bytes_behind()
    {
        using (var folder = JournalFolder.Acquire(_dir))
        using (var log = Open(folder, Options()))
        {
            Assert.True(log.TryAppend(Intent(1), out _));
            var bad = Intent(2);
            bad.Symbol = new string('X', SymbolTable.MaxNameLength + 1);
            Assert.Throws<ArgumentException>(() => log.TryAppend(bad, out _));
            Assert.True(log.TryAppend(Intent(3), out var sequence));
            Assert.Equal(2, sequence);
        }

        var contents = IntentLogReader.ReadAll(Intents);
        Assert.Null(contents.TornReason);
        Assert.Equal([1L, 3], contents.Records.Select(r => r.Intent.ClientOrderId));
    }

    [Fact]
    public void A_full_disk_refuses_appends_without_corrupting_anything_and_appends_resume_when_space_returns()
    {
        if (!SmallDisk.CanMount(output))
        {
            return;
        }

        using var disk = SmallDisk.TryMount(1024 * 1024, out var why);
        Assert.True(disk is not null, "cannot mount a tmpfs: " + why);
        var options = new JournalOptions { Directory = Path.Combine(disk.Path, "journal"), IntentSegmentBytes = 64 * 1024 };
        using var folder = JournalFolder.Acquire(options.Directory);
        using var log = IntentLog.Open(folder, options, NullLogger.Instance);
        Assert.True(log.NextSegmentReady);
        disk.Fill();

        // The current segment and the one allocated ahead take intents; then there is no space, and appends say so.
        var intent = new JournalOrder();
        long id = 0;
        while (true)
        {
            Fill(intent, ++id);
            if (!log.TryAppend(intent, out _))
            {
                break;
            }

            Assert.True(id < 10_000, "appends never refused on a full disk");
        }

        var appended = id - 1;
        Assert.True(appended > 1_000, "both allocated segments were used");
        Assert.Equal(appended, log.AppendedSequence);
        Assert.True(SpinWait.SpinUntil(() => log.AllocationError is not null, s_wait), "the flusher reports why");
        Assert.Contains("No space left on device", log.AllocationError!.Message, StringComparison.Ordinal);
        Assert.False(log.TryAppend(intent, out var refusedSequence));
        Assert.Equal(0, refusedSequence);
        Assert.True(log.RefusedAppends >= 2);

        var contents = IntentLogReader.ReadAll(log.Directory);
        Assert.Null(contents.TornReason);
        Assert.Equal(Enumerable.Range(1, (int)appended).Select(i => (long)i), contents.Records.Select(r => r.Sequence));
        AssertIntent(appended, contents.Records[^1].Intent);

        disk.Free();
        Assert.True(SpinWait.SpinUntil(() => log.NextSegmentReady, s_wait), "the next segment allocated once space returned");
        Assert.Null(log.AllocationError);
        Assert.True(log.TryAppend(intent, out var resumed));
        Assert.Equal(appended + 1, resumed);
        log.Release(resumed);
        Assert.True(log.Flush());
    }

    /// <summary>Three intents (ids 1..3), closed.</summary>
    private void WriteThree()
    {
        using var folder = JournalFolder.Acquire(_dir);
        using var log = Open(folder, Options());
        for (var id = 1L; id <= 3; id++)
        {
            Assert.True(log.TryAppend(Intent(id), out _));
        }
    }

    /// <summary>The segment holding records and the offset just past its last record.</summary>
    private (string Path, int End) EndOfRecords()
    {
        // The first segment: three intents never fill it (the second one is the segment allocated ahead).
        var path = IntentLogReader.Segments(Intents)[0].Path;
        return (path, EndOfRecordsBefore(path, int.MaxValue));
    }

    /// <summary>The offset of record <paramref name="index"/> (0-based) of <paramref name="path"/>, or its end when there are fewer.</summary>
    private static int EndOfRecordsBefore(string path, int index)
    {
        var bytes = File.ReadAllBytes(path);
        var offset = 64;
        for (var i = 0; i < index; i++)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset));
            if (length == 0)
            {
                break;
            }

            offset += (8 + length + 7) & ~7;
        }

        return offset;
    }
}
