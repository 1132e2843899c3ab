using Microsoft.Extensions.Logging;

namespace Engine.Execution;

internal static partial class ExecutionLog
{
    [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "Execution ready: run {RunId}, mode {Mode}, journal {Directory} (fsync {Fsync}), {OpenOrders} open orders and {Positions} positions recovered, {Records} journal records")]
    public static partial void Ready(ILogger logger, long runId, VenueMode mode, string directory, string fsync, int openOrders, int positions, long records);

    [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "Journal: torn last record ignored and cut ({Bytes} bytes): {Reason}; the cut bytes are kept in {KeptIn}")]
    public static partial void JournalTorn(ILogger logger, long bytes, string reason, string keptIn);

    [LoggerMessage(EventId = 802, Level = LogLevel.Warning, Message = "Order {ClientOrderId} {Symbol} rejected by the venue: code {Code}, {VenueMessage}")]
    public static partial void OrderRejected(ILogger logger, string clientOrderId, string symbol, int code, string venueMessage);

    [LoggerMessage(EventId = 803, Level = LogLevel.Warning, Message = "Order {ClientOrderId} {Symbol} failed: {Reason}")]
    public static partial void OrderFailed(ILogger logger, string clientOrderId, string symbol, string reason);

    [LoggerMessage(EventId = 804, Level = LogLevel.Warning, Message = "Order {ClientOrderId} {Symbol}: outcome unknown ({Error}); querying it by client order id")]
    public static partial void UnknownOutcome(ILogger logger, string clientOrderId, string symbol, string error);

    [LoggerMessage(EventId = 805, Level = LogLevel.Warning, Message = "Order {ClientOrderId} {Symbol}: the venue never saw it (-2013 after its recvWindow closed); sending it again ({Resend} of {MaxResends})")]
    public static partial void Resending(ILogger logger, string clientOrderId, string symbol, int resend, int maxResends);

    [LoggerMessage(EventId = 806, Level = LogLevel.Information, Message = "Order {ClientOrderId} {Symbol}: retry-safe failure ({Error}); sending again in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string clientOrderId, string symbol, string error, long delayMs);

    [LoggerMessage(EventId = 807, Level = LogLevel.Critical, Message = "Venue switch: {From} -> {To}: {Reason}. Positions and orders known so far are kept")]
    public static partial void VenueSwitched(ILogger logger, VenueMode from, VenueMode to, string reason);

    [LoggerMessage(EventId = 808, Level = LogLevel.Warning, Message = "SetMode {Mode} refused: {Reason}")]
    public static partial void ModeRefused(ILogger logger, long mode, string reason);

    [LoggerMessage(EventId = 809, Level = LogLevel.Information, Message = "Flatten: cancelling all open orders on {Symbol}: {Outcome}")]
    public static partial void CancelAll(ILogger logger, string symbol, string outcome);

    [LoggerMessage(EventId = 810, Level = LogLevel.Debug, Message = "Order event for an order this engine does not know (client order id {ClientOrderId}); not published")]
    public static partial void ForeignOrder(ILogger logger, long clientOrderId);

    [LoggerMessage(EventId = 811, Level = LogLevel.Information, Message = "Recovery: querying {Count} open orders ({Why})")]
    public static partial void Recovering(ILogger logger, int count, string why);

    [LoggerMessage(EventId = 812, Level = LogLevel.Warning, Message = "Order {ClientOrderId} {Symbol}: acknowledged before but the venue no longer knows it (-2013); taken as canceled")]
    public static partial void Forgotten(ILogger logger, string clientOrderId, string symbol);

    [LoggerMessage(EventId = 813, Level = LogLevel.Warning, Message = "Journal position for {Symbol} not published: the symbol is not traded in this run")]
    public static partial void PositionSymbolUnknown(ILogger logger, string symbol);

    [LoggerMessage(EventId = 814, Level = LogLevel.Error, Message = "Execution I/O loop failed; execution stopped")]
    public static partial void LoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 815, Level = LogLevel.Information, Message = "Journal compacted into segment {Segment}: {OpenOrders} open orders, {Positions} positions")]
    public static partial void Compacted(ILogger logger, long segment, int openOrders, int positions);

    [LoggerMessage(EventId = 817, Level = LogLevel.Critical, Message = "Journal unavailable: {Reason}. No new entries are sent; orders that reduce a position are sent once their intent is journaled; fills keep being applied. {PendingBytes} bytes wait in memory; retrying every {RetryMs} ms")]
    public static partial void JournalUnavailable(ILogger logger, string reason, int pendingBytes, long retryMs, Exception? exception);

    [LoggerMessage(EventId = 818, Level = LogLevel.Warning, Message = "Journal writable again after {DownMs} ms ({Failures} failed writes in this run); {Held} held orders go out now; {Next}")]
    public static partial void JournalBack(ILogger logger, long downMs, long failures, int held, string next);

    [LoggerMessage(EventId = 819, Level = LogLevel.Error, Message = "Journal: {PendingBytes} bytes of records could not be written: {Reason}")]
    public static partial void JournalNotWritten(ILogger logger, int pendingBytes, string reason);

    [LoggerMessage(EventId = 820, Level = LogLevel.Critical, Message = "Execution is reduce-only for the rest of this run: {Reason}. Entries refused, open entry orders cancelled, {Positions} open positions being closed with reduce-only market orders{Journal}")]
    public static partial void ReduceOnlyEntered(ILogger logger, string reason, int positions, string journal);

    [LoggerMessage(EventId = 821, Level = LogLevel.Warning, Message = "Protective close {ClientOrderId}: {Symbol} {Side} {Quantity} reduce-only MARKET ({Venue})")]
    public static partial void ProtectiveClose(ILogger logger, string clientOrderId, string symbol, Engine.Model.Side side, Engine.Model.Quantity quantity, string venue);

    [LoggerMessage(EventId = 822, Level = LogLevel.Critical, Message = "Protective close of {Symbol} ({Amount}) failed {Attempts} times; no more attempts: close it by hand")]
    public static partial void ProtectiveCloseGaveUp(ILogger logger, string symbol, Engine.Model.Quantity amount, int attempts);

    [LoggerMessage(EventId = 823, Level = LogLevel.Information, Message = "The execution stage sends orders itself on {Path} while the venue is live (each intent in the intent log first); what it cannot send the I/O loop sends")]
    public static partial void StageSendsOn(ILogger logger, Engine.Exchange.Wire.WirePath path);

    [LoggerMessage(EventId = 824, Level = LogLevel.Information, Message = "The execution stage does not send on {Path}: {Reason}; the I/O loop sends every order")]
    public static partial void StageSendsOff(ILogger logger, Engine.Exchange.Wire.WirePath path, string reason);

    [LoggerMessage(EventId = 816, Level = LogLevel.Critical, Message = "Injected crash at {Point} (Execution:CrashAfter): exiting with {Code}")]
    public static partial void InjectedCrash(ILogger logger, CrashPoint point, int code);
}
