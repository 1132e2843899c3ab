using System.Runtime.CompilerServices;
using Engine.Ring;

namespace Benchmarks.Ring.Comparison;

/// <summary>Our ring in each <see cref="RingCaseKind"/>.</summary>
public static class OurRingCases
{
    /// <summary>Whether our rings ask for huge pages (<c>ringcmp --huge-pages</c>); off, as the engine ships.</summary>
    public static bool HugePages { get; set; }

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

    private static void Stop(params IEventProcessor[] processors)
    {
        foreach (var processor in processors)
        {
            processor.Halt();
            if (!processor.Join(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException($"{processor.Name} did not stop");
            }
        }
    }

    private readonly struct Side(RingBuffer<CmpEvent> ring) : IRingSide
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

    private readonly struct SumHandler(Tally tally) : IEventHandler<CmpEvent>
    {
        public void OnEvent(ref CmpEvent data, long sequence, bool endOfBatch) => CmpWork.Sum(tally, ref data);
    }

    private readonly struct BrainHandler : IEventHandler<CmpEvent>
    {
        public void OnEvent(ref CmpEvent data, long sequence, bool endOfBatch) => CmpWork.Brain(ref data);
    }

    private readonly struct ExecutionHandler : IEventHandler<CmpEvent>
    {
        public void OnEvent(ref CmpEvent data, long sequence, bool endOfBatch) => CmpWork.Execution(ref data);
    }

    private readonly struct TailHandler(Tally tally) : IEventHandler<CmpEvent>
    {
        public void OnEvent(ref CmpEvent data, long sequence, bool endOfBatch) => CmpWork.Tail(tally, ref data);
    }

    private readonly struct PongHandler(PingState state, RingBuffer<CmpEvent> ping) : IEventHandler<CmpEvent>
    {
        public void OnEvent(ref CmpEvent data, long sequence, bool endOfBatch) => state.OnPong(new Side(ping), ref data);
    }

    private readonly struct EchoHandler(RingBuffer<CmpEvent> pong) : IEventHandler<CmpEvent>
    {
        public void OnEvent(ref CmpEvent data, long sequence, bool endOfBatch) => PingState.Echo(new Side(pong), ref data);
    }

    private sealed class OneToOne : IRingCase
    {
        private readonly RingBuffer<CmpEvent> _ring;
        private readonly BatchEventProcessor<CmpEvent, SumHandler> _consumer;
        private readonly Tally _tally = new();
        private readonly bool _batches;
        private long _published;

        public OneToOne(IWaitStrategy wait, bool batches, CmpPlacement placement)
        {
            _batches = batches;
            _ring = RingBuffer.CreateSingleProducer<CmpEvent>(CmpWork.RingSize, wait, HugePages);
            _consumer = new BatchEventProcessor<CmpEvent, SumHandler>("cmp-consumer", _ring, _ring.NewBarrier(), new SumHandler(_tally));
            _ring.AddGatingSequences(_consumer.Sequence);
            _consumer.Start(CmpPlacement.PinTo(placement.ConsumerCpu));
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
        }, _tally, CmpWork.SumUpTo(events), "ours 1P1C");

        public void Dispose() => Stop(_consumer);
    }

    private sealed class Pipeline : IRingCase
    {
        private readonly RingBuffer<CmpEvent> _ring;
        private readonly IEventProcessor[] _stages;
        private readonly Tally _tally = new();
        private long _published;

        public Pipeline(CmpPlacement placement)
        {
            _ring = RingBuffer.CreateSingleProducer<CmpEvent>(CmpWork.RingSize, new YieldingWaitStrategy(), HugePages);
            var brain = new BatchEventProcessor<CmpEvent, BrainHandler>("cmp-brain", _ring, _ring.NewBarrier(), default);
            var execution = new BatchEventProcessor<CmpEvent, ExecutionHandler>("cmp-execution", _ring, _ring.NewBarrier(brain.Sequence), default);
            var tail = new BatchEventProcessor<CmpEvent, TailHandler>("cmp-tail", _ring, _ring.NewBarrier(execution.Sequence), new TailHandler(_tally));
            _ring.AddGatingSequences(tail.Sequence);
            // Neighbouring stages on different CPUs: brain beside the producer's CPU, execution on it, tail beside it.
            brain.Start(CmpPlacement.PinTo(placement.ConsumerCpu));
            execution.Start(CmpPlacement.PinTo(placement.ProducerCpu));
            tail.Start(CmpPlacement.PinTo(placement.ConsumerCpu));
            _stages = [brain, execution, tail];
        }

        public RingCaseResult Run(int events) => CmpDriver.Time(events, () =>
        {
            CmpDriver.PublishEach(new Side(_ring), 0, events);
            _published += events;
            CmpDriver.WaitUntil(() => _stages[2].Sequence.Value, _published - 1);
        }, _tally, CmpWork.SumUpTo(events), "ours pipeline");

        public void Dispose() => Stop(_stages);
    }

    private sealed class TwoProducers : IRingCase
    {
        private readonly RingBuffer<CmpEvent> _ring;
        private readonly BatchEventProcessor<CmpEvent, SumHandler> _consumer;
        private readonly Tally _tally = new();
        private long _published;

        public TwoProducers()
        {
            _ring = RingBuffer.CreateMultiProducer<CmpEvent>(CmpWork.RingSize, new YieldingWaitStrategy(), HugePages);
            _consumer = new BatchEventProcessor<CmpEvent, SumHandler>("cmp-consumer", _ring, _ring.NewBarrier(), new SumHandler(_tally));
            _ring.AddGatingSequences(_consumer.Sequence);
            _consumer.Start();
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
            }, _tally, 2 * CmpWork.SumUpTo(half), "ours two producers");
            other.Join();
            return result;
        }

        public void Dispose() => Stop(_consumer);
    }

    private sealed class PingPong : IRingCase
    {
        private readonly RingBuffer<CmpEvent> _ping;
        private readonly PingState _state = new();
        private readonly IEventProcessor[] _stages;

        public PingPong(CmpPlacement placement)
        {
            _ping = RingBuffer.CreateSingleProducer<CmpEvent>(1024, new BusySpinWaitStrategy());
            var pong = RingBuffer.CreateSingleProducer<CmpEvent>(1024, new BusySpinWaitStrategy());
            var echo = new BatchEventProcessor<CmpEvent, EchoHandler>("cmp-echo", _ping, _ping.NewBarrier(), new EchoHandler(pong));
            var pinger = new BatchEventProcessor<CmpEvent, PongHandler>("cmp-pinger", pong, pong.NewBarrier(), new PongHandler(_state, _ping));
            _ping.AddGatingSequences(echo.Sequence);
            pong.AddGatingSequences(pinger.Sequence);
            echo.Start(CmpPlacement.PinTo(placement.ConsumerCpu));
            pinger.Start(CmpPlacement.PinTo(placement.ProducerCpu));
            _stages = [echo, pinger];
        }

        public RingCaseResult Run(int events) => _state.Run(new Side(_ping), events);

        public void Dispose()
        {
            Stop(_stages);
            _state.Dispose();
        }
    }
}
