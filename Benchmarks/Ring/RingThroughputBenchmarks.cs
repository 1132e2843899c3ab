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
    public long Ring1P1C()
    {
        var ring = _ring;
        long last = 0;
        for (long i = 0; i < Events; i++)
        {
            last = ring.Next();
            ring[last].Value = i;
            ring.Publish(last);
        }

        var consumed = _consumer.Sequence;
        var spin = default(SpinWait);
        while (consumed.Value < last)
        {
            spin.SpinOnce(-1);
        }

        return _ringTally.Sum;
    }

    [GlobalSetup(Target = nameof(Channel1P1C))]
    public void SetupChannel()
    {
        _channelTally = new Tally();
        _channel = Channel.CreateBounded<PerfEvent>(new BoundedChannelOptions(RingSize)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
        var reader = _channel.Reader;
        var tally = _channelTally;
        _channelReader = new Thread(() =>
        {
            // The idiomatic consumer: drain with TryRead, wait with WaitToReadAsync when empty.
            while (true)
            {
                while (reader.TryRead(out var item))
                {
                    tally.Add(item.Value);
                }

                tally.Publish();
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    return;
                }
            }
        })
        { IsBackground = true, Name = "channel-reader" };
        _channelReader.Start();
    }

    [GlobalCleanup(Target = nameof(Channel1P1C))]
    public void CleanupChannel()
    {
        _channel.Writer.Complete();
        _channelReader.Join(TimeSpan.FromSeconds(10));
    }

    [Benchmark(OperationsPerInvoke = Events, Baseline = true, Description = "Channel<T> 1P1C")]
    public long Channel1P1C()
    {
        var writer = _channel.Writer;
        var target = _channelTally.Count + Events;
        for (long i = 0; i < Events; i++)
        {
            var item = new PerfEvent { Value = i };
            if (!writer.TryWrite(item))
            {
                writer.WriteAsync(item).AsTask().GetAwaiter().GetResult();
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
