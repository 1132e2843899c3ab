using System.Text.RegularExpressions;

namespace Tests.Hosting;

/// <summary>What a newcomer sees from `dotnet run --project Engine`: start-up lines, throughput, a clean Ctrl-C.</summary>
public sealed partial class EngineProcessTests
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void The_engine_starts_its_stages_reports_throughput_and_exits_0_on_ctrl_c_after_draining()
    {
        var lastCpu = Environment.ProcessorCount - 1;
        using var engine = new EngineProcess(
            ("Engine__ReportInterval", "00:00:01"),
            ("Engine__Synthetic__EventsPerSecond", "5000"),
            ("Engine__Control__Port", "0"),
            ("Engine__Metrics__Port", "0"),
            ("Engine__Ring__StageCpus__tail", lastCpu.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Engine__Ring__FuseBrainAndExecution", "false"));

        Assert.True(engine.WaitForOutput("Throughput:", s_startTimeout), engine.Output);
        var output = engine.Output;
        Assert.Matches(RingReady(), output);
        foreach (var stage in new[] { "brain", "execution" })
        {
            Assert.Matches(new Regex($"Stage {stage} started: thread '{stage}' \\(managed id \\d+\\) on CPU \\d+, not pinned"), output);
        }

        Assert.Matches(new Regex($"Stage tail started: thread 'tail' \\(managed id \\d+\\) on CPU {lastCpu}, pinned to CPU {lastCpu}"), output);

        // Start-up lines in order: ring, signing backend, stages, source, control plane, metrics, all running.
        string[] order = ["Ring buffer ready", "Request signing: HMAC-SHA256, libcrypto (libcrypto.so", "Stage brain started", "Stage execution started", "Stage tail started",
            "Synthetic market source started", "Control plane listening on http://127.0.0.1:", "Metrics listening on http://127.0.0.1:", "All stages running"];
        var positions = order.Select(line => output.IndexOf(line, StringComparison.Ordinal)).ToArray();
        Assert.All(positions, position => Assert.True(position >= 0, output));
        Assert.Equal(positions.Order(), positions);

        engine.Interrupt();
        Assert.Equal(0, engine.WaitForExit(TimeSpan.FromSeconds(30)));

        // Everything the source published went through every stage before exit.
        output = engine.Output;
        var published = long.Parse(IntakeStopped().Match(output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(published > 0, output);
        foreach (var stage in new[] { "brain", "execution", "tail" })
        {
            Assert.Contains($"Stopped: stage {stage} handled {published} events", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Settings_that_cannot_work_stop_the_engine_at_start_with_a_clear_message_and_a_nonzero_exit()
    {
        using var engine = new EngineProcess(("Engine__Ring__Size", "1000"), ("Engine__Ring__StageCpus__brain", "64"));

        var exitCode = engine.WaitForExit(s_startTimeout);

        Assert.Equal(2, exitCode);
        Assert.Contains("Engine:Ring:Size must be a power of two of at least 64 (got 1000)", engine.Output, StringComparison.Ordinal);
        Assert.Contains("Engine:Ring:StageCpus:brain = 64 is not a CPU of this machine", engine.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Ring buffer ready", engine.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Ring buffer ready: 65536 slots \(\d+ bytes, 192 bytes per slot, on small pages\), wait strategy SpinThenBlock, \d+ cores")]
    private static partial Regex RingReady();

    [GeneratedRegex(@"intake stopped after (\d+) events")]
    private static partial Regex IntakeStopped();
}
