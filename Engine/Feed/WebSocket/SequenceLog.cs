using Microsoft.Extensions.Logging;

namespace Engine.Feed.WebSocket;

/// <summary>The per-symbol sequencing's log lines (event ids 6040-6049).</summary>
internal static partial class SequenceLog
{
    [LoggerMessage(EventId = 6040, Level = LogLevel.Warning, Message = "{Symbol}: {Stream} id {Id} is farther than {MaxJump} from the last ({Last}); refused, and the symbol re-syncs only if {Frames} consecutive frames agree on a new range. Further refusals until then are counted, not logged")]
    public static partial void IdRefused(ILogger logger, string symbol, string stream, long id, long maxJump, long last, int frames);

    [LoggerMessage(EventId = 6041, Level = LogLevel.Warning, Message = "{Symbol}: {Stream} ids moved to a new range ({Id}, confirmed by {Frames} consecutive frames); re-synced to it")]
    public static partial void IdResynced(ILogger logger, string symbol, string stream, long id, int frames);
}
