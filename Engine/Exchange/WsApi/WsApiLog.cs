using Microsoft.Extensions.Logging;

namespace Engine.Exchange.WsApi;

/// <summary>The WebSocket API session's log messages (source-generated). The API key never appears in them.</summary>
internal static partial class WsApiLog
{
    [LoggerMessage(EventId = 6301, Level = LogLevel.Information, Message = "WS API connection {Connection} ready on {Uri} ({Auth}; warmed in {WarmUp})")]
    public static partial void Ready(ILogger logger, int connection, string uri, string auth, TimeSpan warmUp);

    [LoggerMessage(EventId = 6302, Level = LogLevel.Warning, Message = "WS API connection {Connection} lost: {Reason}; {Outstanding} request(s) sent on it were not answered (unknown outcome)")]
    public static partial void Lost(ILogger logger, int connection, string reason, long outstanding);

    [LoggerMessage(EventId = 6303, Level = LogLevel.Warning, Message = "WS API connect failed (attempt {Attempt}): {Error}; next try in {Delay}")]
    public static partial void ConnectFailed(ILogger logger, int attempt, string error, TimeSpan delay);

    [LoggerMessage(EventId = 6304, Level = LogLevel.Information, Message = "WS API connection {Connection} is {Age} old; replacing it (make-before-break)")]
    public static partial void Replacing(ILogger logger, int connection, TimeSpan age);

    [LoggerMessage(EventId = 6305, Level = LogLevel.Information, Message = "WS API connection {Old} replaced by {New}; the old one closes once its {Outstanding} outstanding answer(s) arrive (at most {Drain})")]
    public static partial void Switched(ILogger logger, int old, int @new, long outstanding, TimeSpan drain);

    [LoggerMessage(EventId = 6306, Level = LogLevel.Warning, Message = "WS API connection {Connection}: unparseable message #{Count} ({Length} bytes): {Start}")]
    public static partial void Unparseable(ILogger logger, int connection, long count, int length, string start);

    [LoggerMessage(EventId = 6307, Level = LogLevel.Warning, Message = "WS API connection {Connection}: session answer '{Id}' status {Status} code {Code}: {Message}")]
    public static partial void SessionAnswer(ILogger logger, int connection, string id, int status, int code, string message);
}
