using Engine.Model;

namespace Engine.Feed.Gaps;

/// <summary>One symbol's candle health at one instant.</summary>
/// <param name="Symbol">The symbol.</param>
/// <param name="Name">Its name.</param>
/// <param name="LastClosedOpenMs">Open time of the last closed 1-minute candle published (live or back-filled); long.MinValue before any.</param>
/// <param name="LastCandleAge">Venue time since that candle closed (null before the first).</param>
/// <param name="MissingInWindow">Closed minutes of the health window not published (still missing, being back-filled, or given up).</param>
/// <param name="BackfillInFlight">A back-fill for this symbol is running.</param>
/// <param name="CandlesBackfilled">Closed candles published from REST since start.</param>
/// <param name="GapsBackfilled">Gaps back-filled since start.</param>
/// <param name="MinutesGivenUp">Minutes that could not be back-filled since start.</param>
public readonly record struct SymbolCandleHealth(
    SymbolId Symbol,
    string Name,
    long LastClosedOpenMs,
    TimeSpan? LastCandleAge,
    int MissingInWindow,
    bool BackfillInFlight,
    long CandlesBackfilled,
    long GapsBackfilled,
    long MinutesGivenUp);

/// <summary>
/// Per-symbol candle health, written by the thread that publishes each symbol and read by any thread (health checks,
/// metrics, the control plane) through <see cref="Snapshot"/>.
/// </summary>
/// <remarks>
/// A minute m is expected once its closed kline is due: m + 1 min + <c>grace</c> ≤ now (venue time). It is missing
/// when it is expected, lies in the window, and was neither published nor back-filled: later than the last closed
/// minute published, or in a range given up. Single-writer values are plain volatile stores; the few given-up ranges
/// (rare) are kept under a lock.
/// </remarks>
public sealed class CandleBoard
{
    private const int RangesPerSymbol = 8;

    private readonly SymbolTable _table;
    private readonly long[] _lastClosed;
    private readonly long[] _candlesBackfilled;
    private readonly long[] _gapsBackfilled;
    private readonly long[] _minutesGivenUp;
    private readonly int[] _inFlight;
    private readonly bool[] _tracked;
    private readonly (long From, long To)[] _givenUp;
    private readonly int[] _givenUpNext;
    private readonly Lock _rangesGate = new();
    private readonly long _windowMs;
    private readonly long _graceMs;

    public CandleBoard(SymbolTable table, TimeSpan window, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(table);
        _table = table;
        var size = table.Capacity + 1;
        _lastClosed = new long[size];
        Array.Fill(_lastClosed, long.MinValue);
        _candlesBackfilled = new long[size];
        _gapsBackfilled = new long[size];
        _minutesGivenUp = new long[size];
        _inFlight = new int[size];
        _tracked = new bool[size];
        _givenUp = new (long, long)[size * RangesPerSymbol];
        _givenUpNext = new int[size];
        _windowMs = (long)window.TotalMilliseconds;
        _graceMs = (long)grace.TotalMilliseconds;
    }

    /// <summary>The window of <see cref="SymbolCandleHealth.MissingInWindow"/>.</summary>
    public TimeSpan Window => TimeSpan.FromMilliseconds(_windowMs);

    /// <summary>Starts tracking a symbol; minutes from <paramref name="firstExpectedMinuteMs"/> on are expected.</summary>
    public void Track(SymbolId symbol, long firstExpectedMinuteMs)
    {
        Volatile.Write(ref _lastClosed[symbol.Value], firstExpectedMinuteMs - CandleContinuity.MinuteMs);
        _tracked[symbol.Value] = true;
    }

    /// <summary>The last closed minute published moved to <paramref name="openTimeMs"/>.</summary>
    public void Closed(SymbolId symbol, long openTimeMs) => Volatile.Write(ref _lastClosed[symbol.Value], openTimeMs);

    /// <summary>A back-fill started or ended.</summary>
    public void BackfillRunning(SymbolId symbol, bool running) => Volatile.Write(ref _inFlight[symbol.Value], running ? 1 : 0);

    /// <summary>Counts a back-filled gap and its candles.</summary>
    public void Backfilled(SymbolId symbol, int candles)
    {
        Volatile.Write(ref _candlesBackfilled[symbol.Value], _candlesBackfilled[symbol.Value] + candles);
        Volatile.Write(ref _gapsBackfilled[symbol.Value], _gapsBackfilled[symbol.Value] + 1);
    }

    /// <summary>Minutes <paramref name="fromMs"/>..<paramref name="toMs"/> could not be back-filled and are skipped.</summary>
    public void GaveUp(SymbolId symbol, long fromMs, long toMs)
    {
        if (toMs < fromMs)
        {
            return;
        }

        lock (_rangesGate)
        {
            var next = _givenUpNext[symbol.Value];
            _givenUp[(symbol.Value * RangesPerSymbol) + next] = (fromMs, toMs);
            _givenUpNext[symbol.Value] = (next + 1) % RangesPerSymbol;
            _minutesGivenUp[symbol.Value] += ((toMs - fromMs) / CandleContinuity.MinuteMs) + 1;
        }
    }

    /// <summary>Total candles back-filled over every symbol.</summary>
    public long TotalCandlesBackfilled
    {
        get
        {
            long sum = 0;
            for (var i = 1; i < _candlesBackfilled.Length; i++)
            {
                sum += Volatile.Read(ref _candlesBackfilled[i]);
            }

            return sum;
        }
    }

    /// <summary>Every tracked symbol's health at venue time <paramref name="nowMs"/>.</summary>
    public IReadOnlyList<SymbolCandleHealth> Snapshot(long nowMs)
    {
        var list = new List<SymbolCandleHealth>();
        for (var i = 1; i <= _table.Count && i < _tracked.Length; i++)
        {
            if (Volatile.Read(ref _tracked[i]))
            {
                list.Add(Of(new SymbolId((ushort)i), nowMs));
            }
        }

        return list;
    }

    /// <summary>One symbol's health at venue time <paramref name="nowMs"/>.</summary>
    public SymbolCandleHealth Of(SymbolId symbol, long nowMs)
    {
        var i = symbol.Value;
        var last = Volatile.Read(ref _lastClosed[i]);

        // Minutes whose close lies in the window and whose kline is due by now.
        var lastDue = CandleContinuity.MinuteOf(nowMs - _graceMs - CandleContinuity.MinuteMs);
        var firstInWindow = CandleContinuity.MinuteOf(nowMs - _windowMs - CandleContinuity.MinuteMs) + CandleContinuity.MinuteMs;
        var missing = 0L;
        if (last != long.MinValue)
        {
            var from = Math.Max(firstInWindow, last + CandleContinuity.MinuteMs);
            if (lastDue >= from)
            {
                missing += ((lastDue - from) / CandleContinuity.MinuteMs) + 1;
            }

            lock (_rangesGate)
            {
                for (var r = 0; r < RangesPerSymbol; r++)
                {
                    var (gFrom, gTo) = _givenUp[(i * RangesPerSymbol) + r];
                    if (gTo == 0 && gFrom == 0)
                    {
                        continue;
                    }

                    var a = Math.Max(gFrom, firstInWindow);
                    var b = Math.Min(Math.Min(gTo, lastDue), last);
                    if (b >= a)
                    {
                        missing += ((b - a) / CandleContinuity.MinuteMs) + 1;
                    }
                }
            }
        }

        TimeSpan? age = last == long.MinValue ? null : TimeSpan.FromMilliseconds(Math.Max(0, nowMs - (last + CandleContinuity.MinuteMs)));
        return new SymbolCandleHealth(
            symbol,
            _table.NameOf(symbol),
            last,
            age,
            (int)Math.Min(missing, int.MaxValue),
            Volatile.Read(ref _inFlight[i]) != 0,
            Volatile.Read(ref _candlesBackfilled[i]),
            Volatile.Read(ref _gapsBackfilled[i]),
            Interlocked.Read(ref _minutesGivenUp[i]));
    }
}
