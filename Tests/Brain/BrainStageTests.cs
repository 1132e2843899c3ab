using System.Runtime.CompilerServices;
using Engine.Brain;
using Engine.Feed.Synthetic;
using Engine.Hosting;
using Engine.Model;
using Engine.Ring;
using Tests.Ring;

namespace Tests.Brain;

[Collection(RingThreadsCollection.Name)]
public sealed class BrainStageTests
{
    [Fact]
    public void The_slot_keeps_header_payload_and_decision_on_their_own_cache_lines()
    {
        Assert.Equal(192, MarketEvent.Size);
        Assert.Equal(192, Unsafe.SizeOf<MarketEvent>());
        Assert.Equal(32, Unsafe.SizeOf<OrderIntent>());
        Assert.Equal(64, Unsafe.SizeOf<IntentPair>());
        Assert.True(Unsafe.SizeOf<OrderUpdateData>() <= 64);
        Assert.True(Unsafe.SizeOf<AccountData>() <= 64);
        Assert.True(Unsafe.SizeOf<MarkPriceData>() <= 64);
        Assert.True(Unsafe.SizeOf<CandleData>() <= 64);
        Assert.True(Unsafe.SizeOf<PositionData>() <= 64);

        var e = default(MarketEvent);
        Assert.Equal(1, Offset(ref e, ref e.IntentCount));
        Assert.Equal(4, Offset(ref e, ref Unsafe.As<BrainNotes, byte>(ref e.Notes)));
        Assert.Equal(64, Offset(ref e, ref Unsafe.As<OrderUpdateData, byte>(ref e.OrderUpdate)));
        Assert.Equal(64, Offset(ref e, ref Unsafe.As<AccountData, byte>(ref e.Account)));
        Assert.Equal(128, Offset(ref e, ref Unsafe.As<OrderIntent, byte>(ref e.Intents[0])));
        Assert.Equal(160, Offset(ref e, ref Unsafe.As<OrderIntent, byte>(ref e.Intents[1])));

        var intent = default(OrderIntent);
        Assert.Equal(24, Offset(ref intent, ref Unsafe.As<SymbolId, byte>(ref intent.Symbol)));
        Assert.Equal(31, Offset(ref intent, ref Unsafe.As<IntentFlags, byte>(ref intent.Flags)));
    }

    [Fact]
    public void Begin_clears_the_decision_so_a_reused_slot_never_shows_an_old_intent()
    {
        var e = default(MarketEvent);
        e.IntentCount = 2;
        e.Notes = BrainNotes.CooldownStarted;
        e.Begin(MarketEventKind.Trade, new SymbolId(1), 1, 0);
        Assert.Equal(0, e.IntentCount);
        Assert.Equal(BrainNotes.None, e.Notes);
    }

    [Fact]
    public void Through_a_real_ring_the_next_stage_sees_exactly_the_decisions_of_a_direct_run()
    {
        var trades = BrainData.XrpEthTrades();
        var rules = new SymbolRules[]
        {
            default,
            new() { TickSize = Price.FromMantissa(1), StepSize = Quantity.FromInteger(1), MinQuantity = Quantity.FromInteger(1), MinNotional = Notional.Parse("0.01"u8) },
        };
        var options = new BrainOptions { MaxSymbols = 2, InitialEquity = 10m, MaxNotionalPerPosition = 100m };

        var direct = new TradingBrain(options, rules);
        var expected = new List<(long Time, OrderIntent Intent)>();
        foreach (var t in trades)
        {
            var e = BrainData.TradeEvent(new SymbolId(1), t.TimeMs, t.Price, t.Amount);
            direct.OnEvent(ref e);
            for (var i = 0; i < e.IntentCount; i++)
            {
                expected.Add((e.ExchangeTimeMs, e.Intents[i]));
            }
        }

        Assert.NotEmpty(expected);

        var ring = RingBuffer.CreateSingleProducer<MarketEvent>(1024, WaitStrategyFactory.Create(WaitStrategyKind.Yielding));
        var seen = new List<(long Time, OrderIntent Intent)>();
        var brain = new TradingBrain(options, rules);
        var stage = new BatchEventProcessor<MarketEvent, BrainStage<Collect>>("brain", ring, ring.NewBarrier(), new BrainStage<Collect>(brain, new Collect(seen)));
        ring.AddGatingSequences(stage.Sequence);
        stage.Start();
        foreach (var t in trades)
        {
            var sequence = ring.Next();
            ref var slot = ref ring[sequence];
            slot.Begin(MarketEventKind.Trade, new SymbolId(1), t.TimeMs, 0);
            slot.Trade.Price = t.Price;
            slot.Trade.Quantity = t.Amount;
            ring.Publish(sequence);
        }

        stage.Halt();
        Assert.True(stage.Join(TimeSpan.FromSeconds(30)));
        Assert.Null(stage.Fault);
        Assert.Equal(expected.Count, seen.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Time, seen[i].Time);
            Assert.Equal(Bytes(expected[i].Intent), Bytes(seen[i].Intent));
        }

        Assert.Equal(trades.Count, brain.Counters[BrainCounter.TradesProcessed]);
    }

    [Fact]
    public void The_engine_pipeline_runs_the_brain_in_the_brain_position()
    {
        var pipeline = new RingPipeline(new RingOptions { Size = 1024 });
        var source = new SyntheticMarketSource(pipeline.Ring, new SymbolTable(), new SyntheticMarketOptions { Seed = 11 });
        pipeline.Start();
        const int events = 20_000;
        for (var i = 0; i < events; i++)
        {
            source.PublishNext();
        }

        Assert.True(pipeline.HaltAndDrain(TimeSpan.FromSeconds(30)));
        Assert.All(pipeline.Stages, s => Assert.Null(s.Fault));
        Assert.Equal(events, pipeline.Statistics[0].Events);
        long trades = 0;
        for (long sequence = events - pipeline.Ring.BufferSize; sequence < events; sequence++)
        {
            trades += pipeline.Ring[sequence].Kind == MarketEventKind.Trade ? 1 : 0;
        }

        Assert.True(trades > 0);
        Assert.True(pipeline.Brain.Counters[BrainCounter.TradesProcessed] >= trades);
        Assert.Equal(0, pipeline.Brain.Counters[BrainCounter.UnknownSymbols]);
    }

    private static byte[] Bytes(OrderIntent intent) =>
        [.. System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<OrderIntent>(in intent))];

    private static int Offset<TSlot, TField>(ref TSlot slot, ref TField field) =>
        (int)Unsafe.ByteOffset(ref Unsafe.As<TSlot, byte>(ref slot), ref Unsafe.As<TField, byte>(ref field));

    /// <summary>The stage after the brain: records the decision it finds in each slot, as execution will read it.</summary>
    private readonly struct Collect(List<(long, OrderIntent)> seen) : IEventHandler<MarketEvent>
    {
        public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
        {
            for (var i = 0; i < data.IntentCount; i++)
            {
                seen.Add((data.ExchangeTimeMs, data.Intents[i]));
            }
        }
    }
}
