using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Engine.Control.Health;
using Engine.Model;
using Engine.State.Journal;
using Microsoft.Extensions.Logging;
using Tests.Exchange.Rest;
using Tests.Execution;
using Xunit.Abstractions;

namespace Tests.Hostile;

/// <summary>
/// A full disk at run time: execution against the real simulator with its journal on a small tmpfs that the test fills
/// while it trades. It must fail closed and stay up — no entry sent, exits sent only once journaled, CRITICAL once,
/// the journal health component down with the error — and recover on its own when space returns, with a journal that
/// replays cleanly and holds every order the venue saw.
/// </summary>
public sealed class FullDiskTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    private static bool Final(OrderUpdateData u) => u.Status is OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Rejected or OrderStatus.Expired;

    [Fact]
    public async Task A_full_disk_refuses_entries_holds_exits_until_journaled_and_recovers_when_space_returns()
    {
        if (!SmallDisk.CanMount(output))
        {
            return;
        }

        using var disk = SmallDisk.TryMount(1024 * 1024, out var why);
        Assert.True(disk is not null, "cannot mount a tmpfs for the journal: " + why);

        using var logs = new CollectingLoggerProvider();
        await using var h = await ExecutionHarness.StartAsync(
            configure: o => o.JournalRetryInterval = TimeSpan.FromMilliseconds(100), journalDir: disk.Path, logs: logs.CreateFactory());
        var health = new JournalHealth(h.Service);
        h.Service.Start();

        // 1. Trading normally: a long is opened.
        h.Submit("BTCUSDT", Side.Buy, 0.01m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the first entry filled");
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(h.IdOf(1))[^1].Status);
        Assert.True(health.Check().Serving);

        // 2. The disk fills up. The journal's last page may still take a few records (tmpfs allocates by page); once it
        //    is full the next entry is refused without being sent; the journal is down, the process is up.
        disk.Fill();
        var sequence = 1;
        var refused = 0L;
        for (var i = 0; i < 60 && refused == 0; i++)
        {
            var id = h.IdOf(++sequence);
            h.Submit("ETHUSDT", i % 2 == 0 ? Side.Sell : Side.Buy, 0.01m);
            await ExecutionHarness.WaitUntil(() => h.UpdatesOf(id).Any(Final), s_wait, "the entry's outcome");
            refused = h.UpdatesOf(id)[^1].Status == OrderStatus.Rejected ? id : 0;
        }

        Assert.True(refused != 0, "60 entries were sent on a full disk");
        Assert.Contains("No space left on device", h.Service.JournalUnavailable, StringComparison.Ordinal);
        var down = health.Check();
        Assert.False(down.Serving);
        Assert.Contains("No space left on device", down.Detail, StringComparison.Ordinal);
        Assert.Null(h.Service.Fault);
        Assert.False(h.Service.Counters.JournalAvailable);
        var sentBefore = await VenueOrders(h);
        Assert.DoesNotContain(refused, sentBefore);

        // Entries are refused at the stage from now on; an exit is held: not sent while its intent cannot be journaled.
        var entry = h.IdOf(++sequence);
        h.Submit("ETHUSDT", Side.Buy, 0.05m);
        var exit = h.IdOf(++sequence);
        h.Submit("BTCUSDT", Side.Sell, 0.01m, reduceOnly: true);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(entry).Any(Final), s_wait, "the second entry refused");
        Assert.Equal(OrderStatus.Rejected, h.UpdatesOf(entry)[^1].Status);
        await ExecutionHarness.WaitUntil(() => h.Service.Journal.WriteFailures >= 5, s_wait, "the commit retried");
        Assert.Empty(h.UpdatesOf(exit));
        Assert.Equal(sentBefore.Order(), (await VenueOrders(h)).Order());

        // Nothing torn is left on disk while it is full: a copy of the journal replays without a torn tail.
        var during = Replay(disk.Path);
        Assert.Null(during.TornReason);

        // 3. Space returns: the held exit goes out (once), the health clears, entries trade again.
        disk.Free();
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(exit).Any(Final), s_wait, "the held exit sent and filled");
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(exit)[^1].Status);
        Assert.Null(h.Service.JournalUnavailable);
        Assert.True(health.Check().Serving);
        var again = h.IdOf(++sequence);
        h.Submit("ETHUSDT", Side.Sell, 0.05m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(again).Any(Final), s_wait, "an entry after recovery");
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(again)[^1].Status);

        // CRITICAL once for the episode however many retries failed, and one line for the recovery.
        var lines = logs.Lines;
        Assert.Single(lines, l => l.Level == LogLevel.Critical && l.Text.Contains("Journal unavailable", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Text.Contains("Journal writable again", StringComparison.Ordinal));
        Assert.True(h.Service.Journal.WriteFailures > 1);

        // 4. The journal replays cleanly; every order the venue saw was journaled, each once; positions are the venue's.
        var venueOrders = await VenueOrders(h);
        h.Service.Stop(TimeSpan.FromSeconds(5));
        var journalPath = disk.Path;
        var intents = Intents(journalPath);
        Assert.All(venueOrders, id => Assert.Contains(id, intents));
        Assert.Equal(venueOrders.Count, venueOrders.Distinct().Count());
        Assert.Equal([.. sentBefore.Order(), exit, again], venueOrders.Order());
        var after = Replay(journalPath);
        Assert.Null(after.TornReason);
        Assert.Empty(after.OpenOrders);
        var local = after.Positions.All().ToDictionary(p => p.Symbol, p => p.Amount.Mantissa / (decimal)FixedPoint.One);
        var risk = await h.SimClient!.SignedAsync(HttpMethod.Get, "fapi/v3/positionRisk");
        foreach (var p in risk.Json.EnumerateArray())
        {
            var amount = decimal.Parse(p.GetProperty("positionAmt").GetString()!, CultureInfo.InvariantCulture);
            Assert.Equal(amount, local.GetValueOrDefault(p.GetProperty("symbol").GetString()!));
        }
    }

    [Fact]
    public async Task Reduce_only_closes_on_a_full_disk_wait_until_their_intent_is_journaled()
    {
        if (!SmallDisk.CanMount(output))
        {
            return;
        }

        using var disk = SmallDisk.TryMount(1024 * 1024, out var why);
        Assert.True(disk is not null, "cannot mount a tmpfs for the journal: " + why);
        await using var h = await ExecutionHarness.StartAsync(configure: o => o.JournalRetryInterval = TimeSpan.FromMilliseconds(100), journalDir: disk.Path);
        h.Service.Start();
        h.Submit("BTCUSDT", Side.Buy, 0.01m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the entry filled");

        // Fill the disk until the journal is down (the journal's last page takes a few records first).
        disk.Fill();
        var sequence = 1;
        while (h.Service.JournalUnavailable is null && sequence < 60)
        {
            var id = h.IdOf(++sequence);
            h.Submit("ETHUSDT", sequence % 2 == 0 ? Side.Sell : Side.Buy, 0.01m);
            await ExecutionHarness.WaitUntil(() => h.UpdatesOf(id).Any(Final), s_wait, "the entry's outcome");
        }

        Assert.NotNull(h.Service.JournalUnavailable);
        var atVenue = (await VenueOrders(h)).Count;
        var btc = (await h.SimClient!.OpenPositionsAsync()).GetValueOrDefault("BTCUSDT");
        Assert.Equal(0.01m, btc);

        // A stage halts now: reduce-only, the closes are staged but not sent while they cannot be journaled.
        Assert.True(h.Service.EnterReduceOnly("stage brain halted on a fault: test"));
        await ExecutionHarness.WaitUntil(() => h.Service.Counters.ProtectiveCloses >= 1, s_wait, "the closes staged");
        var failures = h.Service.Journal.WriteFailures;
        await ExecutionHarness.WaitUntil(() => h.Service.Journal.WriteFailures >= failures + 5, s_wait, "the commit retried");
        Assert.Equal(atVenue, (await VenueOrders(h)).Count);
        Assert.Equal(0.01m, (await h.SimClient!.OpenPositionsAsync()).GetValueOrDefault("BTCUSDT"));

        // Space returns: the closes are journaled, then sent; every position is flat at the venue.
        disk.Free();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await h.SimClient!.OpenPositionsAsync()).Values.Any(v => v != 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.All(await h.SimClient!.OpenPositionsAsync(), p => Assert.True(p.Value == 0, $"{p.Key} {p.Value}"));
        h.Service.Stop(TimeSpan.FromSeconds(5));
        var intents = Intents(disk.Path);
        Assert.All(await VenueOrders(h), id => Assert.Contains(id, intents));
        Assert.Null(Replay(disk.Path).TornReason);
    }

    [Fact]
    public void A_short_write_on_a_full_disk_leaves_no_torn_record_and_the_retry_writes_each_record_once()
    {
        if (!SmallDisk.CanMount(output))
        {
            return;
        }

        using var disk = SmallDisk.TryMount(64 * 1024, out var why);
        Assert.True(disk is not null, "cannot mount a tmpfs for the journal: " + why);
        disk.Reserve(32 * 1024);
        var options = new JournalOptions { Directory = disk.Path, Fsync = FsyncPolicy.EveryRecord };
        using var writer = new JournalWriter(options, 0);
        var payload = new byte[100];
        var appended = 0;

        // Records until the disk refuses one: the last write stops part-way through a page (a short write).
        while (true)
        {
            BinaryPrimitives.WriteInt32LittleEndian(payload, appended);
            payload[4] = (byte)JournalRecordType.Resent;
            writer.Append(payload);
            appended++;
            if (!writer.TryCommit())
            {
                break;
            }
        }

        Assert.IsAssignableFrom<IOException>(writer.WriteError);
        var file = JournalWriter.SegmentPath(disk.Path, 1);
        Assert.Equal(0, new FileInfo(file).Length % (JournalWriter.HeaderSize + payload.Length));
        for (var i = 0; i < 3; i++)
        {
            Assert.False(writer.TryCommitDurable());
            Assert.Equal(0, new FileInfo(file).Length % (JournalWriter.HeaderSize + payload.Length));
        }

        writer.Append(payload.AsSpan(0, 50).ToArray());
        appended++;
        disk.Free();
        Assert.True(writer.TryCommit(), writer.WriteError?.ToString());
        Assert.Null(writer.WriteError);
        Assert.Equal(0, writer.PendingBytes);

        // Every record once, in order, nothing torn.
        var bytes = File.ReadAllBytes(file);
        var offset = 0;
        var count = 0;
        while (offset < bytes.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset));
            if (length == 100)
            {
                Assert.Equal(count, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset + JournalWriter.HeaderSize)));
            }

            offset += JournalWriter.HeaderSize + length;
            count++;
        }

        Assert.Equal(bytes.Length, offset);
        Assert.Equal(appended, count);
    }

    private static JournalState Replay(string directory)
    {
        // On a copy: the reader cuts a torn tail it finds, and the proof is that there is none.
        var copy = Path.Combine(Path.GetTempPath(), "fulldisk-copy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(copy);
        try
        {
            foreach (var (_, path) in JournalReader.Segments(directory))
            {
                File.Copy(path, Path.Combine(copy, Path.GetFileName(path)));
            }

            return JournalReader.Replay(copy);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>The client order ids of every intent record in the journal's segments.</summary>
    private static HashSet<long> Intents(string directory)
    {
        var ids = new HashSet<long>();
        foreach (var (_, path) in JournalReader.Segments(directory))
        {
            var bytes = File.ReadAllBytes(path);
            for (var offset = 0; offset + JournalWriter.HeaderSize <= bytes.Length;)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset));
                var payload = bytes.AsSpan(offset + JournalWriter.HeaderSize, length);
                if (payload[0] == (byte)JournalRecordType.Intent)
                {
                    ids.Add(BinaryPrimitives.ReadInt64LittleEndian(payload[1..]));
                }

                offset += JournalWriter.HeaderSize + length;
            }
        }

        return ids;
    }

    private static async Task<List<long>> VenueOrders(ExecutionHarness h)
    {
        var ids = new List<long>();
        foreach (var symbol in new[] { "BTCUSDT", "ETHUSDT" })
        {
            var all = await h.SimClient!.SignedAsync(HttpMethod.Get, "fapi/v1/allOrders", "symbol=" + symbol);
            ids.AddRange(all.Json.EnumerateArray().Select(o => o.GetProperty("clientOrderId").GetString()!)
                .Where(id => id.StartsWith('e')).Select(id => long.Parse(id.AsSpan(1), CultureInfo.InvariantCulture)));
        }

        return ids;
    }

    private static async Task<int> CountAtVenue(ExecutionHarness h, string symbol, long clientOrderId) =>
        (await VenueOrders(h)).Count(id => id == clientOrderId);
}

/// <summary>A tmpfs of a fixed size mounted on a fresh folder (root only), which the test fills and frees; unmounted on dispose.</summary>
internal sealed partial class SmallDisk : IDisposable
{
    private readonly string _filler;

    private SmallDisk(string path)
    {
        Path = path;
        _filler = System.IO.Path.Combine(path, "filler");
    }

    public string Path { get; }

    /// <summary>
    /// Mounting a tmpfs needs root (CAP_SYS_ADMIN); the CI and the development machine run the tests as root. Anyone
    /// else gets the test passed over with the reason in its output, not a failure they cannot fix.
    /// </summary>
    public static bool CanMount(ITestOutputHelper output)
    {
        if (GetEffectiveUserId() == 0)
        {
            return true;
        }

        output.WriteLine("Not run: mounting the small tmpfs this test fills needs root (CAP_SYS_ADMIN); run the tests as root.");
        return false;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    public static SmallDisk? TryMount(long bytes, out string why)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "smalldisk-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", string.Create(CultureInfo.InvariantCulture, $"size={bytes}"), "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            why = $"mount exited {code}: {output.Trim()} (euid {Environment.UserName})";
            return null;
        }

        why = "";
        return new SmallDisk(path);
    }

    /// <summary>Writes a filler file until the disk refuses any more.</summary>
    public void Fill()
    {
        using var file = new FileStream(_filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        var chunk = new byte[4096];
        Array.Fill(chunk, (byte)0x5A);
        try
        {
            while (true)
            {
                file.Write(chunk);
            }
        }
        catch (IOException)
        {
            // Full.
        }

        try
        {
            file.Write(chunk.AsSpan(0, 1));
        }
        catch (IOException)
        {
            // Not a byte left.
        }
    }

    public void Free() => File.Delete(_filler);

    /// <summary>Takes <paramref name="bytes"/> with the filler file (what <see cref="Free"/> gives back).</summary>
    public void Reserve(int bytes) => File.WriteAllBytes(_filler, new byte[bytes]);

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder.
        }
    }

    private static (int Code, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
