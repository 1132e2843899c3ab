using System.Runtime.CompilerServices;
using Engine.Model;

namespace Engine.Brain;

/// <summary>One closed candle in exact fixed-point: what the exchange's kline says, or what the brain built from trades.</summary>
public readonly record struct Candle(long OpenTimeMs, Price Open, Price High, Price Low, Price Close, Quantity Volume, int TradeCount)
{
    /// <summary>Milliseconds in a minute, the base interval.</summary>
    public const long MinuteMs = 60_000;

    /// <summary>A minute without trades, as the exchange writes it: open = high = low = close = the previous close, zero volume.</summary>
    public static Candle Empty(long openTimeMs, Price previousClose) =>
        new(openTimeMs, previousClose, previousClose, previousClose, previousClose, Quantity.Zero, 0);

    /// <summary>Same prices and volume (the trade count is not compared: klines from some sources do not carry it).</summary>
    public bool SameValues(in Candle other) =>
        OpenTimeMs == other.OpenTimeMs && Open == other.Open && High == other.High && Low == other.Low
        && Close == other.Close && Volume == other.Volume;
}

/// <summary>
/// Builds one symbol's 1-minute candles from its trades, the way the exchange does: open is the minute's first
/// trade, close its last, high/low the extremes, volume the sum; a minute without trades carries the previous
/// close with zero volume. Closed candles come out in order and without gaps through <see cref="TryCloseBefore"/>,
/// whatever closed the last minute (a trade or the exchange's kline) and however long the symbol was quiet.
/// </summary>
/// <remarks>
/// The caller drives closing (a trade or a kline of a later minute closes every minute before it), so nothing
/// here needs a callback or a buffer. Before the first trade or kline there is no candle and nothing to carry.
/// A gap longer than <see cref="MaxEmptyMinutes"/> closes only its last <see cref="MaxEmptyMinutes"/> minutes
/// empty and skips the ones before (<see cref="SkippedMinutes"/>): a day of flat candles already says all that a
/// longer silence could, and the work one event can cause stays bounded whatever its time says.
/// </remarks>
public struct MinuteCandleBuilder
{
    private long _openTimeMs;
    private Price _open;
    private Price _high;
    private Price _low;
    private Price _close;
    private Quantity _volume;
    private int _tradeCount;
    private bool _hasCurrent;
    private bool _hasClosed;
    private Candle _lastClosed;
    private long _skippedMinutes;

    /// <summary>Most empty minutes one gap closes (a day); the older minutes of a longer gap are skipped.</summary>
    public const long MaxEmptyMinutes = 1440;

    /// <summary>Whether a minute is open (has at least its first trade, or is a carried empty minute).</summary>
    public readonly bool HasCurrent => _hasCurrent;

    /// <summary>Open time of the minute being built (valid when <see cref="HasCurrent"/>).</summary>
    public readonly long CurrentOpenTimeMs => _openTimeMs;

    /// <summary>Whether any minute has closed yet.</summary>
    public readonly bool HasClosed => _hasClosed;

    /// <summary>The most recently closed minute (valid when <see cref="HasClosed"/>).</summary>
    public readonly Candle LastClosed => _lastClosed;

    /// <summary>Minutes of gaps longer than <see cref="MaxEmptyMinutes"/> that were skipped instead of closed empty, since the start.</summary>
    public readonly long SkippedMinutes => _skippedMinutes;

    /// <summary>Start of the minute containing <paramref name="timeMs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long MinuteOf(long timeMs) => timeMs - (((timeMs % Candle.MinuteMs) + Candle.MinuteMs) % Candle.MinuteMs);

    /// <summary>
    /// Closes the oldest open minute that starts before <paramref name="minuteOpenMs"/>. Call until it returns
    /// false; each call yields one closed minute, empty minutes included, in time order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryCloseBefore(long minuteOpenMs, out Candle closed)
    {
        if (!_hasCurrent)
        {
            // The last minute was closed by its kline and nothing came since: the minutes between it and this one had
            // no trades here, so they close empty at its close, as the exchange writes them.
            if (!_hasClosed || minuteOpenMs - _lastClosed.OpenTimeMs <= Candle.MinuteMs)
            {
                closed = default;
                return false;
            }

            StartEmptyAfter(_lastClosed.OpenTimeMs, _lastClosed.Close, minuteOpenMs);
        }
        else if (_openTimeMs >= minuteOpenMs)
        {
            closed = default;
            return false;
        }

        closed = new Candle(_openTimeMs, _open, _high, _low, _close, _volume, _tradeCount);
        _lastClosed = closed;
        _hasClosed = true;
        if (minuteOpenMs - _openTimeMs > Candle.MinuteMs)
        {
            // The gap gets an empty minute of its own, closed by the next call.
            StartEmptyAfter(_openTimeMs, _close, minuteOpenMs);
        }
        else
        {
            _hasCurrent = false;
        }

        return true;
    }

    /// <summary>
    /// Adds a trade of minute <paramref name="minuteOpenMs"/>; close earlier minutes first with <see cref="TryCloseBefore"/>.
    /// </summary>
    /// <returns>False (and nothing changes) when the trade belongs to a minute already closed: a late trade.</returns>
    public bool AddTrade(long minuteOpenMs, Price price, Quantity quantity)
    {
        if ((_hasClosed && minuteOpenMs <= _lastClosed.OpenTimeMs) || (_hasCurrent && minuteOpenMs < _openTimeMs))
        {
            return false;
        }

        if (!_hasCurrent || minuteOpenMs != _openTimeMs)
        {
            if ((_hasCurrent && minuteOpenMs > _openTimeMs) || (_hasClosed && minuteOpenMs > _lastClosed.OpenTimeMs + Candle.MinuteMs))
            {
                // A caller that skipped TryCloseBefore would lose minutes silently; refuse loudly instead.
                throw new InvalidOperationException("Close the minutes before a trade's minute before adding it.");
            }

            Start(minuteOpenMs, price, quantity, 1);
            return true;
        }

        if (price > _high)
        {
            _high = price;
        }

        if (price < _low)
        {
            _low = price;
        }

        _close = price;
        _volume = Volumes.Add(_volume, quantity);
        _tradeCount++;
        return true;
    }

    /// <summary>
    /// Takes the exchange's closed kline of minute <paramref name="kline"/>.OpenTimeMs (close earlier minutes first).
    /// The exchange is the reference: if the minute is still open here it closes with the kline's values.
    /// </summary>
    /// <param name="kline">The exchange's closed 1-minute kline.</param>
    /// <param name="closed">The minute to feed on, when the method returns <see cref="KlineOutcome.Closed"/> or <see cref="KlineOutcome.ClosedCorrected"/>.</param>
    public KlineOutcome ApplyExchangeKline(in Candle kline, out Candle closed)
    {
        closed = default;
        if (_hasClosed && kline.OpenTimeMs <= _lastClosed.OpenTimeMs)
        {
            if (kline.OpenTimeMs < _lastClosed.OpenTimeMs)
            {
                return KlineOutcome.Stale;
            }

            return _lastClosed.SameValues(kline) ? KlineOutcome.AlreadyClosedMatch : KlineOutcome.AlreadyClosedMismatch;
        }

        var corrected = _hasCurrent && _openTimeMs == kline.OpenTimeMs
            && !new Candle(_openTimeMs, _open, _high, _low, _close, _volume, _tradeCount).SameValues(kline);
        closed = kline;
        _lastClosed = kline;
        _hasClosed = true;
        _hasCurrent = false;
        return corrected ? KlineOutcome.ClosedCorrected : KlineOutcome.Closed;
    }

    /// <summary>Opens the empty minute after <paramref name="afterOpenMs"/>, or skips to the last <see cref="MaxEmptyMinutes"/> before <paramref name="targetOpenMs"/>.</summary>
    private void StartEmptyAfter(long afterOpenMs, Price close, long targetOpenMs)
    {
        var next = afterOpenMs + Candle.MinuteMs;
        var missing = (targetOpenMs - next) / Candle.MinuteMs;
        if (missing > MaxEmptyMinutes)
        {
            _skippedMinutes += missing - MaxEmptyMinutes;
            next = targetOpenMs - (MaxEmptyMinutes * Candle.MinuteMs);
        }

        Start(next, close, Quantity.Zero, 0);
    }

    private void Start(long openTimeMs, Price price, Quantity quantity, int trades)
    {
        _openTimeMs = openTimeMs;
        _open = price;
        _high = price;
        _low = price;
        _close = price;
        _volume = quantity;
        _tradeCount = trades;
        _hasCurrent = true;
    }
}

/// <summary>What happened to an exchange kline given to <see cref="MinuteCandleBuilder.ApplyExchangeKline"/>.</summary>
public enum KlineOutcome : byte
{
    /// <summary>The kline closed a minute that had no trades here (or agreed with them).</summary>
    Closed,

    /// <summary>The kline closed a minute whose trades here said something else; the kline's values were used.</summary>
    ClosedCorrected,

    /// <summary>The minute had already closed from trades and the kline agrees.</summary>
    AlreadyClosedMatch,

    /// <summary>The minute had already closed from trades (and fed the indicators) and the kline disagrees: counted, not rewound.</summary>
    AlreadyClosedMismatch,

    /// <summary>The kline is older than the last closed minute.</summary>
    Stale,
}

/// <summary>
/// Rolls gap-free 1-minute candles up to an interval of <see cref="IntervalMinutes"/> minutes aligned to the epoch
/// (so 5-minute candles open at :00, :05, ...), as the exchange's higher-interval klines are.
/// </summary>
/// <remarks>A rolled candle completes on its last minute; the first one may be partial if the stream starts mid-interval.</remarks>
public struct CandleRollup
{
    private readonly long _intervalMs;
    private bool _hasCurrent;
    private Candle _current;

    public CandleRollup(int intervalMinutes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(intervalMinutes, 1);
        IntervalMinutes = intervalMinutes;
        _intervalMs = intervalMinutes * Candle.MinuteMs;
    }

    public int IntervalMinutes { get; }

    /// <summary>Adds the next 1-minute candle; true with the rolled candle when it was the interval's last minute.</summary>
    public bool Add(in Candle minute, out Candle rolled)
    {
        if (_intervalMs == Candle.MinuteMs)
        {
            rolled = minute;
            return true;
        }

        var bucket = minute.OpenTimeMs - (((minute.OpenTimeMs % _intervalMs) + _intervalMs) % _intervalMs);
        if (!_hasCurrent || _current.OpenTimeMs != bucket)
        {
            _current = minute with { OpenTimeMs = bucket };
            _hasCurrent = true;
        }
        else
        {
            _current = new Candle(
                bucket,
                _current.Open,
                minute.High > _current.High ? minute.High : _current.High,
                minute.Low < _current.Low ? minute.Low : _current.Low,
                minute.Close,
                Volumes.Add(_current.Volume, minute.Volume),
                _current.TradeCount + minute.TradeCount);
        }

        if (minute.OpenTimeMs + Candle.MinuteMs == bucket + _intervalMs)
        {
            rolled = _current;
            _hasCurrent = false;
            return true;
        }

        rolled = default;
        return false;
    }
}

/// <summary>Candle volumes add up without overflowing: a sum past the fixed-point range stays at its largest value.</summary>
internal static class Volumes
{
    /// <summary>The sum, or <see cref="long.MaxValue"/> (or MinValue) when it would leave the range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quantity Add(Quantity a, Quantity b)
    {
        var sum = unchecked(a.Mantissa + b.Mantissa);

        // Overflow happened when both operands share a sign the sum does not.
        if (((a.Mantissa ^ sum) & (b.Mantissa ^ sum)) < 0)
        {
            sum = a.Mantissa < 0 ? long.MinValue : long.MaxValue;
        }

        return Quantity.FromMantissa(sum);
    }
}
