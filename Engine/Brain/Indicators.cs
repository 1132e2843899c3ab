using System.Runtime.CompilerServices;

namespace Engine.Brain;

// Incremental indicators: each update is O(1) and allocation-free (the windowed ones own one array, allocated at
// construction). Values are doubles: they feed decisions and statistics, never prices sent to the venue.

/// <summary>
/// A sum of many doubles with Neumaier's compensation, so a rolling sum that adds and removes values for hours
/// does not drift away from the sum of its window.
/// </summary>
public struct CompensatedSum
{
    private double _sum;
    private double _compensation;

    public readonly double Value => _sum + _compensation;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(double value)
    {
        var t = _sum + value;
        _compensation += Math.Abs(_sum) >= Math.Abs(value) ? (_sum - t) + value : (value - t) + _sum;
        _sum = t;
    }
}

/// <summary>Simple moving average over the last <see cref="Period"/> values.</summary>
public struct Sma
{
    private readonly double[] _window;
    private CompensatedSum _sum;
    private int _next;
    private int _count;

    public Sma(int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _window = new double[period];
    }

    public readonly int Period => _window.Length;

    public readonly bool IsReady => _count == _window.Length;

    /// <summary>The mean of the values seen so far, up to the last <see cref="Period"/>.</summary>
    public readonly double Value => _count == 0 ? 0 : _sum.Value / _count;

    public void Update(double value)
    {
        if (_count == _window.Length)
        {
            _sum.Add(-_window[_next]);
        }
        else
        {
            _count++;
        }

        _sum.Add(value);
        _window[_next] = value;
        _next = _next + 1 == _window.Length ? 0 : _next + 1;
    }
}

/// <summary>
/// Exponential moving average with α = 2 / (period + 1), seeded with the simple average of its first
/// <see cref="Period"/> values (the usual charting convention).
/// </summary>
public struct Ema
{
    private readonly double _alpha;
    private double _value;
    private double _seedSum;
    private int _count;

    public Ema(int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        Period = period;
        _alpha = 2.0 / (period + 1);
    }

    public int Period { get; }

    public readonly bool IsReady => _count >= Period;

    public readonly double Value => _value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Update(double value)
    {
        if (_count >= Period)
        {
            _value = (_alpha * value) + ((1 - _alpha) * _value);
            return;
        }

        _seedSum += value;
        _count++;
        if (_count == Period)
        {
            _value = _seedSum / Period;
        }
    }
}

/// <summary>
/// Mean and population variance of the last <see cref="Period"/> values by a windowed Welford update: adding and
/// removing values moves the sum of squared deviations directly instead of subtracting two large sums of squares,
/// which is what makes it numerically stable; a two-pass resynchronisation once per window lap bounds drift.
/// </summary>
public struct RollingStats
{
    private readonly double[] _window;
    private double _mean;
    private double _m2;
    private int _next;
    private int _count;

    public RollingStats(int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _window = new double[period];
    }

    public readonly int Period => _window.Length;

    public readonly int Count => _count;

    public readonly bool IsReady => _count == _window.Length;

    public readonly double Mean => _mean;

    /// <summary>Population variance (divides by the count), as Bollinger bands use.</summary>
    public readonly double Variance => _count == 0 ? 0 : Math.Max(0, _m2 / _count);

    public readonly double StandardDeviation => Math.Sqrt(Variance);

    public void Update(double value)
    {
        if (_count < _window.Length)
        {
            _count++;
            var delta = value - _mean;
            _mean += delta / _count;
            _m2 += delta * (value - _mean);
        }
        else
        {
            var old = _window[_next];
            var oldMean = _mean;
            _mean = oldMean + ((value - old) / _count);
            _m2 += (value - old) * (value - _mean + old - oldMean);
        }

        _window[_next] = value;
        _next = _next + 1 == _window.Length ? 0 : _next + 1;
        if (_next == 0)
        {
            Resynchronise();
        }
    }

    // Once per lap of the window (O(1) amortised) the mean and squared deviations are recomputed from the window
    // itself, two-pass: the rounding of the incremental update cannot accumulate over a run of days.
    private void Resynchronise()
    {
        var sum = 0.0;
        foreach (var v in _window)
        {
            sum += v;
        }

        var mean = sum / _window.Length;
        var m2 = 0.0;
        foreach (var v in _window)
        {
            m2 += (v - mean) * (v - mean);
        }

        _mean = mean;
        _m2 = m2;
    }
}

/// <summary>Bollinger bands: the rolling mean ± <see cref="Width"/> population standard deviations.</summary>
public struct Bollinger
{
    private RollingStats _stats;

    public Bollinger(int period, double width)
    {
        _stats = new RollingStats(period);
        Width = width;
    }

    public double Width { get; }

    public readonly bool IsReady => _stats.IsReady;

    public readonly double Middle => _stats.Mean;

    public readonly double StandardDeviation => _stats.StandardDeviation;

    public readonly double Upper => _stats.Mean + (Width * _stats.StandardDeviation);

    public readonly double Lower => _stats.Mean - (Width * _stats.StandardDeviation);

    public void Update(double close) => _stats.Update(close);
}

/// <summary>
/// Wilder's RSI: average gain and loss seeded with the simple average of the first <see cref="Period"/> changes,
/// then smoothed as avg = (avg × (n − 1) + current) / n.
/// </summary>
public struct Rsi
{
    private double _previous;
    private double _averageGain;
    private double _averageLoss;
    private int _changes;
    private bool _hasPrevious;

    public Rsi(int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        Period = period;
    }

    public int Period { get; }

    public readonly bool IsReady => _changes >= Period;

    /// <summary>0..100; 100 when there were no losses, 50 when nothing moved at all.</summary>
    public readonly double Value =>
        _averageLoss == 0 ? (_averageGain == 0 ? 50 : 100) : 100 - (100 / (1 + (_averageGain / _averageLoss)));

    public void Update(double close)
    {
        if (!_hasPrevious)
        {
            _previous = close;
            _hasPrevious = true;
            return;
        }

        var change = close - _previous;
        _previous = close;
        var gain = change > 0 ? change : 0;
        var loss = change < 0 ? -change : 0;
        if (_changes < Period)
        {
            _averageGain += gain;
            _averageLoss += loss;
            _changes++;
            if (_changes == Period)
            {
                _averageGain /= Period;
                _averageLoss /= Period;
            }

            return;
        }

        _averageGain = ((_averageGain * (Period - 1)) + gain) / Period;
        _averageLoss = ((_averageLoss * (Period - 1)) + loss) / Period;
    }
}

/// <summary>
/// Wilder's average true range. True range = max(high − low, |high − previous close|, |low − previous close|), just
/// high − low for the first candle; seeded with the simple average of the first <see cref="Period"/> ranges.
/// </summary>
public struct Atr
{
    private double _previousClose;
    private double _value;
    private int _count;

    public Atr(int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        Period = period;
    }

    public int Period { get; }

    public readonly bool IsReady => _count >= Period;

    public readonly double Value => _value;

    public void Update(double high, double low, double close)
    {
        var range = high - low;
        if (_count > 0)
        {
            range = Math.Max(range, Math.Max(Math.Abs(high - _previousClose), Math.Abs(low - _previousClose)));
        }

        _previousClose = close;
        if (_count < Period)
        {
            _value += range;
            _count++;
            if (_count == Period)
            {
                _value /= Period;
            }

            return;
        }

        _count++;
        _value = ((_value * (Period - 1)) + range) / Period;
    }
}

/// <summary>MACD: EMA(fast) − EMA(slow), its signal line an EMA of the MACD line, and the histogram between them.</summary>
public struct Macd
{
    private Ema _fast;
    private Ema _slow;
    private Ema _signal;

    public Macd(int fast, int slow, int signal)
    {
        _fast = new Ema(fast);
        _slow = new Ema(slow);
        _signal = new Ema(signal);
    }

    /// <summary>The fast EMA (the strategy's trend filter reads it too).</summary>
    public readonly Ema Fast => _fast;

    public readonly Ema Slow => _slow;

    public readonly bool IsReady => _signal.IsReady;

    public readonly double Line => _fast.Value - _slow.Value;

    public readonly double Signal => _signal.Value;

    public readonly double Histogram => Line - _signal.Value;

    public void Update(double close)
    {
        _fast.Update(close);
        _slow.Update(close);
        if (_fast.IsReady && _slow.IsReady)
        {
            _signal.Update(_fast.Value - _slow.Value);
        }
    }
}

/// <summary>
/// Session VWAP: Σ(price × volume) / Σ(volume) since the start of the current UTC day, reset at midnight as the
/// usual daily anchor. Fed with each candle's typical price (high + low + close) / 3.
/// </summary>
public struct Vwap
{
    private const long DayMs = 86_400_000;

    private CompensatedSum _priceVolume;
    private CompensatedSum _volume;
    private long _day;
    private double _lastPrice;
    private bool _started;

    public readonly bool IsReady => _started;

    /// <summary>The VWAP; the last price while the session has seen no volume.</summary>
    public readonly double Value => _volume.Value > 0 ? _priceVolume.Value / _volume.Value : _lastPrice;

    public void Update(long timeMs, double price, double volume)
    {
        var day = timeMs >= 0 ? timeMs / DayMs : ((timeMs + 1) / DayMs) - 1;
        if (!_started || day != _day)
        {
            _priceVolume = default;
            _volume = default;
            _day = day;
            _started = true;
        }

        _priceVolume.Add(price * volume);
        _volume.Add(volume);
        _lastPrice = price;
    }
}

/// <summary>
/// How unusual the current volume is: (volume − mean) / standard deviation of the <see cref="Period"/> candles
/// before it (population deviation; 0 when the history is flat).
/// </summary>
public struct VolumeZScore
{
    private RollingStats _history;
    private double _value;
    private bool _ready;

    public VolumeZScore(int period) => _history = new RollingStats(period);

    public readonly int Period => _history.Period;

    public readonly bool IsReady => _ready;

    public readonly double Value => _value;

    public void Update(double volume)
    {
        if (_history.IsReady)
        {
            var deviation = _history.StandardDeviation;
            _value = deviation > 0 ? (volume - _history.Mean) / deviation : 0;
            _ready = true;
        }

        _history.Update(volume);
    }
}
