using System.Diagnostics;

namespace Simulator;

/// <summary>Simulated time: a start instant plus real elapsed time times the speed; a skew moves only the server's reported time.</summary>
internal sealed class SimClock
{
    private readonly long _startMs;
    private readonly long _startTicks;
    private readonly double _msPerTick;
    private long _skewMs;

    public SimClock(long startMs, double speed, long skewMs)
    {
        _startMs = startMs;
        _startTicks = Stopwatch.GetTimestamp();
        _msPerTick = speed * 1000.0 / Stopwatch.Frequency;
        _skewMs = skewMs;
        Speed = speed;
    }

    public double Speed { get; }

    public long StartMs => _startMs;

    /// <summary>Market time: what the price path and candles follow.</summary>
    public long MarketNowMs => _startMs + (long)((Stopwatch.GetTimestamp() - _startTicks) * _msPerTick);

    /// <summary>Server time as reported by /time and used for the recvWindow rule (market time plus skew).</summary>
    public long ServerNowMs => MarketNowMs + Interlocked.Read(ref _skewMs);

    public long SkewMs
    {
        get => Interlocked.Read(ref _skewMs);
        set => Interlocked.Exchange(ref _skewMs, value);
    }

    /// <summary>Real time span that covers the given simulated span.</summary>
    public TimeSpan RealSpan(TimeSpan simulated) => TimeSpan.FromTicks((long)(simulated.Ticks / Speed));
}
