using System.Runtime.InteropServices;

namespace Engine.Native;

/// <summary>How an attempt to pin a thread to a CPU ended.</summary>
public enum PinOutcome
{
    /// <summary>No CPU was asked for; the scheduler places the thread.</summary>
    NotRequested,

    /// <summary>The thread now runs only on the requested CPU.</summary>
    Pinned,

    /// <summary>This platform has no thread affinity call we use; the thread runs unpinned.</summary>
    Unsupported,

    /// <summary>The kernel refused (bad CPU number, cgroup limits); the thread runs unpinned.</summary>
    Failed,
}

/// <summary>The result of <see cref="ThreadAffinity.PinCurrentThread"/>: what happened and, on failure, the OS error.</summary>
public readonly record struct PinResult(PinOutcome Outcome, int RequestedCpu, int ErrorCode)
{
    public override string ToString() => Outcome switch
    {
        PinOutcome.NotRequested => "not pinned",
        PinOutcome.Pinned => $"pinned to CPU {RequestedCpu}",
        PinOutcome.Unsupported => $"pinning to CPU {RequestedCpu} unsupported on this OS, not pinned",
        _ => $"pinning to CPU {RequestedCpu} failed (errno {ErrorCode}), not pinned",
    };
}

/// <summary>
/// Thread placement: pins the calling thread to one CPU with <c>sched_setaffinity</c> on Linux and reports the
/// CPU a thread runs on. Elsewhere pinning is a reported no-op, never an exception.
/// </summary>
public static partial class ThreadAffinity
{
    // cpu_set_t is 1024 bits in glibc; pass the whole thing so the kernel never reads past our buffer.
    private const int CpuSetWords = 1024 / 64;

    /// <summary>Restricts the calling thread to <paramref name="cpu"/>; a negative value means "leave it alone".</summary>
    public static PinResult PinCurrentThread(int cpu)
    {
        if (cpu < 0)
        {
            return new PinResult(PinOutcome.NotRequested, cpu, 0);
        }

        if (!OperatingSystem.IsLinux())
        {
            return new PinResult(PinOutcome.Unsupported, cpu, 0);
        }

        if (cpu >= CpuSetWords * 64)
        {
            return new PinResult(PinOutcome.Failed, cpu, 22 /* EINVAL */);
        }

        Span<ulong> mask = stackalloc ulong[CpuSetWords];
        mask.Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        // pid 0 is the calling thread for sched_setaffinity.
        var rc = SchedSetAffinity(0, (nuint)(CpuSetWords * sizeof(ulong)), ref MemoryMarshal.GetReference(mask));
        return rc == 0
            ? new PinResult(PinOutcome.Pinned, cpu, 0)
            : new PinResult(PinOutcome.Failed, cpu, Marshal.GetLastPInvokeError());
    }

    /// <summary>The CPU the calling thread is running on at this instant.</summary>
    public static int CurrentCpu()
    {
        if (OperatingSystem.IsLinux())
        {
            var cpu = SchedGetCpu();
            if (cpu >= 0)
            {
                return cpu;
            }
        }

        return Thread.GetCurrentProcessorId();
    }

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nuint cpuSetSize, ref ulong mask);

    // A vDSO call that cannot block or call back into the runtime: safe without the GC transition.
    [LibraryImport("libc", EntryPoint = "sched_getcpu")]
    [SuppressGCTransition]
    private static partial int SchedGetCpu();
}
