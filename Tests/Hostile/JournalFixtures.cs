using System.Diagnostics;
using Engine.Model;
using Engine.State.Journal;
using Tests.Hosting;

namespace Tests.Hostile;

/// <summary>Runs only as root (it mounts file systems or drops root's capabilities); skipped with the reason otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Skip = "needs root on Linux: the test mounts a tmpfs or runs the engine without root's file-permission override";
        }
    }
}

/// <summary>As <see cref="RootFactAttribute"/>, for a theory.</summary>
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Skip = "needs root on Linux: the test mounts a tmpfs";
        }
    }
}

/// <summary>Journals on disk for the hostile journal tests, and the engine started on them.</summary>
internal static class JournalFixtures
{
    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(120);

    public static string NewFolder() => Path.Combine(Path.GetTempPath(), "hostile-journal-" + Guid.NewGuid().ToString("N"));

    /// <summary>
    /// Two segments as two earlier runs leave them: run 5 with an ETHUSDT long filled, then run 6's snapshot and a
    /// run-started, an intent, an update and a resend. Returns the segment paths.
    /// </summary>
    public static (string First, string Last) WriteTwoRuns(string folder)
    {
        var options = new JournalOptions { Directory = folder, Fsync = FsyncPolicy.None };
        var buffer = new byte[JournalCodec.MaxOrderRecordSize];
        var eth = new JournalOrder { ClientOrderId = 50_000_001, Symbol = "ETHUSDT", Side = Side.Buy, Kind = OrderKind.Market, Quantity = Quantity.Parse("5"u8), SignedTimestampMs = 1000 };
        using (var writer = new JournalWriter(options, 0))
        {
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteRunStarted(buffer, 5)));
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteIntent(buffer, eth)));
            eth.OrderId = 9;
            eth.Acknowledged = true;
            eth.Status = OrderStatus.Filled;
            eth.Filled = eth.Quantity;
            eth.FilledQuote = Notional.Parse("17000"u8);
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteUpdate(buffer, eth, eth.Quantity, Price.Parse("3400"u8))));
            writer.Commit();
        }

        var btc = new JournalOrder { ClientOrderId = 60_000_001, Symbol = "BTCUSDT", Side = Side.Sell, Kind = OrderKind.Limit, Price = Price.Parse("90000"u8), Quantity = Quantity.Parse("0.01"u8), SignedTimestampMs = 2000 };
        using (var writer = new JournalWriter(options, 1))
        {
            writer.Append(JournalCodec.WriteSnapshot(6, [], [new JournalPosition("ETHUSDT", Quantity.Parse("5"u8), Price.Parse("3400"u8), Notional.Zero)]));
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteRunStarted(buffer, 6)));
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteIntent(buffer, btc)));
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteResent(buffer, btc.ClientOrderId, 2500)));
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteRunStarted(buffer, 6)));
            writer.Commit();
        }

        var segments = JournalReader.Segments(folder);
        return (segments[0].Path, segments[1].Path);
    }

    /// <summary>Flips one bit in the payload of the <paramref name="record"/>-th record (0-based) of <paramref name="segment"/>; returns that record's offset.</summary>
    public static int Damage(string segment, int record)
    {
        var bytes = File.ReadAllBytes(segment);
        var offset = 0;
        for (var i = 0; i < record; i++)
        {
            offset += JournalWriter.HeaderSize + BitConverter.ToInt32(bytes, offset);
        }

        bytes[offset + JournalWriter.HeaderSize + 1] ^= 0x04;
        File.WriteAllBytes(segment, bytes);
        return offset;
    }

    /// <summary>Every file under <paramref name="folder"/> with its bytes (the lock file's content aside, which is a pid).</summary>
    public static Dictionary<string, byte[]> Contents(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != JournalFolder.LockFileName)
            .ToDictionary(f => f, File.ReadAllBytes);

    /// <summary>The engine in sim mode (the embedded simulator) on <paramref name="folder"/>, ephemeral ports.</summary>
    public static EngineProcess Sim(string folder, string[]? runUnder = null, params string[] arguments) => new(
        ["--mode", "sim", .. arguments],
        [("Engine__Journal__Directory", folder), ("Engine__Control__Port", "0"), ("Engine__Metrics__Port", "0")],
        runUnder);

    /// <summary>Waits for a refusal: exit code 2 and exactly one stderr line, <c>engine: </c> and no stack trace; returns the line.</summary>
    public static string Refusal(EngineProcess engine)
    {
        var code = engine.WaitForExit(ExitTimeout);
        var lines = engine.ErrorLines;
        Assert.True(code == 2, $"exit code {code}; output:\n{engine.Output}");
        Assert.True(lines.Length == 1, "stderr:\n" + string.Join('\n', lines));
        Assert.StartsWith("engine: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(" at Engine.", lines[0], StringComparison.Ordinal);
        return lines[0];
    }

    /// <summary>Runs a command (mount, umount, chmod) that must succeed.</summary>
    public static void Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)}: exit {process.ExitCode}: {error}");
    }

    public static void DeleteFolder(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
