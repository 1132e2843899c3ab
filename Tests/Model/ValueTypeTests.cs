using System.Numerics;
using CsCheck;
using Engine.Model;

namespace Tests.Model;

public class ValueTypeTests
{
    [Fact]
    public void Price_times_quantity_is_a_scale_correct_notional()
    {
        var notional = Price.Parse("43210.10"u8).Multiply(Quantity.Parse("0.012"u8), RoundingMode.HalfEven);
        Assert.Equal(Notional.Parse("518.5212"u8), notional);

        var price = Price.Parse("43210.12345678"u8);
        var quantity = Quantity.Parse("0.00123456"u8);
        // Exact product 53.3454900148023168 needs rounding at 8 decimals.
        Assert.Equal("53.34549001", price.Multiply(quantity, RoundingMode.TowardZero).ToString());
        Assert.Equal("53.34549001", price.Multiply(quantity, RoundingMode.HalfUp).ToString());
        Assert.Equal("53.34549002", quantity.Multiply(price, RoundingMode.Ceiling).ToString());
        Assert.Equal("-53.34549002", price.Multiply(-quantity, RoundingMode.Floor).ToString());
        Assert.Equal("-53.34549001", price.Multiply(-quantity, RoundingMode.Ceiling).ToString());

        // 100000 x 1000 overflows 64 bits in the intermediate but not in the result.
        Assert.Equal(Notional.FromInteger(100_000_000), Price.FromInteger(100_000).Multiply(Quantity.FromInteger(1_000), RoundingMode.Floor));
        Assert.Throws<OverflowException>(() => Price.FromInteger(10_000_000).Multiply(Quantity.FromInteger(10_000), RoundingMode.Floor));
    }

    [Fact]
    public void Notional_divided_by_price_is_a_quantity()
    {
        var budget = Notional.FromInteger(1_000);
        var price = Price.Parse("43210.1"u8);
        // Exact quotient 0.0231427374618...
        Assert.Equal(Quantity.Parse("0.02314273"u8), budget.DivideBy(price, RoundingMode.TowardZero));
        Assert.Equal(Quantity.Parse("0.02314274"u8), budget.DivideBy(price, RoundingMode.HalfEven));
        Assert.Equal(
            Quantity.Parse("0.023"u8),
            budget.DivideBy(price, RoundingMode.TowardZero).RoundToIncrement(Quantity.Parse("0.001"u8), RoundingMode.TowardZero));

        Assert.Equal(Quantity.Parse("0.012"u8), Notional.Parse("518.5212"u8).DivideBy(Price.Parse("43210.10"u8), RoundingMode.TowardZero));
        Assert.Equal(Price.Parse("43210.1"u8), Notional.Parse("518.5212"u8).DivideBy(Quantity.Parse("0.012"u8), RoundingMode.TowardZero));
        Assert.Throws<DivideByZeroException>(() => budget.DivideBy(Price.Zero, RoundingMode.Floor));
    }

    [Fact]
    public void Cross_type_operations_match_the_big_integer_oracle()
    {
        Gen.Select(ModelOracle.Mantissa, ModelOracle.Mantissa, ModelOracle.Mode).Sample((p, q, mode) =>
        {
            var expected = ModelOracle.DivideRounded((BigInteger)p * q, FixedPoint.One, mode);
            if (ModelOracle.FitsLong(expected))
            {
                Assert.Equal((long)expected, Price.FromMantissa(p).Multiply(Quantity.FromMantissa(q), mode).Mantissa);
            }

            if (q != 0)
            {
                var quotient = ModelOracle.DivideRounded((BigInteger)p * FixedPoint.One, q, mode);
                if (ModelOracle.FitsLong(quotient))
                {
                    Assert.Equal((long)quotient, Notional.FromMantissa(p).DivideBy(Price.FromMantissa(q), mode).Mantissa);
                    Assert.Equal((long)quotient, Notional.FromMantissa(p).DivideBy(Quantity.FromMantissa(q), mode).Mantissa);
                }
                else
                {
                    Assert.Throws<OverflowException>(() => Notional.FromMantissa(p).DivideBy(Price.FromMantissa(q), mode));
                }
            }
        }, iter: 10_000);
    }

    [Fact]
    public void MultiplyRatio_takes_two_percent_of_equity()
    {
        Assert.Equal(Notional.Parse("246.9134"u8), Notional.Parse("12345.67"u8).MultiplyRatio(2, 100, RoundingMode.TowardZero));

        var equity = Notional.Parse("10.00000001"u8);
        Assert.Equal(Notional.Parse("0.2"u8), equity.MultiplyRatio(2, 100, RoundingMode.TowardZero));
        Assert.Equal(Notional.Parse("0.20000001"u8), equity.MultiplyRatio(2, 100, RoundingMode.Ceiling));
        Assert.Equal(Notional.Parse("-0.20000001"u8), (-equity).MultiplyRatio(2, 100, RoundingMode.Floor));

        Assert.Equal(Quantity.Parse("0.0005"u8), Quantity.Parse("0.001"u8).MultiplyRatio(1, 2, RoundingMode.HalfEven));
        Assert.Equal(Price.Parse("100.5"u8), Price.FromInteger(100).MultiplyRatio(1005, 1000, RoundingMode.HalfEven));
        Assert.Throws<DivideByZeroException>(() => Price.FromInteger(1).MultiplyRatio(1, 0, RoundingMode.Floor));
    }

    [Fact]
    public void Equality_ordering_and_hashing_follow_the_mantissa()
    {
        Gen.Select(ModelOracle.Mantissa, ModelOracle.Mantissa).Sample((a, b) =>
        {
            var x = Price.FromMantissa(a);
            var y = Price.FromMantissa(b);
            Assert.Equal(a == b, x == y);
            Assert.Equal(a != b, x != y);
            Assert.Equal(a == b, x.Equals(y));
            Assert.Equal(a == b, x.Equals((object)y));
            Assert.Equal(a < b, x < y);
            Assert.Equal(a > b, x > y);
            Assert.Equal(a <= b, x <= y);
            Assert.Equal(a >= b, x >= y);
            Assert.Equal(Math.Sign(a.CompareTo(b)), Math.Sign(x.CompareTo(y)));
            if (a == b)
            {
                Assert.Equal(x.GetHashCode(), y.GetHashCode());
            }
        }, iter: 5_000);

        Assert.False(Price.FromInteger(1).Equals(Quantity.FromInteger(1)));
        Assert.False(Price.FromInteger(1).Equals(null));
    }

    [Fact]
    public void Basic_members_behave()
    {
        Assert.True(Price.Zero.IsZero);
        Assert.Equal(default, Quantity.Zero);
        Assert.True(Notional.FromMantissa(-1).IsNegative);
        Assert.False(Notional.FromMantissa(0).IsNegative);
        Assert.Equal(FixedPoint.One * 5, Price.FromInteger(5).Mantissa);
        Assert.Throws<OverflowException>(() => Quantity.FromInteger(long.MaxValue / 10));
        Assert.Equal(Quantity.Parse("-0.5"u8), -Quantity.Parse("0.5"u8));
        Assert.Throws<OverflowException>(() => -Notional.FromMantissa(long.MinValue));
        Assert.Throws<OverflowException>(() => Notional.FromMantissa(long.MaxValue) + Notional.FromMantissa(1));
        Assert.Throws<OverflowException>(() => Notional.FromMantissa(long.MaxValue).Round(0, RoundingMode.Ceiling));
        Assert.Equal(Price.Parse("1.5"u8), Price.Parse("1"u8) + Price.Parse("0.5"u8));
        Assert.Equal(Price.Parse("-0.5"u8), Price.Parse("1"u8) - Price.Parse("1.5"u8));

        Assert.True(Quantity.TryParse("0.001"u8, out var quantity, out var error));
        Assert.Equal(FixedPointError.None, error);
        Assert.Equal(100_000, quantity.Mantissa);
        Assert.False(Notional.TryParse("1e3"u8, out var notional, out error));
        Assert.Equal(FixedPointError.Exponent, error);
        Assert.Equal(Notional.Zero, notional);
    }
}
