using System.Buffers.Text;
using System.Text.Json;
using Engine.Model;

namespace Engine.Exchange.Wire;

/// <summary>
/// Turns a REST order response's status and JSON body into an <see cref="OrderAnswer"/> with
/// <see cref="Utf8JsonReader"/>, allocating nothing: the order's id, status, executed quantity, cumulative quote, average
/// price and update time on success; the venue's <c>{"code":…,"msg":…}</c> on an error.
/// </summary>
public static class RestAnswerReader
{
    /// <summary>
    /// Fills <paramref name="answer"/>'s <see cref="OrderAnswer.Status"/>, error and order fields from
    /// <paramref name="status"/> and <paramref name="body"/>. <paramref name="answer"/>'s
    /// <see cref="OrderAnswer.Request"/> and <see cref="OrderAnswer.ClientOrderId"/> must already say what was asked.
    /// </summary>
    /// <returns>
    /// False when a 2xx answer does not carry the order it should (not JSON, a field that does not parse, no order id,
    /// a <c>code</c> that is not success, or another client order id than the one asked for): the request's outcome is
    /// then unknown and <paramref name="problem"/> says why. An error status always reads (a body that is not the
    /// venue's JSON becomes the message, with code <see cref="VenueError.LocalCode"/>).
    /// </returns>
    public static bool TryRead(int status, ReadOnlySpan<byte> body, ref OrderAnswer answer, out string? problem)
    {
        answer.Status = status;
        problem = null;
        if (status is >= 200 and < 300)
        {
            return TryReadOrder(body, ref answer, out problem);
        }

        if (!TryReadError(body, ref answer))
        {
            answer.ErrorCode = VenueError.LocalCode;
            SetMessage(ref answer, body.IsEmpty ? "the venue's answer had no body"u8 : body);
        }

        return true;
    }

    private static bool TryReadOrder(ReadOnlySpan<byte> body, ref OrderAnswer answer, out string? problem)
    {
        problem = null;
        var algo = answer.Request is OrderRequestKind.AlgoPlace or OrderRequestKind.AlgoCancel;
        var code = 0;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                problem = "the answer is not a JSON object";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(algo ? "algoId"u8 : "orderId"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out answer.OrderId))
                    {
                        problem = "the order id is not a whole number";
                        return false;
                    }
                }
                else if (reader.ValueTextEquals(algo ? "algoStatus"u8 : "status"u8))
                {
                    reader.Read();
                    // An algo order's states (NEW, TRIGGERED, FINISHED, …) are its own; only those a plain order shares are mapped.
                    answer.OrderStatus = reader.TokenType == JsonTokenType.String ? StatusOf(reader.ValueSpan) : OrderStatus.None;
                }
                else if (reader.ValueTextEquals("executedQty"u8))
                {
                    reader.Read();
                    if (!Quantity.TryParse(reader.ValueSpan, out answer.ExecutedQuantity, out _))
                    {
                        problem = "executedQty is not a decimal";
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("cumQuote"u8))
                {
                    reader.Read();
                    if (!Notional.TryParse(reader.ValueSpan, out answer.CumulativeQuote, out _))
                    {
                        problem = "cumQuote is not a decimal";
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("avgPrice"u8))
                {
                    reader.Read();
                    if (!Price.TryParse(reader.ValueSpan, out answer.AveragePrice, out _))
                    {
                        problem = "avgPrice is not a decimal";
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("updateTime"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out answer.UpdateTimeMs))
                    {
                        problem = "updateTime is not a whole number";
                        return false;
                    }
                }
                else if (reader.ValueTextEquals(algo ? "clientAlgoId"u8 : "clientOrderId"u8))
                {
                    reader.Read();
                    // An id in the engine's own form must be the one asked about: anything else means answers and requests got out of step.
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped
                        && ClientOrderId.TryParse(reader.ValueSpan, out var id) && answer.ClientOrderId != 0 && id != answer.ClientOrderId)
                    {
                        problem = "the answer is for another client order id than the request's";
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("code"u8))
                {
                    reader.Read();
                    if (!TryCode(ref reader, out code))
                    {
                        problem = "code is not a number";
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("msg"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        CopyMessage(ref reader, ref answer);
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            problem = "the answer is not well-formed JSON";
            return false;
        }

        // Binance says "done" with code 200 (or 0) on some calls; any other code in a 2xx answer is an error the status hides.
        if (code is not (0 or 200))
        {
            answer.ErrorCode = code;
            problem = "a 2xx answer carried an error code";
            return false;
        }

        answer.MessageLength = 0;
        if (answer.OrderId == 0)
        {
            problem = algo ? "the answer carries no algoId" : "the answer carries no orderId";
            return false;
        }

        return true;
    }

    /// <summary>Reads a top-level <c>{"code":…,"msg":…}</c> into the answer; false when the body is not that.</summary>
    private static bool TryReadError(ReadOnlySpan<byte> body, ref OrderAnswer answer)
    {
        var hasCode = false;
        var hasMessage = false;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("code"u8))
                {
                    reader.Read();
                    hasCode = TryCode(ref reader, out answer.ErrorCode);
                }
                else if (reader.ValueTextEquals("msg"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        CopyMessage(ref reader, ref answer);
                        hasMessage = true;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return hasCode && hasMessage;
    }

    private static bool TryCode(ref Utf8JsonReader reader, out int code)
    {
        code = 0;
        return reader.TokenType switch
        {
            JsonTokenType.Number => reader.TryGetInt32(out code),
            JsonTokenType.String => !reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out code, out var used) && used == reader.ValueSpan.Length,
            _ => false,
        };
    }

    private static void CopyMessage(ref Utf8JsonReader reader, ref OrderAnswer answer)
    {
        if (!reader.ValueIsEscaped)
        {
            SetMessage(ref answer, reader.ValueSpan);
            return;
        }

        // Unescaping never makes text longer; a long escaped message keeps its first bytes still escaped.
        Span<byte> unescaped = stackalloc byte[512];
        if (reader.ValueSpan.Length <= unescaped.Length)
        {
            var length = reader.CopyString(unescaped);
            SetMessage(ref answer, unescaped[..length]);
        }
        else
        {
            SetMessage(ref answer, reader.ValueSpan);
        }
    }

    private static void SetMessage(ref OrderAnswer answer, ReadOnlySpan<byte> text)
    {
        Span<byte> message = answer.Message;
        var length = Math.Min(text.Length, AnswerMessage.Length);

        // Cut on a character boundary: never leave half of a multi-byte UTF-8 sequence at the end.
        while (length < text.Length && length > 0 && (text[length] & 0xC0) == 0x80)
        {
            length--;
        }

        text[..length].CopyTo(message);
        answer.MessageLength = length;
    }

    internal static OrderStatus StatusOf(ReadOnlySpan<byte> text) => text switch
    {
        _ when text.SequenceEqual("NEW"u8) => OrderStatus.New,
        _ when text.SequenceEqual("PARTIALLY_FILLED"u8) => OrderStatus.PartiallyFilled,
        _ when text.SequenceEqual("FILLED"u8) => OrderStatus.Filled,
        _ when text.SequenceEqual("CANCELED"u8) => OrderStatus.Canceled,
        _ when text.SequenceEqual("REJECTED"u8) => OrderStatus.Rejected,
        _ when text.SequenceEqual("EXPIRED"u8) || text.SequenceEqual("EXPIRED_IN_MATCH"u8) => OrderStatus.Expired,
        _ => OrderStatus.None,
    };
}
