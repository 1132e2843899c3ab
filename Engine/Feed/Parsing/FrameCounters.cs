using Engine.Model;

namespace Engine.Feed.Parsing;

/// <summary>
/// Counts of what one parser made of its frames: per outcome, per event kind, per skip reason and per problem.
/// </summary>
/// <remarks>
/// One writer (the thread that parses; plain increments, no interlocked cost on the hot path) and any number of
/// readers (metrics scrapes, health, tests), which read with <see cref="Volatile"/> and see each count as a whole
/// value that only grows. Share one instance per parser; sum instances for a total over connections.
/// </remarks>
public sealed class FrameCounters
{
    private readonly long[] _outcomes = new long[(int)FrameOutcome.Refused + 1];
    private readonly long[] _kinds = new long[MarketEventKinds.Count];
    private readonly long[] _skips = new long[(int)SkipReason.UnusedEvent + 1];
    private readonly long[] _problems = new long[(int)FrameProblem.UnknownSymbol + 1];
    private readonly long[] _refusals = new long[FeedRefusals.ReasonCount];
    private long _bytes;
    private long _readerPasses;

    /// <summary>Frames parsed, whatever their outcome.</summary>
    public long Frames
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _outcomes.Length; i++)
            {
                total += Volatile.Read(ref _outcomes[i]);
            }

            return total;
        }
    }

    /// <summary>Bytes of all frames parsed.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>
    /// Frames the fast scanner left to the <see cref="System.Text.Json.Utf8JsonReader"/> pass (escapes, non-ASCII,
    /// deep nesting, invalid JSON). Near zero on a healthy Binance feed; a rising share means slower parsing.
    /// </summary>
    public long ReaderPasses => Volatile.Read(ref _readerPasses);

    /// <summary>Frames with this outcome.</summary>
    public long Of(FrameOutcome outcome) => Volatile.Read(ref _outcomes[(int)outcome]);

    /// <summary>Events of this kind produced (outcome <see cref="FrameOutcome.Event"/>).</summary>
    public long Of(MarketEventKind kind) => Volatile.Read(ref _kinds[(int)kind]);

    /// <summary>Frames skipped for this reason.</summary>
    public long Of(SkipReason reason) => Volatile.Read(ref _skips[(int)reason]);

    /// <summary>Frames dropped for this problem (outcomes UnknownSymbol, UnknownStream and Malformed).</summary>
    public long Of(FrameProblem problem) => Volatile.Read(ref _problems[(int)problem]);

    /// <summary>Events refused for this reason (outcome <see cref="FrameOutcome.Refused"/>).</summary>
    public long Of(FrameRefusal reason) => Volatile.Read(ref _refusals[(int)reason]);

    internal void CountReaderPass() => _readerPasses++;

    internal void CountEvent(MarketEventKind kind, int bytes)
    {
        _bytes += bytes;
        _outcomes[(int)FrameOutcome.Event]++;
        _kinds[(int)kind]++;
    }

    internal void CountSkip(SkipReason reason, int bytes)
    {
        _bytes += bytes;
        _outcomes[(int)FrameOutcome.Skipped]++;
        _skips[(int)reason]++;
    }

    internal void CountProblem(FrameOutcome outcome, FrameProblem problem, int bytes)
    {
        _bytes += bytes;
        _outcomes[(int)outcome]++;
        _problems[(int)problem]++;
    }

    internal void CountRefusal(FrameRefusal reason, int bytes)
    {
        _bytes += bytes;
        _outcomes[(int)FrameOutcome.Refused]++;
        _refusals[(int)reason]++;
    }
}
