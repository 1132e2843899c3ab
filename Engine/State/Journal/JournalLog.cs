using Microsoft.Extensions.Logging;

namespace Engine.State.Journal;

/// <summary>What opening the journal reports (logged by execution, which opens it).</summary>
internal static partial class JournalLog
{
    [LoggerMessage(EventId = 850, Level = LogLevel.Critical, Message = "Journal damaged and set aside: {Reason}; its {Segments} segments were copied to {Folder}; starting from the venue's positions ({Positions}: {List}); the open orders the journal knew are not tracked, the start-up reconciliation settles the venue's")]
    public static partial void SetAside(ILogger logger, string reason, int segments, string folder, int positions, string list);

    [LoggerMessage(EventId = 851, Level = LogLevel.Information, Message = "Journal intact: --recover-from-venue had nothing to recover, the journal was replayed as usual")]
    public static partial void RecoveryNotNeeded(ILogger logger);

}
