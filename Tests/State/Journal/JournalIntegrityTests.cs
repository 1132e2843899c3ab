using System.Buffers.Binary;
using Engine.Execution;
using Engine.Model;
using Engine.Ring;
using Engine.State.Journal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Tests.State.Journal;

/// <summary>
/// Damage told apart from a torn tail on real files, the folder's lock, and what opening the journal refuses: a bad
/// record with intact records after it is damage (refused, nothing changed); one with nothing intact after it at the end
/// of the last segment is a torn write (cut, its bytes kept aside).
/// </summary>
public sealed class JournalIntegrityTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "journal-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    public static TheoryData<string> Damages => ["payload bit", "crc bit", "impossible length", "shorter length", "longer length", "zeroed block"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void Damage_in_the_middle_of_the_last_segment_is_refused_naming_file_and_offset_and_nothing_changes(string damage)
    {
        JournalTests.WriteSession(_dir, FsyncPolicy.None, complete: true);
        var (_, path) = JournalReader.Segments(_dir)[^1];
        var bytes = File.ReadAllBytes(path);
        var frames = Frames(bytes);
        Assert.True(frames.Count >= 4, "the last segment holds several records");
        var (at, length) = frames[1];
        switch (damage)
        {
            case "payload bit":
                bytes[at + JournalWriter.HeaderSize + (length / 2)] ^= 0x08;
                break;
            case "crc bit":
                bytes[at + 5] ^= 0x01;
                break;
            case "impossible length":
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), uint.MaxValue);
                break;
            case "shorter length":
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), (uint)length - 3);
                break;
            case "longer length":
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), (uint)length + 5);
                break;
            default:
                bytes.AsSpan(at + 2, 16).Clear();
                break;
        }

        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<JournalDamagedException>(() => JournalReader.Replay(_dir));
        Assert.Equal((path, (long)at), (error.SegmentPath, error.Offset));
        Assert.Contains($"{path} is damaged at offset {at}", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a torn write", error.Message, StringComparison.Ordinal);
        Assert.Contains("--recover-from-venue", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.False(Directory.Exists(Path.Combine(_dir, JournalFolder.DamagedFolderName)));
    }

    [Fact]
    public void Every_cut_and_every_flipped_byte_of_the_last_record_is_a_torn_tail_never_damage()
    {
        JournalTests.WriteSession(_dir, FsyncPolicy.None, complete: true);
        var (_, path) = JournalReader.Segments(_dir)[^1];
        var whole = File.ReadAllBytes(path);
        var (last, length) = Frames(whole)[^1];
        for (var keep = last + 1; keep < whole.Length; keep++)
        {
            File.WriteAllBytes(path, whole[..keep]);
            var state = JournalReader.Replay(_dir);
            Assert.Equal(keep - last, state.TornBytes);
            Assert.Equal(last, new FileInfo(path).Length);
        }

        for (var i = last; i < last + JournalWriter.HeaderSize + length; i++)
        {
            var flipped = (byte[])whole.Clone();
            flipped[i] ^= 0x40;
            File.WriteAllBytes(path, flipped);
            var state = JournalReader.Replay(_dir);
            Assert.Equal(whole.Length - last, state.TornBytes);
        }
    }

    [Fact]
    public void Garbage_with_no_intact_record_in_it_after_the_last_record_is_a_torn_tail_kept_aside()
    {
        JournalTests.WriteSession(_dir, FsyncPolicy.None, complete: true);
        var (_, path) = JournalReader.Segments(_dir)[^1];
        var whole = File.ReadAllBytes(path);
        var garbage = new byte[64 * 1024];
        new Random(20240718).NextBytes(garbage);
        garbage.AsSpan(0, 4096).Clear();
        File.WriteAllBytes(path, [.. whole, .. garbage]);

        var state = JournalReader.Replay(_dir);
        Assert.Equal(garbage.Length, state.TornBytes);
        Assert.Equal(whole, File.ReadAllBytes(path));
        Assert.Equal(garbage, File.ReadAllBytes(state.TornKeptIn!));
        Assert.Empty(state.OpenOrders);
    }

    [Fact]
    public void A_record_that_passes_its_crc_but_does_not_decode_is_damage()
    {
        var options = new JournalOptions { Directory = _dir, Fsync = FsyncPolicy.None };
        using (var writer = new JournalWriter(options, 0))
        {
            writer.Append(Run(1));
            writer.Append([9, 1, 2, 3]);
            writer.Commit();
        }

        var error = Assert.Throws<JournalDamagedException>(() => JournalReader.Replay(_dir));
        Assert.Contains("passes its CRC but does not decode", error.Message, StringComparison.Ordinal);
        Assert.Equal(JournalWriter.HeaderSize + 9, error.Offset);
    }

    [Fact]
    public void The_highest_run_id_is_read_past_damage()
    {
        var options = new JournalOptions { Directory = _dir, Fsync = FsyncPolicy.None };
        using (var writer = new JournalWriter(options, 0))
        {
            writer.Append(Run(5));
            writer.Append(Run(6));
            writer.Append(Run(41));
            writer.Commit();
        }

        var (_, path) = JournalReader.Segments(_dir)[0];
        var bytes = File.ReadAllBytes(path);
        bytes[JournalWriter.HeaderSize + 17 + 3] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        Assert.Throws<JournalDamagedException>(() => JournalReader.Replay(_dir));
        Assert.Equal(41, JournalReader.HighestRunId(_dir));
    }

    [Fact]
    public void The_folder_lock_is_exclusive_names_its_holder_and_is_released_on_dispose()
    {
        using (var folder = JournalFolder.Acquire(_dir))
        {
            var lockFile = Path.Combine(_dir, JournalFolder.LockFileName);
            Assert.Equal(Path.GetFullPath(_dir), folder.Path);

            // flock is per open file: a second open in this same process is refused like another process would be.
            var refused = Assert.Throws<JournalUnusableException>(() => JournalFolder.Acquire(_dir));
            Assert.Equal(
                $"journal folder {Path.GetFullPath(_dir)} is in use by another engine (pid {Environment.ProcessId} holds {lockFile}): one engine per journal",
                refused.Message);
        }

        // Released, it can be taken again; the pid stays in the file (read here after release: .NET's own readers take a shared flock).
        JournalFolder.Acquire(_dir).Dispose();
        Assert.Equal($"{Environment.ProcessId}\n", File.ReadAllText(Path.Combine(_dir, JournalFolder.LockFileName)));
    }

    [Fact]
    public void A_folder_that_is_a_file_and_a_segment_that_is_a_folder_are_refused_in_one_line()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "not-a-folder");
        File.WriteAllText(file, "x");
        var notFolder = Assert.Throws<JournalUnusableException>(() => JournalFolder.Acquire(file));
        Assert.Equal($"journal folder {file} is a file, not a folder: point Engine:Journal:Directory at a folder", notFolder.Message);

        var segment = Path.Combine(_dir, "wal-00000003.log");
        Directory.CreateDirectory(segment);
        var notFile = Assert.Throws<JournalUnusableException>(() => JournalReader.Replay(_dir));
        Assert.Equal($"journal segment {segment} is a folder, not a file: move it out of the journal folder", notFile.Message);
    }

    [Fact]
    public void Setting_a_journal_aside_copies_every_segment_and_changes_none()
    {
        JournalTests.WriteSession(_dir, FsyncPolicy.None, complete: true);
        var segments = JournalReader.Segments(_dir);
        var before = segments.ToDictionary(s => s.Path, s => File.ReadAllBytes(s.Path));
        using var folder = JournalFolder.Acquire(_dir);
        var now = new DateTimeOffset(2026, 12, 7, 14, 30, 0, 123, TimeSpan.Zero);

        var (aside, count) = folder.SetAside(segments[^1].Path, now);
        Assert.Equal((Path.Combine(folder.Path, JournalFolder.DamagedFolderName), 2), (aside, count));
        Assert.Equal(before[segments[0].Path], File.ReadAllBytes(Path.Combine(aside, "wal-00000001.log.set-aside-20261207T143000123Z")));
        Assert.Equal(before[segments[1].Path], File.ReadAllBytes(Path.Combine(aside, "wal-00000002.log.damaged-20261207T143000123Z")));
        Assert.All(before, s => Assert.Equal(s.Value, File.ReadAllBytes(s.Key)));
        Assert.Equal(segments, JournalReader.Segments(_dir));
    }

    [Fact]
    public void Execution_refuses_a_damaged_journal_before_it_writes_and_releases_the_folder()
    {
        JournalTests.WriteSession(_dir, FsyncPolicy.None, complete: true);
        var segments = JournalReader.Segments(_dir);
        var (_, path) = segments[^1];
        var bytes = File.ReadAllBytes(path);
        bytes[Frames(bytes)[1].Offset + JournalWriter.HeaderSize + 3] ^= 0x20;
        File.WriteAllBytes(path, bytes);

        // Paper execution (no venue): the constructor is where the journal is opened, before anything can trade.
        var symbols = new SymbolTable(8);
        symbols.Add("BTCUSDT");
        var output = new RingPublisher(RingBuffer.CreateMultiProducer<MarketEvent>(64, new BlockingWaitStrategy()));
        var error = Assert.Throws<JournalDamagedException>(() => new ExecutionService(
            Options.Create(new ExecutionOptions { InitialMode = VenueMode.Paper }), Options.Create(new JournalOptions { Directory = _dir }), null, null,
            symbols, [default, default], output, NullLogger<ExecutionService>.Instance));
        Assert.Equal(path, error.SegmentPath);
        Assert.Equal(segments, JournalReader.Segments(_dir));
        Assert.Equal(bytes, File.ReadAllBytes(path));
        using var free = JournalFolder.Acquire(_dir);
    }

    private static byte[] Run(long id)
    {
        var buffer = new byte[16];
        return buffer[..JournalCodec.WriteRunStarted(buffer, id)];
    }

    /// <summary>Offset and payload length of every frame of an intact segment.</summary>
    private static List<(int Offset, int Length)> Frames(byte[] bytes)
    {
        var frames = new List<(int, int)>();
        for (var offset = 0; offset < bytes.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
            frames.Add((offset, length));
            offset += JournalWriter.HeaderSize + length;
        }

        return frames;
    }
}
