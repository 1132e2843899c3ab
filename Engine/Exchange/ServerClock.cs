namespace Engine.Exchange;

/// <summary>One server-time measurement: when the request left, when the answer came back, what the server said.</summary>
/// <param name="SentUnixMs">Local wall clock (Unix ms) just before the request was sent.</param>
/// <param name="ServerUnixMs">The server's time from the answer.</param>
/// <param name="RoundTripMs">Time from send to answer, measured on the monotonic clock, in milliseconds.</param>
public readonly record struct ClockSample(long SentUnixMs, long ServerUnixMs, double RoundTripMs)
{
    /// <summary>
    /// Server minus local time, assuming the server read its clock halfway through the round trip: the error is at
    /// most half the round trip, which is why the sample with the shortest round trip is the one to trust.
    /// </summary>
    public long OffsetMs => ServerUnixMs - (SentUnixMs + (long)Math.Round(RoundTripMs / 2));
}

/// <summary>
/// The venue's clock as seen from here: local wall time plus a measured offset. Read from any thread (the execution
/// stage stamps <c>timestamp</c> with <see cref="NowUnixMs"/>); written only by a resync.
/// </summary>
public sealed class ServerClock
{
    private readonly TimeProvider _time;
    private long _offsetMs;
    private long _roundTripMicros = -1;
    private long _syncedAtTicks;

    public ServerClock(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>Server minus local time in milliseconds (0 until the first sync).</summary>
    public long OffsetMs => Volatile.Read(ref _offsetMs);

    /// <summary>Whether a measurement has been applied.</summary>
    public bool IsSynchronized => Volatile.Read(ref _roundTripMicros) >= 0;

    /// <summary>Round trip of the sample the offset came from (its uncertainty is half this), or null before the first sync.</summary>
    public TimeSpan? RoundTrip
    {
        get
        {
            var micros = Volatile.Read(ref _roundTripMicros);
            return micros < 0 ? null : TimeSpan.FromMicroseconds(micros);
        }
    }

    /// <summary>When (local wall clock) the offset was last measured, or null before the first sync.</summary>
    public DateTimeOffset? SynchronizedAt
    {
        get
        {
            var ticks = Volatile.Read(ref _syncedAtTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>The local wall clock in Unix milliseconds (uncorrected).</summary>
    public long LocalUnixMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The venue's current time in Unix milliseconds: what a signed request's <c>timestamp</c> should carry.</summary>
    public long NowUnixMs => LocalUnixMs + OffsetMs;

    /// <summary>The provider of local time and of the monotonic timestamps used to measure round trips.</summary>
    public TimeProvider TimeProvider => _time;

    /// <summary>Applies the sample with the shortest round trip among <paramref name="samples"/>; returns it.</summary>
    /// <exception cref="ArgumentException">No samples.</exception>
    public ClockSample Apply(ReadOnlySpan<ClockSample> samples)
    {
        if (samples.IsEmpty)
        {
            throw new ArgumentException("At least one clock sample is needed.", nameof(samples));
        }

        var best = samples[0];
        foreach (var sample in samples[1..])
        {
            if (sample.RoundTripMs < best.RoundTripMs)
            {
                best = sample;
            }
        }

        Volatile.Write(ref _offsetMs, best.OffsetMs);
        Volatile.Write(ref _roundTripMicros, (long)(best.RoundTripMs * 1000));
        Volatile.Write(ref _syncedAtTicks, _time.GetUtcNow().UtcTicks);
        return best;
    }
}
