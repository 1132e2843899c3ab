using Microsoft.Extensions.Logging;

namespace Engine.Exchange.Wire;

/// <summary>The REST order pool's log lines. None of them carries a credential; the head's description masks the key.</summary>
internal static partial class RestOrderPoolLog
{
    [LoggerMessage(EventId = 420, Level = LogLevel.Information, Message = "REST order pool starting: {Connections} keep-alive connections to {Endpoint} ({Head})")]
    public static partial void Starting(ILogger logger, int connections, string endpoint, string head);

    [LoggerMessage(EventId = 421, Level = LogLevel.Information, Message = "REST order connection {ConnectionId} (slot {Slot}) open and warm in {ElapsedMs:F1} ms")]
    public static partial void Ready(ILogger logger, int connectionId, int slot, double elapsedMs);

    [LoggerMessage(EventId = 422, Level = LogLevel.Warning, Message = "REST order connection (slot {Slot}) could not be opened, attempt {Attempt}: {Reason}; next attempt in {DelayMs} ms")]
    public static partial void ConnectFailed(ILogger logger, int slot, int attempt, string reason, long delayMs);

    [LoggerMessage(EventId = 423, Level = LogLevel.Warning, Message = "REST order connection {ConnectionId} (slot {Slot}) lost: {Reason}; reconnecting")]
    public static partial void Lost(ILogger logger, int connectionId, int slot, string reason);

    [LoggerMessage(EventId = 424, Level = LogLevel.Error, Message = "REST order connection {ConnectionId} lost with {Request} e{ClientOrderId} in flight ({Reason}): its outcome is unknown; query it by client order id before sending anything again")]
    public static partial void LostInFlight(ILogger logger, int connectionId, OrderRequestKind request, long clientOrderId, string reason);

    [LoggerMessage(EventId = 425, Level = LogLevel.Warning, Message = "REST order connection {ConnectionId}: no answer within {TimeoutMs} ms; closing it")]
    public static partial void TimedOut(ILogger logger, int connectionId, double timeoutMs);

    [LoggerMessage(EventId = 426, Level = LogLevel.Information, Message = "REST order pool started: {Ready} of {Connections} connections ready")]
    public static partial void Started(ILogger logger, int ready, int connections);
}
