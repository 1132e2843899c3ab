using Microsoft.Extensions.Logging;

namespace Engine.Feed.Parsing;

/// <summary>The parser's log lines (event ids 600-609).</summary>
internal static partial class FeedParserLog
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "Market-data frame dropped: {Outcome} ({Problem}: {Detail}); further frames with this problem are counted, not logged. First {SampleLength} of {Length} bytes: {Sample}")]
    public static partial void FrameDropped(ILogger logger, FrameOutcome outcome, FrameProblem problem, string detail, int sampleLength, int length, string sample);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "The venue answered a request with an error; further error replies are counted, not logged. First {SampleLength} of {Length} bytes: {Sample}")]
    public static partial void ErrorReply(ILogger logger, int sampleLength, int length, string sample);

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "Market-data event refused as impossible: {Reason} ({Detail}) in a {Kind} of {Symbol}; further refusals for this reason are counted, not logged. First {SampleLength} of {Length} bytes: {Sample}")]
    public static partial void EventRefused(ILogger logger, FrameRefusal reason, string detail, string kind, string symbol, int sampleLength, int length, string sample);
}
