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
    public long RingThreeStages()
    {
        var ring = _ring;
        long last = 0;
        for (long i = 0; i < Events; i++)
        {
            last = ring.Next();
            ring[last].Value = i;
            ring.Publish(last);
        }

        var spin = default(SpinWait);
        while (_tail.Value < last)
        {
            spin.SpinOnce(-1);
        }

        return _ringTally.Sum;
    }

    [GlobalSetup(Target = nameof(ChannelThreeStages))]
    public void SetupChannels()
    {
        _channelTally = new Tally();
        var channels = new Channel<PerfEvent>[3];
        for (var i = 0; i < channels.Length; i++)
        {
            channels[i] = Channel.CreateBounded<PerfEvent>(new BoundedChannelOptions(RingSize / 4)
            {
                SingleReader = true,
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }

        _channelHead = channels[0].Writer;
        _channelStages = new Thread[3];
        for (var i = 0; i < 3; i++)
        {
            var reader = channels[i].Reader;
            var next = i < 2 ? channels[i + 1].Writer : null;
            var tally = i == 2 ? _channelTally : new Tally();
            _channelStages[i] = new Thread(() =>
            {
                while (true)
                {
                    while (reader.TryRead(out var item))
                    {
                        item.Value += 1;
                        tally.Add(item.Value);
                        if (next is not null && !next.TryWrite(item))
                        {
                            next.WriteAsync(item).AsTask().GetAwaiter().GetResult();
                        }
                    }

                    tally.Publish();
                    if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                    {
                        next?.Complete();
                        return;
                    }
                }
            })
            { IsBackground = true };
            _channelStages[i].Start();
        }
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
    public long ChannelThreeStages()
    {
        var target = _channelTally.Count + Events;
        for (long i = 0; i < Events; i++)
        {
            var item = new PerfEvent { Value = i };
            if (!_channelHead.TryWrite(item))
            {
                _channelHead.WriteAsync(item).AsTask().GetAwaiter().GetResult();
            }
        }

        var spin = default(SpinWait);
        while (_channelTally.Count < target)
        {
            spin.SpinOnce(-1);
        }

        return _channelTally.Sum;
    }
}
