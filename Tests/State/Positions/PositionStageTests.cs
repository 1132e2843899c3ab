using Engine.Brain;
using Engine.Model;
using Engine.Ring;
using Engine.State.Positions;

namespace Tests.State.Positions;

public sealed class PositionStageTests
{
    private static readonly SymbolId s_btc = new(1);
    private static readonly SymbolId s_eth = new(2);

    [Fact]
    public void Fills_marks_and_position_events_through_a_real_ring_move_the_book()
    {
        var ring = RingBuffer.CreateMultiProducer<MarketEvent>(64, new BlockingWaitStrategy(TimeSpan.FromMilliseconds(5)));
        var book = new PositionBook(4);
        var counters = new PositionStageCounters(book.SymbolCapacity);
        var tail = new BatchEventProcessor<MarketEvent, PositionStage<NoStage>>(
            "tail", ring, ring.NewBarrier(), new PositionStage<NoStage>(book, counters, default));
        ring.AddGatingSequences(tail.Sequence);
        tail.Start();

        Publish(ring, Fill(s_btc, Side.Buy, 2_00000000, 100_00000000));
        Publish(ring, Fill(s_btc, Side.Buy, 0, 0)); // an acknowledgement: no fill
        Publish(ring, Fill(s_btc, Side.Sell, 50000000, 110_00000000));
        Publish(ring, Mark(s_btc, 120_00000000));
        Publish(ring, Fill(s_eth, Side.Sell, 1_00000000, 0)); // a fill without a price: counted, ignored
        Publish(ring, Position(s_eth, -3_00000000, 2000_00000000));
        Publish(ring, Mark(new SymbolId(9), 1)); // beyond the book
        tail.Halt();
        Assert.True(tail.Join(TimeSpan.FromSeconds(10)));
        Assert.Null(tail.Fault);

        var btc = book.Get(s_btc);
        Assert.Equal(Quantity.FromMantissa(1_50000000), btc.Amount);
        Assert.Equal(Price.FromMantissa(100_00000000), btc.EntryPrice);
        Assert.Equal(Notional.FromMantissa(5_00000000), btc.RealizedPnl);
        Assert.Equal(Notional.FromMantissa(30_00000000), btc.UnrealizedPnl);
        Assert.Equal(Quantity.FromMantissa(-3_00000000), book.Get(s_eth).Amount);
        Assert.Equal(2, book.OpenPositions);
        Assert.Equal(2, counters.Fills);
        Assert.Equal(1, counters.FillsOf(s_btc, Side.Buy));
        Assert.Equal(1, counters.FillsOf(s_btc, Side.Sell));
        Assert.Equal(0, counters.FillsOf(s_eth, Side.Sell)); // ignored: no price
        Assert.Equal(0, counters.FillsOf(new SymbolId(9), Side.Buy));
        Assert.Equal(1, counters.Marks);
        Assert.Equal(1, counters.Sets);
        Assert.Equal(2, counters.Ignored);
    }

    [Fact]
    public void The_stage_allocates_nothing_per_event()
    {
        var book = new PositionBook(8);
        var counters = new PositionStageCounters(book.SymbolCapacity);
        var stage = new PositionStage<NoStage>(book, counters, default);
        var events = new MarketEvent[]
        {
            Fill(s_btc, Side.Buy, 1000000, 100_00000000),
            Mark(s_btc, 101_00000000),
            Fill(s_btc, Side.Sell, 3000000, 102_00000000),
            Position(s_eth, 5000000, 2000_00000000),
            Fill(s_eth, Side.Buy, 0, 0),
            Mark(s_eth, 1999_00000000),
        };

        for (var i = 0; i < 1000; i++)
        {
            stage.OnEvent(ref events[i % events.Length], i, true);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 300_000; i++)
        {
            ref var e = ref events[i % events.Length];
            if (e.Kind == MarketEventKind.MarkPrice)
            {
                e.MarkPrice.MarkPrice = Price.FromMantissa(e.MarkPrice.MarkPrice.Mantissa + ((i & 1) == 0 ? 1 : -1));
            }

            stage.OnEvent(ref e, i, true);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(book.FillsApplied > 100_000);

        // Every applied fill counted under its symbol and side (the per-side counters are part of what was measured).
        Assert.Equal(book.FillsApplied, counters.Fills);
        Assert.Equal(counters.Fills, counters.FillsOf(s_btc, Side.Buy) + counters.FillsOf(s_btc, Side.Sell));
        Assert.Equal(counters.FillsOf(s_btc, Side.Buy), counters.FillsOf(s_btc, Side.Sell));
        Assert.Equal(0, counters.FillsOf(s_eth, Side.Buy));
    }

    [Fact]
    public void Counters_smaller_than_the_book_are_refused()
    {
        var book = new PositionBook(8);
        Assert.Throws<ArgumentException>(() => new PositionStage<NoStage>(book, new PositionStageCounters(4), default));
    }

    internal static MarketEvent Fill(SymbolId symbol, Side side, long quantity, long price)
    {
        var e = default(MarketEvent);
        e.Begin(MarketEventKind.OrderUpdate, symbol, 1, 1);
        e.OrderUpdate.Side = side;
        e.OrderUpdate.LastFillQuantity = Quantity.FromMantissa(quantity);
        e.OrderUpdate.LastFillPrice = Price.FromMantissa(price);
        e.OrderUpdate.Status = quantity == 0 ? OrderStatus.New : OrderStatus.PartiallyFilled;
        return e;
    }

    internal static MarketEvent Mark(SymbolId symbol, long price)
    {
        var e = default(MarketEvent);
        e.Begin(MarketEventKind.MarkPrice, symbol, 1, 1);
        e.MarkPrice.MarkPrice = Price.FromMantissa(price);
        return e;
    }

    internal static MarketEvent Position(SymbolId symbol, long amount, long entry)
    {
        var e = default(MarketEvent);
        e.Begin(MarketEventKind.Position, symbol, 1, 1);
        e.Position.Amount = Quantity.FromMantissa(amount);
        e.Position.EntryPrice = Price.FromMantissa(entry);
        e.Position.Source = PositionSource.Reconciliation;
        return e;
    }

    private static void Publish(RingBuffer<MarketEvent> ring, MarketEvent e)
    {
        var sequence = ring.Next();
        ring[sequence] = e;
        ring.Publish(sequence);
    }
}
