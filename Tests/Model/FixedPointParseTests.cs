using System.Globalization;
using System.Text;
using CsCheck;
using Engine.Model;

namespace Tests.Model;

public class FixedPointParseTests
{
    [Theory]
    [InlineData("", FixedPointError.Empty)]
    [InlineData(" 1", FixedPointError.InvalidCharacter)]
    [InlineData("1 ", FixedPointError.InvalidCharacter)]
    [InlineData("+1", FixedPointError.InvalidCharacter)]
    [InlineData("1e-8", FixedPointError.Exponent)]
    [InlineData("1E8", FixedPointError.Exponent)]
    [InlineData("1.5e3", FixedPointError.Exponent)]
    [InlineData("1.", FixedPointError.MissingDigits)]
    [InlineData(".5", FixedPointError.MissingDigits)]
    [InlineData("-", FixedPointError.MissingDigits)]
    [InlineData("-.5", FixedPointError.MissingDigits)]
    [InlineData("1.2.3", FixedPointError.InvalidCharacter)]
    [InlineData("--1", FixedPointError.InvalidCharacter)]
    [InlineData("abc", FixedPointError.InvalidCharacter)]
    [InlineData("1,5", FixedPointError.InvalidCharacter)]
    [InlineData("1_000", FixedPointError.InvalidCharacter)]
    [InlineData("0x10", FixedPointError.InvalidCharacter)]
    [InlineData("1\n", FixedPointError.InvalidCharacter)]
    [InlineData("NaN", FixedPointError.InvalidCharacter)]
    [InlineData("0.123456789", FixedPointError.TooManyDecimals)]
    [InlineData("0.000000001", FixedPointError.TooManyDecimals)]
    [InlineData("1.000000000000000001", FixedPointError.TooManyDecimals)]
    [InlineData("92233720368.54775808", FixedPointError.Overflow)]
    [InlineData("-92233720368.54775809", FixedPointError.Overflow)]
    [InlineData("92233720369", FixedPointError.Overflow)]
    [InlineData("99999999999999999999999999999999999999", FixedPointError.Overflow)]
    public void Malformed_input_is_rejected_with_the_right_error(string text, FixedPointError expected)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        Assert.False(FixedPoint.TryParse(utf8, out var mantissa, out var error));
        Assert.Equal(expected, error);
        Assert.Equal(0, mantissa);
        Assert.False(Price.TryParse(utf8, out var price, out var priceError));
        Assert.Equal(expected, priceError);
        Assert.Equal(Price.Zero, price);
    }

    [Theory]
    [InlineData("43210.10", 4_321_010_000_000)]
    [InlineData("0.012", 1_200_000)]
    [InlineData("0.00000100", 100)]
    [InlineData("0.00000001", 1)]
    [InlineData("92233720368.54775807", long.MaxValue)]
    [InlineData("-92233720368.54775808", long.MinValue)]
    [InlineData("0.100000000", 10_000_000)]
    [InlineData("1.000000000", 100_000_000)]
    [InlineData("1.00000000000000000000", 100_000_000)]
    [InlineData("-0", 0)]
    [InlineData("-0.0", 0)]
    [InlineData("0", 0)]
    [InlineData("007.50", 750_000_000)]
    [InlineData("00000000000000000000000001", 100_000_000)]
    [InlineData("-1.5", -150_000_000)]
    [InlineData("5", 500_000_000)]
    public void Valid_input_parses_exactly(string text, long expected)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        Assert.True(FixedPoint.TryParse(utf8, out var mantissa, out var error));
        Assert.Equal(FixedPointError.None, error);
        Assert.Equal(expected, mantissa);
        Assert.Equal(expected, FixedPoint.Parse(utf8));
        Assert.Equal(expected, Quantity.Parse(utf8).Mantissa);
    }

    [Fact]
    public void Parse_throws_format_exception_naming_the_text_and_reason()
    {
        var ex = Assert.Throws<FormatException>(() => Price.Parse("1e-8"u8));
        Assert.Contains("\"1e-8\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains(FixedPoint.Describe(FixedPointError.Exponent), ex.Message, StringComparison.Ordinal);

        var spaced = Assert.Throws<FormatException>(() => FixedPoint.Parse(" 1\r"u8));
        Assert.Contains("\" 1\\x0D\"", spaced.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_throws_overflow_exception_for_out_of_range_values()
    {
        var ex = Assert.Throws<OverflowException>(() => Notional.Parse("92233720368.54775808"u8));
        Assert.Contains("92233720368.54775808", ex.Message, StringComparison.Ordinal);
        Assert.Contains(FixedPoint.Describe(FixedPointError.Overflow), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_error_has_a_distinct_description()
    {
        var descriptions = Enum.GetValues<FixedPointError>().Select(FixedPoint.Describe).ToList();
        Assert.Equal(descriptions.Count, descriptions.Distinct().Count());
        Assert.All(descriptions, d => Assert.False(string.IsNullOrWhiteSpace(d)));
        Assert.Contains("exponent", FixedPoint.Describe(FixedPointError.Exponent), StringComparison.Ordinal);
    }

    [Fact]
    public void Random_decimal_text_parses_like_system_decimal()
    {
        var digits = Gen.Char["0123456789"];
        Gen.Select(Gen.Bool, digits.Array[1, 12], digits.Array[0, 12])
            .Sample((negative, integer, fraction) =>
            {
                var text = (negative ? "-" : "") + new string(integer) + (fraction.Length > 0 ? "." + new string(fraction) : "");
                var oracle = decimal.Parse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
                var scaled = oracle * FixedPoint.One;
                var truncated = decimal.Truncate(scaled);
                var expected = truncated is < long.MinValue or > long.MaxValue ? FixedPointError.Overflow
                    : truncated != scaled ? FixedPointError.TooManyDecimals
                    : FixedPointError.None;

                var parsed = FixedPoint.TryParse(Encoding.ASCII.GetBytes(text), out var mantissa, out var error);
                Assert.Equal(expected, error);
                Assert.Equal(expected == FixedPointError.None, parsed);
                if (parsed)
                {
                    Assert.Equal((long)scaled, mantissa);
                }
            }, iter: 20_000);
    }

    [Fact]
    public void Random_bytes_never_throw_and_accepted_text_round_trips()
    {
        var bytes = Gen.Byte.Array[0, 12];
        var alphabet = Gen.Char["0123456789.-eE+ "].Array[0, 12].Select(chars => Encoding.ASCII.GetBytes(chars));
        Gen.OneOf(bytes, alphabet).Sample(utf8 =>
        {
            if (FixedPoint.TryParse(utf8, out var mantissa, out var error))
            {
                Assert.Equal(FixedPointError.None, error);
                Span<byte> buffer = stackalloc byte[FixedPoint.MaxFormattedLength];
                Assert.True(FixedPoint.TryFormatMinimal(mantissa, buffer, out var written));
                Assert.Equal(mantissa, FixedPoint.Parse(buffer[..written]));
            }
            else
            {
                Assert.NotEqual(FixedPointError.None, error);
                Assert.Equal(0, mantissa);
            }
        }, iter: 20_000);
    }
}
