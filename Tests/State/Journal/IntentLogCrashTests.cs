using System.Diagnostics;
using System.Globalization;
using Engine.State.Journal;
using Xunit.Abstractions;

namespace Tests.State.Journal;

/// <summary>
/// A real process (Tests/CrashHost <c>intent-append</c>) appending intents as fast as it can, killed with SIGKILL at a
/// random instant, most likely in the middle of an append, then read back and continued by the next process, several
/// times on one folder: every record read is whole and in sequence, nothing readable before a kill is lost after it,
/// and the next process continues the sequence.
/// </summary>
public sealed class IntentLogCrashTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string s_host = Path.GetFullPath(Path.Combine(
        AppContext.BaseDirectory.Replace($"{Path.DirectorySeparatorChar}Tests{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}",
            $"{Path.DirectorySeparatorChar}Tests{Path.DirectorySeparatorChar}CrashHost{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal),
        "CrashHost.dll"));

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "intent-log-crash", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task Killed_mid_append_the_log_reads_back_whole_records_in_sequence_and_the_next_process_continues()
    {
        Assert.True(File.Exists(s_host), $"CrashHost not built at {s_host}");
        var random = new Random(18);
        long lastRead = 0;
        var torn = 0;
        for (var round = 0; round < 4; round++)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { s_host, "intent-append", _dir, (64 * 1024).ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(ready is not null && ready.StartsWith("ready ", StringComparison.Ordinal), $"child said '{ready}': {process.StandardError.ReadToEnd()}");
            Assert.Equal(lastRead, long.Parse(ready.AsSpan(6), CultureInfo.InvariantCulture));

            await Task.Delay(random.Next(150, 600));
            process.Kill(); // SIGKILL on Linux
            await process.WaitForExitAsync();

            var contents = IntentLogReader.ReadAll(Path.Combine(_dir, IntentLog.FolderName));
            Assert.NotEmpty(contents.Records);
            var expected = contents.Records[0].Sequence;
            foreach (var record in contents.Records)
            {
                Assert.Equal(expected++, record.Sequence);
                Assert.Equal(record.Sequence, record.Intent.ClientOrderId);
                Assert.Equal(1_765_000_000_000 + record.Sequence, record.Intent.SignedTimestampMs);
                Assert.Equal((record.Sequence % 97) + 1, record.Intent.Quantity.Mantissa);
            }

            var last = contents.Records[^1].Sequence;
            Assert.True(last > lastRead, $"round {round}: nothing appended after {lastRead}");
            Assert.True(contents.Records[0].Sequence <= contents.ReleasedUpTo + 1, "no unreleased record was lost");
            output.WriteLine($"round {round}: killed after sequence {last} ({last - lastRead} this round), torn tail {contents.TornBytes} B ({contents.TornReason ?? "none"})");
            torn += contents.TornBytes > 0 ? 1 : 0;
            lastRead = last;
        }

        output.WriteLine($"{torn} of 4 kills landed in the middle of an append");
    }
}
