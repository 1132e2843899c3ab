using Microsoft.Extensions.Logging;

namespace Engine.Exchange.Rest;

/// <summary>The REST client's log lines. None of them takes a credential other than the masked key.</summary>
internal static partial class RestLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "REST client ready: {BaseAddress}, API key {MaskedKey}, signing with {SigningBackend}, recvWindow {RecvWindowMs} ms")]
    public static partial void Ready(ILogger logger, string baseAddress, string maskedKey, string signingBackend, int recvWindowMs);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Server clock synchronised: offset {OffsetMs} ms (server minus local), best round trip {RoundTripMs:F2} ms of {Samples} samples")]
    public static partial void ClockSynced(ILogger logger, long offsetMs, double roundTripMs, int samples);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Server clock synchronisation failed: {Error}")]
    public static partial void ClockSyncFailed(ILogger logger, VenueError error);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "{Method} {Path} refused for its timestamp ({Code}); resynchronising the clock (a request signed here is sent once more)")]
    public static partial void ClockRejected(ILogger logger, string method, string path, int code);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "{Method} {Path} failed: {Error}")]
    public static partial void RequestFailed(ILogger logger, string method, string path, VenueError error);

    [LoggerMessage(EventId = 405, Level = LogLevel.Error, Message = "{Method} {Path}: outcome unknown ({Error}); query the order by its client id before sending anything again")]
    public static partial void UnknownOutcome(ILogger logger, string method, string path, VenueError error);

    [LoggerMessage(EventId = 406, Level = LogLevel.Warning, Message = "{Method} {Path} not sent: {Reason}")]
    public static partial void RefusedLocally(ILogger logger, string method, string path, string reason);

    [LoggerMessage(EventId = 407, Level = LogLevel.Warning, Message = "HTTP 429 on {Method} {Path}: every request is held back until {Until:O} ({Message})")]
    public static partial void RateLimited(ILogger logger, string method, string path, DateTimeOffset until, string message);

    [LoggerMessage(EventId = 408, Level = LogLevel.Critical, Message = "HTTP 418 on {Method} {Path}: the venue banned this IP until {Until:O}; nothing is sent until then ({Message})")]
    public static partial void Banned(ILogger logger, string method, string path, DateTimeOffset until, string message);

    [LoggerMessage(EventId = 409, Level = LogLevel.Information, Message = "Rate limits from exchangeInfo: {Limits}")]
    public static partial void RateLimitsLoaded(ILogger logger, string limits);

    [LoggerMessage(EventId = 410, Level = LogLevel.Debug, Message = "{Method} {Path} -> HTTP {Status} in {ElapsedMs:F2} ms")]
    public static partial void Completed(ILogger logger, string method, string path, int status, double elapsedMs);
}
