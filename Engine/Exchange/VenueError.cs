using System.Globalization;

namespace Engine.Exchange;

/// <summary>What a caller may do after a venue error; decided from the HTTP status, the venue's code and the request's kind.</summary>
public enum VenueErrorCategory : byte
{
    /// <summary>The request certainly did not take effect; sending it again unchanged is safe (with backoff).</summary>
    RetrySafe = 1,

    /// <summary>The timestamp was outside the venue's window (-1021, -5028): resync the clock, sign again, send again.</summary>
    Clock,

    /// <summary>A rate limit was hit (429, 418, -1003, -1015) or would have been (refused locally, nothing sent).</summary>
    RateLimit,

    /// <summary>The venue rejected the request deterministically (bad parameter, filter, balance, unknown order): do not resend as is.</summary>
    Rejected,

    /// <summary>The key, its permissions or the signature were refused (401, -2014, -2015, -1022): fix the credentials.</summary>
    Auth,

    /// <summary>
    /// The request may or may not have taken effect (timeout, connection lost after sending, 5xx on an order,
    /// -1000/-1006/-1007): query by client order id before doing anything else. Never treat this as failed.
    /// </summary>
    UnknownOutcome,

    /// <summary>A read answered with a body that is not the JSON expected; the venue (or a proxy) is misbehaving.</summary>
    BadResponse,
}

/// <summary>
/// A typed venue error: the venue's code and message, the HTTP status, what it means for the caller, and whether
/// the request left this process at all.
/// </summary>
public sealed class VenueError
{
    /// <summary>Code used for errors raised locally, where the venue said nothing.</summary>
    public const int LocalCode = 0;

    public VenueError(VenueErrorCategory category, int code, string message, int httpStatus, bool sent, TimeSpan? retryAfter = null)
    {
        Category = category;
        Code = code;
        Message = message ?? string.Empty;
        HttpStatus = httpStatus;
        Sent = sent;
        RetryAfter = retryAfter;
    }

    /// <summary>What the caller may do next.</summary>
    public VenueErrorCategory Category { get; }

    /// <summary>The venue's error code (negative, e.g. -2019), or <see cref="LocalCode"/> when the venue gave none.</summary>
    public int Code { get; }

    /// <summary>The venue's message, or a local description.</summary>
    public string Message { get; }

    /// <summary>The HTTP status, or 0 when no response arrived.</summary>
    public int HttpStatus { get; }

    /// <summary>Whether the request was handed to the network; false for local refusals (rate limit, ban, bad request).</summary>
    public bool Sent { get; }

    /// <summary>How long the venue asked us to wait (Retry-After), when it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Whether the outcome of a state-changing request is unknown and must be reconciled before retrying.</summary>
    public bool IsUnknownOutcome => Category == VenueErrorCategory.UnknownOutcome;

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Category} (code {Code}, HTTP {HttpStatus}{(Sent ? string.Empty : ", not sent")}): {Message}");
}

/// <summary>Maps the venue's answers to <see cref="VenueErrorCategory"/> (BINANCE_USDM.md §5).</summary>
public static class VenueErrors
{
    /// <summary>
    /// Classifies an error answer. <paramref name="changesState"/> is true for requests that change something at the
    /// venue (POST/PUT/DELETE): for those, any answer that does not prove the request was refused is an unknown outcome.
    /// </summary>
    public static VenueErrorCategory Classify(int httpStatus, int code, string? message, bool changesState)
    {
        switch (code)
        {
            case -1021 or -5028:
                return VenueErrorCategory.Clock;
            case -1003 or -1015:
                return VenueErrorCategory.RateLimit;
            case -1022 or -2014 or -2015:
                return VenueErrorCategory.Auth;
            case -1001 or -1008:
                return VenueErrorCategory.RetrySafe;
            case -1000 or -1006 or -1007:
                return changesState ? VenueErrorCategory.UnknownOutcome : VenueErrorCategory.RetrySafe;
            default:
                break;
        }

        switch (httpStatus)
        {
            case 429 or 418:
                return VenueErrorCategory.RateLimit;
            case 401:
                return VenueErrorCategory.Auth;
            case 503 when message is not null && message.StartsWith("Service Unavailable", StringComparison.OrdinalIgnoreCase):
                // "Service Unavailable." is a definite failure, not counted; only the "Unknown error" variant leaves the outcome open.
                return VenueErrorCategory.RetrySafe;
            case 408 or >= 500:
                return changesState ? VenueErrorCategory.UnknownOutcome : VenueErrorCategory.RetrySafe;
            default:
                return VenueErrorCategory.Rejected;
        }
    }
}
