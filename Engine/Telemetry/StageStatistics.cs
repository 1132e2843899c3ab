using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Telemetry;

/// <summary>
/// What one ring stage has done: events handled, batches, and the latency from the event's publication to
/// the moment the stage finished it. Written only by the stage's thread; read by the reporter.
/// </summary>
/// <remarks>The counters are written on every event, so they sit in a padded block of their own.</remarks>
[StructLayout(LayoutKind.Explicit, Size = 192)]
public sealed class StageStatistics
{
    [FieldOffset(64)]
    private long _events;

    [FieldOffset(72)]
    private long _batches;

    [FieldOffset(80)]
    private long _threadAllocatedBytes;

    [FieldOffset(88)]
    private long _latencySumNanoseconds;

    [FieldOffset(0)]
    private readonly string _stage;

    [FieldOffset(8)]
    private readonly LatencyHistogram _sincePublished = new();

    public StageStatistics(string stage) => _stage = stage;

    public string Stage => _stage;

    /// <summary>Latency from publication to this stage's completion, in nanoseconds.</summary>
    public LatencyHistogram SincePublished => _sincePublished;

    public long Events => Volatile.Read(ref _events);

    public long Batches => Volatile.Read(ref _batches);

    /// <summary>Sum of every recorded publication-to-stage latency, in nanoseconds (the histogram's <c>_sum</c>).</summary>
    public long LatencySumNanoseconds => Volatile.Read(ref _latencySumNanoseconds);

    /// <summary>
    /// Bytes the stage's thread had allocated at the end of its last batch (GC's per-thread count). It must stop
    /// moving once the stage is warm: the hot path allocates nothing.
    /// </summary>
    public long ThreadAllocatedBytes => Volatile.Read(ref _threadAllocatedBytes);

    /// <summary>Counts one event published at <paramref name="publishedTimestamp"/> and finished at <paramref name="now"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long publishedTimestamp, long now, bool endOfBatch)
    {
        var nanoseconds = StopwatchNanoseconds(now - publishedTimestamp);
        SincePublished.Record(nanoseconds);
        Volatile.Write(ref _latencySumNanoseconds, _latencySumNanoseconds + nanoseconds);
        Volatile.Write(ref _events, _events + 1);
        if (endOfBatch)
        {
            Volatile.Write(ref _batches, _batches + 1);
            Volatile.Write(ref _threadAllocatedBytes, GC.GetAllocatedBytesForCurrentThread());
        }
    }

    /// <summary>Converts a Stopwatch tick difference to nanoseconds without floating point.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long StopwatchNanoseconds(long ticks) =>
        Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)((Int128)ticks * 1_000_000_000 / Stopwatch.Frequency);
}
