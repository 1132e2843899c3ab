using System.Globalization;
using System.Text;
using CsCheck;
using Engine.Model;

namespace Tests.Model;

public class FixedPointFormatTests
{
    [Theory]
    [InlineData(4_321_010_000_000, "43210.1")]
    [InlineData(1_200_000, "0.012")]
    [InlineData(500_000_000, "5")]
    [InlineData(100, "0.000001")]
    [InlineData(1, "0.00000001")]
    [InlineData(-1, "-0.00000001")]
    [InlineData(0, "0")]
    [InlineData(-150_000_000, "-1.5")]
    [InlineData(long.MaxValue, "92233720368.54775807")]
    [InlineData(long.MinValue, "-92233720368.54775808")]
    [InlineData(-92_233_720_368_00000000, "-92233720368")]
    public void Minimal_form_drops_trailing_zeros(long mantissa, string expected)
    {
        Span<byte> buffer = stackalloc byte[FixedPoint.MaxFormattedLength];
        Assert.True(FixedPoint.TryFormatMinimal(mantissa, buffer, out var written));
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer[..written]));
        Assert.Equal(expected, Price.FromMantissa(mantissa).ToString());
        Assert.Equal(expected, $"{Quantity.FromMantissa(mantissa)}");
    }

    [Theory]
    [InlineData(4_321_010_000_000, 2, "43210.10")]
    [InlineData(4_321_010_000_000, 0, null)]
    [InlineData(4_321_010_000_000, 8, "43210.10000000")]
    [InlineData(100, 8, "0.00000100")]
    [InlineData(100, 5, null)]
    [InlineData(100, 6, "0.000001")]
    [InlineData(500_000_000, 0, "5")]
    [InlineData(-500_000_000, 3, "-5.000")]
    [InlineData(long.MinValue, 8, "-92233720368.54775808")]
    [InlineData(long.MinValue, 7, null)]
    [InlineData(0, 4, "0.0000")]
    public void Fixed_decimals_are_written_exactly_or_refused(long mantissa, int decimals, string? expected)
    {
        Span<byte> buffer = stackalloc byte[64];
        var ok = FixedPoint.TryFormat(mantissa, buffer, out var written, decimals);
        Assert.Equal(expected is not null, ok);
        Assert.Equal(expected ?? "", Encoding.ASCII.GetString(buffer[..written]));
    }

    [Fact]
    public void TryFormat_fails_when_the_buffer_is_one_byte_short()
    {
        Gen.Select(ModelOracle.Mantissa, ModelOracle.Decimals).Sample((raw, decimals) =>
        {
            var mantissa = FixedPoint.Round(raw, decimals, RoundingMode.TowardZero);
            Span<byte> buffer = stackalloc byte[FixedPoint.MaxFormattedLength];
            Assert.True(FixedPoint.TryFormat(mantissa, buffer, out var written, decimals));
            Assert.False(FixedPoint.TryFormat(mantissa, buffer[..(written - 1)], out var shortWritten, decimals));
            Assert.Equal(0, shortWritten);
            Assert.True(FixedPoint.TryFormat(mantissa, buffer[..written], out _, decimals));

            Assert.True(FixedPoint.TryFormatMinimal(mantissa, buffer, out written));
            Assert.False(FixedPoint.TryFormatMinimal(mantissa, buffer[..(written - 1)], out _));
            Assert.False(Price.FromMantissa(mantissa).TryFormat(buffer[..(written - 1)], out _));
        }, iter: 5_000);
    }

    [Fact]
    public void TryFormat_fails_when_the_value_needs_more_decimals()
    {
        Span<byte> buffer = stackalloc byte[64];
        Assert.False(Price.Parse("43210.15"u8).TryFormat(buffer, out var written, 1));
        Assert.Equal(0, written);
        Assert.True(Price.Parse("43210.15"u8).TryFormat(buffer, out written, 2));
        Assert.Equal("43210.15", Encoding.ASCII.GetString(buffer[..written]));

        Gen.Select(ModelOracle.Mantissa, ModelOracle.Decimals).Sample((mantissa, decimals) =>
        {
            Span<byte> local = stackalloc byte[FixedPoint.MaxFormattedLength];
            var exact = FixedPoint.DecimalsOf(mantissa) <= decimals;
            Assert.Equal(exact, FixedPoint.TryFormat(mantissa, local, out _, decimals));
        }, iter: 10_000);
    }

    [Fact]
    public void Decimals_outside_zero_to_eight_throw()
    {
        var buffer = new byte[64];
        Assert.Throws<ArgumentOutOfRangeException>(() => FixedPoint.TryFormat(1, buffer, out _, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => FixedPoint.TryFormat(1, buffer, out _, -1));
    }

    [Fact]
    public void Fixed_format_matches_system_decimal_and_parses_back_at_every_decimals()
    {
        Gen.Select(ModelOracle.Mantissa, ModelOracle.Decimals, ModelOracle.Mode).Sample((raw, decimals, mode) =>
        {
            long rounded;
            try
            {
                rounded = FixedPoint.Round(raw, decimals, mode);
            }
            catch (OverflowException)
            {
                return;
            }

            Span<byte> utf8 = stackalloc byte[FixedPoint.MaxFormattedLength];
            Span<char> chars = stackalloc char[FixedPoint.MaxFormattedLength];
            Assert.True(FixedPoint.TryFormat(rounded, utf8, out var written, decimals));
            Assert.True(FixedPoint.TryFormat(rounded, chars, out var charsWritten, decimals));

            var expected = ModelOracle.ToDecimal(rounded).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            Assert.Equal(expected, Encoding.ASCII.GetString(utf8[..written]));
            Assert.Equal(expected, new string(chars[..charsWritten]));
            Assert.Equal(rounded, FixedPoint.Parse(utf8[..written]));
        }, iter: 20_000);
    }

    [Fact]
    public void Minimal_format_matches_system_decimal_and_parses_back()
    {
        ModelOracle.Mantissa.Sample(mantissa =>
        {
            Span<byte> utf8 = stackalloc byte[FixedPoint.MaxFormattedLength];
            Assert.True(FixedPoint.TryFormatMinimal(mantissa, utf8, out var written));
            var expected = ModelOracle.ToDecimal(mantissa).ToString("0.########", CultureInfo.InvariantCulture);
            Assert.Equal(expected, Encoding.ASCII.GetString(utf8[..written]));
            Assert.Equal(mantissa, FixedPoint.Parse(utf8[..written]));
            Assert.Equal(expected.Contains('.', StringComparison.Ordinal) ? expected.Length - expected.IndexOf('.', StringComparison.Ordinal) - 1 : 0,
                FixedPoint.DecimalsOf(mantissa));
        }, iter: 20_000);
    }

    [Fact]
    public void Span_formattable_supports_minimal_and_fixed_formats()
    {
        var price = Price.Parse("43210.1"u8);
        Assert.Equal("43210.1", $"{price}");
        Assert.Equal("43210.10", $"{price:F2}");
        Assert.Equal("43210.10000000", price.ToString("f8", CultureInfo.InvariantCulture));
        Assert.Equal("43210.1", price.ToString("G", null));

        Span<byte> utf8 = stackalloc byte[32];
        Assert.True(price.TryFormat(utf8, out var written, "F3", CultureInfo.InvariantCulture));
        Assert.Equal("43210.100", Encoding.ASCII.GetString(utf8[..written]));
        Assert.False(((IUtf8SpanFormattable)price).TryFormat(utf8[..6], out written, default, null));
        Assert.True(((IUtf8SpanFormattable)price).TryFormat(utf8[..7], out written, default, null));

        var utf8Text = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes($"{Notional.Parse("-1.25"u8)}"));
        Assert.Equal("-1.25", utf8Text);
    }

    [Fact]
    public void Span_formattable_refuses_to_round_and_rejects_unknown_formats()
    {
        var price = Price.Parse("43210.15"u8);
        var rounding = Assert.Throws<FormatException>(() => $"{price:F1}");
        Assert.Contains("43210.15", rounding.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => price.ToString("N2", null));
        Assert.Throws<FormatException>(() => price.ToString("F9", null));
        Assert.Throws<FormatException>(() => price.ToString("F", null));
    }
}
