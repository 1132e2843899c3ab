using Engine.State.Journal;
using Simulator;
using Tests.Hosting;
using Tests.Simulator;
using Xunit.Abstractions;

namespace Tests.Hostile;

/// <summary>
/// SIGTERM at any instant of start-up — at each start-up line (the signal lands a few milliseconds after it) and after
/// random delays — ends the real engine process with exit code 0 and a journal that replays whole: nothing torn, and
/// the next start (on the same journal) comes up as well.
/// </summary>
public sealed class SignalDuringStartTests(ITestOutputHelper output)
{
    /// <summary>The live-mode start-up lines, in order (docs/OPERATIONS.md, "Start-up lines").</summary>
    private static readonly string[] s_startupLines =
    [
        "Venue: configured venue",
        "REST client ready",
        "Venue clock",
        "Symbols:",
        "Execution ready",
        "Ring buffer ready",
        "Stage brain started",
        "Stage tail started",
        "Feed starting",
        "User-data stream connected",
        "Venue connected",
        "Control plane listening",
        "All stages running",
    ];

    [Fact]
    public async Task A_signal_at_any_point_of_start_up_exits_0_with_the_journal_intact()
    {
        await using var sim = await SimulatorHost.StartAsync(SimClient.Options(symbols: 3));
        var journal = Path.Combine(Path.GetTempPath(), "engine-signal-" + Guid.NewGuid().ToString("N"));
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var points = s_startupLines.Select(line => (Line: line, DelayMs: 0))
            .Concat(Enumerable.Range(0, 5).Select(_ => (Line: s_startupLines[0], DelayMs: random.Next(0, 1500))))
            .ToList();
        try
        {
            foreach (var (line, delayMs) in points)
            {
                using var engine = EngineProcess.LiveAgainst(sim, journal, ("Engine__Feed__MaxSymbols", "3"));
                Assert.True(engine.WaitForOutput(line, TimeSpan.FromSeconds(120)), $"no '{line}' line; output:\n{engine.Output}");
                if (delayMs > 0)
                {
                    Thread.Sleep(delayMs);
                }

                engine.Terminate();
                var code = engine.WaitForExit(TimeSpan.FromSeconds(60));
                output.WriteLine($"SIGTERM {delayMs} ms after '{line}': exit {code}");
                Assert.True(code == 0, $"SIGTERM {delayMs} ms after '{line}' (seed {seed}): exit {code}; output:\n{engine.Output}");
                Assert.DoesNotContain("   at ", engine.Output, StringComparison.Ordinal);

                var replayed = JournalReader.Replay(journal);
                Assert.True(replayed.TornBytes == 0, $"after SIGTERM {delayMs} ms after '{line}': torn {replayed.TornReason}");
            }
        }
        finally
        {
            if (Directory.Exists(journal))
            {
                Directory.Delete(journal, recursive: true);
            }
        }
    }
}
