using System.Runtime.CompilerServices;
using Engine.Model;

namespace Engine.Brain;

/// <summary>
/// Fixed-point arithmetic that answers false instead of throwing when a result would leave the range, for the
/// brain's handlers: their inputs come from the venue, and a value past the range is refused there, not thrown.
/// </summary>
internal static class FixedPointBounds
{
    /// <summary><c>a × b / divisor</c> rounded once with <paramref name="mode"/>; false when the divisor is 0 or the result does not fit.</summary>
    public static bool TryMultiplyDivide(long a, long b, long divisor, RoundingMode mode, out long result)
    {
        result = 0;
        if (divisor == 0)
        {
            return false;
        }

        // When the product fits 64 bits a positive divisor cannot take the quotient out of range; rounding moves it by
        // one only when the divisor is at least 2, which halves it first.
        var high = Math.BigMul(a, b, out long low);
        if (divisor > 0 && high == (low >> 63))
        {
            result = FixedPoint.MultiplyDivide(a, b, divisor, mode);
            return true;
        }

        // One short of the range on both sides leaves room for the rounding step.
        var quotient = ((Int128)a * b) / divisor;
        if (quotient >= long.MaxValue || quotient <= long.MinValue)
        {
            return false;
        }

        result = FixedPoint.MultiplyDivide(a, b, divisor, mode);
        return true;
    }

    /// <summary>The notional of <paramref name="quantityMantissa"/> at <paramref name="price"/>, rounded half-even.</summary>
    public static bool TryMultiply(Price price, long quantityMantissa, out Notional notional)
    {
        var fits = TryMultiplyDivide(price.Mantissa, quantityMantissa, FixedPoint.One, RoundingMode.HalfEven, out var mantissa);
        notional = Notional.FromMantissa(mantissa);
        return fits;
    }

    /// <summary>The average price of <paramref name="cost"/> over <paramref name="quantityMantissa"/>, rounded half-even.</summary>
    public static bool TryDivide(Notional cost, long quantityMantissa, out Price price)
    {
        var fits = TryMultiplyDivide(cost.Mantissa, FixedPoint.One, quantityMantissa, RoundingMode.HalfEven, out var mantissa);
        price = Price.FromMantissa(mantissa);
        return fits;
    }

    /// <summary>The sum, when it fits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryAdd(Notional a, Notional b, out Notional sum)
    {
        var value = unchecked(a.Mantissa + b.Mantissa);
        sum = Notional.FromMantissa(value);
        return ((a.Mantissa ^ value) & (b.Mantissa ^ value)) >= 0;
    }

    /// <summary><paramref name="mantissa"/> (positive) rounded up to a multiple of <paramref name="increment"/> (positive), when it fits.</summary>
    public static bool TryRoundUp(long mantissa, long increment, out long rounded)
    {
        var multiple = ((Int128)mantissa + increment - 1) / increment * increment;
        rounded = multiple <= long.MaxValue ? (long)multiple : 0;
        return multiple <= long.MaxValue;
    }

    /// <summary><c>a × b / divisor</c> toward zero, or the end of the range it lies past (a bound that does not bind).</summary>
    public static long MultiplyDivideSaturating(long a, long b, long divisor)
    {
        if (TryMultiplyDivide(a, b, divisor, RoundingMode.TowardZero, out var result))
        {
            return result;
        }

        return (a < 0) ^ (b < 0) ^ (divisor < 0) ? long.MinValue : long.MaxValue;
    }
}
