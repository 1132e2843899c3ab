using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Engine.Model;

/// <summary>
/// Exact decimal arithmetic over an int64 mantissa at a fixed scale of 8 (value = mantissa / 10^8).
/// Binance quotes prices and quantities with at most 8 decimals, so every wire value is held exactly,
/// and <see cref="Price"/>, <see cref="Quantity"/> and <see cref="Notional"/> all delegate here so the
/// algorithms exist once. Nothing here allocates except on the error paths.
/// </summary>
public static class FixedPoint
{
    /// <summary>Number of fractional decimal digits carried by every mantissa.</summary>
    public const int Scale = 8;

    /// <summary>Mantissa of the value 1 (10^<see cref="Scale"/>).</summary>
    public const long One = 100_000_000;

    /// <summary>
    /// Longest text any mantissa formats to: "-92233720368.54775808" (sign, 11 integer digits, '.', 8 decimals).
    /// A buffer of this size never makes a format call fail for lack of room.
    /// </summary>
    public const int MaxFormattedLength = 21;

    // Largest integer part a mantissa can carry: floor(2^63 / 10^8).
    private const ulong MaxIntegerPart = 92_233_720_368;

    // Magnitude of long.MinValue, the largest magnitude a negative value may reach.
    private const ulong NegativeLimit = 9_223_372_036_854_775_808;

    // A static array rather than a ReadOnlySpan<long> collection expression: the latter allocates on every
    // access in unoptimised (Debug) builds, which the allocation tests run.
    private static readonly long[] _pow10 =
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000,
    ];

    /// <summary>
    /// Parses plain decimal text <c>-?digits(.digits)?</c> into a mantissa without allocating.
    /// Fractional digits past the eighth are accepted only when they are all zero, so an exact value is never truncated.
    /// </summary>
    /// <returns><see langword="true"/> on success; otherwise <paramref name="error"/> says why and <paramref name="mantissa"/> is 0.</returns>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out long mantissa, out FixedPointError error)
    {
        mantissa = 0;
        if (utf8.IsEmpty)
        {
            error = FixedPointError.Empty;
            return false;
        }

        var negative = utf8[0] == (byte)'-';
        var i = negative ? 1 : 0;

        // The integer part is clamped just above its limit so arbitrarily long digit runs cannot wrap;
        // the overflow is reported only once the whole text is known to be well formed.
        ulong integer = 0;
        var integerStart = i;
        while (i < utf8.Length)
        {
            var digit = (uint)(utf8[i] - '0');
            if (digit > 9)
            {
                break;
            }

            integer = Math.Min((integer * 10) + digit, MaxIntegerPart + 1);
            i++;
        }

        if (i == integerStart)
        {
            // Nothing or '.' where digits belong reads as missing digits; anything else is a stray byte.
            error = i == utf8.Length || utf8[i] == (byte)'.' ? FixedPointError.MissingDigits : FixedPointError.InvalidCharacter;
            return false;
        }

        ulong fraction = 0;
        var fractionDigits = 0;
        var tooManyDecimals = false;
        if (i < utf8.Length)
        {
            if (utf8[i] != (byte)'.')
            {
                error = ClassifyStrayByte(utf8[i]);
                return false;
            }

            i++;
            var fractionStart = i;
            while (i < utf8.Length)
            {
                var digit = (uint)(utf8[i] - '0');
                if (digit > 9)
                {
                    break;
                }

                if (fractionDigits < Scale)
                {
                    fraction = (fraction * 10) + digit;
                    fractionDigits++;
                }
                else if (digit != 0)
                {
                    tooManyDecimals = true;
                }

                i++;
            }

            if (i == fractionStart)
            {
                error = i == utf8.Length ? FixedPointError.MissingDigits : ClassifyStrayByte(utf8[i]);
                return false;
            }

            if (i < utf8.Length)
            {
                error = ClassifyStrayByte(utf8[i]);
                return false;
            }
        }

        // Cannot wrap: the integer part is at most MaxIntegerPart + 1, so the sum stays below 2^64.
        var magnitude = (integer * One) + (fraction * (ulong)_pow10[Scale - fractionDigits]);
        if (integer > MaxIntegerPart || magnitude > (negative ? NegativeLimit : long.MaxValue))
        {
            error = FixedPointError.Overflow;
            return false;
        }

        if (tooManyDecimals)
        {
            error = FixedPointError.TooManyDecimals;
            return false;
        }

        // Two's-complement negation maps the magnitude 2^63 onto long.MinValue as intended.
        mantissa = negative ? unchecked((long)(0UL - magnitude)) : (long)magnitude;
        error = FixedPointError.None;
        return true;
    }

    /// <summary>Parses like <see cref="TryParse"/> but throws; only the failure path allocates.</summary>
    /// <exception cref="FormatException">The text is not a plain decimal number at scale 8.</exception>
    /// <exception cref="OverflowException">The value does not fit the mantissa.</exception>
    public static long Parse(ReadOnlySpan<byte> utf8)
    {
        if (!TryParse(utf8, out var mantissa, out var error))
        {
            ThrowParseError(utf8, error);
        }

        return mantissa;
    }

    /// <summary>A human-readable reason for a parse failure, suitable for logs and exception messages.</summary>
    public static string Describe(FixedPointError error) => error switch
    {
        FixedPointError.None => "no error",
        FixedPointError.Empty => "the text is empty",
        FixedPointError.InvalidCharacter =>
            "unexpected character; only an optional leading '-', digits and one '.' are accepted (no spaces, '+' or thousands separators)",
        FixedPointError.Exponent => "exponent notation is not accepted; send plain decimal digits",
        FixedPointError.MissingDigits =>
            "digits are required on both sides of the decimal point (write \"0.5\" not \".5\", \"1\" or \"1.0\" not \"1.\")",
        FixedPointError.TooManyDecimals =>
            "more than 8 significant fractional digits; the value cannot be held exactly at scale 8",
        FixedPointError.Overflow =>
            "the value is outside the representable range -92233720368.54775808 to 92233720368.54775807",
        _ => "unknown fixed-point error",
    };

    /// <summary>
    /// Writes the value with exactly <paramref name="decimals"/> fractional digits (0 writes no '.').
    /// Fails rather than rounds when the value needs more decimals, because a silently rounded price or
    /// quantity sent to the exchange is a different order; round explicitly first.
    /// </summary>
    /// <returns><see langword="false"/> if <paramref name="destination"/> is too small or the value is not exact at that many decimals.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decimals"/> is outside 0..8.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryFormat(long mantissa, Span<byte> destination, out int written, int decimals)
    {
        ValidateDecimals(decimals);
        return TryFormatCore(mantissa, destination, out written, decimals);
    }

    /// <inheritdoc cref="TryFormat(long, Span{byte}, out int, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryFormat(long mantissa, Span<char> destination, out int written, int decimals)
    {
        ValidateDecimals(decimals);
        return TryFormatCore(mantissa, destination, out written, decimals);
    }

    /// <summary>Writes the shortest exact form: trailing fractional zeros and a bare '.' are dropped ("43210.1", "0.012", "5").</summary>
    /// <returns><see langword="false"/> only if <paramref name="destination"/> is too small.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryFormatMinimal(long mantissa, Span<byte> destination, out int written) =>
        TryFormatCore(mantissa, destination, out written, DecimalsOf(mantissa));

    /// <inheritdoc cref="TryFormatMinimal(long, Span{byte}, out int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryFormatMinimal(long mantissa, Span<char> destination, out int written) =>
        TryFormatCore(mantissa, destination, out written, DecimalsOf(mantissa));

    /// <summary>
    /// Number of fractional digits needed to write the value exactly (0..8): a tick of 0.01 gives 2, 1 gives 0,
    /// 0.00000001 gives 8. Works for any mantissa, so it also gives the minimal format width of a value.
    /// </summary>
    public static int DecimalsOf(long mantissa)
    {
        var fraction = mantissa % One;
        if (fraction == 0)
        {
            return 0;
        }

        var decimals = Scale;
        while (fraction % 10 == 0)
        {
            fraction /= 10;
            decimals--;
        }

        return decimals;
    }

    /// <summary>Rounds to <paramref name="decimals"/> fractional digits (0..8) with the given mode.</summary>
    /// <exception cref="OverflowException">Rounding away from zero leaves the representable range.</exception>
    public static long Round(long mantissa, int decimals, RoundingMode mode)
    {
        ValidateDecimals(decimals);
        return RoundToIncrement(mantissa, _pow10[Scale - decimals], mode);
    }

    /// <summary>Rounds to a multiple of <paramref name="increment"/> (an exchange tick or step size, as a mantissa).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="increment"/> is not positive or the mode is unknown.</exception>
    /// <exception cref="OverflowException">The rounded multiple leaves the representable range.</exception>
    public static long RoundToIncrement(long mantissa, long increment, RoundingMode mode)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(increment);
        ValidateMode(mode);
        return checked(DivideRounded(mantissa, increment, mode) * increment);
    }

    /// <summary>
    /// Computes <c>a * b / divisor</c> exactly through a 128-bit intermediate and rounds once with
    /// <paramref name="mode"/>; this is how scale-8 values are multiplied or divided without losing precision.
    /// </summary>
    /// <exception cref="DivideByZeroException"><paramref name="divisor"/> is 0.</exception>
    /// <exception cref="OverflowException">The result does not fit a long.</exception>
    public static long MultiplyDivide(long a, long b, long divisor, RoundingMode mode)
    {
        ValidateMode(mode);
        if (divisor == 0)
        {
            ThrowDivideByZero();
        }

        // Most products of real prices and sizes fit 64 bits; the 128-bit division is far slower, so skip it when possible.
        // A positive divisor keeps long division clear of the MinValue / -1 trap.
        var high = Math.BigMul(a, b, out long low);
        if (divisor > 0 && high == (low >> 63))
        {
            return DivideRounded(low, divisor, mode);
        }

        return checked((long)DivideRounded((Int128)a * b, (Int128)divisor, mode));
    }

    /// <summary>Adds two mantissas.</summary>
    /// <exception cref="OverflowException">The sum does not fit.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Add(long a, long b) => checked(a + b);

    /// <summary>Subtracts two mantissas.</summary>
    /// <exception cref="OverflowException">The difference does not fit.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Subtract(long a, long b) => checked(a - b);

    /// <summary>Negates a mantissa.</summary>
    /// <exception cref="OverflowException">The mantissa is long.MinValue, whose negation does not fit.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Negate(long mantissa) => checked(-mantissa);

    /// <summary>Mantissa of a whole number.</summary>
    /// <exception cref="OverflowException">The value is beyond ±92233720368.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long FromInteger(long value) => checked(value * One);

    /// <summary>
    /// Backs <see cref="ISpanFormattable"/> and <see cref="IUtf8SpanFormattable"/> on the value types:
    /// an empty format (or "G") is the minimal form, "F0".."F8" a fixed number of decimals.
    /// </summary>
    /// <exception cref="FormatException">The format is unknown, or the value needs more decimals than "Fn" allows;
    /// thrown rather than returning false because those interfaces read false as "buffer too small" and would retry forever.</exception>
    internal static bool TryFormatSpecified<TChar>(long mantissa, Span<TChar> destination, out int written, ReadOnlySpan<char> format)
        where TChar : unmanaged, IBinaryInteger<TChar>
    {
        var decimals = DecimalsOf(mantissa);
        if (!format.IsEmpty && !format.SequenceEqual("G") && !format.SequenceEqual("g"))
        {
            var requested = format.Length == 2 && (format[0] | 0x20) == 'f' ? format[1] - '0' : -1;
            if ((uint)requested > Scale)
            {
                ThrowUnknownFormat(format);
            }

            if (decimals > requested)
            {
                ThrowNotRepresentable(mantissa, requested);
            }

            decimals = requested;
        }

        return TryFormatCore(mantissa, destination, out written, decimals);
    }

    /// <summary>String form for <c>ToString</c> overrides; see <see cref="TryFormatSpecified{TChar}(long, Span{TChar}, out int, ReadOnlySpan{char})"/>.</summary>
    internal static string FormatToString(long mantissa, ReadOnlySpan<char> format)
    {
        Span<char> buffer = stackalloc char[MaxFormattedLength];
        TryFormatSpecified(mantissa, buffer, out var written, format);
        return new string(buffer[..written]);
    }

    // Shared by the byte and char paths; the JIT specialises it per character type.
    private static bool TryFormatCore<TChar>(long mantissa, Span<TChar> destination, out int written, int decimals)
        where TChar : unmanaged, IBinaryInteger<TChar>
    {
        written = 0;
        var negative = mantissa < 0;
        var magnitude = negative ? unchecked(0UL - (ulong)mantissa) : (ulong)mantissa;
        var integer = magnitude / One;
        var allFraction = magnitude - (integer * One);

        // Dropping the digits past `decimals` must drop only zeros; the divisor is a constant per case so the JIT
        // turns it into a multiplication (a variable 64-bit division costs tens of cycles on every order sent).
        var fraction = DividePow10(allFraction, Scale - decimals);
        if (fraction * (ulong)_pow10[Scale - decimals] != allFraction)
        {
            return false;
        }

        var integerDigits = 1;
        for (var rest = integer; rest >= 10; rest /= 10)
        {
            integerDigits++;
        }

        var length = (negative ? 1 : 0) + integerDigits + (decimals > 0 ? decimals + 1 : 0);
        if (length > destination.Length)
        {
            return false;
        }

        // Filled right to left so every digit is produced by one division.
        var position = length;
        for (var k = 0; k < decimals; k++)
        {
            destination[--position] = Digit<TChar>(fraction % 10);
            fraction /= 10;
        }

        if (decimals > 0)
        {
            destination[--position] = TChar.CreateTruncating('.');
        }

        do
        {
            destination[--position] = Digit<TChar>(integer % 10);
            integer /= 10;
        }
        while (integer != 0);

        if (negative)
        {
            destination[0] = TChar.CreateTruncating('-');
        }

        written = length;
        return true;
    }

    private static ulong DividePow10(ulong value, int power) => power switch
    {
        0 => value,
        1 => value / 10,
        2 => value / 100,
        3 => value / 1_000,
        4 => value / 10_000,
        5 => value / 100_000,
        6 => value / 1_000_000,
        7 => value / 10_000_000,
        _ => value / 100_000_000,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TChar Digit<TChar>(ulong digit)
        where TChar : unmanaged, IBinaryInteger<TChar> => TChar.CreateTruncating('0' + (uint)digit);

    // One rounding algorithm for both widths: long for the common case, Int128 for wide products.
    // Callers guarantee the quotient +/- 1 cannot overflow T (divisor > 0 for long, 128-bit headroom otherwise).
    private static T DivideRounded<T>(T dividend, T divisor, RoundingMode mode)
        where T : IBinaryInteger<T>
    {
        var (quotient, remainder) = T.DivRem(dividend, divisor);
        if (T.IsZero(remainder))
        {
            return quotient;
        }

        // The exact quotient lies strictly between the truncated quotient and its neighbour away from zero.
        var negative = T.IsNegative(dividend) != T.IsNegative(divisor);
        var dropped = T.Abs(remainder);
        var kept = T.Abs(divisor) - dropped;
        var awayFromZero = mode switch
        {
            RoundingMode.TowardZero => false,
            RoundingMode.AwayFromZero => true,
            RoundingMode.Floor => negative,
            RoundingMode.Ceiling => !negative,
            RoundingMode.HalfUp => dropped >= kept,
            _ => dropped > kept || (dropped == kept && T.IsOddInteger(quotient)),
        };

        if (!awayFromZero)
        {
            return quotient;
        }

        return negative ? quotient - T.One : quotient + T.One;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ValidateDecimals(int decimals)
    {
        if ((uint)decimals > Scale)
        {
            ThrowDecimalsOutOfRange(decimals);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ValidateMode(RoundingMode mode)
    {
        if ((uint)mode > (uint)RoundingMode.HalfEven)
        {
            ThrowUnknownMode(mode);
        }
    }

    private static FixedPointError ClassifyStrayByte(byte b) =>
        b is (byte)'e' or (byte)'E' ? FixedPointError.Exponent : FixedPointError.InvalidCharacter;

    [DoesNotReturn]
    private static void ThrowParseError(ReadOnlySpan<byte> utf8, FixedPointError error)
    {
        var message = string.Concat("Cannot parse ", Quote(utf8), " as a fixed-point number: ", Describe(error), ".");
        if (error == FixedPointError.Overflow)
        {
            throw new OverflowException(message);
        }

        throw new FormatException(message);
    }

    // Shows the offending bytes unambiguously: control and non-ASCII bytes as \xNN so " 1" and "1\r" are told apart in logs.
    private static string Quote(ReadOnlySpan<byte> utf8)
    {
        const int MaxShown = 64;
        var builder = new StringBuilder(Math.Min(utf8.Length, MaxShown) + 8);
        builder.Append('"');
        foreach (var b in utf8[..Math.Min(utf8.Length, MaxShown)])
        {
            if (b is >= 0x20 and < 0x7F)
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append("\\x").Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        if (utf8.Length > MaxShown)
        {
            builder.Append("...");
        }

        return builder.Append('"').ToString();
    }

    [DoesNotReturn]
    private static void ThrowDecimalsOutOfRange(int decimals) =>
        throw new ArgumentOutOfRangeException(nameof(decimals), decimals, "Decimals must be between 0 and 8 (the fixed-point scale).");

    [DoesNotReturn]
    private static void ThrowUnknownMode(RoundingMode mode) =>
        throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown rounding mode.");

    [DoesNotReturn]
    private static void ThrowDivideByZero() =>
        throw new DivideByZeroException("Fixed-point division by zero (divisor, price or denominator is 0).");

    [DoesNotReturn]
    private static void ThrowUnknownFormat(ReadOnlySpan<char> format) =>
        throw new FormatException(string.Concat(
            "Unknown fixed-point format \"", format, "\"; use \"\" or \"G\" for the minimal form, or \"F0\" to \"F8\" for fixed decimals."));

    [DoesNotReturn]
    private static void ThrowNotRepresentable(long mantissa, int decimals) =>
        throw new FormatException(string.Concat(
            "Value ", FormatToString(mantissa, default), " is not exact at ", decimals.ToString(CultureInfo.InvariantCulture),
            " decimals; round it explicitly before formatting."));
}
