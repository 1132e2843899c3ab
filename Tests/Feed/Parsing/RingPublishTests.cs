using System.Diagnostics;
using Engine.Feed.Parsing;
using Engine.Model;
using Engine.Ring;

namespace Tests.Feed.Parsing;

public sealed class RingPublishTests
{
    [Fact]
    public void Publish_copies_header_and_payload_stamps_the_slot_and_leaves_the_decision_line_alone()
    {
        var ring = RingBuffer.CreateMultiProducer<MarketEvent>(8, new BusySpinWaitStrategy());
        var consumer = new Sequence();
        ring.AddGatingSequences(consumer);
        ring[0].Intents[0] = new OrderIntent { Symbol = new SymbolId(9) };

        var evt = default(MarketEvent);
        evt.Begin(MarketEventKind.Quote, new SymbolId(3), 1234, 5678);
        evt.Quote.BidPrice = Price.FromMantissa(1);
        evt.Quote.BidQuantity = Quantity.FromMantissa(2);
        evt.Quote.AskPrice = Price.FromMantissa(3);
        evt.Quote.AskQuantity = Quantity.FromMantissa(4);
        evt.Quote.UpdateId = 5;
        evt.Intents[1] = new OrderIntent { Symbol = new SymbolId(7) };

        var before = Stopwatch.GetTimestamp();
        RingPublish.Publish(ring, in evt);
        Assert.Equal(0, ring.Cursor);
        ref var slot = ref ring[0];
        Assert.Equal(MarketEventKind.Quote, slot.Kind);
        Assert.Equal(new SymbolId(3), slot.Symbol);
        Assert.Equal(1234, slot.ExchangeTimeMs);
        Assert.Equal(5678, slot.ReceivedTimestamp);
        Assert.Equal(evt.Quote, slot.Quote);
        Assert.InRange(slot.Stamps[(int)StagePoint.Published], before, Stopwatch.GetTimestamp());
        Assert.Equal(new SymbolId(9), slot.Intents[0].Symbol);
        Assert.Equal(SymbolId.None, slot.Intents[1].Symbol);
    }

    [Fact]
    public void TryPublish_refuses_a_full_ring_without_publishing()
    {
        var ring = RingBuffer.CreateMultiProducer<MarketEvent>(2, new BusySpinWaitStrategy());
        var consumer = new Sequence();
        ring.AddGatingSequences(consumer);
        var evt = default(MarketEvent);
        evt.Begin(MarketEventKind.Trade, new SymbolId(1), 1, 1);
        Assert.True(RingPublish.TryPublish(ring, in evt));
        Assert.True(RingPublish.TryPublish(ring, in evt));
        Assert.False(RingPublish.TryPublish(ring, in evt));
        Assert.Equal(1, ring.Cursor);
        consumer.SetValue(0);
        Assert.True(RingPublish.TryPublish(ring, in evt));
        Assert.Equal(2, ring.Cursor);
    }
}
