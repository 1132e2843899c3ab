using System.Diagnostics;
using System.Text;

namespace Tests.Benchmarks;

/// <summary>
/// The end-to-end latency harness (<c>Benchmarks -- e2e</c>) run briefly as a real child process, so that its code
/// path cannot rot: the engine in both placements (the low-latency one busy-spins a reserved CPU, hence the collection
/// that runs alone) against a simulator process, and the baseline, all produce orders with every hop stamped, and the
/// table and the plot are written. No timing is asserted.
/// </summary>
[Collection(Tests.Ring.RingThreadsCollection.Name)]
public sealed class E2eHarnessTests
{
    private static readonly string s_harness = Path.Combine(
        AppContext.BaseDirectory.Replace(
            $"{Path.DirectorySeparatorChar}Tests{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}",
            $"{Path.DirectorySeparatorChar}Benchmarks{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal),
        "Benchmarks.dll");

    [Fact]
    public async Task A_short_run_stamps_every_hop_of_both_pipelines_and_writes_the_table_and_the_plot()
    {
        Assert.True(File.Exists(s_harness), $"the harness is built with the tests: {s_harness}");
        var output = Path.Combine(Path.GetTempPath(), "e2e-harness-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exitCode, log) = await RunAsync(["e2e", "--warmup", "3", "--seconds", "6", "--out", output], TimeSpan.FromMinutes(4));
            Assert.True(exitCode == 0, $"exit code {exitCode}:\n{log}");

            var table = await File.ReadAllTextAsync(Path.Combine(output, "e2e-latency.md"));
            Assert.StartsWith("# End-to-end tick-to-order latency", table, StringComparison.Ordinal);
            Assert.Contains("Command: `dotnet run -c Release --project Benchmarks -- e2e --warmup 3 --seconds 6 --out ", table, StringComparison.Ordinal);
            var sections = table.Split("\n## ");
            Assert.Contains("Machine hiccups before the run: CPU ", table, StringComparison.Ordinal);
            Assert.Contains("cross-core ring round trip", table, StringComparison.Ordinal);
            string[] pipelines = Environment.ProcessorCount > 1
                ? ["engine, default placement", "engine, low-latency placement", "engine, default placement, REST order pool", "engine, low-latency placement, REST order pool", "baseline (Channel<T>, HashData, strings)"]
                : ["engine, default placement", "engine, default placement, REST order pool", "baseline (Channel<T>, HashData, strings)"];
            foreach (var pipeline in pipelines)
            {
                var section = sections.Single(s => s.Split('\n')[0].Trim() == pipeline);
                var rows = section.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| hop", StringComparison.Ordinal) && !l.StartsWith("| ---", StringComparison.Ordinal)).ToList();
                Assert.Equal(6, rows.Count);
                foreach (var row in rows)
                {
                    var samples = long.Parse(row.Split('|')[2].Trim().Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
                    Assert.True(samples > 0, $"{pipeline}: no samples for {row}");
                }
            }

            // The table by venue path: a row per placement, a column per path, each filled by its own phase.
            var byPath = sections.Single(s => s.StartsWith("By venue path", StringComparison.Ordinal)).Split('\n');
            Assert.Contains("| placement | WebSocket API | REST order pool | baseline (`HttpClient`) |", byPath);
            var defaultRow = byPath.Single(l => l.StartsWith("| default |", StringComparison.Ordinal));
            Assert.DoesNotContain("no orders", defaultRow, StringComparison.Ordinal);
            Assert.DoesNotContain("not run", defaultRow, StringComparison.Ordinal);
            var restBar = table.Split('\n').Single(l => l.StartsWith("- **engine, default placement, REST order pool**", StringComparison.Ordinal));
            Assert.Contains("(the bars are the WebSocket API's)", restBar, StringComparison.Ordinal);
            var restPhase = sections.Single(s => s.Split('\n')[0].Trim() == "engine, default placement, REST order pool");
            Assert.Contains("from the execution stage 0 on the WebSocket API", restPhase, StringComparison.Ordinal);

            Assert.Contains("allocated on the execution stage's thread", table, StringComparison.Ordinal);
            Assert.Contains("venue: the simulator in a separate process", table, StringComparison.Ordinal);
            if (Environment.ProcessorCount > 1)
            {
                Assert.Contains($"execution on the brain's thread", table, StringComparison.Ordinal);
                Assert.Contains($"CPU {Environment.ProcessorCount - 1} reserved: every other thread moved off it", table, StringComparison.Ordinal);
            }

            var png = await File.ReadAllBytesAsync(Path.Combine(output, "e2e-latency.png"));
            Assert.True(png.Length > 1000);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    private static async Task<(int ExitCode, string Log)> RunAsync(string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", s_harness, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        Tests.Hosting.EngineProcess.ClearOperatorVariables(start);

        var log = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the harness did not finish within {timeout}:\n{log}");
        }

        lock (log)
        {
            return (process.ExitCode, log.ToString());
        }
    }
}
