namespace Engine.State.Journal;

/// <summary>
/// The journal cannot be used, so the engine must not start: the folder is another engine's, is not a folder, cannot be
/// read or written, or a segment is damaged. The message is one line an operator can act on (what, where, why).
/// </summary>
public class JournalUnusableException : IOException
{
    public JournalUnusableException()
    {
    }

    public JournalUnusableException(string message)
        : base(message)
    {
    }

    public JournalUnusableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A segment holds a record that fails its frame check (impossible length, CRC mismatch) or does not decode, and it is
/// not a torn write: the segment is not the last one, or intact records follow the bad one. Skipping it would lose
/// orders and fills without a trace, so the engine refuses to start unless told to take the venue's truth instead.
/// </summary>
public sealed class JournalDamagedException : JournalUnusableException
{
    public JournalDamagedException()
    {
    }

    public JournalDamagedException(string message)
        : base(message)
    {
    }

    public JournalDamagedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public JournalDamagedException(string segmentPath, long offset, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        SegmentPath = segmentPath;
        Offset = offset;
    }

    /// <summary>The damaged segment file.</summary>
    public string SegmentPath { get; } = string.Empty;

    /// <summary>Where in it the first bad record starts.</summary>
    public long Offset { get; }
}
