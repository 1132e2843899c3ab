using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Engine.Model;

/// <summary>Order or trade side. Starts at 1 so an uninitialised (0) side is detectably invalid.</summary>
public enum Side : byte
{
    /// <summary>Buy (bid side).</summary>
    Buy = 1,

    /// <summary>Sell (ask side).</summary>
    Sell = 2,
}

/// <summary>Helpers for <see cref="Side"/>: the opposite side and the Binance wire text.</summary>
public static class SideExtensions
{
    private static readonly Side[] s_values = Enum.GetValues<Side>();

    /// <summary>The other side, e.g. the side that closes a position.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined side.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Side Opposite(this Side side) => side switch
    {
        Side.Buy => Side.Sell,
        Side.Sell => Side.Buy,
        _ => ThrowUndefined(side),
    };

    /// <summary>+1 for buy, -1 for sell: the sign a fill of this side applies to a position.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined side.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Sign(this Side side) => side switch
    {
        Side.Buy => 1,
        Side.Sell => -1,
        _ => (int)ThrowUndefined(side),
    };

    /// <summary>The Binance wire text, "BUY" or "SELL", as static UTF-8 (no allocation).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined side.</exception>
    public static ReadOnlySpan<byte> WireName(this Side side) => side switch
    {
        Side.Buy => "BUY"u8,
        Side.Sell => "SELL"u8,
        _ => WireNames.ThrowUndefined<Side>(side),
    };

    /// <summary>Reads the Binance wire text ("BUY"/"SELL", exact case) without allocating.</summary>
    public static bool TryParseWire(ReadOnlySpan<byte> utf8, out Side side) =>
        WireNames.TryParse(utf8, s_values, WireName, out side);

    [DoesNotReturn]
    private static Side ThrowUndefined(Side side) => throw WireNames.Undefined(side);
}
