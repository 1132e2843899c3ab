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

    /// <summary>Lets the calling thread run on every CPU of the machine again (Linux; a no-op elsewhere).</summary>
    public static void Unpin()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        Span<ulong> mask = stackalloc ulong[CpuSetWords];
        AllCpus(mask);
        _ = SchedSetAffinity(0, (nuint)(CpuSetWords * sizeof(ulong)), ref MemoryMarshal.GetReference(mask));
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

    /// <summary>The kernel's id of the calling thread (Linux; 0 elsewhere): what <c>/proc/self/task</c> lists.</summary>
    public static int CurrentOsThreadId() => OperatingSystem.IsLinux() ? GetTid() : 0;

    /// <summary>
    /// Moves every thread of this process except <paramref name="keep"/> off <paramref name="reserved"/>: each such
    /// thread keeps the CPUs it may use minus the reserved ones (all unreserved CPUs if that leaves none). Threads
    /// inherit their creator's CPUs, so once every thread is moved, new ones start off the reserved CPUs too; a thread
    /// a pinned stage creates is the exception, which is why callers sweep again now and then.
    /// </summary>
    /// <returns>How many threads were moved (0 off Linux).</returns>
    public static int MoveOtherThreadsOff(IReadOnlyCollection<int> reserved, IReadOnlyCollection<int> keep)
    {
        ArgumentNullException.ThrowIfNull(reserved);
        ArgumentNullException.ThrowIfNull(keep);
        if (!OperatingSystem.IsLinux() || reserved.Count == 0)
        {
            return 0;
        }

        Span<ulong> reservedMask = stackalloc ulong[CpuSetWords];
        reservedMask.Clear();
        foreach (var cpu in reserved)
        {
            if (cpu >= 0 && cpu < CpuSetWords * 64)
            {
                reservedMask[cpu / 64] |= 1UL << (cpu % 64);
            }
        }

        Span<ulong> fallback = stackalloc ulong[CpuSetWords];
        AllCpus(fallback);

        Span<ulong> mask = stackalloc ulong[CpuSetWords];
        var moved = 0;
        foreach (var entry in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var tid) || keep.Contains(tid))
            {
                continue;
            }

            mask.Clear();
            if (SchedGetAffinity(tid, (nuint)(CpuSetWords * sizeof(ulong)), ref MemoryMarshal.GetReference(mask)) < 0)
            {
                continue; // the thread exited since the listing
            }

            var overlaps = false;
            var remaining = false;
            for (var i = 0; i < CpuSetWords; i++)
            {
                overlaps |= (mask[i] & reservedMask[i]) != 0;
                mask[i] &= ~reservedMask[i];
                remaining |= mask[i] != 0;
            }

            if (!overlaps)
            {
                continue;
            }

            if (!remaining)
            {
                for (var i = 0; i < CpuSetWords; i++)
                {
                    mask[i] = fallback[i] & ~reservedMask[i];
                }
            }

            if (SchedSetAffinity(tid, (nuint)(CpuSetWords * sizeof(ulong)), ref MemoryMarshal.GetReference(mask)) == 0)
            {
                moved++;
            }
        }

        return moved;
    }

    /// <summary>Sets <paramref name="mask"/> to every CPU of the machine.</summary>
    private static void AllCpus(Span<ulong> mask)
    {
        mask.Clear();
        for (var cpu = 0; cpu < Math.Min(Environment.ProcessorCount, CpuSetWords * 64); cpu++)
        {
            mask[cpu / 64] |= 1UL << (cpu % 64);
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static partial int SchedGetAffinity(int pid, nuint cpuSetSize, ref ulong mask);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nuint cpuSetSize, ref ulong mask);

    // A vDSO call that cannot block or call back into the runtime: safe without the GC transition.
    [LibraryImport("libc", EntryPoint = "sched_getcpu")]
    [SuppressGCTransition]
    private static partial int SchedGetCpu();
}
