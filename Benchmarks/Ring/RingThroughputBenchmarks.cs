using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Engine.Ring;

namespace Benchmarks.Ring;

/// <summary>
/// One producer, one consumer, struct events: how many events per second cross from one thread to another.
/// Our ring with the two spinning strategies (the ones that fit a free core per thread) and with the
/// small-machine default, against a bounded single-reader/single-writer <see cref="Channel{T}"/> in the same run.
/// Each operation is one event (OperationsPerInvoke), so "Mean" is nanoseconds per event.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 20)]
[MedianColumn]
public class RingThroughputBenchmarks
{
    private const int Events = 10_000_000;
    private const int RingSize = 64 * 1024;

    private RingBuffer<PerfEvent> _ring = null!;
    private BatchEventProcessor<PerfEvent, SummingHandler> _consumer = null!;
    private Tally _ringTally = null!;

    private Channel<PerfEvent> _channel = null!;
    private Thread _channelReader = null!;
    private Tally _channelTally = null!;

    [Params(WaitStrategyKind.BusySpin, WaitStrategyKind.Yielding, WaitStrategyKind.SpinThenBlock)]
    public WaitStrategyKind Wait { get; set; }

    [GlobalSetup(Target = nameof(Ring1P1C))]
    public void SetupRing()
    {
        _ringTally = new Tally();
        _ring = RingBuffer.CreateSingleProducer<PerfEvent>(RingSize, WaitStrategyFactory.Create(Wait));
        _consumer = new BatchEventProcessor<PerfEvent, SummingHandler>("consumer", _ring, _ring.NewBarrier(), new SummingHandler(_ringTally));
        _ring.AddGatingSequences(_consumer.Sequence);
        _consumer.Start();
    }

    [GlobalCleanup(Target = nameof(Ring1P1C))]
    public void CleanupRing()
    {
        _consumer.Halt();
        _consumer.Join(TimeSpan.FromSeconds(10));
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "Ring 1P1C")]
    public long Ring1P1C() => RingDriver.PublishAndWait(_ring, _consumer.Sequence, _ringTally, Events);

    [GlobalSetup(Target = nameof(Channel1P1C))]
    public void SetupChannel()
    {
        _channelTally = new Tally();
        _channel = ChannelBaseline.CreateSpsc(RingSize);
        _channelReader = ChannelBaseline.StartStage(_channel.Reader, next: null, _channelTally);
    }

    [GlobalCleanup(Target = nameof(Channel1P1C))]
    public void CleanupChannel()
    {
        _channel.Writer.Complete();
        _channelReader.Join(TimeSpan.FromSeconds(10));
    }

    [Benchmark(OperationsPerInvoke = Events, Baseline = true, Description = "Channel<T> 1P1C")]
    public long Channel1P1C() => ChannelBaseline.PublishAndWait(_channel.Writer, _channelTally, Events);
}
