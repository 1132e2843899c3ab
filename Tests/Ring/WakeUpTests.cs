using System.Diagnostics;
using Engine.Ring;

namespace Tests.Ring;

/// <summary>
/// Parked stages must be woken by every publish and every upstream advance. The park timeout here is far longer
/// than the test allows per round, so a single lost wake-up fails the test instead of hiding behind a timeout.
/// </summary>
[Collection(RingThreadsCollection.Name)]
public sealed class WakeUpTests
{
    private static readonly TimeSpan s_longPark = TimeSpan.FromSeconds(30);

    public static TheoryData<string> ParkingStrategies => ["blocking", "spin-then-block", "per-stage"];

    [Theory]
    [MemberData(nameof(ParkingStrategies))]
    public void Every_single_publish_wakes_a_parked_chain_of_three(string strategy)
    {
        const int rounds = 1_500;
        IWaitStrategy wait = strategy == "blocking"
            ? new BlockingWaitStrategy(s_longPark)
            : new SpinThenBlockWaitStrategy(TimeSpan.Zero, TimeSpan.Zero, s_longPark);
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(64, wait);

        // Per stage, as the engine's pipeline does: a first stage that yields and never parks, a middle one on the
        // ring's strategy, a last one that parks at once.
        var (stages, checks) = strategy == "per-stage"
            ? CheckedChain.Start(ring, i => i switch { 0 => new YieldingWaitStrategy(), 2 => new BlockingWaitStrategy(s_longPark), _ => null })
            : CheckedChain.Start(ring);
        var s3 = stages[2];

        var slowest = TimeSpan.Zero;
        for (long i = 0; i < rounds; i++)
        {
            var sequence = ring.Next();
            ring[sequence].Value = i;
            ring.Publish(sequence);

            // Wait for the tail with a deadline; every stage was parked (or about to park) before this publish.
            var started = Stopwatch.GetTimestamp();
            while (s3.Sequence.Value < sequence)
            {
                Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(5), $"round {i}: a parked stage was never woken");
                Thread.Yield();
            }

            var took = Stopwatch.GetElapsedTime(started);
            slowest = took > slowest ? took : slowest;
        }

        foreach (var stage in stages)
        {
            stage.Halt();
            Assert.True(stage.Join(TimeSpan.FromSeconds(5)), $"{stage.Name} did not stop");
        }

        foreach (var check in checks)
        {
            Assert.Null(check.FirstError);
            Assert.Equal(rounds, check.Count);
        }

        Assert.True(slowest < TimeSpan.FromSeconds(5), $"slowest round took {slowest}");
    }

    [Fact]
    public void A_parking_stage_is_refused_on_a_ring_whose_writers_do_not_wake_waiters()
    {
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(64, new BusySpinWaitStrategy());
        Assert.Throws<ArgumentException>(() => ring.NewBarrier(new BlockingWaitStrategy()));
        Assert.Throws<ArgumentException>(() => ring.NewBarrier(new SpinThenBlockWaitStrategy()));
        Assert.NotNull(ring.NewBarrier(new YieldingWaitStrategy()));
    }
}
