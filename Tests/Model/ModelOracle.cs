using System.Numerics;
using CsCheck;
using Engine.Model;

namespace Tests.Model;

/// <summary>Independent reference implementations (System.Decimal, BigInteger) and generators for the model tests.</summary>
internal static class ModelOracle
{
    public static readonly RoundingMode[] AllModes = Enum.GetValues<RoundingMode>();

    private static readonly long[] _edges =
    [
        0, 1, -1, 5, -5, 9, -9, 10, -10,
        FixedPoint.One, -FixedPoint.One, FixedPoint.One / 2, -FixedPoint.One / 2, FixedPoint.One - 1, 1 - FixedPoint.One,
        long.MaxValue, long.MinValue, long.MaxValue - 1, long.MinValue + 1,
        92_233_720_368_00000000, -92_233_720_368_00000000, 92_233_720_367_50000000, -92_233_720_367_50000000,
    ];

    /// <summary>Values exactly at, or one unit either side of, a rounding midpoint at 0..7 decimals.</summary>
    public static readonly Gen<long> NearMidpoint =
        Gen.Select(Gen.Int[1, 8], Gen.Long, Gen.Int[-1, 1], (power, seed, delta) =>
        {
            var unit = Pow10(power);
            var multiple = seed % ((long.MaxValue / unit) - 2);
            var half = unit / 2;
            return (multiple * unit) + (multiple < 0 ? -half : half) + delta;
        });

    /// <summary>Mantissas across the whole range, weighted toward realistic magnitudes, midpoints and edges.</summary>
    public static readonly Gen<long> Mantissa = Gen.Frequency(
        (3, (IGen<long>)Gen.Long),
        (3, Gen.Long[-10_000_000_000_000, 10_000_000_000_000]),
        (2, Gen.Long[-1_000_000_000, 1_000_000_000]),
        (3, NearMidpoint),
        (1, Gen.OneOf(_edges)));

    public static readonly Gen<int> Decimals = Gen.Int[0, FixedPoint.Scale];

    public static readonly Gen<RoundingMode> Mode = Gen.Enum<RoundingMode>();

    public static long Pow10(int power)
    {
        var result = 1L;
        for (var i = 0; i < power; i++)
        {
            result *= 10;
        }

        return result;
    }

    /// <summary>The exact decimal value of a mantissa, built from its bits rather than by dividing.</summary>
    public static decimal ToDecimal(long mantissa)
    {
        var negative = mantissa < 0;
        var magnitude = negative ? unchecked(0UL - (ulong)mantissa) : (ulong)mantissa;
        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, negative, FixedPoint.Scale);
    }

    /// <summary>The mantissa of an exact decimal, or null when it is out of range.</summary>
    public static long? ToMantissa(decimal value)
    {
        var scaled = value * FixedPoint.One;
        Assert.Equal(decimal.Truncate(scaled), scaled);
        return scaled is >= long.MinValue and <= long.MaxValue ? (long)scaled : null;
    }

    public static decimal Round(decimal value, int decimals, RoundingMode mode) => mode switch
    {
        RoundingMode.TowardZero => decimal.Round(value, decimals, MidpointRounding.ToZero),
        RoundingMode.AwayFromZero => decimal.Round(
            value, decimals, value < 0 ? MidpointRounding.ToNegativeInfinity : MidpointRounding.ToPositiveInfinity),
        RoundingMode.Floor => decimal.Round(value, decimals, MidpointRounding.ToNegativeInfinity),
        RoundingMode.Ceiling => decimal.Round(value, decimals, MidpointRounding.ToPositiveInfinity),
        RoundingMode.HalfUp => decimal.Round(value, decimals, MidpointRounding.AwayFromZero),
        RoundingMode.HalfEven => decimal.Round(value, decimals, MidpointRounding.ToEven),
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>n / d rounded, computed from the floor quotient (a different route than the engine's truncation).</summary>
    public static BigInteger DivideRounded(BigInteger dividend, BigInteger divisor, RoundingMode mode)
    {
        if (divisor < 0)
        {
            dividend = -dividend;
            divisor = -divisor;
        }

        var floor = BigInteger.Divide(dividend, divisor);
        var remainder = dividend - (floor * divisor);
        if (remainder < 0)
        {
            floor -= 1;
            remainder += divisor;
        }

        if (remainder.IsZero)
        {
            return floor;
        }

        // The exact value lies strictly between floor and floor + 1; it is positive exactly when floor >= 0.
        var ceiling = floor + 1;
        var positive = floor.Sign >= 0;
        var twice = remainder * 2;
        return mode switch
        {
            RoundingMode.Floor => floor,
            RoundingMode.Ceiling => ceiling,
            RoundingMode.TowardZero => positive ? floor : ceiling,
            RoundingMode.AwayFromZero => positive ? ceiling : floor,
            RoundingMode.HalfUp => twice > divisor ? ceiling : twice < divisor ? floor : positive ? ceiling : floor,
            RoundingMode.HalfEven => twice > divisor ? ceiling : twice < divisor ? floor : floor.IsEven ? floor : ceiling,
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
    }

    public static bool FitsLong(BigInteger value) => value >= long.MinValue && value <= long.MaxValue;
}
