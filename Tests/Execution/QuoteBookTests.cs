using Engine.Execution;
using Engine.Model;

namespace Tests.Execution;

/// <summary>Traded prices stand in for a quote only where no book quote was ever seen (a replay of trades or klines).</summary>
public sealed class QuoteBookTests
{
    [Fact]
    public void A_traded_price_is_the_quote_until_a_book_quote_arrives_and_never_overwrites_one()
    {
        var book = new QuoteBook(4);
        var symbol = new SymbolId(1);
        Assert.False(book.TryRead(symbol, out _, out _));

        book.WriteLastPrice(symbol, Price.FromMantissa(7_000_00000000));
        Assert.True(book.TryRead(symbol, out var bid, out var ask));
        Assert.Equal((7_000_00000000L, 7_000_00000000L), (bid.Mantissa, ask.Mantissa));

        book.WriteLastPrice(symbol, Price.FromMantissa(7_001_00000000));
        Assert.True(book.TryRead(symbol, out bid, out _));
        Assert.Equal(7_001_00000000L, bid.Mantissa);

        book.Write(symbol, Price.FromMantissa(6_999_00000000), Price.FromMantissa(7_002_00000000));
        book.WriteLastPrice(symbol, Price.FromMantissa(7_100_00000000));
        Assert.True(book.TryRead(symbol, out bid, out ask));
        Assert.Equal((6_999_00000000L, 7_002_00000000L), (bid.Mantissa, ask.Mantissa));

        book.WriteLastPrice(new SymbolId(2), Price.Zero);
        Assert.False(book.TryRead(new SymbolId(2), out _, out _));
    }
}
