using Engine.Ring;

namespace Tests.Ring;

[Collection(RingThreadsCollection.Name)]
public sealed class RingDeliveryTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    public static TheoryData<WaitStrategyKind> AllWaitStrategies =>
        [WaitStrategyKind.SpinThenBlock, WaitStrategyKind.BusySpin, WaitStrategyKind.Yielding, WaitStrategyKind.Blocking];

    // Busy-spinning four threads on two cores is the documented anti-pattern; the chain uses the others.
    public static TheoryData<WaitStrategyKind> SharingWaitStrategies =>
        [WaitStrategyKind.SpinThenBlock, WaitStrategyKind.Yielding, WaitStrategyKind.Blocking];

    [Theory]
    [MemberData(nameof(AllWaitStrategies))]
    public void One_producer_one_consumer_delivers_every_event_once_in_order_over_many_laps(WaitStrategyKind kind)
    {
        const int events = 500_000;
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(64, WaitStrategyFactory.Create(kind));
        var check = new DeliveryCheck(producers: 1, stage: 1);
        var consumer = new BatchEventProcessor<TestEvent, CheckingHandler>("c1", ring, ring.NewBarrier(), new CheckingHandler(check));
        ring.AddGatingSequences(consumer.Sequence);
        consumer.Start();

        for (long i = 0; i < events; i++)
        {
            var sequence = ring.Next();
            ref var slot = ref ring[sequence];
            slot.Value = i;
            slot.Producer = 0;
            ring.Publish(sequence);
        }

        consumer.Halt();
        Assert.True(consumer.Join(s_timeout), "consumer did not stop");
        Assert.Null(check.FirstError);
        Assert.Equal(events, check.Count);
        Assert.Equal(events - 1, consumer.Sequence.Value);
        Assert.True(events / 64 > 1000, "the test must lap the ring many times");
    }

    [Theory]
    [MemberData(nameof(SharingWaitStrategies))]
    public void Several_producers_each_stay_in_order_with_nothing_lost_or_duplicated(WaitStrategyKind kind)
    {
        const int producers = 3;
        const int perProducer = 150_000;
        var ring = RingBuffer.CreateMultiProducer<TestEvent>(128, WaitStrategyFactory.Create(kind));
        var check = new DeliveryCheck(producers, stage: 1);
        var consumer = new BatchEventProcessor<TestEvent, CheckingHandler>("c1", ring, ring.NewBarrier(), new CheckingHandler(check));
        ring.AddGatingSequences(consumer.Sequence);
        consumer.Start();

        var threads = new Thread[producers];
        for (var p = 0; p < producers; p++)
        {
            var producer = p;
            threads[p] = new Thread(() =>
            {
                for (long i = 0; i < perProducer; i++)
                {
                    long sequence;
                    // Mix blocking claims with TryNext so both paths race.
                    if ((i & 1) == 0)
                    {
                        sequence = ring.Next();
                    }
                    else
                    {
                        while (!ring.TryNext(out sequence))
                        {
                            Thread.Yield();
                        }
                    }

                    ref var slot = ref ring[sequence];
                    slot.Value = i;
                    slot.Producer = producer;
                    ring.Publish(sequence);
                }
            });
            threads[p].Start();
        }

        foreach (var thread in threads)
        {
            Assert.True(thread.Join(s_timeout), "producer did not finish");
        }

        consumer.Halt();
        Assert.True(consumer.Join(s_timeout), "consumer did not stop");
        Assert.Null(check.FirstError);
        Assert.Equal(producers * perProducer, check.Count);
        for (var p = 0; p < producers; p++)
        {
            Assert.Equal(perProducer, check.ExpectedFrom(p));
        }
    }

    [Theory]
    [MemberData(nameof(SharingWaitStrategies))]
    public void A_chain_of_three_stages_sees_every_event_after_the_stage_before_it(WaitStrategyKind kind)
    {
        const int events = 300_000;
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(256, WaitStrategyFactory.Create(kind));
        var (stages, checks) = CheckedChain.Start(ring);

        for (long i = 0; i < events; i++)
        {
            var sequence = ring.Next();
            ring[sequence].Value = i;
            ring.Publish(sequence);
        }

        // Halting in dependency order drains each stage fully before the next is told to stop.
        foreach (var stage in stages)
        {
            stage.Halt();
            Assert.True(stage.Join(s_timeout), $"{stage.Name} did not stop");
        }

        foreach (var check in checks)
        {
            Assert.Null(check.FirstError);
            Assert.Equal(events, check.Count);
        }
    }

    [Theory]
    [MemberData(nameof(SharingWaitStrategies))]
    public void A_stage_gated_on_two_parallel_stages_sees_every_event_after_both(WaitStrategyKind kind)
    {
        const int events = 200_000;
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(128, WaitStrategyFactory.Create(kind));
        var left = new BatchEventProcessor<TestEvent, CheckingHandler>("left", ring, ring.NewBarrier(), new CheckingHandler(new DeliveryCheck(1, 1)));
        var right = new BatchEventProcessor<TestEvent, MarkingHandler>("right", ring, ring.NewBarrier(), default);
        var join = new DeliveryCheck(1, 3);
        var joined = new BatchEventProcessor<TestEvent, CheckingHandler>("join", ring, ring.NewBarrier(left.Sequence, right.Sequence), new CheckingHandler(join));
        ring.AddGatingSequences(joined.Sequence);
        left.Start();
        right.Start();
        joined.Start();

        for (long i = 0; i < events; i++)
        {
            var sequence = ring.Next();
            ring[sequence].Value = i;
            ring.Publish(sequence);
        }

        foreach (var stage in new IEventProcessor[] { left, right, joined })
        {
            stage.Halt();
            Assert.True(stage.Join(s_timeout), $"{stage.Name} did not stop");
        }

        Assert.Null(join.FirstError);
        Assert.Equal(events, join.Count);
    }

    [Fact]
    public void A_full_ring_refuses_TryNext_and_blocks_Next_instead_of_overwriting()
    {
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(8, new SpinThenBlockWaitStrategy());
        var gate = new ManualResetEventSlim(false);
        var seen = new List<long>();
        var consumer = new BatchEventProcessor<TestEvent, GatedHandler>("gated", ring, ring.NewBarrier(), new GatedHandler(gate, seen));
        ring.AddGatingSequences(consumer.Sequence);
        consumer.Start();

        for (long i = 0; i < 8; i++)
        {
            Assert.True(ring.TryNext(out var sequence));
            ring[sequence].Value = i;
            ring.Publish(sequence);
        }

        Assert.False(ring.TryNext(out _));
        Assert.Equal(0, ring.RemainingCapacity());

        var blockedClaim = new Thread(() =>
        {
            var sequence = ring.Next();
            ring[sequence].Value = 8;
            ring.Publish(sequence);
        });
        blockedClaim.Start();
        Assert.False(blockedClaim.Join(TimeSpan.FromMilliseconds(300)), "Next() must wait while the ring is full");

        gate.Set();
        Assert.True(blockedClaim.Join(s_timeout));
        consumer.Halt();
        Assert.True(consumer.Join(s_timeout));
        Assert.Equal([0L, 1, 2, 3, 4, 5, 6, 7, 8], seen);
    }

    [Fact]
    public void Multi_producer_TryNext_reports_a_full_ring()
    {
        var ring = RingBuffer.CreateMultiProducer<TestEvent>(4, new BlockingWaitStrategy());
        var consumerSequence = new Sequence();
        ring.AddGatingSequences(consumerSequence);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(ring.TryNext(out var sequence));
            ring.Publish(sequence);
        }

        Assert.False(ring.TryNext(out _));
        Assert.False(ring.TryNext(2, out _));
        consumerSequence.SetValue(1);
        Assert.True(ring.TryNext(2, out var highest));
        Assert.Equal(5, highest);
        Assert.False(ring.TryNext(out _));
    }

    [Fact]
    public void Multi_producer_consumers_only_see_slots_whose_producer_has_published()
    {
        var ring = RingBuffer.CreateMultiProducer<TestEvent>(16, new BlockingWaitStrategy(TimeSpan.FromMilliseconds(5)));
        var barrier = ring.NewBarrier();
        var first = ring.Next();
        var second = ring.Next();
        ring.Publish(second);

        Assert.Equal(second, ring.Cursor);
        Assert.Equal(first - 1, barrier.GetAvailable(first));
        Assert.True(barrier.WaitFor(first) < first, "a timed-out wait must not report the unpublished slot");

        ring.Publish(first);
        Assert.Equal(second, barrier.WaitFor(first));
    }

    [Fact]
    public void Halt_lets_a_slow_consumer_drain_everything_published_then_stop()
    {
        const int events = 2_000;
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(4096, new SpinThenBlockWaitStrategy());
        var check = new DeliveryCheck(1, 1);
        var consumer = new BatchEventProcessor<TestEvent, SlowHandler>("slow", ring, ring.NewBarrier(), new SlowHandler(check));
        ring.AddGatingSequences(consumer.Sequence);
        consumer.Start();
        for (long i = 0; i < events; i++)
        {
            var sequence = ring.Next();
            ring[sequence].Value = i;
            ring.Publish(sequence);
        }

        consumer.Halt();
        Assert.True(consumer.Join(s_timeout));
        Assert.False(consumer.IsRunning);
        Assert.Null(check.FirstError);
        Assert.Equal(events, check.Count);
    }

    [Fact]
    public void Halt_wakes_a_parked_idle_consumer_promptly()
    {
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(16, new BlockingWaitStrategy(TimeSpan.FromSeconds(30)));
        var consumer = new BatchEventProcessor<TestEvent, CheckingHandler>("idle", ring, ring.NewBarrier(), new CheckingHandler(new DeliveryCheck(1, 1)));
        ring.AddGatingSequences(consumer.Sequence);
        consumer.Start();
        Thread.Sleep(100);

        consumer.Halt();
        // Far shorter than the 30 s park: the alert itself must wake the waiter.
        Assert.True(consumer.Join(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void A_spin_then_block_wait_returns_after_its_timeout_so_the_stage_can_look_around()
    {
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(16, new SpinThenBlockWaitStrategy(TimeSpan.FromMicroseconds(5), TimeSpan.FromMicroseconds(50), TimeSpan.FromMilliseconds(20)));
        var barrier = ring.NewBarrier();
        var started = System.Diagnostics.Stopwatch.StartNew();
        var available = barrier.WaitFor(0);
        Assert.Equal(-1, available);
        Assert.InRange(started.ElapsedMilliseconds, 15, 5_000);
    }

    [Fact]
    public void A_throwing_handler_is_skipped_or_halts_as_the_fault_handler_says()
    {
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(16, new SpinThenBlockWaitStrategy());
        var faults = new List<long>();
        var state = new CountingState();
        var skipping = new BatchEventProcessor<TestEvent, ThrowingHandler>(
            "skip", ring, ring.NewBarrier(), new ThrowingHandler(state, throwOn: 3),
            (exception, sequence) =>
            {
                faults.Add(sequence);
                return FaultAction.Skip;
            });
        var halting = new BatchEventProcessor<TestEvent, ThrowingHandler>(
            "halt", ring, ring.NewBarrier(skipping.Sequence), new ThrowingHandler(new CountingState(), throwOn: 5));
        ring.AddGatingSequences(halting.Sequence);
        skipping.Start();
        halting.Start();
        for (long i = 0; i < 10; i++)
        {
            var sequence = ring.Next();
            ring[sequence].Value = i;
            ring.Publish(sequence);
        }

        Assert.True(halting.Join(s_timeout), "a fault without a handler halts the processor");
        Assert.IsType<InvalidOperationException>(halting.Fault);
        Assert.Equal(4, halting.Sequence.Value);

        skipping.Halt();
        Assert.True(skipping.Join(s_timeout));
        Assert.Equal([3L], faults);
        Assert.Equal(9, state.Count);
        Assert.Equal(9, skipping.Sequence.Value);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(1000)]
    public void Ring_sizes_must_be_powers_of_two(int size) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RingBuffer.CreateSingleProducer<TestEvent>(size, new BusySpinWaitStrategy()));

    private readonly struct GatedHandler(ManualResetEventSlim gate, List<long> seen) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
        {
            gate.Wait();
            seen.Add(data.Value);
        }
    }

    private readonly struct SlowHandler(DeliveryCheck check) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
        {
            Thread.SpinWait(2_000);
            check.See(ref data, sequence, endOfBatch);
        }
    }

    private readonly struct ThrowingHandler(CountingState state, long throwOn) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
        {
            if (data.Value == throwOn)
            {
                throw new InvalidOperationException($"handler refused {data.Value}");
            }

            state.Count++;
        }
    }
}
