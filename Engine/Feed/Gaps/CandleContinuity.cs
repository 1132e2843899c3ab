using Engine.Model;

namespace Engine.Feed.Gaps;

/// <summary>What to do with a kline event given the symbol's candle history.</summary>
public enum CandleVerdict : byte
{
    /// <summary>Next in line: publish it.</summary>
    Publish,

    /// <summary>A minute already published (a repeat after a reconnect or a back-fill), or an update older than one seen: drop it.</summary>
    Duplicate,

    /// <summary>Closed minutes are missing before it: back-fill <see cref="CandleContinuity.GapFromMs"/>..<see cref="CandleContinuity.GapToMs"/> first.</summary>
    Gap,
}

/// <summary>
/// One symbol's 1-minute candle continuity: which closed minute was published last, and whether a kline event
/// shows minutes missing in between. Owned by the thread that publishes the symbol.
/// </summary>
/// <remarks>
/// A closed kline of minute m follows the last closed minute L when m = L + 1 min. An update of the still-open
/// minute t (x = false) tells the same thing earlier: the venue sends a minute's closed kline before any update
/// of the next minute on the same stream, so t &gt; L + 1 min means minutes L + 1 .. t − 1 closed unseen.
/// </remarks>
public struct CandleContinuity
{
    public const long MinuteMs = 60_000;

    private long _lastOpenUpdateT;
    private long _lastOpenUpdateE;

    /// <summary>Starts expecting minute <paramref name="firstExpectedMinuteMs"/> as the first closed candle.</summary>
    public CandleContinuity(long firstExpectedMinuteMs)
    {
        LastClosedOpenMs = firstExpectedMinuteMs - MinuteMs;
        _lastOpenUpdateT = long.MinValue;
        _lastOpenUpdateE = long.MinValue;
    }

    /// <summary>Open time of the last closed minute published (or given up as missing).</summary>
    public long LastClosedOpenMs { get; private set; }

    /// <summary>First missing minute of the gap <see cref="Check"/> found.</summary>
    public long GapFromMs { get; private set; }

    /// <summary>Last missing minute of the gap <see cref="Check"/> found.</summary>
    public long GapToMs { get; private set; }

    /// <summary>Minute start of <paramref name="timeMs"/>.</summary>
    public static long MinuteOf(long timeMs) => timeMs - (((timeMs % MinuteMs) + MinuteMs) % MinuteMs);

    /// <summary>Judges a kline event without changing anything; on <see cref="CandleVerdict.Gap"/> the gap is in <see cref="GapFromMs"/>..<see cref="GapToMs"/>.</summary>
    public CandleVerdict Check(in CandleData candle, long exchangeTimeMs)
    {
        var open = MinuteOf(candle.OpenTimeMs);
        if (candle.IsClosed)
        {
            if (open <= LastClosedOpenMs)
            {
                return CandleVerdict.Duplicate;
            }

            return open == LastClosedOpenMs + MinuteMs ? CandleVerdict.Publish : SetGap(LastClosedOpenMs + MinuteMs, open - MinuteMs);
        }

        if (open <= LastClosedOpenMs || open < _lastOpenUpdateT || (open == _lastOpenUpdateT && exchangeTimeMs <= _lastOpenUpdateE))
        {
            return CandleVerdict.Duplicate;
        }

        return open == LastClosedOpenMs + MinuteMs ? CandleVerdict.Publish : SetGap(LastClosedOpenMs + MinuteMs, open - MinuteMs);
    }

    /// <summary>Records a kline event that <see cref="Check"/> said to publish.</summary>
    public void Commit(in CandleData candle, long exchangeTimeMs)
    {
        var open = MinuteOf(candle.OpenTimeMs);
        if (candle.IsClosed)
        {
            LastClosedOpenMs = open;
        }
        else
        {
            _lastOpenUpdateT = open;
            _lastOpenUpdateE = exchangeTimeMs;
        }
    }

    /// <summary>Moves past minutes up to <paramref name="openTimeMs"/>: back-filled, or given up as missing.</summary>
    public void AdvanceTo(long openTimeMs)
    {
        if (openTimeMs > LastClosedOpenMs)
        {
            LastClosedOpenMs = openTimeMs;
        }
    }

    private CandleVerdict SetGap(long from, long to)
    {
        GapFromMs = from;
        GapToMs = to;
        return CandleVerdict.Gap;
    }
}
