using System.Runtime.CompilerServices;

namespace Engine.Model;

/// <summary>
/// An exact price in quote currency (USDT for USD-M futures), e.g. "43210.10".
/// </summary>
/// <remarks>
/// A thin wrapper over a scale-8 mantissa (value = <see cref="Mantissa"/> / 10^8); all arithmetic lives in
/// <see cref="FixedPoint"/>. Distinct types keep prices, quantities and notionals from being mixed by accident.
/// Arithmetic is checked: an overflow throws rather than wrapping into a wrong order.
/// </remarks>
public readonly struct Price : IEquatable<Price>, IComparable<Price>, ISpanFormattable, IUtf8SpanFormattable
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Price(long mantissa) => Mantissa = mantissa;

    /// <summary>Zero; also what <c>default</c> is.</summary>
    public static Price Zero => default;

    /// <summary>The value times 10^8, exactly as stored.</summary>
    public long Mantissa { get; }

    /// <summary>Whether the value is exactly 0.</summary>
    public bool IsZero => Mantissa == 0;

    /// <summary>Whether the value is below 0.</summary>
    public bool IsNegative => Mantissa < 0;

    /// <summary>Wraps a raw scale-8 mantissa (1 is 0.00000001).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Price FromMantissa(long mantissa) => new(mantissa);

    /// <summary>A whole number.</summary>
    /// <exception cref="OverflowException">The value is beyond +/-92233720368.</exception>
    public static Price FromInteger(long value) => new(FixedPoint.FromInteger(value));

    /// <summary>Parses plain decimal UTF-8 such as "43210.10"; see <see cref="FixedPoint.TryParse"/> for the grammar.</summary>
    /// <exception cref="FormatException">The text is malformed.</exception>
    /// <exception cref="OverflowException">The value does not fit.</exception>
    public static Price Parse(ReadOnlySpan<byte> utf8) => new(FixedPoint.Parse(utf8));

    /// <summary>Parses plain decimal UTF-8 without allocating or throwing.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out Price value, out FixedPointError error)
    {
        var parsed = FixedPoint.TryParse(utf8, out var mantissa, out error);
        value = new(mantissa);
        return parsed;
    }

    /// <summary>Writes exactly <paramref name="decimals"/> fractional digits; fails instead of rounding.</summary>
    /// <returns><see langword="false"/> if the buffer is too small or the value needs more decimals (round first).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryFormat(Span<byte> utf8, out int written, int decimals) =>
        FixedPoint.TryFormat(Mantissa, utf8, out written, decimals);

    /// <summary>Writes UTF-8: the minimal exact form by default, or "F0".."F8" for fixed decimals.</summary>
    /// <exception cref="FormatException">Unknown format, or the value is not exact at the requested decimals.</exception>
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null) =>
        FixedPoint.TryFormatSpecified(Mantissa, utf8Destination, out bytesWritten, format);

    /// <summary>Writes characters: the minimal exact form by default, or "F0".."F8" for fixed decimals.</summary>
    /// <exception cref="FormatException">Unknown format, or the value is not exact at the requested decimals.</exception>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null) =>
        FixedPoint.TryFormatSpecified(Mantissa, destination, out charsWritten, format);

    /// <summary>Formats like <see cref="TryFormat(Span{char}, out int, ReadOnlySpan{char}, IFormatProvider?)"/>; always invariant.</summary>
    public string ToString(string? format, IFormatProvider? formatProvider) => FixedPoint.FormatToString(Mantissa, format);

    /// <summary>The minimal exact invariant form, e.g. "43210.1".</summary>
    public override string ToString() => FixedPoint.FormatToString(Mantissa, default);

    /// <summary>Rounds to <paramref name="decimals"/> fractional digits (0..8).</summary>
    /// <exception cref="OverflowException">Rounding leaves the representable range.</exception>
    public Price Round(int decimals, RoundingMode mode) => new(FixedPoint.Round(Mantissa, decimals, mode));

    /// <summary>Rounds to a multiple of the symbol's tick size; the exchange rejects prices off the tick grid.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="increment"/> is not positive.</exception>
    /// <exception cref="OverflowException">Rounding leaves the representable range.</exception>
    public Price RoundToIncrement(Price increment, RoundingMode mode) =>
        new(FixedPoint.RoundToIncrement(Mantissa, increment.Mantissa, mode));

    /// <summary>Scales by <paramref name="numerator"/> / <paramref name="denominator"/> with one rounding, e.g. a 0.5 % offset is MultiplyRatio(1005, 1000, ...).</summary>
    /// <exception cref="DivideByZeroException"><paramref name="denominator"/> is 0.</exception>
    /// <exception cref="OverflowException">The result does not fit.</exception>
    public Price MultiplyRatio(long numerator, long denominator, RoundingMode mode) =>
        new(FixedPoint.MultiplyDivide(Mantissa, numerator, denominator, mode));

    /// <summary>Price times quantity: the notional of a fill or order, scale-correct and rounded once.</summary>
    /// <exception cref="OverflowException">The notional does not fit.</exception>
    public Notional Multiply(Quantity quantity, RoundingMode mode) =>
        Notional.FromMantissa(FixedPoint.MultiplyDivide(Mantissa, quantity.Mantissa, FixedPoint.One, mode));

    /// <summary>Checked sum.</summary>
    /// <exception cref="OverflowException">The sum does not fit.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Price operator +(Price left, Price right) => new(FixedPoint.Add(left.Mantissa, right.Mantissa));

    /// <summary>Checked difference.</summary>
    /// <exception cref="OverflowException">The difference does not fit.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Price operator -(Price left, Price right) => new(FixedPoint.Subtract(left.Mantissa, right.Mantissa));

    /// <summary>Exact equality of the values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool operator ==(Price left, Price right) => left.Mantissa == right.Mantissa;

    /// <summary>Exact inequality of the values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool operator !=(Price left, Price right) => left.Mantissa != right.Mantissa;

    /// <summary>Orders by value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool operator <(Price left, Price right) => left.Mantissa < right.Mantissa;

    /// <summary>Orders by value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool operator >(Price left, Price right) => left.Mantissa > right.Mantissa;

    /// <summary>Orders by value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool operator <=(Price left, Price right) => left.Mantissa <= right.Mantissa;

    /// <summary>Orders by value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool operator >=(Price left, Price right) => left.Mantissa >= right.Mantissa;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(Price other) => Mantissa == other.Mantissa;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Price other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Mantissa.GetHashCode();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CompareTo(Price other) => Mantissa.CompareTo(other.Mantissa);
}
