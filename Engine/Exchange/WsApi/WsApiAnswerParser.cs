using System.Text;
using System.Text.Json;
using Engine.Exchange.Rules;
using Engine.Exchange.Wire;
using Engine.Model;

namespace Engine.Exchange.WsApi;

/// <summary>What a WebSocket API message was.</summary>
public enum WsApiMessageKind : byte
{
    /// <summary>Not a WebSocket API answer: malformed JSON, no status, or not an object.</summary>
    Invalid = 0,

    /// <summary>An answer to one of the engine's order requests (its id is a request id of <see cref="OrderEncoder.WsApiRequestId"/>).</summary>
    Order,

    /// <summary>An answer to the session's own request (logon, status) or one with a null id (a revoked key).</summary>
    Session,
}

/// <summary>
/// Parses a WebSocket API answer — <c>{"id":…,"status":…,"result":{…}|"error":{"code":…,"msg":…},"rateLimits":[…]}</c>
/// — into an <see cref="OrderAnswer"/> with <see cref="Utf8JsonReader"/> over the frame's bytes: fixed-point values
/// from their UTF-8, the error message copied into the answer's inline buffer, nothing allocated (a 429 or 418 builds
/// the alert's message string: those are rare and already a failure). <c>rateLimits</c> go to the
/// <see cref="RateLimitTracker"/>, so WebSocket API and REST use are counted together; 429 and 418 back off and ban
/// like REST's.
/// </summary>
public static class WsApiAnswerParser
{
    /// <summary>Longest session request id kept (the session's ids are short words).</summary>
    public const int MaxSessionIdLength = 32;

    /// <summary>
    /// Parses <paramref name="json"/>. For an <see cref="WsApiMessageKind.Order"/> answer the request and client
    /// order id come from the request id; for a <see cref="WsApiMessageKind.Session"/> answer the id is copied to
    /// <paramref name="sessionId"/> (empty for a null id). Never throws for bad input: it answers
    /// <see cref="WsApiMessageKind.Invalid"/>.
    /// </summary>
    public static WsApiMessageKind Parse(
        ReadOnlySpan<byte> json, ref OrderAnswer answer, Span<byte> sessionId, out int sessionIdLength, RateLimitTracker? rateLimits, long nowUnixMs)
    {
        sessionIdLength = 0;
        answer = default;
        var kind = WsApiMessageKind.Session;
        var sawStatus = false;
        long retryUntilMs = 0;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return WsApiMessageKind.Invalid;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    kind = ReadId(ref reader, ref answer, sessionId, out sessionIdLength);
                }
                else if (reader.ValueTextEquals("status"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out answer.Status))
                    {
                        return WsApiMessageKind.Invalid;
                    }

                    sawStatus = true;
                }
                else if (reader.ValueTextEquals("result"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ReadResult(ref reader, ref answer);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ReadError(ref reader, ref answer, ref retryUntilMs);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("rateLimits"u8))
                {
                    reader.Read();
                    ReadRateLimits(ref reader, rateLimits, nowUnixMs);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            // Anything after the object but whitespace makes the next read throw: a frame is one JSON value.
            if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0 || !sawStatus || reader.Read())
            {
                return WsApiMessageKind.Invalid;
            }
        }
        catch (JsonException)
        {
            return WsApiMessageKind.Invalid;
        }
        catch (InvalidOperationException)
        {
            // A token of an unexpected type where a number or string was read.
            return WsApiMessageKind.Invalid;
        }

        if (answer.Status is 429 or 418)
        {
            Backoff(ref answer, retryUntilMs, rateLimits, nowUnixMs);
        }

        return kind;
    }

    private static WsApiMessageKind ReadId(ref Utf8JsonReader reader, ref OrderAnswer answer, Span<byte> sessionId, out int sessionIdLength)
    {
        sessionIdLength = 0;
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return WsApiMessageKind.Session;
        }

        Span<byte> id = stackalloc byte[64];
        if (reader.ValueIsEscaped || reader.ValueSpan.Length > id.Length)
        {
            // The engine's ids never need escaping or run long: someone else's id, answered as a session message.
            return WsApiMessageKind.Session;
        }

        var text = reader.ValueSpan;
        if (OrderEncoder.TryParseWsApiRequestId(text, out answer.Request, out answer.ClientOrderId))
        {
            return WsApiMessageKind.Order;
        }

        if (text.TryCopyTo(sessionId))
        {
            sessionIdLength = text.Length;
        }

        return WsApiMessageKind.Session;
    }

    private static void ReadResult(ref Utf8JsonReader reader, ref OrderAnswer answer)
    {
        Span<byte> scratch = stackalloc byte[64];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("orderId"u8) || reader.ValueTextEquals("algoId"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var id))
                {
                    answer.OrderId = id;
                }
            }
            else if (reader.ValueTextEquals("status"u8) || reader.ValueTextEquals("algoStatus"u8))
            {
                reader.Read();
                answer.OrderStatus = StatusOf(scratch[..TextLength(ref reader, scratch)]);
            }
            else if (reader.ValueTextEquals("executedQty"u8))
            {
                reader.Read();
                if (Quantity.TryParse(scratch[..TextLength(ref reader, scratch)], out var quantity, out _))
                {
                    answer.ExecutedQuantity = quantity;
                }
            }
            else if (reader.ValueTextEquals("cumQuote"u8))
            {
                reader.Read();
                if (Notional.TryParse(scratch[..TextLength(ref reader, scratch)], out var quote, out _))
                {
                    answer.CumulativeQuote = quote;
                }
            }
            else if (reader.ValueTextEquals("avgPrice"u8))
            {
                reader.Read();
                if (Price.TryParse(scratch[..TextLength(ref reader, scratch)], out var price, out _))
                {
                    answer.AveragePrice = price;
                }
            }
            else if (reader.ValueTextEquals("updateTime"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var time))
                {
                    answer.UpdateTimeMs = time;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static void ReadError(ref Utf8JsonReader reader, ref OrderAnswer answer, ref long retryUntilMs)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var code))
                {
                    answer.ErrorCode = code;
                }
            }
            else if (reader.ValueTextEquals("msg"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    answer.MessageLength = CopyCut(ref reader, answer.Message);
                }
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isRetry = reader.ValueTextEquals("retryAfter"u8);
                    reader.Read();
                    if (isRetry && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var until))
                    {
                        retryUntilMs = until;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static void ReadRateLimits(ref Utf8JsonReader reader, RateLimitTracker? rateLimits, long nowUnixMs)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        Span<byte> scratch = stackalloc byte[32];
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var type = RateLimitType.Unknown;
            long unitMs = 0;
            var intervalNum = 0;
            var count = -1;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("rateLimitType"u8))
                {
                    reader.Read();
                    var text = scratch[..TextLength(ref reader, scratch)];
                    type = text.SequenceEqual("REQUEST_WEIGHT"u8) ? RateLimitType.RequestWeight
                        : text.SequenceEqual("ORDERS"u8) ? RateLimitType.Orders
                        : RateLimitType.Unknown;
                }
                else if (reader.ValueTextEquals("interval"u8))
                {
                    reader.Read();
                    var text = scratch[..TextLength(ref reader, scratch)];
                    unitMs = text.SequenceEqual("SECOND"u8) ? 1_000
                        : text.SequenceEqual("MINUTE"u8) ? 60_000
                        : text.SequenceEqual("HOUR"u8) ? 3_600_000
                        : text.SequenceEqual("DAY"u8) ? 86_400_000
                        : 0;
                }
                else if (reader.ValueTextEquals("intervalNum"u8))
                {
                    reader.Read();
                    _ = reader.TryGetInt32(out intervalNum);
                }
                else if (reader.ValueTextEquals("count"u8))
                {
                    reader.Read();
                    _ = reader.TryGetInt32(out count);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (rateLimits is not null && type != RateLimitType.Unknown && unitMs > 0 && intervalNum > 0 && count >= 0)
            {
                rateLimits.ObserveCount(type, unitMs * intervalNum, count, nowUnixMs);
            }
        }
    }

    private static void Backoff(ref OrderAnswer answer, long retryUntilMs, RateLimitTracker? rateLimits, long nowUnixMs)
    {
        var defaultBackoff = rateLimits?.DefaultBackoff ?? TimeSpan.FromSeconds(10);
        var untilMs = retryUntilMs > nowUnixMs ? retryUntilMs : nowUnixMs + (long)defaultBackoff.TotalMilliseconds;
        answer.RetryAfterMs = untilMs - nowUnixMs;
        if (rateLimits is null)
        {
            return;
        }

        var message = Encoding.UTF8.GetString(answer.Message[..answer.MessageLength]);
        if (answer.Status == 418)
        {
            rateLimits.OnBanned(untilMs, message);
        }
        else
        {
            rateLimits.OnTooManyRequests(TimeSpan.FromMilliseconds(answer.RetryAfterMs), nowUnixMs, message);
        }
    }

    /// <summary>A string token's text copied (unescaped) into <paramref name="scratch"/>; 0 when not a string or longer than the scratch.</summary>
    private static int TextLength(ref Utf8JsonReader reader, scoped Span<byte> scratch)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return 0;
        }

        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan.TryCopyTo(scratch) ? reader.ValueSpan.Length : 0;
        }

        return reader.ValueSpan.Length <= scratch.Length ? reader.CopyString(scratch) : 0;
    }

    /// <summary>Copies a string token into <paramref name="destination"/>, cut at its length (an escaped long one is unescaped first).</summary>
    private static int CopyCut(ref Utf8JsonReader reader, scoped Span<byte> destination)
    {
        if (!reader.ValueIsEscaped)
        {
            var text = reader.ValueSpan;
            var length = Math.Min(text.Length, destination.Length);
            text[..length].CopyTo(destination);
            return length;
        }

        Span<byte> unescaped = stackalloc byte[1024];
        if (reader.ValueSpan.Length > unescaped.Length)
        {
            return 0;
        }

        var written = reader.CopyString(unescaped);
        var cut = Math.Min(written, destination.Length);
        unescaped[..cut].CopyTo(destination);
        return cut;
    }

    private static OrderStatus StatusOf(ReadOnlySpan<byte> text) => text switch
    {
        _ when text.SequenceEqual("NEW"u8) => OrderStatus.New,
        _ when text.SequenceEqual("PARTIALLY_FILLED"u8) => OrderStatus.PartiallyFilled,
        _ when text.SequenceEqual("FILLED"u8) => OrderStatus.Filled,
        _ when text.SequenceEqual("CANCELED"u8) || text.SequenceEqual("CANCELLED"u8) => OrderStatus.Canceled,
        _ when text.SequenceEqual("REJECTED"u8) => OrderStatus.Rejected,
        _ when text.SequenceEqual("EXPIRED"u8) || text.SequenceEqual("EXPIRED_IN_MATCH"u8) => OrderStatus.Expired,
        _ => OrderStatus.None,
    };
}
