using Engine.Ring;

namespace Tests.Ring;

[Collection(RingThreadsCollection.Name)]
public sealed class EarlyReleaseTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_released_slot_reaches_the_next_stage_while_the_batch_it_is_in_is_still_running()
    {
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(64, new BlockingWaitStrategy());
        var release = new EarlyRelease();
        var seenDownstream = new ManualResetEventSlim();
        var handler = new ReleasingHandler(release, releaseAt: 3, holdUntil: seenDownstream);
        var stage = new BatchEventProcessor<TestEvent, ReleasingHandler>("releasing", ring, ring.NewBarrier(), handler, earlyRelease: release);
        ring.AddGatingSequences(stage.Sequence);

        // Ten slots published before the stage starts: its first batch is all of them.
        for (var i = 0; i < 10; i++)
        {
            var sequence = ring.Next();
            ring[sequence].Value = i;
            ring.Publish(sequence);
        }

        stage.Start();
        try
        {
            // The handler holds slot 3 until slot 3 is seen downstream: only an early release can let that happen.
            var deadline = DateTime.UtcNow + s_timeout;
            while (stage.Sequence.Value < 3 && DateTime.UtcNow < deadline)
            {
                Thread.Yield();
            }

            Assert.Equal(3, stage.Sequence.Value);
            seenDownstream.Set();
            deadline = DateTime.UtcNow + s_timeout;
            while (stage.Sequence.Value < 9 && DateTime.UtcNow < deadline)
            {
                Thread.Yield();
            }

            Assert.Equal(9, stage.Sequence.Value);
            Assert.Equal(1, release.Releases);
        }
        finally
        {
            seenDownstream.Set();
            stage.Halt();
            Assert.True(stage.Join(s_timeout));
        }
    }

    [Fact]
    public void A_release_belongs_to_one_processor_and_is_refused_before_it_has_one()
    {
        var release = new EarlyRelease();
        Assert.Throws<InvalidOperationException>(() => release.Release(0));

        var ring = RingBuffer.CreateSingleProducer<TestEvent>(64, new BlockingWaitStrategy());
        _ = new BatchEventProcessor<TestEvent, ReleasingHandler>("first", ring, ring.NewBarrier(), default, earlyRelease: release);
        Assert.Throws<InvalidOperationException>(
            () => new BatchEventProcessor<TestEvent, ReleasingHandler>("second", ring, ring.NewBarrier(), default, earlyRelease: release));
    }

    [Fact]
    public void Idle_work_runs_while_a_spinning_stage_waits_and_no_more_often_than_its_interval()
    {
        foreach (var kind in new[] { WaitStrategyKind.BusySpin, WaitStrategyKind.Yielding })
        {
            var runs = 0;
            var idle = new IdleWork(() => runs++, TimeSpan.FromMilliseconds(5));
            var ring = RingBuffer.CreateSingleProducer<TestEvent>(64, WaitStrategyFactory.Create(kind, TimeSpan.Zero, idle: idle));
            var barrier = ring.NewBarrier();
            var waiter = new Thread(() => barrier.WaitFor(0)) { IsBackground = true };
            var started = DateTime.UtcNow;
            waiter.Start();
            Thread.Sleep(200);
            var sequence = ring.Next();
            ring.Publish(sequence);
            Assert.True(waiter.Join(s_timeout));
            var elapsed = DateTime.UtcNow - started;

            Assert.True(runs > 0, $"{kind}: the idle work never ran in {elapsed.TotalMilliseconds:0} ms of waiting");
            Assert.True(runs <= (elapsed.TotalMilliseconds / 5) + 1, $"{kind}: {runs} runs in {elapsed.TotalMilliseconds:0} ms at most one per 5 ms");
            Assert.Equal(runs, idle.Runs);
        }
    }

    [Fact]
    public void Parking_strategies_ignore_idle_work()
    {
        var runs = 0;
        var idle = new IdleWork(() => runs++, TimeSpan.FromMilliseconds(1));
        foreach (var kind in new[] { WaitStrategyKind.SpinThenBlock, WaitStrategyKind.Blocking })
        {
            var ring = RingBuffer.CreateSingleProducer<TestEvent>(64, WaitStrategyFactory.Create(kind, idle: idle));
            var barrier = ring.NewBarrier();
            var waiter = new Thread(() => barrier.WaitFor(0)) { IsBackground = true };
            waiter.Start();
            Thread.Sleep(50);
            ring.Publish(ring.Next());
            Assert.True(waiter.Join(s_timeout));
        }

        Assert.Equal(0, runs);
    }

    private struct ReleasingHandler(EarlyRelease release, long releaseAt, ManualResetEventSlim holdUntil) : IEventHandler<TestEvent>
    {
        public readonly void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
        {
            if (sequence == releaseAt)
            {
                release.Release(sequence);
                holdUntil.Wait(s_timeout);
            }
        }
    }
}
