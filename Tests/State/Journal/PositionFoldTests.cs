using Engine.Model;
using Engine.State.Journal;
using Engine.State.Positions;

namespace Tests.State.Journal;

/// <summary>The journal's name-keyed fold agrees with state's <see cref="PositionBook"/> on the same fills.</summary>
public sealed class PositionFoldTests
{
    [Fact]
    public void Fold_and_position_book_agree_on_random_fills()
    {
        var random = new Random(8);
        var fold = new PositionFold();
        var book = new PositionBook(4);
        var symbol = new SymbolId(1);
        for (var i = 0; i < 5_000; i++)
        {
            var side = random.Next(2) == 0 ? Side.Buy : Side.Sell;
            var quantity = Quantity.FromMantissa(random.Next(1, 2_000) * 100_000L);
            var price = Price.FromMantissa((60_000L * FixedPoint.One) + (random.Next(-50_000, 50_000) * 1_000_000L));
            fold.Apply("BTCUSDT", side, quantity, price);
            book.ApplyFill(symbol, side, quantity, price);
            var a = fold.Get("BTCUSDT");
            var b = book.Get(symbol);
            Assert.Equal(b.Amount, a.Amount);
            Assert.Equal(b.EntryPrice, a.EntryPrice);
        }

        Assert.Equal(book.Get(symbol).RealizedPnl, fold.Get("BTCUSDT").RealizedPnl);
    }
}
