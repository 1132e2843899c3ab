using Engine.Control.V1;
using Engine.Feed.Synthetic;
using Engine.Hosting;
using Engine.Model;
using Engine.Ring;
using Tests.Control;
using Tests.Ring;

namespace Tests.Hosting;

/// <summary>
/// The low-latency placement: brain and execution fused on one thread, that thread's CPU reserved for it, and the
/// option checks that keep a placement from being set up wrong.
/// </summary>
[Collection(RingThreadsCollection.Name)]
public sealed class LowLatencyPlacementTests
{
    private static readonly TimeSpan s_exitTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void Fused_brain_and_execution_run_every_event_on_one_thread_in_stage_order_and_drain_on_halt()
    {
        var pipeline = new RingPipeline(new RingOptions { Size = 1024, FuseBrainAndExecution = true });
        var source = new SyntheticMarketSource(pipeline.Ring, new SymbolTable(), new SyntheticMarketOptions { Seed = 3 });
        var placements = pipeline.Start();

        Assert.True(pipeline.Fused);
        Assert.Equal(RingPipeline.StageNames, placements.Select(p => p.Stage));
        Assert.Same(pipeline.Stages[0], pipeline.Stages[1]);
        Assert.Equal(placements[0].ManagedThreadId, placements[1].ManagedThreadId);
        Assert.Equal("brain+execution", placements[1].ThreadName);
        Assert.NotEqual(placements[0].ManagedThreadId, placements[2].ManagedThreadId);

        const int events = 20_000;
        for (var i = 0; i < events; i++)
        {
            source.PublishNext();
        }

        Assert.True(pipeline.HaltAndDrain(TimeSpan.FromSeconds(30)));
        Assert.All(pipeline.Statistics, statistics => Assert.Equal(events, statistics.Events));
        for (long sequence = events - pipeline.Ring.BufferSize; sequence < events; sequence++)
        {
            ref var slot = ref pipeline.Ring[sequence];
            Assert.True(slot.Stamps[(int)StagePoint.Brain] >= slot.Stamps[(int)StagePoint.Published]);
            Assert.True(slot.Stamps[(int)StagePoint.Execution] >= slot.Stamps[(int)StagePoint.Brain]);
            Assert.True(slot.Stamps[(int)StagePoint.Tail] >= slot.Stamps[(int)StagePoint.Execution]);
        }
    }

    [Fact]
    public void Brain_and_execution_pinned_to_one_cpu_yield_it_to_each_other_on_every_release_and_apart_they_do_not()
    {
        var shared = new RingOptions { Size = 1024 };
        shared.StageCpus["brain"] = 0;
        shared.StageCpus["execution"] = 0;
        Assert.True(new RingPipeline(shared).BrainRelease.YieldAfterRelease);

        var apart = new RingOptions { Size = 1024 };
        apart.StageCpus["brain"] = 0;
        Assert.False(new RingPipeline(apart).BrainRelease.YieldAfterRelease);
        Assert.False(new RingPipeline(new RingOptions { Size = 1024, FuseBrainAndExecution = true }).BrainRelease.YieldAfterRelease);
    }

    [Fact]
    public void A_placement_that_cannot_work_is_refused_with_its_reason()
    {
        static string[] Failures(Action<RingOptions> configure)
        {
            var options = new EngineOptions();
            configure(options.Ring);
            var result = new EngineOptionsValidator().Validate(null, options);
            return result.Failed ? [.. result.Failures] : [];
        }

        Assert.Contains(Failures(r => r.IsolateStageCpus = true), f => f.Contains("needs Engine:Ring:StageCpus", StringComparison.Ordinal));
        Assert.Contains(
            Failures(r =>
            {
                r.IsolateStageCpus = true;
                for (var cpu = 0; cpu < Environment.ProcessorCount; cpu++)
                {
                    r.StageCpus[RingPipeline.StageNames[cpu % RingPipeline.StageNames.Length]] = cpu;
                }

                if (Environment.ProcessorCount > RingPipeline.StageNames.Length)
                {
                    r.StageCpus.Clear(); // more CPUs than stages: nothing to reserve them all with; expect the first failure instead
                }
            }),
            f => f.Contains(Environment.ProcessorCount > RingPipeline.StageNames.Length ? "needs Engine:Ring:StageCpus" : "leave at least one", StringComparison.Ordinal));
        Assert.Contains(
            Failures(r =>
            {
                r.FuseBrainAndExecution = true;
                r.StageCpus["execution"] = 0;
            }),
            f => f.Contains("set its CPU and wait strategy under \"brain\"", StringComparison.Ordinal));
        Assert.Contains(Failures(r => r.KeepWarmInterval = TimeSpan.FromMilliseconds(-1)), f => f.Contains("KeepWarmInterval", StringComparison.Ordinal));
        Assert.Empty(Failures(r =>
        {
            r.FuseBrainAndExecution = true;
            r.StageCpus["brain"] = Environment.ProcessorCount - 1;
            r.StageWaitStrategies["brain"] = WaitStrategyKind.Yielding;
            r.IsolateStageCpus = Environment.ProcessorCount > 1;
        }));
    }

    [Fact]
    public async Task The_real_engine_fused_on_a_reserved_cpu_keeps_every_other_thread_off_it_serves_commands_and_exits_0()
    {
        var last = Environment.ProcessorCount - 1;
        if (last == 0)
        {
            // One CPU: reserving it would leave nothing for the feed; the engine says so and does not start.
            using var refused = new EngineProcess(
                ["--mode", "synthetic"],
                [("Engine__Ring__FuseBrainAndExecution", "true"), ("Engine__Ring__StageCpus__brain", "0"), ("Engine__Ring__IsolateStageCpus", "true")]);
            Assert.NotEqual(0, refused.WaitForExit(s_exitTimeout));
            Assert.Contains("would reserve all 1 CPUs", refused.Output, StringComparison.Ordinal);
            return;
        }

        // Yielding rather than busy-spinning: the machine running the tests has other work for the core.
        using var client = ControlClient.StartSim(
            null,
            ("Engine__Ring__FuseBrainAndExecution", "true"),
            ("Engine__Ring__StageCpus__brain", last.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Engine__Ring__IsolateStageCpus", "true"),
            ("Engine__Ring__StageWaitStrategies__brain", "Yielding"),
            ("Engine__Ring__IsolationSweepInterval", "00:00:00.200"));
        Assert.Contains($"CPUs {last} reserved for the pinned stages", client.Engine.Output, StringComparison.Ordinal);

        var status = await client.Control.GetStatusAsync(new GetStatusRequest(), deadline: ControlClient.Deadline);
        var brain = status.Stages.Single(s => s.Name == "brain");
        var execution = status.Stages.Single(s => s.Name == "execution");
        Assert.Equal("brain+execution", brain.Thread);
        Assert.Equal(brain.Thread, execution.Thread);
        Assert.Equal(last, brain.Cpu);

        // Every thread of the process but the fused stage's may run anywhere except the reserved CPU; the sweep also
        // catches threads started after start-up (Kestrel's, the thread pool's).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string[] offenders;
        do
        {
            await Task.Delay(250);
            offenders = [.. ThreadsAllowedOn(status.ProcessId, last).Where(name => name != "brain+execution")];
        }
        while (offenders.Length > 0 && DateTime.UtcNow < deadline);
        Assert.Empty(offenders);
        Assert.Contains("brain+execution", ThreadsAllowedOn(status.ProcessId, last));

        // Commands still reach both halves of the fused stage, and the tail behind it.
        var flatten = await client.Control.FlattenAsync(new FlattenRequest { Reason = "fused test" }, deadline: ControlClient.Deadline);
        Assert.Equal(["brain", "execution"], flatten.HandledBy);
        status = await client.Control.GetStatusAsync(new GetStatusRequest(), deadline: ControlClient.Deadline);
        Assert.All(status.Stages, s => Assert.True(s.Running && s.Events > 0 && s.Fault.Length == 0, $"{s.Name}: running {s.Running}, {s.Events} events, fault '{s.Fault}'"));

        await client.Control.ShutdownAsync(new ShutdownRequest { Reason = "fused test done" }, deadline: ControlClient.Deadline);
        Assert.Equal(0, client.Engine.WaitForExit(s_exitTimeout));
    }

    /// <summary>Names of the threads of <paramref name="pid"/> whose allowed CPUs include <paramref name="cpu"/>.</summary>
    private static List<string> ThreadsAllowedOn(int pid, int cpu)
    {
        var names = new List<string>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            string[] status;
            try
            {
                status = File.ReadAllLines(Path.Combine(task, "status"));
            }
            catch (IOException)
            {
                continue; // the thread ended
            }

            var name = status.First(l => l.StartsWith("Name:", StringComparison.Ordinal))[5..].Trim();
            var allowed = status.First(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))[18..].Trim();
            if (CpuList(allowed).Contains(cpu))
            {
                names.Add(name);
            }
        }

        return names;
    }

    private static HashSet<int> CpuList(string list)
    {
        var cpus = new HashSet<int>();
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-');
            var from = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
            var to = range.Length > 1 ? int.Parse(range[1], System.Globalization.CultureInfo.InvariantCulture) : from;
            for (var cpu = from; cpu <= to; cpu++)
            {
                cpus.Add(cpu);
            }
        }

        return cpus;
    }
}
