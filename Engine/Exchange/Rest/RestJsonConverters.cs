using System.Text.Json;
using System.Text.Json.Serialization;
using Engine.Model;

namespace Engine.Exchange.Rest;

// Binance sends every price, quantity and amount as a JSON string ("42088.00"). These converters read the bytes
// straight into the fixed-point types: no double, no decimal, no string. A number token is accepted too (a few
// endpoints send bare numbers), parsed from its text exactly the same way.
internal static class FixedPointJson
{
    public delegate bool TryParseUtf8<T>(ReadOnlySpan<byte> utf8, out T value, out FixedPointError error);

    public static T Read<T>(ref Utf8JsonReader reader, TryParseUtf8<T> parse, string typeName)
    {
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Number))
        {
            throw new JsonException($"Expected a decimal string for a {typeName}, got {reader.TokenType}.");
        }

        // Escaped or split values never come from the venue for numbers; the rare case may allocate.
        var text = reader.HasValueSequence || reader.ValueIsEscaped
            ? System.Text.Encoding.UTF8.GetBytes(reader.GetString() ?? string.Empty)
            : reader.ValueSpan;

        if (!parse(text, out var value, out var error))
        {
            throw new JsonException($"'{System.Text.Encoding.UTF8.GetString(text)}' is not a valid {typeName}: {FixedPoint.Describe(error)}.");
        }

        return value;
    }

    public static T? ReadOrNullOnOverflow<T>(ref Utf8JsonReader reader, TryParseUtf8<T> parse, string typeName)
        where T : struct
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType is (JsonTokenType.String or JsonTokenType.Number) && !reader.HasValueSequence && !reader.ValueIsEscaped
            && !parse(reader.ValueSpan, out _, out var error) && error == FixedPointError.Overflow)
        {
            return null;
        }

        return Read(ref reader, parse, typeName);
    }

    public static bool IsEmptyString(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Null || (reader.TokenType == JsonTokenType.String && reader.ValueSpan.IsEmpty && !reader.HasValueSequence);
}

internal sealed class PriceJsonConverter : JsonConverter<Price>
{
    public override Price Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        FixedPointJson.Read<Price>(ref reader, Price.TryParse, "price");

    public override void Write(Utf8JsonWriter writer, Price value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}

internal sealed class QuantityJsonConverter : JsonConverter<Quantity>
{
    public override Quantity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        FixedPointJson.Read<Quantity>(ref reader, Quantity.TryParse, "quantity");

    public override void Write(Utf8JsonWriter writer, Quantity value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}

internal sealed class NotionalJsonConverter : JsonConverter<Notional>
{
    public override Notional Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        FixedPointJson.Read<Notional>(ref reader, Notional.TryParse, "amount");

    public override void Write(Utf8JsonWriter writer, Notional value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}

/// <summary>For fields the venue leaves as "" when unset (algo orders' activatePrice, callbackRate).</summary>
internal sealed class OptionalPriceJsonConverter : JsonConverter<Price?>
{
    public override bool HandleNull => true;

    public override Price? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        FixedPointJson.IsEmptyString(ref reader) ? null : FixedPointJson.Read<Price>(ref reader, Price.TryParse, "price");

    public override void Write(Utf8JsonWriter writer, Price? value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value?.ToString() ?? string.Empty);
}

/// <summary>
/// For statistics that can exceed the fixed-point range (24 h volumes of low-priced contracts pass 92 billion):
/// such a value reads as null instead of failing the whole answer; any other malformation still fails.
/// </summary>
internal sealed class OverflowToNullQuantityJsonConverter : JsonConverter<Quantity?>
{
    public override bool HandleNull => true;

    public override Quantity? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        FixedPointJson.ReadOrNullOnOverflow<Quantity>(ref reader, Quantity.TryParse, "quantity");

    public override void Write(Utf8JsonWriter writer, Quantity? value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value?.ToString() ?? string.Empty);
}

/// <summary>The <see cref="Notional"/> counterpart of <see cref="OverflowToNullQuantityJsonConverter"/>.</summary>
internal sealed class OverflowToNullNotionalJsonConverter : JsonConverter<Notional?>
{
    public override bool HandleNull => true;

    public override Notional? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        FixedPointJson.ReadOrNullOnOverflow<Notional>(ref reader, Notional.TryParse, "amount");

    public override void Write(Utf8JsonWriter writer, Notional? value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value?.ToString() ?? string.Empty);
}

internal sealed class SideJsonConverter : JsonConverter<Side>
{
    public override Side Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String || !SideExtensions.TryParseWire(reader.ValueSpan, out var side))
        {
            throw new JsonException($"Expected \"BUY\" or \"SELL\" for a side.");
        }

        return side;
    }

    public override void Write(Utf8JsonWriter writer, Side value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.WireName());
}

/// <summary>Reads an enum from its Binance wire text; text it does not know becomes the enum's 0 (None/Unknown) rather than an error.</summary>
internal abstract class WireEnumJsonConverter<TEnum> : JsonConverter<TEnum>
    where TEnum : struct, Enum
{
    protected abstract (string Wire, TEnum Value)[] Names { get; }

    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"Expected a string for {typeof(TEnum).Name}.");
        }

        foreach (var (wire, value) in Names)
        {
            if (reader.ValueTextEquals(wire))
            {
                return value;
            }
        }

        return default;
    }

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options)
    {
        foreach (var (wire, known) in Names)
        {
            if (EqualityComparer<TEnum>.Default.Equals(known, value))
            {
                writer.WriteStringValue(wire);
                return;
            }
        }

        writer.WriteStringValue("UNKNOWN");
    }
}

internal sealed class OrderStatusJsonConverter : WireEnumJsonConverter<OrderStatus>
{
    private static readonly (string, OrderStatus)[] s_names =
    [
        ("NEW", OrderStatus.New), ("PARTIALLY_FILLED", OrderStatus.PartiallyFilled), ("FILLED", OrderStatus.Filled),
        ("CANCELED", OrderStatus.Canceled), ("REJECTED", OrderStatus.Rejected), ("EXPIRED", OrderStatus.Expired),

        // Expired by self-trade prevention: for the engine, expired.
        ("EXPIRED_IN_MATCH", OrderStatus.Expired),
    ];

    protected override (string Wire, OrderStatus Value)[] Names => s_names;
}

internal sealed class AlgoOrderStatusJsonConverter : WireEnumJsonConverter<AlgoOrderStatus>
{
    private static readonly (string, AlgoOrderStatus)[] s_names =
    [
        ("NEW", AlgoOrderStatus.New), ("CANCELED", AlgoOrderStatus.Canceled), ("TRIGGERING", AlgoOrderStatus.Triggering),
        ("TRIGGERED", AlgoOrderStatus.Triggered), ("FINISHED", AlgoOrderStatus.Finished), ("REJECTED", AlgoOrderStatus.Rejected),
        ("EXPIRED", AlgoOrderStatus.Expired),
    ];

    protected override (string Wire, AlgoOrderStatus Value)[] Names => s_names;
}

/// <summary>A kline row is a 12-element array: times and trade count as numbers, everything else as decimal strings.</summary>
internal sealed class KlineJsonConverter : JsonConverter<Kline>
{
    public override Kline Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("A kline must be an array.");
        }

        var kline = new Kline
        {
            OpenTime = Next(ref reader).GetInt64(),
            Open = FixedPointJson.Read<Price>(ref Next(ref reader), Price.TryParse, "price"),
            High = FixedPointJson.Read<Price>(ref Next(ref reader), Price.TryParse, "price"),
            Low = FixedPointJson.Read<Price>(ref Next(ref reader), Price.TryParse, "price"),
            Close = FixedPointJson.Read<Price>(ref Next(ref reader), Price.TryParse, "price"),
            Volume = FixedPointJson.Read<Quantity>(ref Next(ref reader), Quantity.TryParse, "quantity"),
            CloseTime = Next(ref reader).GetInt64(),
            QuoteVolume = FixedPointJson.Read<Notional>(ref Next(ref reader), Notional.TryParse, "amount"),
            TradeCount = Next(ref reader).GetInt64(),
            TakerBuyVolume = FixedPointJson.Read<Quantity>(ref Next(ref reader), Quantity.TryParse, "quantity"),
            TakerBuyQuoteVolume = FixedPointJson.Read<Notional>(ref Next(ref reader), Notional.TryParse, "amount"),
        };

        // The "ignore" column and anything a later API version appends.
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            reader.Skip();
        }

        return kline;
    }

    public override void Write(Utf8JsonWriter writer, Kline value, JsonSerializerOptions options) =>
        throw new NotSupportedException("Klines are only read.");

    private static ref Utf8JsonReader Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
        {
            throw new JsonException("A kline row has fewer than 11 columns.");
        }

        return ref reader;
    }
}

/// <summary>A book level is a two-element array <c>["price","quantity"]</c>.</summary>
internal sealed class BookLevelJsonConverter : JsonConverter<BookLevel>
{
    public override BookLevel Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray || !reader.Read())
        {
            throw new JsonException("A book level must be an array [price, quantity].");
        }

        var price = FixedPointJson.Read<Price>(ref reader, Price.TryParse, "price");
        if (!reader.Read())
        {
            throw new JsonException("A book level has no quantity.");
        }

        var quantity = FixedPointJson.Read<Quantity>(ref reader, Quantity.TryParse, "quantity");
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            reader.Skip();
        }

        return new BookLevel(price, quantity);
    }

    public override void Write(Utf8JsonWriter writer, BookLevel value, JsonSerializerOptions options) =>
        throw new NotSupportedException("Book levels are only read.");
}
