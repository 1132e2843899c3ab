using System.Text;
using Engine.Exchange.UserData;
using Engine.Model;

namespace Tests.Exchange.UserData;

/// <summary>
/// User-data values no venue can report are malformed, not events: negative amounts, a fill at a price of 0, a fill
/// larger than the order's filled quantity, and balances or unrealized PnL whose sums leave the fixed-point range
/// (refused before any of the parser's account state changes, where they used to throw).
/// </summary>
public sealed class UserDataRefusalTests
{
    private const string Order = """{"e":"ORDER_TRADE_UPDATE","E":1,"T":1,"o":{"s":"BTCUSDT","c":"x","S":"SELL","o":"LIMIT","q":"Q","p":"P","X":"PARTIALLY_FILLED","i":7,"l":"L1","z":"Z","L":"LP"}}""";

    private static string OrderWith(string q = "0.003", string p = "60000.1", string l = "0.001", string z = "0.002", string lp = "60000.1") =>
        Order.Replace("\"Q\"", $"\"{q}\"", StringComparison.Ordinal).Replace("\"P\"", $"\"{p}\"", StringComparison.Ordinal)
            .Replace("\"L1\"", $"\"{l}\"", StringComparison.Ordinal).Replace("\"Z\"", $"\"{z}\"", StringComparison.Ordinal)
            .Replace("\"LP\"", $"\"{lp}\"", StringComparison.Ordinal);

    [Theory]
    [InlineData("-0.003", "60000.1", "0.001", "0.002", "60000.1", "negative")]
    [InlineData("0.003", "-1", "0.001", "0.002", "60000.1", "negative")]
    [InlineData("0.003", "60000.1", "-0.001", "0.002", "60000.1", "negative")]
    [InlineData("0.003", "60000.1", "0.001", "0.002", "0", "price of 0")]
    [InlineData("0.003", "60000.1", "0.001", "0.002", "-0", "price of 0")]
    [InlineData("0.003", "60000.1", "0.002", "0.001", "60000.1", "below its last fill")]
    public void An_impossible_order_update_is_malformed(string q, string p, string l, string z, string lp, string why)
    {
        var parser = new UserDataParser(Symbols());
        var evt = default(MarketEvent);
        Assert.Equal(UserDataFrameKind.Malformed, parser.Parse(Encoding.UTF8.GetBytes(OrderWith(q, p, l, z, lp)), ref evt, 0));
        Assert.Contains(why, parser.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_market_order_at_price_0_without_a_fill_is_an_event()
    {
        var parser = new UserDataParser(Symbols());
        var evt = default(MarketEvent);
        Assert.Equal(UserDataFrameKind.OrderUpdate, parser.Parse(Encoding.UTF8.GetBytes(OrderWith(p: "0", l: "0", z: "0", lp: "0")), ref evt, 0));
        Assert.Equal(UserDataFrameKind.OrderUpdate, parser.Parse(Encoding.UTF8.GetBytes(OrderWith()), ref evt, 0));
    }

    [Fact]
    public void Sums_beyond_range_are_malformed_and_leave_the_account_as_it_was()
    {
        var parser = new UserDataParser(Symbols());
        var evt = default(MarketEvent);
        var fine = """{"e":"ACCOUNT_UPDATE","E":1,"a":{"B":[{"a":"USDT","wb":"1000"}],"P":[{"s":"BTCUSDT","up":"10"}]}}"""u8;
        Assert.Equal(UserDataFrameKind.AccountUpdate, parser.Parse(fine, ref evt, 0));
        Assert.Equal(1010_00000000, evt.Account.Equity.Mantissa);

        // Two positions of 90 billion each: each fits, their sum does not.
        var huge = """{"e":"ACCOUNT_UPDATE","E":2,"a":{"B":[],"P":[{"s":"BTCUSDT","up":"90000000000"},{"s":"ETHUSDT","up":"90000000000"}]}}"""u8;
        Assert.Equal(UserDataFrameKind.Malformed, parser.Parse(huge, ref evt, 0));
        Assert.Contains("beyond range", parser.LastError, StringComparison.Ordinal);
        var wallet = """{"e":"ACCOUNT_UPDATE","E":3,"a":{"B":[{"a":"USDT","wb":"92233720368"}],"P":[]}}"""u8;
        Assert.Equal(UserDataFrameKind.Malformed, parser.Parse(wallet, ref evt, 0));

        // Nothing of the refused updates was applied.
        Assert.Equal(UserDataFrameKind.AccountUpdate, parser.Parse(fine, ref evt, 0));
        Assert.Equal(1010_00000000, evt.Account.Equity.Mantissa);
        Assert.Equal(1000_00000000, parser.WalletBalance!.Value.Mantissa);
    }

    private static SymbolTable Symbols()
    {
        var table = new SymbolTable(8);
        table.Add("BTCUSDT");
        table.Add("ETHUSDT");
        return table;
    }
}
