using Engine.Ring;

namespace Tests.Ring;

/// <summary>
/// The rules a barrier's waiter follows from its history: run the timed spin while it catches the sequence, skip it
/// after two that ran out (trying again one wait in sixteen); back off before looking at a streaming producer's cursor
/// after several waits in a row that ended within a few checks, and stop backing off after one that did not.
/// </summary>
public sealed class WaitHistoryTests
{
    [Fact]
    public void A_new_barrier_runs_its_timed_spin()
    {
        var barrier = NewBarrier();
        Assert.True(barrier.ShouldRunTimedSpin());
    }

    [Fact]
    public void One_spin_that_ran_out_is_not_enough_to_stop_spinning()
    {
        var barrier = NewBarrier();
        barrier.RecordTimedSpin(caught: false);
        Assert.True(barrier.ShouldRunTimedSpin());
    }

    [Fact]
    public void After_two_spins_that_ran_out_only_one_wait_in_sixteen_spins()
    {
        var barrier = NewBarrier();
        barrier.RecordTimedSpin(caught: false);
        barrier.RecordTimedSpin(caught: false);

        var decisions = Enumerable.Range(0, 32).Select(_ => barrier.ShouldRunTimedSpin()).ToArray();

        Assert.Equal(2, decisions.Count(spin => spin));
        Assert.True(decisions[15]);
        Assert.True(decisions[31]);
    }

    [Fact]
    public void A_spin_that_catches_the_sequence_brings_spinning_back()
    {
        var barrier = NewBarrier();
        barrier.RecordTimedSpin(caught: false);
        barrier.RecordTimedSpin(caught: false);
        Assert.False(barrier.ShouldRunTimedSpin());

        barrier.RecordTimedSpin(caught: true);

        Assert.All(Enumerable.Range(0, 8), _ => Assert.True(barrier.ShouldRunTimedSpin()));
    }

    [Fact]
    public async Task A_yielding_consumer_that_stopped_spinning_still_takes_every_event_of_a_slow_producer()
    {
        var ring = RingBuffer.CreateSingleProducer<long>(64, new YieldingWaitStrategy(TimeSpan.FromMicroseconds(1)));
        var barrier = ring.NewBarrier();
        var seen = new List<long>();
        var consumer = Task.Run(() =>
        {
            var next = 0L;
            while (next < 20)
            {
                var available = barrier.WaitFor(next);
                for (; next <= available; next++)
                {
                    seen.Add(ring[next]);
                }
            }
        });

        for (var i = 0; i < 20; i++)
        {
            // Each gap outlasts the timed spin, so the consumer soon yields straight after its back-to-back checks.
            await Task.Delay(2);
            var sequence = ring.Next();
            ring[sequence] = i * 10;
            ring.Publish(sequence);
        }

        await consumer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i * 10), seen);
    }

    [Fact]
    public void A_new_barrier_does_not_back_off()
    {
        Assert.False(NewBarrier().IsRacingProducer);
    }

    [Fact]
    public void Four_quick_waits_in_a_row_make_the_waiter_back_off()
    {
        var barrier = NewBarrier();
        for (var i = 0; i < 3; i++)
        {
            barrier.RecordWait(failedChecks: i);
            Assert.False(barrier.IsRacingProducer);
        }

        barrier.RecordWait(failedChecks: 8);
        Assert.True(barrier.IsRacingProducer);
    }

    [Fact]
    public void One_long_wait_ends_the_back_off()
    {
        var barrier = NewBarrier();
        for (var i = 0; i < 10; i++)
        {
            barrier.RecordWait(failedChecks: 0);
        }

        Assert.True(barrier.IsRacingProducer);
        barrier.RecordWait(failedChecks: 9);
        Assert.False(barrier.IsRacingProducer);
    }

    [Fact]
    public async Task A_wait_for_an_isolated_event_is_not_a_quick_one()
    {
        var ring = RingBuffer.CreateSingleProducer<long>(16, new BusySpinWaitStrategy());
        var barrier = ring.NewBarrier();
        for (var i = 0; i < 4; i++)
        {
            barrier.RecordWait(failedChecks: 0);
        }

        Assert.True(barrier.IsRacingProducer);
        var waiter = Task.Run(() => barrier.WaitFor(0));
        await Task.Delay(50);
        ring.Publish(ring.Next());

        Assert.Equal(0, await waiter.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(barrier.IsRacingProducer);
    }

    private static SequenceBarrier NewBarrier() =>
        RingBuffer.CreateSingleProducer<long>(16, new YieldingWaitStrategy()).NewBarrier();
}
