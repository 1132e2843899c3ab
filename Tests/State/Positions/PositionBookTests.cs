using System.Globalization;
using Engine.Model;
using Engine.State.Positions;

namespace Tests.State.Positions;

public sealed class PositionBookTests
{
    private static readonly SymbolId s_btc = new(1);

    [Fact]
    public void Adding_averages_the_entry_reducing_keeps_it_and_realizes()
    {
        var book = new PositionBook(4);
        book.ApplyFill(s_btc, Side.Buy, Q("1"), P("100"));
        book.ApplyFill(s_btc, Side.Buy, Q("3"), P("200"));
        var p = book.Get(s_btc);
        Assert.Equal(Q("4"), p.Amount);
        Assert.Equal(P("175"), p.EntryPrice);

        book.ApplyFill(s_btc, Side.Sell, Q("1.5"), P("180"));
        p = book.Get(s_btc);
        Assert.Equal(Q("2.5"), p.Amount);
        Assert.Equal(P("175"), p.EntryPrice);
        Assert.Equal(N("7.5"), p.RealizedPnl);
        Assert.Equal(1, book.OpenPositions);
    }

    [Fact]
    public void A_fill_through_zero_realizes_the_old_side_and_opens_at_the_fill_price()
    {
        var book = new PositionBook(4);
        book.ApplyFill(s_btc, Side.Sell, Q("2"), P("50"));
        book.ApplyFill(s_btc, Side.Buy, Q("5"), P("40"));
        var p = book.Get(s_btc);
        Assert.Equal(Q("3"), p.Amount);
        Assert.Equal(P("40"), p.EntryPrice);
        Assert.Equal(N("20"), p.RealizedPnl);

        book.ApplyFill(s_btc, Side.Sell, Q("3"), P("41"));
        p = book.Get(s_btc);
        Assert.True(p.Amount.IsZero);
        Assert.True(p.EntryPrice.IsZero);
        Assert.Equal(N("23"), p.RealizedPnl);
        Assert.Equal(0, book.OpenPositions);
        Assert.True(book.GrossExposure.IsZero);
    }

    [Fact]
    public void Mark_revalues_unrealized_and_exposure()
    {
        var book = new PositionBook(4);
        book.ApplyFill(s_btc, Side.Sell, Q("0.003"), P("60000.1"));
        book.Mark(s_btc, P("59000"));
        var p = book.Get(s_btc);
        Assert.Equal(N("3.0003"), p.UnrealizedPnl);
        Assert.Equal(N("177"), book.GrossExposure);
        Assert.Equal(N("3.0003"), book.TotalUnrealizedPnl);
    }

    [Fact]
    public void Set_replaces_amount_and_entry_and_keeps_realized_when_unknown()
    {
        var book = new PositionBook(4);
        book.ApplyFill(s_btc, Side.Buy, Q("1"), P("100"));
        book.ApplyFill(s_btc, Side.Sell, Q("1"), P("110"));
        var venue = new PositionData { Amount = Q("-0.5"), EntryPrice = P("105.25"), Source = PositionSource.Reconciliation };
        book.Set(s_btc, venue);
        var p = book.Get(s_btc);
        Assert.Equal(Q("-0.5"), p.Amount);
        Assert.Equal(P("105.25"), p.EntryPrice);
        Assert.Equal(N("10"), p.RealizedPnl);
        Assert.Equal(1, book.PositionsSet);

        Assert.Throws<ArgumentOutOfRangeException>(() => book.Set(s_btc, new PositionData { Amount = Q("1") }));
        Assert.Throws<ArgumentOutOfRangeException>(() => book.ApplyFill(new SymbolId(5), Side.Buy, Q("1"), P("1")));
        Assert.Throws<ArgumentOutOfRangeException>(() => book.ApplyFill(s_btc, Side.Buy, Q("1"), P("0")));
    }

    // The venue's arithmetic (the simulator's, in System.Decimal) as the oracle: random fills on the step and tick
    // grids, both sides, crossing zero; amount and realized must agree exactly, the entry after rounding half-even.
    [Fact]
    public void Random_fills_agree_with_a_decimal_oracle_of_the_venue_rule()
    {
        var random = new Random(20261125);
        for (var run = 0; run < 200; run++)
        {
            var book = new PositionBook(2);
            decimal amount = 0, entry = 0, realized = 0;
            for (var i = 0; i < 60; i++)
            {
                var qty = random.Next(1, 4000) * 0.001m;
                var price = random.Next(2_000_000, 8_000_000) * 0.01m;
                var buy = random.Next(2) == 0;
                book.ApplyFill(s_btc, buy ? Side.Buy : Side.Sell, Q(qty), P(price));

                var signed = buy ? qty : -qty;
                if (amount == 0 || Math.Sign(amount) == Math.Sign(signed))
                {
                    var next = amount + signed;
                    entry = ((Math.Abs(amount) * entry) + (qty * price)) / Math.Abs(next);
                    amount = next;
                }
                else
                {
                    var closing = Math.Min(qty, Math.Abs(amount));
                    realized += Math.Round(closing * (price - entry) * Math.Sign(amount), 8, MidpointRounding.ToEven);
                    var next = amount + signed;
                    entry = next == 0 ? 0 : Math.Sign(next) != Math.Sign(amount) ? price : entry;
                    amount = next;
                }

                var p = book.Get(s_btc);
                Assert.Equal(Q(amount), p.Amount);
                Assert.Equal(P(Math.Round(entry, 8, MidpointRounding.ToEven)), p.EntryPrice);
                Assert.Equal(N(realized), p.RealizedPnl);
            }
        }
    }

    [Fact]
    public void Readers_on_another_thread_never_see_a_torn_position()
    {
        // Every step flips the position to a new size at a new price chosen so that entry = |amount| × 100 (in
        // mantissa units); a torn read would pair one step's amount with another step's entry.
        var book = new PositionBook(1);
        using var stop = new CancellationTokenSource();
        var torn = 0L;
        var reads = 0L;
        var reader = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (book.TryRead(s_btc, out var s) && !s.Amount.IsZero)
                {
                    reads++;
                    if (Math.Abs(s.Amount.Mantissa) * 100 != s.EntryPrice.Mantissa)
                    {
                        torn++;
                    }
                }
            }
        });
        reader.Start();

        var amount = 0L;
        for (var i = 1; i <= 200_000; i++)
        {
            // Flip to the other side with a new size; entry = |new amount| * 100 mantissa units.
            var target = (i % 2 == 0 ? 1 : -1) * (long)((i % 1000) + 1);
            var delta = target - amount;
            book.ApplyFill(s_btc, delta > 0 ? Side.Buy : Side.Sell, Quantity.FromMantissa(Math.Abs(delta)), Price.FromMantissa(Math.Abs(target) * 100));
            amount = target;
        }

        stop.Cancel();
        reader.Join();
        Assert.Equal(0, torn);
        Assert.True(reads > 0);
    }

    [Fact]
    public void Applying_fills_and_marks_allocates_nothing()
    {
        var book = new PositionBook(8);
        var lot = Q("0.01");

        // The same method, warmed first: a loop in the measured method itself would be compiled again on this thread
        // (on-stack replacement) while measuring, and the JIT's own allocations would count.
        FillAndMark(book, lot, 100_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        FillAndMark(book, lot, 100_000);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void FillAndMark(PositionBook book, Quantity lot, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var symbol = new SymbolId((ushort)((i % 8) + 1));
            book.ApplyFill(symbol, (i % 3) == 0 ? Side.Sell : Side.Buy, lot, Price.FromMantissa(10_000_000_000 + i));
            book.Mark(symbol, Price.FromMantissa(10_000_000_000 - i));
        }
    }

    private static Quantity Q(string s) => Quantity.Parse(System.Text.Encoding.ASCII.GetBytes(s));

    private static Quantity Q(decimal d) => Q(d.ToString(CultureInfo.InvariantCulture));

    private static Price P(string s) => Price.Parse(System.Text.Encoding.ASCII.GetBytes(s));

    private static Price P(decimal d) => P(d.ToString(CultureInfo.InvariantCulture));

    private static Notional N(string s) => Notional.Parse(System.Text.Encoding.ASCII.GetBytes(s));

    private static Notional N(decimal d) => N(d.ToString(CultureInfo.InvariantCulture));
}
