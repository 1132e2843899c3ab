namespace Engine.Model;

/// <summary>How long a limit order stays working. Starts at 1 so 0 is detectably unset.</summary>
public enum TimeInForce : byte
{
    /// <summary>Good till cancelled ("GTC").</summary>
    Gtc = 1,

    /// <summary>Immediate or cancel: fill what is possible now, cancel the rest ("IOC").</summary>
    Ioc,

    /// <summary>Fill or kill: fill entirely now or cancel ("FOK").</summary>
    Fok,

    /// <summary>Good till crossing, i.e. post-only: rejected if it would take liquidity ("GTX").</summary>
    Gtx,
}

/// <summary>Binance wire text for <see cref="TimeInForce"/>.</summary>
public static class TimeInForceExtensions
{
    private static readonly TimeInForce[] s_values = Enum.GetValues<TimeInForce>();

    /// <summary>The wire text ("GTC", "IOC", "FOK", "GTX") as static UTF-8.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not defined.</exception>
    public static ReadOnlySpan<byte> WireName(this TimeInForce timeInForce) => timeInForce switch
    {
        TimeInForce.Gtc => "GTC"u8,
        TimeInForce.Ioc => "IOC"u8,
        TimeInForce.Fok => "FOK"u8,
        TimeInForce.Gtx => "GTX"u8,
        _ => WireNames.ThrowUndefined(timeInForce),
    };

    /// <summary>Reads the wire text (exact case) without allocating.</summary>
    public static bool TryParseWire(ReadOnlySpan<byte> utf8, out TimeInForce timeInForce) =>
        WireNames.TryParse(utf8, s_values, WireName, out timeInForce);
}
