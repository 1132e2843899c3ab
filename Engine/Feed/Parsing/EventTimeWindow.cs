using System.Diagnostics;

namespace Engine.Feed.Parsing;

/// <summary>
/// Whether an event time is near enough to the venue's clock to be true: within <c>maxSkew</c> either way of the
/// venue's time at the frame's arrival. One per parser (not thread-safe).
/// </summary>
/// <remarks>
/// Reading the venue clock costs a wall-clock read; the window reads it at most every 100 ms and extrapolates from
/// the frame's arrival timestamp in between, so a frame costs a subtraction. The error (the venue clock's drift, or
/// an accelerated simulator's lead, over 100 ms) is far below any sensible skew.
/// </remarks>
public sealed class EventTimeWindow
{
    private readonly Func<long> _venueNowMs;
    private readonly long _maxSkewMs;
    private readonly long _ticksPerSecond = Stopwatch.Frequency;
    private readonly long _readEveryTicks = Stopwatch.Frequency / 10;
    private long _anchorTicks;
    private long _anchorVenueMs;
    private bool _anchored;

    /// <summary>Event times may be at most <paramref name="maxSkew"/> before or after <paramref name="venueNowMs"/> (Unix ms).</summary>
    public EventTimeWindow(Func<long> venueNowMs, TimeSpan maxSkew)
    {
        _venueNowMs = venueNowMs ?? throw new ArgumentNullException(nameof(venueNowMs));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxSkew, TimeSpan.Zero);
        _maxSkewMs = (long)maxSkew.TotalMilliseconds;
    }

    /// <summary>The largest distance accepted, milliseconds.</summary>
    public long MaxSkewMs => _maxSkewMs;

    /// <summary>Whether <paramref name="timeMs"/> lies within the skew of the venue's time at <paramref name="receivedTimestamp"/> (Stopwatch).</summary>
    public bool Accepts(long timeMs, long receivedTimestamp)
    {
        var elapsed = receivedTimestamp - _anchorTicks;
        if (!_anchored || (ulong)elapsed >= (ulong)_readEveryTicks)
        {
            _anchorTicks = receivedTimestamp;
            _anchorVenueMs = _venueNowMs();
            _anchored = true;
            elapsed = 0;
        }

        var now = _anchorVenueMs + (elapsed * 1000 / _ticksPerSecond);

        // Times near long.MinValue/MaxValue would wrap in a subtraction; compare against the bounds instead.
        return timeMs >= now - _maxSkewMs && timeMs <= now + _maxSkewMs;
    }
}
