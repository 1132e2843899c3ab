using System.Numerics;
using CsCheck;
using Engine.Model;

namespace Tests.Model;

public class FixedPointArithmeticTests
{
    [Fact]
    public void Round_matches_system_decimal_for_every_mode_and_decimals()
    {
        Gen.Select(ModelOracle.Mantissa, ModelOracle.Decimals, ModelOracle.Mode).Sample((mantissa, decimals, mode) =>
        {
            var expected = ModelOracle.ToMantissa(ModelOracle.Round(ModelOracle.ToDecimal(mantissa), decimals, mode));
            if (expected is null)
            {
                Assert.Throws<OverflowException>(() => FixedPoint.Round(mantissa, decimals, mode));
            }
            else
            {
                Assert.Equal(expected.Value, FixedPoint.Round(mantissa, decimals, mode));
                Assert.Equal(expected.Value, Price.FromMantissa(mantissa).Round(decimals, mode).Mantissa);
            }
        }, iter: 30_000);
    }

    [Theory]
    [InlineData("2.5", 0, "2", "3", "2", "3", "3", "2")]
    [InlineData("-2.5", 0, "-2", "-3", "-3", "-2", "-3", "-2")]
    [InlineData("3.5", 0, "3", "4", "3", "4", "4", "4")]
    [InlineData("-3.5", 0, "-3", "-4", "-4", "-3", "-4", "-4")]
    [InlineData("-2.51", 0, "-2", "-3", "-3", "-2", "-3", "-3")]
    [InlineData("-2.49", 0, "-2", "-3", "-3", "-2", "-2", "-2")]
    [InlineData("0.125", 2, "0.12", "0.13", "0.12", "0.13", "0.13", "0.12")]
    [InlineData("-0.00000001", 0, "0", "-1", "-1", "0", "0", "0")]
    [InlineData("-0.00000001", 7, "0", "-0.0000001", "-0.0000001", "0", "0", "0")]
    [InlineData("-0.00000005", 7, "0", "-0.0000001", "-0.0000001", "0", "-0.0000001", "0")]
    [InlineData("-0.00000015", 7, "-0.0000001", "-0.0000002", "-0.0000002", "-0.0000001", "-0.0000002", "-0.0000002")]
    public void Round_handles_halves_and_negatives(
        string value, int decimals, string towardZero, string away, string floor, string ceiling, string halfUp, string halfEven)
    {
        var mantissa = FixedPoint.Parse(System.Text.Encoding.ASCII.GetBytes(value));
        string Round(RoundingMode mode) => Price.FromMantissa(FixedPoint.Round(mantissa, decimals, mode)).ToString();
        Assert.Equal(towardZero, Round(RoundingMode.TowardZero));
        Assert.Equal(away, Round(RoundingMode.AwayFromZero));
        Assert.Equal(floor, Round(RoundingMode.Floor));
        Assert.Equal(ceiling, Round(RoundingMode.Ceiling));
        Assert.Equal(halfUp, Round(RoundingMode.HalfUp));
        Assert.Equal(halfEven, Round(RoundingMode.HalfEven));
    }

    [Fact]
    public void RoundToIncrement_matches_a_floor_based_big_integer_oracle()
    {
        var increment = Gen.Frequency(
            (2, (IGen<long>)Gen.Long[1, 1_000_000_000]),
            (1, Gen.OneOf(1L, 10L, 5_000L, 1_000_000L, 2_500_000L, FixedPoint.One, 3L, long.MaxValue)),
            (1, Gen.Long[1, long.MaxValue]));
        Gen.Select(ModelOracle.Mantissa, increment, ModelOracle.Mode).Sample((mantissa, step, mode) =>
        {
            var expected = ModelOracle.DivideRounded(mantissa, step, mode) * step;
            if (ModelOracle.FitsLong(expected))
            {
                Assert.Equal((long)expected, FixedPoint.RoundToIncrement(mantissa, step, mode));
            }
            else
            {
                Assert.Throws<OverflowException>(() => FixedPoint.RoundToIncrement(mantissa, step, mode));
            }
        }, iter: 30_000);
    }

    [Fact]
    public void RoundToIncrement_snaps_to_binance_ticks()
    {
        var tick = Price.Parse("0.10"u8);
        Assert.Equal(Price.Parse("43210.1"u8), Price.Parse("43210.149"u8).RoundToIncrement(tick, RoundingMode.HalfEven));
        Assert.Equal(Price.Parse("43210.2"u8), Price.Parse("43210.15"u8).RoundToIncrement(tick, RoundingMode.HalfEven));
        Assert.Equal(Price.Parse("43210.1"u8), Price.Parse("43210.15"u8).RoundToIncrement(tick, RoundingMode.Floor));

        var step = Quantity.Parse("0.001"u8);
        Assert.Equal(Quantity.Parse("0.012"u8), Quantity.Parse("0.0129"u8).RoundToIncrement(step, RoundingMode.TowardZero));
        Assert.Equal(Quantity.Parse("-0.012"u8), Quantity.Parse("-0.0129"u8).RoundToIncrement(step, RoundingMode.TowardZero));
        Assert.Equal(Quantity.Parse("-0.013"u8), Quantity.Parse("-0.0121"u8).RoundToIncrement(step, RoundingMode.Floor));

        Assert.Throws<ArgumentOutOfRangeException>(() => FixedPoint.RoundToIncrement(1, 0, RoundingMode.Floor));
        Assert.Throws<ArgumentOutOfRangeException>(() => FixedPoint.RoundToIncrement(1, -5, RoundingMode.Floor));
        Assert.Throws<ArgumentOutOfRangeException>(() => FixedPoint.Round(1, 9, RoundingMode.Floor));
        Assert.Throws<ArgumentOutOfRangeException>(() => FixedPoint.Round(1, 2, (RoundingMode)42));
    }

    [Fact]
    public void MultiplyDivide_matches_a_big_integer_oracle()
    {
        var divisor = Gen.Frequency(
            (2, (IGen<long>)Gen.Long),
            (2, Gen.Long[-1_000_000_000, 1_000_000_000]),
            (1, Gen.OneOf(1L, -1L, 2L, -2L, 3L, 100L, FixedPoint.One, -FixedPoint.One, long.MaxValue, long.MinValue)))
            .Where(d => d != 0);
        Gen.Select(ModelOracle.Mantissa, ModelOracle.Mantissa, divisor, ModelOracle.Mode).Sample((a, b, d, mode) =>
        {
            var expected = ModelOracle.DivideRounded((BigInteger)a * b, d, mode);
            if (ModelOracle.FitsLong(expected))
            {
                Assert.Equal((long)expected, FixedPoint.MultiplyDivide(a, b, d, mode));
            }
            else
            {
                Assert.Throws<OverflowException>(() => FixedPoint.MultiplyDivide(a, b, d, mode));
            }
        }, iter: 30_000);
    }

    [Fact]
    public void MultiplyDivide_agrees_with_int128_on_exact_products()
    {
        Gen.Select(Gen.Long, Gen.Long, Gen.Long.Where(d => d != 0)).Sample((a, b, d) =>
        {
            var product = (Int128)a * b;
            var exactQuotient = product / d;
            if (product % d == 0 && exactQuotient >= long.MinValue && exactQuotient <= long.MaxValue)
            {
                foreach (var mode in ModelOracle.AllModes)
                {
                    Assert.Equal((long)exactQuotient, FixedPoint.MultiplyDivide(a, b, d, mode));
                }
            }
        }, iter: 5_000);
    }

    [Fact]
    public void MultiplyDivide_edge_cases()
    {
        Assert.Throws<DivideByZeroException>(() => FixedPoint.MultiplyDivide(1, 1, 0, RoundingMode.Floor));
        Assert.Throws<OverflowException>(() => FixedPoint.MultiplyDivide(long.MinValue, 1, -1, RoundingMode.Floor));
        Assert.Throws<OverflowException>(() => FixedPoint.MultiplyDivide(long.MaxValue, 2, 1, RoundingMode.Floor));
        Assert.Equal(long.MinValue, FixedPoint.MultiplyDivide(long.MinValue, 1, 1, RoundingMode.Floor));
        Assert.Equal(long.MaxValue, FixedPoint.MultiplyDivide(long.MinValue + 1, 1, -1, RoundingMode.Floor));
        Assert.Equal(long.MaxValue, FixedPoint.MultiplyDivide(long.MaxValue, long.MaxValue, long.MaxValue, RoundingMode.TowardZero));
        Assert.Equal(long.MinValue, FixedPoint.MultiplyDivide(long.MinValue, long.MinValue, long.MinValue, RoundingMode.TowardZero));
        Assert.Equal(-1, FixedPoint.MultiplyDivide(-1, 1, 3, RoundingMode.Floor));
        Assert.Equal(0, FixedPoint.MultiplyDivide(-1, 1, 3, RoundingMode.Ceiling));
        Assert.Equal(-1, FixedPoint.MultiplyDivide(1, 1, -2, RoundingMode.HalfUp));
        Assert.Equal(0, FixedPoint.MultiplyDivide(1, 1, -2, RoundingMode.HalfEven));
    }

    [Fact]
    public void Checked_add_subtract_negate_and_from_integer_throw_on_overflow()
    {
        Assert.Throws<OverflowException>(() => FixedPoint.Add(long.MaxValue, 1));
        Assert.Throws<OverflowException>(() => FixedPoint.Subtract(long.MinValue, 1));
        Assert.Throws<OverflowException>(() => FixedPoint.Negate(long.MinValue));
        Assert.Throws<OverflowException>(() => FixedPoint.FromInteger(92_233_720_369));
        Assert.Equal(-92_233_720_368_00000000, FixedPoint.FromInteger(-92_233_720_368));
        Assert.Equal(long.MaxValue, FixedPoint.Add(long.MaxValue - 1, 1));

        Gen.Select(ModelOracle.Mantissa, ModelOracle.Mantissa).Sample((a, b) =>
        {
            var sum = (Int128)a + b;
            var difference = (Int128)a - b;
            if (sum >= long.MinValue && sum <= long.MaxValue)
            {
                Assert.Equal((long)sum, FixedPoint.Add(a, b));
                Assert.Equal((long)sum, (Notional.FromMantissa(a) + Notional.FromMantissa(b)).Mantissa);
            }
            else
            {
                Assert.Throws<OverflowException>(() => FixedPoint.Add(a, b));
                Assert.Throws<OverflowException>(() => Price.FromMantissa(a) + Price.FromMantissa(b));
            }

            if (difference >= long.MinValue && difference <= long.MaxValue)
            {
                Assert.Equal((long)difference, FixedPoint.Subtract(a, b));
            }
            else
            {
                Assert.Throws<OverflowException>(() => FixedPoint.Subtract(a, b));
                Assert.Throws<OverflowException>(() => Quantity.FromMantissa(a) - Quantity.FromMantissa(b));
            }
        }, iter: 20_000);
    }

    [Theory]
    [InlineData(1_000_000, 2)]
    [InlineData(100_000_000, 0)]
    [InlineData(1, 8)]
    [InlineData(10, 7)]
    [InlineData(1_000_000_000, 0)]
    [InlineData(150_000_000, 1)]
    [InlineData(0, 0)]
    [InlineData(-1_200_000, 3)]
    [InlineData(long.MinValue, 8)]
    public void DecimalsOf_counts_significant_fractional_digits(long mantissa, int expected) =>
        Assert.Equal(expected, FixedPoint.DecimalsOf(mantissa));
}
