using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Engine.Ring;

namespace Benchmarks.Ring;

/// <summary>
/// Three stages in a chain behind one producer (four threads on this two-core machine): the engine's shape.
/// Busy-spin is left out on purpose: four spinning threads on two cores is the documented collapse.
/// Against three channels chained by three reader threads in the same run.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class PipelineBenchmarks
{
    private const int Events = 4_000_000;
    private const int RingSize = 64 * 1024;

    private RingBuffer<PerfEvent> _ring = null!;
    private IEventProcessor[] _stages = null!;
    private Sequence _tail = null!;
    private Tally _ringTally = null!;

    private ChannelWriter<PerfEvent> _channelHead = null!;
    private Thread[] _channelStages = null!;
    private Tally _channelTally = null!;

    [Params(WaitStrategyKind.Yielding, WaitStrategyKind.SpinThenBlock)]
    public WaitStrategyKind Wait { get; set; }

    [GlobalSetup(Target = nameof(RingThreeStages))]
    public void SetupRing()
    {
        _ringTally = new Tally();
        _ring = RingBuffer.CreateSingleProducer<PerfEvent>(RingSize, WaitStrategyFactory.Create(Wait));
        var s1 = new BatchEventProcessor<PerfEvent, ForwardingHandler>("s1", _ring, _ring.NewBarrier(), new ForwardingHandler(new Tally()));
        var s2 = new BatchEventProcessor<PerfEvent, ForwardingHandler>("s2", _ring, _ring.NewBarrier(s1.Sequence), new ForwardingHandler(new Tally()));
        var s3 = new BatchEventProcessor<PerfEvent, SummingHandler>("s3", _ring, _ring.NewBarrier(s2.Sequence), new SummingHandler(_ringTally));
        _ring.AddGatingSequences(s3.Sequence);
        _tail = s3.Sequence;
        s1.Start();
        s2.Start();
        s3.Start();
        _stages = [s1, s2, s3];
    }

    [GlobalCleanup(Target = nameof(RingThreeStages))]
    public void CleanupRing()
    {
        foreach (var stage in _stages)
        {
            stage.Halt();
            stage.Join(TimeSpan.FromSeconds(10));
        }
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "Ring 3-stage pipeline")]
    public long RingThreeStages() => RingDriver.PublishAndWait(_ring, _tail, _ringTally, Events);

    [GlobalSetup(Target = nameof(ChannelThreeStages))]
    public void SetupChannels()
    {
        _channelTally = new Tally();
        var channels = new[] { ChannelBaseline.CreateSpsc(RingSize / 4), ChannelBaseline.CreateSpsc(RingSize / 4), ChannelBaseline.CreateSpsc(RingSize / 4) };
        _channelHead = channels[0].Writer;
        _channelStages =
        [
            ChannelBaseline.StartStage(channels[0].Reader, channels[1].Writer, new Tally()),
            ChannelBaseline.StartStage(channels[1].Reader, channels[2].Writer, new Tally()),
            ChannelBaseline.StartStage(channels[2].Reader, next: null, _channelTally),
        ];
    }

    [GlobalCleanup(Target = nameof(ChannelThreeStages))]
    public void CleanupChannels()
    {
        _channelHead.Complete();
        foreach (var stage in _channelStages)
        {
            stage.Join(TimeSpan.FromSeconds(10));
        }
    }

    [Benchmark(OperationsPerInvoke = Events, Baseline = true, Description = "Channel<T> 3-stage pipeline")]
    public long ChannelThreeStages() => ChannelBaseline.PublishAndWait(_channelHead, _channelTally, Events);
}
