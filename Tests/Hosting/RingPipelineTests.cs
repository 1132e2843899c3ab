using Engine.Feed.Synthetic;
using Engine.Hosting;
using Engine.Model;
using Engine.Ring;
using Tests.Ring;

namespace Tests.Hosting;

[Collection(RingThreadsCollection.Name)]
public sealed class RingPipelineTests
{
    [Fact]
    public void Every_synthetic_event_passes_brain_execution_and_tail_in_order_and_is_stamped_at_each()
    {
        var pipeline = new RingPipeline(new RingOptions { Size = 1024 });
        var source = new SyntheticMarketSource(pipeline.Ring, new SymbolTable(), new SyntheticMarketOptions { Seed = 7 });
        var placements = pipeline.Start();
        Assert.Equal(RingPipeline.StageNames, placements.Select(p => p.Stage));

        const int events = 50_000;
        for (var i = 0; i < events; i++)
        {
            source.PublishNext();
        }

        Assert.True(pipeline.HaltAndDrain(TimeSpan.FromSeconds(30)));
        foreach (var statistics in pipeline.Statistics)
        {
            Assert.Equal(events, statistics.Events);
        }

        // The ring still holds the last lap: every slot was stamped in pipeline order.
        for (long sequence = events - pipeline.Ring.BufferSize; sequence < events; sequence++)
        {
            ref var slot = ref pipeline.Ring[sequence];
            Assert.True(slot.Kind is MarketEventKind.Trade or MarketEventKind.Quote);
            var published = slot.Stamps[(int)StagePoint.Published];
            Assert.True(published > 0);
            Assert.True(slot.Stamps[(int)StagePoint.Brain] >= published);
            Assert.True(slot.Stamps[(int)StagePoint.Execution] >= slot.Stamps[(int)StagePoint.Brain]);
            Assert.True(slot.Stamps[(int)StagePoint.Tail] >= slot.Stamps[(int)StagePoint.Execution]);
        }
    }

    [Fact]
    public void By_default_the_tail_parks_at_once_and_the_critical_stages_wait_with_the_rings_strategy()
    {
        var options = new RingOptions { Size = 1024 };
        var pipeline = new RingPipeline(options);
        Assert.Equal([WaitStrategyKind.SpinThenBlock, WaitStrategyKind.SpinThenBlock, WaitStrategyKind.Blocking], pipeline.StageWaitStrategies);

        options.StageWaitStrategies["brain"] = WaitStrategyKind.Yielding;
        Assert.Equal([WaitStrategyKind.Yielding, WaitStrategyKind.SpinThenBlock, WaitStrategyKind.Blocking], new RingPipeline(options).StageWaitStrategies);
    }

    [Fact]
    public void The_engine_ring_asks_for_huge_pages_only_when_the_setting_turns_them_on()
    {
        Assert.False(new RingPipeline(new RingOptions()).Ring.HugePagesRequested);
        Assert.Equal(OperatingSystem.IsLinux(), new RingPipeline(new RingOptions { HugePages = true }).Ring.HugePagesRequested);
    }

    [Fact]
    public void A_parking_stage_on_a_ring_that_does_not_park_and_an_unknown_stage_are_refused_with_their_reasons()
    {
        var options = new EngineOptions();
        options.Ring.WaitStrategy = WaitStrategyKind.BusySpin;
        options.Ring.StageWaitStrategies["brian"] = WaitStrategyKind.Yielding;
        var result = new EngineOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(result.Failures, f => f.Contains("StageWaitStrategies:tail = Blocking parks", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.Contains("unknown stage 'brian'", StringComparison.Ordinal));

        options.Ring.StageWaitStrategies.Remove("brian");
        options.Ring.StageWaitStrategies["tail"] = WaitStrategyKind.Yielding;
        Assert.False(new EngineOptionsValidator().Validate(null, options).Failed);
    }

    [Fact]
    public void The_synthetic_market_is_deterministic_for_a_seed_and_moves_in_whole_ticks()
    {
        var first = Record(seed: 42);
        var second = Record(seed: 42);
        var other = Record(seed: 43);

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        var tick = Price.Parse("0.10"u8).Mantissa;
        Assert.All(first.Where(e => e.Symbol == 1), e => Assert.Equal(0, e.Price % tick));
        Assert.All(first, e => Assert.True(e.Price > 0));
    }

    [Fact]
    public void After_warm_up_the_producer_and_all_three_stages_allocate_nothing()
    {
        var pipeline = new RingPipeline(new RingOptions { Size = 4096 });
        var source = new SyntheticMarketSource(pipeline.Ring, new SymbolTable(), new SyntheticMarketOptions());
        pipeline.Start();
        for (var i = 0; i < 300_000; i++)
        {
            source.PublishNext();
        }

        WaitForTail(pipeline, 300_000);
        var stagesBefore = pipeline.Statistics.Select(s => s.ThreadAllocatedBytes).ToArray();
        var producerBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000_000; i++)
        {
            source.PublishNext();
        }

        var producerAllocated = GC.GetAllocatedBytesForCurrentThread() - producerBefore;
        WaitForTail(pipeline, 1_300_000);
        var stagesAfter = pipeline.Statistics.Select(s => s.ThreadAllocatedBytes).ToArray();
        Assert.True(pipeline.HaltAndDrain(TimeSpan.FromSeconds(30)));

        Assert.Equal(0, producerAllocated);
        Assert.All(stagesBefore, bytes => Assert.True(bytes > 0, "each stage samples its thread's allocation count"));
        Assert.Equal(stagesBefore, stagesAfter);
    }

    private static void WaitForTail(RingPipeline pipeline, long events)
    {
        var tail = pipeline.Stages[^1].Sequence;
        var spin = default(SpinWait);
        while (tail.Value < events - 1)
        {
            spin.SpinOnce();
        }
    }

    private static List<(int Symbol, long Price, MarketEventKind Kind)> Record(ulong seed)
    {
        var ring = RingBuffer.CreateSingleProducer<MarketEvent>(4096, new BlockingWaitStrategy());
        ring.AddGatingSequences(new Sequence(long.MaxValue));
        var symbols = new SymbolTable();
        var source = new SyntheticMarketSource(ring, symbols, new SyntheticMarketOptions { Seed = seed });
        var recorded = new List<(int, long, MarketEventKind)>();
        for (long sequence = 0; sequence < 2_000; sequence++)
        {
            source.PublishNext();
            ref var slot = ref ring[sequence];
            var price = slot.Kind == MarketEventKind.Trade ? slot.Trade.Price.Mantissa : slot.Quote.AskPrice.Mantissa;
            recorded.Add((slot.Symbol.Value, price, slot.Kind));
        }

        return recorded;
    }
}
