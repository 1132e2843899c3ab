#if DISRUPTOR_NET
using System.Reflection;
using System.Runtime.CompilerServices;
using Disruptor;
using Disruptor.Processing;

namespace Benchmarks.Ring.Comparison;

/// <summary>
/// Disruptor-net in each <see cref="RingCaseKind"/>, used the way its own performance tests use it: a
/// <see cref="ValueRingBuffer{T}"/>, struct handlers through <see cref="EventProcessorFactory"/>, its own wait strategies.
/// Compiled only when the build is given a Disruptor.dll (<c>-p:DisruptorNet=path</c>).
/// </summary>
public static class DisruptorNetCases
{
    /// <summary>The Disruptor assembly this build was compiled against (the path given to the build, not the copy in bin/).</summary>
    public static string AssemblyPath => typeof(DisruptorNetCases).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "DisruptorNet")?.Value ?? typeof(ValueRingBuffer<>).Assembly.Location;

    public static IRingCase Create(RingCaseKind kind, CmpPlacement placement) => kind switch
    {
        RingCaseKind.OneToOneBusySpin => new OneToOne(new BusySpinWaitStrategy(), batches: false, placement),
        RingCaseKind.OneToOneYielding => new OneToOne(new YieldingWaitStrategy(), batches: false, placement),
        RingCaseKind.BatchPublish => new OneToOne(new BusySpinWaitStrategy(), batches: true, placement),
        RingCaseKind.ThreeStagePipeline => new Pipeline(placement),
        RingCaseKind.TwoProducers => new TwoProducers(),
        RingCaseKind.PingPong => new PingPong(placement),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown case"),
    };

    private static void Start(params IEventProcessor[] processors) => StartOn(-1, processors);

    /// <summary>Starts the processors, each on a thread pinned to <paramref name="cpu"/> (-1: the default scheduler's threads).</summary>
    private static void StartOn(int cpu, params IEventProcessor[] processors)
    {
        var scheduler = cpu < 0 ? TaskScheduler.Default : new PinnedThreadScheduler(cpu);
        foreach (var processor in processors)
        {
            if (!processor.Start(scheduler).Wait(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("a Disruptor-net processor did not start");
            }
        }
    }

    private static void Stop(params IEventProcessor[] processors)
    {
        foreach (var processor in processors)
        {
            if (!processor.Halt().Wait(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("a Disruptor-net processor did not stop");
            }

            processor.Dispose();
        }
    }

    private static ValueRingBuffer<CmpEvent> Single(int size, IWaitStrategy wait) => ValueRingBuffer<CmpEvent>.CreateSingleProducer(() => default, size, wait);

    private readonly struct Side(ValueRingBuffer<CmpEvent> ring) : IRingSide
    {
        public ref CmpEvent this[long sequence]
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => ref ring[sequence];
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public long Next() => ring.Next();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public long Next(int count) => ring.Next(count);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Publish(long sequence) => ring.Publish(sequence);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Publish(long low, long high) => ring.Publish(low, high);
    }

    private readonly struct SumHandler(Tally tally) : IValueEventHandler<CmpEvent>
    {
        public void OnEvent(ref CmpEvent data, long sequence, bool endOfBatch) => CmpWork.Sum(tally, ref data);
    }

    private readonly struct BrainHandler : IValueEventHandler<CmpEvent>
    {
        public void OnEvent(ref CmpEvent data, long sequence, bool endOfBatch) => CmpWork.Brain(ref data);
    }

    private readonly struct ExecutionHandler : IValueEventHandler<CmpEvent>
    {
        public void OnEvent(ref CmpEvent data, long sequence, bool endOfBatch) => CmpWork.Execution(ref data);
    }

    private readonly struct TailHandler(Tally tally) : IValueEventHandler<CmpEvent>
    {
        public void OnEvent(ref CmpEvent data, long sequence, bool endOfBatch) => CmpWork.Tail(tally, ref data);
    }

    private readonly struct PongHandler(PingState state, ValueRingBuffer<CmpEvent> ping) : IValueEventHandler<CmpEvent>
    {
        public void OnEvent(ref CmpEvent data, long sequence, bool endOfBatch) => state.OnPong(new Side(ping), ref data);
    }

    private readonly struct EchoHandler(ValueRingBuffer<CmpEvent> pong) : IValueEventHandler<CmpEvent>
    {
        public void OnEvent(ref CmpEvent data, long sequence, bool endOfBatch) => PingState.Echo(new Side(pong), ref data);
    }

    private sealed class OneToOne : IRingCase
    {
        private readonly ValueRingBuffer<CmpEvent> _ring;
        private readonly IValueEventProcessor<CmpEvent> _consumer;
        private readonly Tally _tally = new();
        private readonly bool _batches;
        private long _published;

        public OneToOne(IWaitStrategy wait, bool batches, CmpPlacement placement)
        {
            _batches = batches;
            _ring = Single(CmpWork.RingSize, wait);
            _consumer = EventProcessorFactory.Create(_ring, _ring.NewBarrier(SequenceWaiterOwner.Unknown), new SumHandler(_tally));
            _ring.AddGatingSequences(_consumer.Sequence);
            StartOn(placement.ConsumerCpu, _consumer);
        }

        public RingCaseResult Run(int events) => CmpDriver.Time(events, () =>
        {
            var side = new Side(_ring);
            if (_batches)
            {
                CmpDriver.PublishBatches(side, 0, events);
            }
            else
            {
                CmpDriver.PublishEach(side, 0, events);
            }

            _published += events;
            CmpDriver.WaitUntil(() => _consumer.Sequence.Value, _published - 1);
        }, _tally, CmpWork.SumUpTo(events), "Disruptor-net 1P1C");

        public void Dispose() => Stop(_consumer);
    }

    private sealed class Pipeline : IRingCase
    {
        private readonly ValueRingBuffer<CmpEvent> _ring;
        private readonly IEventProcessor[] _stages;
        private readonly Tally _tally = new();
        private long _published;

        public Pipeline(CmpPlacement placement)
        {
            _ring = Single(CmpWork.RingSize, new YieldingWaitStrategy());
            var brain = EventProcessorFactory.Create(_ring, _ring.NewBarrier(SequenceWaiterOwner.Unknown), new BrainHandler());
            var execution = EventProcessorFactory.Create(_ring, _ring.NewBarrier(SequenceWaiterOwner.Unknown, brain.Sequence), new ExecutionHandler());
            var tail = EventProcessorFactory.Create(_ring, _ring.NewBarrier(SequenceWaiterOwner.Unknown, execution.Sequence), new TailHandler(_tally));
            _ring.AddGatingSequences(tail.Sequence);
            _stages = [brain, execution, tail];
            StartOn(placement.ConsumerCpu, brain);
            StartOn(placement.ProducerCpu, execution);
            StartOn(placement.ConsumerCpu, tail);
        }

        public RingCaseResult Run(int events) => CmpDriver.Time(events, () =>
        {
            CmpDriver.PublishEach(new Side(_ring), 0, events);
            _published += events;
            CmpDriver.WaitUntil(() => _stages[2].Sequence.Value, _published - 1);
        }, _tally, CmpWork.SumUpTo(events), "Disruptor-net pipeline");

        public void Dispose() => Stop(_stages);
    }

    private sealed class TwoProducers : IRingCase
    {
        private readonly ValueRingBuffer<CmpEvent> _ring;
        private readonly IValueEventProcessor<CmpEvent> _consumer;
        private readonly Tally _tally = new();
        private long _published;

        public TwoProducers()
        {
            _ring = ValueRingBuffer<CmpEvent>.CreateMultiProducer(() => default, CmpWork.RingSize, new YieldingWaitStrategy());
            _consumer = EventProcessorFactory.Create(_ring, _ring.NewBarrier(SequenceWaiterOwner.Unknown), new SumHandler(_tally));
            _ring.AddGatingSequences(_consumer.Sequence);
            Start(_consumer);
        }

        public RingCaseResult Run(int events)
        {
            var half = events / 2;
            using var start = new ManualResetEventSlim(false);
            var other = new Thread(() =>
            {
                start.Wait();
                CmpDriver.PublishEach(new Side(_ring), 0, half);
            })
            { IsBackground = true, Name = "cmp-producer-2" };
            other.Start();
            var result = CmpDriver.Time(half * 2, () =>
            {
                start.Set();
                CmpDriver.PublishEach(new Side(_ring), 0, half);
                _published += half * 2;
                CmpDriver.WaitUntil(() => _consumer.Sequence.Value, _published - 1);
            }, _tally, 2 * CmpWork.SumUpTo(half), "Disruptor-net two producers");
            other.Join();
            return result;
        }

        public void Dispose() => Stop(_consumer);
    }

    private sealed class PingPong : IRingCase
    {
        private readonly ValueRingBuffer<CmpEvent> _ping;
        private readonly PingState _state = new();
        private readonly IEventProcessor[] _stages;

        public PingPong(CmpPlacement placement)
        {
            _ping = Single(1024, new BusySpinWaitStrategy());
            var pong = Single(1024, new BusySpinWaitStrategy());
            var echo = EventProcessorFactory.Create(_ping, _ping.NewBarrier(SequenceWaiterOwner.Unknown), new EchoHandler(pong));
            var pinger = EventProcessorFactory.Create(pong, pong.NewBarrier(SequenceWaiterOwner.Unknown), new PongHandler(_state, _ping));
            _ping.AddGatingSequences(echo.Sequence);
            pong.AddGatingSequences(pinger.Sequence);
            _stages = [echo, pinger];
            StartOn(placement.ConsumerCpu, echo);
            StartOn(placement.ProducerCpu, pinger);
        }

        public RingCaseResult Run(int events) => _state.Run(new Side(_ping), events);

        public void Dispose()
        {
            Stop(_stages);
            _state.Dispose();
        }
    }
}
#endif
