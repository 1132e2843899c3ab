using Engine.Native;

namespace Tests.Native;

public sealed class ThreadAffinityTests
{
    [Fact]
    public void A_pinned_thread_runs_only_on_its_cpu()
    {
        var lastCpu = Environment.ProcessorCount - 1;
        PinResult result = default;
        var cpus = new HashSet<int>();
        var thread = new Thread(() =>
        {
            result = ThreadAffinity.PinCurrentThread(lastCpu);
            for (var i = 0; i < 200; i++)
            {
                cpus.Add(ThreadAffinity.CurrentCpu());
                Thread.Sleep(1);
            }
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));

        if (!OperatingSystem.IsLinux())
        {
            Assert.Equal(PinOutcome.Unsupported, result.Outcome);
            return;
        }

        Assert.Equal(PinOutcome.Pinned, result.Outcome);
        Assert.Equal([lastCpu], cpus);
        Assert.Equal($"pinned to CPU {lastCpu}", result.ToString());
    }

    [Fact]
    public void Pinning_to_a_cpu_the_machine_lacks_fails_with_the_os_error_and_leaves_the_thread_unpinned()
    {
        PinResult result = default;
        var thread = new Thread(() => result = ThreadAffinity.PinCurrentThread(1000));
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));

        Assert.Equal(OperatingSystem.IsLinux() ? PinOutcome.Failed : PinOutcome.Unsupported, result.Outcome);
        if (OperatingSystem.IsLinux())
        {
            Assert.NotEqual(0, result.ErrorCode);
            Assert.Contains("failed (errno", result.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void No_cpu_means_no_pinning()
    {
        var result = ThreadAffinity.PinCurrentThread(-1);
        Assert.Equal(PinOutcome.NotRequested, result.Outcome);
        Assert.InRange(ThreadAffinity.CurrentCpu(), 0, Environment.ProcessorCount - 1);
    }
}
