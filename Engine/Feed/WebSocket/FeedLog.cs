using Microsoft.Extensions.Logging;

namespace Engine.Feed.WebSocket;

/// <summary>The feed's log messages (source-generated).</summary>
internal static partial class FeedLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Feed connection {Connection} up: {Streams} streams on {Uri} (connection #{Number})")]
    public static partial void Connected(ILogger logger, string connection, int streams, Uri uri, long number);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Feed connection {Connection} ended ({Reason}) after {Uptime}; reconnecting in {Delay}")]
    public static partial void Ended(ILogger logger, string connection, ReconnectReason reason, TimeSpan uptime, TimeSpan delay);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Feed connection {Connection} could not connect (attempt {Attempt}): {Error}; next try in {Delay}")]
    public static partial void ConnectFailed(ILogger logger, string connection, int attempt, string error, TimeSpan delay);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Feed connection {Connection}: {Symbol} silent for {Silent} (limit {Limit}); reconnecting")]
    public static partial void Stale(ILogger logger, string connection, string symbol, TimeSpan silent, TimeSpan limit);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "Feed connection {Connection} is {Age} old; replacing it before the venue's 24 h cut (make-before-break)")]
    public static partial void Replacing(ILogger logger, string connection, TimeSpan age);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "Feed connection {Connection} handed over to its replacement ({Staged} events received during the overlap, {Duplicates} duplicates dropped so far)")]
    public static partial void HandedOver(ILogger logger, string connection, int staged, long duplicates);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "Feed connection {Connection}: the venue refused a request: {Reply}")]
    public static partial void Refused(ILogger logger, string connection, string reply);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Candle gap on {Symbol}: minutes {From:u} .. {To:u} ({Count}) missing; back-filling from REST and holding the symbol's events")]
    public static partial void GapDetected(ILogger logger, string symbol, DateTimeOffset from, DateTimeOffset to, long count);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "Candle gap on {Symbol} back-filled: {Candles} candles, {Released} held events released")]
    public static partial void Backfilled(ILogger logger, string symbol, int candles, int released);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Warning, Message = "Candle gap on {Symbol}: minutes {From:u} .. {To:u} ({Count}) could not be back-filled and are counted missing")]
    public static partial void GaveUp(ILogger logger, string symbol, DateTimeOffset from, DateTimeOffset to, long count);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Warning, Message = "Back-fill of {Symbol} {From}..{To} failed (attempt {Attempt} of {Attempts}): {Error}")]
    public static partial void BackfillFailed(ILogger logger, string symbol, long from, long to, int attempt, int attempts, string error);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Warning, Message = "{Symbol}: hold queue full ({Limit} events) while back-filling; dropping its events until the back-fill ends")]
    public static partial void HoldOverflow(ILogger logger, string symbol, int limit);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Information, Message = "Symbol discovery: {Count} USDT perpetuals trading, {Taken} taken by 24 h quote volume (top: {Top})")]
    public static partial void Discovered(ILogger logger, int count, int taken, string top);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Warning, Message = "Symbol discovery failed ({Error}); using the configured fallback list of {Count} symbols: {Symbols}")]
    public static partial void DiscoveryFallback(ILogger logger, string error, int count, string symbols);

    [LoggerMessage(EventId = 6022, Level = LogLevel.Warning, Message = "Symbol discovery: 24 h tickers unavailable ({Error}); ranking by the fallback list's order instead of volume")]
    public static partial void TickersUnavailable(ILogger logger, string error);

    [LoggerMessage(EventId = 6030, Level = LogLevel.Information, Message = "Feed starting: {Symbols} symbols, {Connections} connections ({Streams} streams, at most {Limit} per connection)")]
    public static partial void Starting(ILogger logger, int symbols, int connections, int streams, int limit);

    [LoggerMessage(EventId = 6031, Level = LogLevel.Information, Message = "Feed stopped: {Published} events published, {Reconnects} reconnects, {Backfilled} candles back-filled")]
    public static partial void Stopped(ILogger logger, long published, long reconnects, long backfilled);
}
