using System.Runtime.InteropServices;

namespace Engine.Native;

/// <summary>
/// Linux futexes on a 32-bit word in memory that never moves (native memory or the pinned object heap): a thread
/// sleeps while the word holds the value it last saw, and another wakes the sleepers after changing it. One system
/// call on each side and nothing else; a <see cref="Monitor"/> wait and pulse take about twice as long to get a
/// sleeping thread running here (a lock handed over, a per-thread event inside the runtime).
/// </summary>
public static unsafe partial class Futex
{
    private const int WaitPrivate = 0 | 128;
    private const int WakePrivate = 1 | 128;
    private const int TryAgain = 11;
    private const int Interrupted = 4;
    private const int TimedOut = 110;

    private static readonly long s_syscall = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 => 98,
        _ => 0,
    };

    /// <summary>Whether this platform has the call (Linux on x64 or Arm64).</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && s_syscall != 0;

    /// <summary>
    /// Sleeps while <c>*word == expected</c>, at most <paramref name="timeoutMilliseconds"/>. Returns false only when the
    /// timeout passed; true when woken, when the word no longer held <paramref name="expected"/> on entry, or when a
    /// signal interrupted the sleep. The caller re-checks its condition in every case.
    /// </summary>
    /// <exception cref="InvalidOperationException">The kernel refused the call for another reason (the word is not
    /// readable or aligned, or futexes are forbidden to this process).</exception>
    public static bool Wait(int* word, int expected, int timeoutMilliseconds)
    {
        var timeout = new TimeSpec(timeoutMilliseconds / 1000, timeoutMilliseconds % 1000 * 1_000_000L);
        if (Syscall(s_syscall, word, WaitPrivate, expected, &timeout, 0, 0) == 0)
        {
            return true;
        }

        return Marshal.GetLastPInvokeError() switch
        {
            TimedOut => false,
            TryAgain or Interrupted => true,
            var errno => throw new InvalidOperationException($"futex wait failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})"),
        };
    }

    /// <summary>Wakes every thread sleeping on <paramref name="word"/>; the caller has changed it first.</summary>
    public static void WakeAll(int* word) => Syscall(s_syscall, word, WakePrivate, int.MaxValue, null, 0, 0);

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct TimeSpec(long seconds, long nanoseconds)
    {
        public readonly long Seconds = seconds;
        public readonly long Nanoseconds = nanoseconds;
    }

    // syscall(2) rather than a libc wrapper: glibc has none for futex.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int* word, int operation, int value, TimeSpec* timeout, nint word2, int value3);
}
