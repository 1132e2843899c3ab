using Engine.Model;

namespace Tests.Model;

/// <summary>The hot paths must not allocate: a steady stream of market data may not feed the GC.</summary>
public class AllocationTests
{
    private const int Iterations = 10_000;

    private static readonly byte[][] _texts =
        ["43210.10"u8.ToArray(), "0.012"u8.ToArray(), "0.00000100"u8.ToArray(), "92233720368.54775807"u8.ToArray(), "-1.5"u8.ToArray()];

    [Fact]
    public void Parse_does_not_allocate()
    {
        Assert.Equal(0, Measure(static () =>
        {
            long sum = 0;
            for (var i = 0; i < Iterations; i++)
            {
                var text = _texts[i % _texts.Length];
                if (FixedPoint.TryParse(text, out var mantissa, out _))
                {
                    sum += mantissa + Price.Parse(text).Mantissa;
                }

                if (!Quantity.TryParse("1e-8"u8, out _, out var error))
                {
                    sum += (int)error;
                }
            }

            return sum;
        }));
    }

    [Fact]
    public void Wire_name_lookup_does_not_allocate()
    {
        Assert.Equal(0, Measure(static () =>
        {
            long sum = 0;
            for (var i = 0; i < Iterations; i++)
            {
                if (OrderKindExtensions.TryParseWire("TAKE_PROFIT_MARKET"u8, out var kind)
                    && TimeInForceExtensions.TryParseWire("GTX"u8, out var timeInForce)
                    && SideExtensions.TryParseWire("SELL"u8, out var side))
                {
                    sum += (int)kind + (int)timeInForce + (int)side + kind.WireName().Length;
                }
            }

            return sum;
        }));
    }

    [Fact]
    public void Format_does_not_allocate()
    {
        Assert.Equal(0, Measure(static () =>
        {
            Span<byte> utf8 = stackalloc byte[FixedPoint.MaxFormattedLength];
            Span<char> chars = stackalloc char[FixedPoint.MaxFormattedLength];
            long sum = 0;
            for (var i = 0; i < Iterations; i++)
            {
                var mantissa = (long)i * 1_234_567_891;
                FixedPoint.TryFormat(mantissa, utf8, out var written, 8);
                sum += written;
                FixedPoint.TryFormatMinimal(-mantissa, utf8, out written);
                sum += written;
                Price.FromMantissa(mantissa).TryFormat(utf8, out written, 2);
                sum += written;
                Quantity.FromMantissa(mantissa).TryFormat(chars, out written, "F8", null);
                sum += written;
            }

            return sum;
        }));
    }

    [Fact]
    public void Arithmetic_does_not_allocate()
    {
        Assert.Equal(0, Measure(static () =>
        {
            long sum = 0;
            var price = Price.Parse("43210.12345678"u8);
            for (var i = 1; i <= Iterations; i++)
            {
                var quantity = Quantity.FromMantissa(i * 12_345L);
                var notional = price.Multiply(quantity, RoundingMode.HalfEven);
                sum += notional.DivideBy(price, RoundingMode.TowardZero).Mantissa;
                sum += FixedPoint.Round(notional.Mantissa, i % 9, (RoundingMode)(i % 6));
                sum += FixedPoint.MultiplyDivide(long.MaxValue / i, 3, 7, RoundingMode.HalfUp);
            }

            return sum;
        }));
    }

    [Fact]
    public void Symbol_lookup_does_not_allocate()
    {
        var table = new SymbolTable();
        table.Add("BTCUSDT");
        table.Add("ETHUSDT");
        table.Add("1000PEPEUSDT");
        Assert.Equal(0, Measure(() =>
        {
            long sum = 0;
            for (var i = 0; i < Iterations; i++)
            {
                table.TryGet("BTCUSDT"u8, out var id);
                sum += id.Value;
                table.TryGet("1000PEPEUSDT"u8, out id);
                sum += id.Value;
                table.TryGet("DOGEUSDT"u8, out id);
                sum += id.Value + table.Utf8NameOf(new SymbolId(2)).Length;
            }

            return sum;
        }));
    }

    // Runs once to warm up (JIT, statics), then measures a second run on this thread.
    private static long Measure(Func<long> body)
    {
        body();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = body();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(result);
        return allocated;
    }
}
