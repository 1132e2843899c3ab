using System.Text;
using Engine.Model;

namespace Tests.Model;

public class WireNameTests
{
    [Fact]
    public void Side_wire_names_and_opposite()
    {
        Assert.Equal("BUY", Encoding.ASCII.GetString(Side.Buy.WireName()));
        Assert.Equal("SELL", Encoding.ASCII.GetString(Side.Sell.WireName()));
        Assert.Equal(Side.Sell, Side.Buy.Opposite());
        Assert.Equal(Side.Buy, Side.Sell.Opposite());
        Assert.Equal(1, Side.Buy.Sign());
        Assert.Equal(-1, Side.Sell.Sign());
        Assert.True(SideExtensions.TryParseWire("SELL"u8, out var side));
        Assert.Equal(Side.Sell, side);
        Assert.False(SideExtensions.TryParseWire("sell"u8, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => default(Side).Opposite());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((Side)7).WireName().Length);
    }

    [Theory]
    [InlineData(OrderKind.Limit, "LIMIT")]
    [InlineData(OrderKind.Market, "MARKET")]
    [InlineData(OrderKind.StopMarket, "STOP_MARKET")]
    [InlineData(OrderKind.TakeProfitMarket, "TAKE_PROFIT_MARKET")]
    public void Order_kind_wire_names_round_trip(OrderKind kind, string wire)
    {
        Assert.Equal(wire, Encoding.ASCII.GetString(kind.WireName()));
        Assert.True(OrderKindExtensions.TryParseWire(Encoding.ASCII.GetBytes(wire), out var parsed));
        Assert.Equal(kind, parsed);
    }

    [Theory]
    [InlineData(TimeInForce.Gtc, "GTC")]
    [InlineData(TimeInForce.Ioc, "IOC")]
    [InlineData(TimeInForce.Fok, "FOK")]
    [InlineData(TimeInForce.Gtx, "GTX")]
    public void Time_in_force_wire_names_round_trip(TimeInForce timeInForce, string wire)
    {
        Assert.Equal(wire, Encoding.ASCII.GetString(timeInForce.WireName()));
        Assert.True(TimeInForceExtensions.TryParseWire(Encoding.ASCII.GetBytes(wire), out var parsed));
        Assert.Equal(timeInForce, parsed);
    }

    [Fact]
    public void Unknown_wire_names_are_not_parsed()
    {
        Assert.False(OrderKindExtensions.TryParseWire("STOP"u8, out var kind));
        Assert.Equal(default, kind);
        Assert.False(TimeInForceExtensions.TryParseWire("GTD"u8, out var timeInForce));
        Assert.Equal(default, timeInForce);
        Assert.Throws<ArgumentOutOfRangeException>(() => default(OrderKind).WireName().Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => default(TimeInForce).WireName().Length);
    }
}
