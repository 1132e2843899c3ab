using Engine.Ring;

namespace Tests.Ring;

/// <summary>
/// The rule a barrier's waiter follows for its timed spin: run it while it catches the sequence, skip it after two that
/// ran out, and try again one wait in sixteen so that a producer back on a core of its own is noticed.
/// </summary>
public sealed class TimedSpinTests
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

    private static SequenceBarrier NewBarrier() =>
        RingBuffer.CreateSingleProducer<long>(16, new YieldingWaitStrategy()).NewBarrier();
}
