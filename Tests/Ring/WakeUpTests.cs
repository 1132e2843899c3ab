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

    public static TheoryData<string> ParkingStrategies => ["blocking", "spin-then-block"];

    [Theory]
    [MemberData(nameof(ParkingStrategies))]
    public void Every_single_publish_wakes_a_parked_chain_of_three(string strategy)
    {
        const int rounds = 1_500;
        IWaitStrategy wait = strategy == "blocking"
            ? new BlockingWaitStrategy(s_longPark)
            : new SpinThenBlockWaitStrategy(TimeSpan.Zero, TimeSpan.Zero, s_longPark);
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(64, wait);
        var checks = new[] { new DeliveryCheck(1, 1), new DeliveryCheck(1, 2), new DeliveryCheck(1, 3) };
        var s1 = new BatchEventProcessor<TestEvent, CheckingHandler>("s1", ring, ring.NewBarrier(), new CheckingHandler(checks[0]));
        var s2 = new BatchEventProcessor<TestEvent, CheckingHandler>("s2", ring, ring.NewBarrier(s1.Sequence), new CheckingHandler(checks[1]));
        var s3 = new BatchEventProcessor<TestEvent, CheckingHandler>("s3", ring, ring.NewBarrier(s2.Sequence), new CheckingHandler(checks[2]));
        ring.AddGatingSequences(s3.Sequence);
        s1.Start();
        s2.Start();
        s3.Start();

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

        foreach (var stage in new IEventProcessor[] { s1, s2, s3 })
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
}
