using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Simulator;

/// <summary>Binance's number formatting: decimals as strings with a fixed or bounded number of places, never an exponent.</summary>
internal static class Num
{
    public static string Fixed(decimal v, int places) => Math.Round(v, places, MidpointRounding.ToEven).ToString("F" + places.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>At least <paramref name="min"/> and at most <paramref name="max"/> decimals.</summary>
    public static string Bounded(decimal v, int min, int max = 8)
    {
        var s = Math.Round(v, max, MidpointRounding.ToEven).ToString("F" + max.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var dot = s.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return s;
        }

        var end = s.Length;
        while (end > dot + 1 + min && s[end - 1] == '0')
        {
            end--;
        }

        if (end == dot + 1)
        {
            end--;
        }

        return s[..end];
    }

    /// <summary>Plain decimal as a client would send it (no trailing zeros).</summary>
    public static string Plain(decimal v) => Bounded(v, 0, 10);

    public static string Price(SymbolSpec s, decimal v) => Fixed(v, s.PricePrecision);

    public static string Qty(SymbolSpec s, decimal v) => Fixed(v, s.QuantityPrecision);

    /// <summary>Number of decimal places a client's string carries ("0.0100" has 4).</summary>
    public static int Scale(decimal v) => (decimal.GetBits(v)[3] >> 16) & 0xFF;
}

/// <summary>A JSON document under construction; <see cref="ToArray"/> hands out the UTF-8 bytes.</summary>
internal sealed class JsonOut : IDisposable
{
    private readonly ArrayBufferWriter<byte> _buffer = new(512);

    // Binance writes messages such as "Order's notional …" with the apostrophe as is; the default encoder's HTML-safe
    // escaping (\u0027, \u003C, \u002B) is bytes the real venue never sends. Only what JSON itself requires is escaped.
    private static readonly JsonWriterOptions Options = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public JsonOut() => W = new Utf8JsonWriter(_buffer, Options);

    public Utf8JsonWriter W { get; }

    public byte[] ToArray()
    {
        W.Flush();
        return _buffer.WrittenSpan.ToArray();
    }

    public void Dispose() => W.Dispose();

    public static byte[] Build(Action<Utf8JsonWriter> write)
    {
        using var j = new JsonOut();
        write(j.W);
        return j.ToArray();
    }

    public static byte[] Error(int code, string msg) => Build(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("code", code);
        w.WriteString("msg", msg);
        w.WriteEndObject();
    });
}
