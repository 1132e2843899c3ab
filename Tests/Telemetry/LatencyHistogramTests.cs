using Engine.Telemetry;

namespace Tests.Telemetry;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Every_value_lands_in_a_bucket_whose_bounds_contain_it_within_6_25_percent()
    {
        var random = new Random(11);
        for (var i = 0; i < 200_000; i++)
        {
            var value = (long)Math.Pow(2, random.NextDouble() * 40);
            var bucket = LatencyHistogram.BucketOf(value);
            var low = LatencyHistogram.LowerBoundOf(bucket);
            var high = bucket + 1 < LatencyHistogram.BucketCount ? LatencyHistogram.LowerBoundOf(bucket + 1) : long.MaxValue;
            Assert.InRange(value, low, high - 1);
            Assert.True(high - low <= Math.Max(1, low / 16), $"bucket {bucket} [{low}, {high}) is wider than 1/16 of its value");
        }
    }

    [Fact]
    public void Buckets_are_contiguous_and_increasing()
    {
        for (var bucket = 1; bucket < LatencyHistogram.BucketCount; bucket++)
        {
            Assert.True(LatencyHistogram.LowerBoundOf(bucket) > LatencyHistogram.LowerBoundOf(bucket - 1));
            Assert.Equal(bucket, LatencyHistogram.BucketOf(LatencyHistogram.LowerBoundOf(bucket)));
            Assert.Equal(bucket - 1, LatencyHistogram.BucketOf(LatencyHistogram.LowerBoundOf(bucket) - 1));
        }
    }

    [Fact]
    public void Percentiles_and_max_match_the_recorded_values_within_the_bucket_precision()
    {
        var histogram = new LatencyHistogram();
        // 1..10,000 ns, once each: p50 = 5,000, p99 = 9,900, max = 10,000.
        for (long value = 1; value <= 10_000; value++)
        {
            histogram.Record(value);
        }

        var counts = new long[LatencyHistogram.BucketCount];
        histogram.CopyTo(counts);
        AssertClose(5_000, LatencyHistogram.ValueAtPercentile(counts, 50));
        AssertClose(9_900, LatencyHistogram.ValueAtPercentile(counts, 99));
        AssertClose(10_000, LatencyHistogram.MaxValue(counts));
        Assert.True(LatencyHistogram.MaxValue(counts) >= 10_000, "max is reported as its bucket's upper bound");
    }

    [Fact]
    public void Out_of_range_values_are_clamped_not_lost()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(-5);
        histogram.Record(long.MaxValue);
        var counts = new long[LatencyHistogram.BucketCount];
        histogram.CopyTo(counts);
        Assert.Equal(1, counts[0]);
        Assert.Equal(1, counts[^1]);
        Assert.Equal(0, LatencyHistogram.ValueAtPercentile(new long[LatencyHistogram.BucketCount], 50));
    }

    [Fact]
    public void Recording_allocates_nothing()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (long i = 0; i < 100_000; i++)
        {
            histogram.Record(i * 37);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void AssertClose(long expected, long actual) =>
        Assert.InRange(actual, expected - (expected / 16) - 1, expected + (expected / 16) + 1);
}
