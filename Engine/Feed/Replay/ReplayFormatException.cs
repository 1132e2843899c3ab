namespace Engine.Feed.Replay;

/// <summary>A replay file holds a row (or header) the replay cannot use; the message is <c>file:line: reason</c>.</summary>
public sealed class ReplayFormatException : Exception
{
    public ReplayFormatException()
    {
    }

    public ReplayFormatException(string message)
        : base(message)
    {
    }

    public ReplayFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ReplayFormatException(string file, long line, string reason)
        : base($"{file}:{line}: {reason}")
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    /// <summary>The file, as configured.</summary>
    public string? File { get; }

    /// <summary>1-based line number.</summary>
    public long Line { get; }

    /// <summary>What is wrong with the line.</summary>
    public string? Reason { get; }
}
