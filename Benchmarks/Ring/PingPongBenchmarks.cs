using BenchmarkDotNet.Attributes;
using Engine.Ring;

namespace Benchmarks.Ring;

/// <summary>
/// Round-trip latency between two threads: ring ping-pong (busy-spin echo) against channel ping-pong, same run.
/// Each operation is one round trip; the median is the figure the bar is set on.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
[MedianColumn]
[Config(typeof(PercentileConfig))]
public class PingPongBenchmarks
{
    private const int RoundTrips = 100_000;

    private RingPingPong _ring = null!;
    private ChannelPingPong _channel = null!;

    [GlobalSetup(Target = nameof(RingBusySpin))]
    public void SetupRing() => _ring = new RingPingPong(WaitStrategyKind.BusySpin);

    [GlobalCleanup(Target = nameof(RingBusySpin))]
    public void CleanupRing() => _ring.Dispose();

    [GlobalSetup(Target = nameof(ChannelTryRead))]
    public void SetupChannel() => _channel = new ChannelPingPong();

    [GlobalCleanup(Target = nameof(ChannelTryRead))]
    public void CleanupChannel() => _channel.Dispose();

    [Benchmark(OperationsPerInvoke = RoundTrips, Description = "Ring ping-pong, busy-spin")]
    public long RingBusySpin()
    {
        long sum = 0;
        for (long i = 0; i < RoundTrips; i++)
        {
            sum += _ring.RoundTrip(i);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = RoundTrips, Baseline = true, Description = "Channel<T> ping-pong, polling")]
    public long ChannelTryRead()
    {
        long sum = 0;
        for (long i = 0; i < RoundTrips; i++)
        {
            sum += _channel.RoundTrip(i);
        }

        return sum;
    }
}
