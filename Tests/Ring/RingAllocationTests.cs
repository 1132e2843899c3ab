using Engine.Ring;

namespace Tests.Ring;

[Collection(RingThreadsCollection.Name)]
public sealed class RingAllocationTests
{
    public static TheoryData<WaitStrategyKind> Strategies =>
        [WaitStrategyKind.SpinThenBlock, WaitStrategyKind.Yielding, WaitStrategyKind.Blocking];

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Publishing_and_consuming_a_million_events_after_warm_up_allocates_nothing_on_either_thread(WaitStrategyKind kind)
    {
        const long warmUp = 200_000;
        const long measured = 1_000_000;
        var ring = RingBuffer.CreateSingleProducer<TestEvent>(1024, WaitStrategyFactory.Create(kind));
        var state = new CountingState { MeasureFrom = warmUp, MeasureTo = warmUp + measured - 1 };
        var consumer = new BatchEventProcessor<TestEvent, CountingHandler>("alloc", ring, ring.NewBarrier(), new CountingHandler(state));
        ring.AddGatingSequences(consumer.Sequence);
        consumer.Start();

        Publish(ring, 0, warmUp);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Publish(ring, warmUp, warmUp + measured);
        var producerBytes = GC.GetAllocatedBytesForCurrentThread() - before;

        consumer.Halt();
        Assert.True(consumer.Join(TimeSpan.FromSeconds(60)));
        Assert.Equal(warmUp + measured, state.Count);
        Assert.True(state.AllocatedAtStart >= 0 && state.AllocatedAtEnd >= 0, "the consumer did not reach the measured window");
        Assert.Equal(0, producerBytes);
        Assert.Equal(0, state.AllocatedAtEnd - state.AllocatedAtStart);
    }

    private static void Publish(RingBuffer<TestEvent> ring, long from, long to)
    {
        for (var i = from; i < to; i++)
        {
            var sequence = ring.Next();
            ref var slot = ref ring[sequence];
            slot.Value = i;
            slot.Producer = 0;
            ring.Publish(sequence);
        }
    }
}
