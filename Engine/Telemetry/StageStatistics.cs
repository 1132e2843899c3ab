using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Engine.Telemetry;

/// <summary>
/// What one ring stage has done: events handled, batches, and the latency from the event's publication to
/// the moment the stage finished it. Written only by the stage's thread; read by the reporter.
/// </summary>
public sealed class StageStatistics
{
    private long _events;
    private long _batches;
    private long _threadAllocatedBytes;

    public StageStatistics(string stage) => Stage = stage;

    public string Stage { get; }

    /// <summary>Latency from publication to this stage's completion, in nanoseconds.</summary>
    public LatencyHistogram SincePublished { get; } = new();

    public long Events => Volatile.Read(ref _events);

    public long Batches => Volatile.Read(ref _batches);

    /// <summary>
    /// Bytes the stage's thread had allocated at the end of its last batch (GC's per-thread count). It must stop
    /// moving once the stage is warm: the hot path allocates nothing.
    /// </summary>
    public long ThreadAllocatedBytes => Volatile.Read(ref _threadAllocatedBytes);

    /// <summary>Counts one event published at <paramref name="publishedTimestamp"/> and finished at <paramref name="now"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long publishedTimestamp, long now, bool endOfBatch)
    {
        SincePublished.Record(StopwatchNanoseconds(now - publishedTimestamp));
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
