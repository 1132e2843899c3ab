using Microsoft.Extensions.Logging;

namespace Engine.Hosting;

/// <summary>The log line of an unexpected fault that ends the process: its trace, which an operator's stderr line does not carry.</summary>
public static partial class EngineFault
{
    [LoggerMessage(EventId = 30, Level = LogLevel.Critical, Message = "Unexpected fault {When}: the engine exits with code 1")]
    public static partial void Log(ILogger logger, Exception fault, string when);
}
