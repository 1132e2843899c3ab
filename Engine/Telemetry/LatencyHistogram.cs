using System.Numerics;
using System.Runtime.CompilerServices;

namespace Engine.Telemetry;

/// <summary>
/// A fixed-size, allocation-free latency histogram for one writer thread: log-linear buckets (16 per power
/// of two, so any reported value is within 6.25 % of the truth) from 1 ns to about 18 minutes.
/// </summary>
/// <remarks>
/// The writer increments plain counters; readers on other threads copy them into a snapshot. A read can miss
/// an increment in flight but never sees a torn count (64-bit stores are atomic on 64-bit runtimes), which is
/// what periodic statistics need. Recording is a shift, a count-leading-zeros and one increment.
/// </remarks>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 4;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int MaxExponent = 40;

    /// <summary>Number of buckets; also the length a snapshot buffer needs.</summary>
    public const int BucketCount = (MaxExponent - SubBucketBits + 2) * SubBuckets;

    private readonly long[] _counts = new long[BucketCount];

    /// <summary>Records one value in nanoseconds (negative values count as 0, huge ones land in the top bucket).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long nanoseconds) => _counts[BucketOf(nanoseconds)]++;

    /// <summary>Copies the current counts into <paramref name="destination"/> (length <see cref="BucketCount"/>).</summary>
    public void CopyTo(Span<long> destination)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            destination[i] = Volatile.Read(ref _counts[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int BucketOf(long value)
    {
        if (value < SubBuckets)
        {
            return value < 0 ? 0 : (int)value;
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)value);
        if (exponent > MaxExponent)
        {
            return BucketCount - 1;
        }

        var subBucket = (int)(value >> (exponent - SubBucketBits)) & (SubBuckets - 1);
        return ((exponent - SubBucketBits + 1) * SubBuckets) + subBucket;
    }

    /// <summary>The lowest value that falls into <paramref name="bucket"/>.</summary>
    internal static long LowerBoundOf(int bucket)
    {
        if (bucket < SubBuckets)
        {
            return bucket;
        }

        var exponent = (bucket / SubBuckets) + SubBucketBits - 1;
        var subBucket = bucket % SubBuckets;
        return (1L << exponent) | ((long)subBucket << (exponent - SubBucketBits));
    }

    /// <summary>The highest value that falls into <paramref name="bucket"/> (the top bucket: <see cref="long.MaxValue"/>).</summary>
    public static long UpperBoundOf(int bucket) => bucket + 1 < BucketCount ? LowerBoundOf(bucket + 1) - 1 : long.MaxValue;

    /// <summary>
    /// The value at <paramref name="percentile"/> (0-100) of the counts in <paramref name="counts"/> (a snapshot or the
    /// difference of two), reported as the middle of its bucket; 0 when there are no counts.
    /// </summary>
    public static long ValueAtPercentile(ReadOnlySpan<long> counts, double percentile)
    {
        long total = 0;
        foreach (var count in counts)
        {
            total += count;
        }

        if (total == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(total * (percentile / 100.0)));
        long seen = 0;
        for (var bucket = 0; bucket < counts.Length; bucket++)
        {
            seen += counts[bucket];
            if (seen >= rank)
            {
                return MidpointOf(bucket);
            }
        }

        return MidpointOf(counts.Length - 1);
    }

    /// <summary>The largest recorded value's bucket, as its upper bound; 0 when empty.</summary>
    public static long MaxValue(ReadOnlySpan<long> counts)
    {
        for (var bucket = counts.Length - 1; bucket >= 0; bucket--)
        {
            if (counts[bucket] != 0)
            {
                return bucket + 1 < BucketCount ? LowerBoundOf(bucket + 1) - 1 : LowerBoundOf(bucket);
            }
        }

        return 0;
    }

    private static long MidpointOf(int bucket)
    {
        var low = LowerBoundOf(bucket);
        var high = bucket + 1 < BucketCount ? LowerBoundOf(bucket + 1) : low;
        return low + ((high - low) / 2);
    }
}
