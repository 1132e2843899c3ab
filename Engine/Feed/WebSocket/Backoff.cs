namespace Engine.Feed.WebSocket;

/// <summary>Exponential back-off with jitter: attempt n waits a random time in [d/2, d], d = min · 2ⁿ capped at max.</summary>
public static class Backoff
{
    /// <summary>The delay before retry number <paramref name="attempt"/> (0 = the first retry).</summary>
    public static TimeSpan Delay(int attempt, TimeSpan min, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        var ceiling = Ceiling(attempt, min, max);

        // Half fixed, half random: reconnecting clients spread out, and no delay falls under half the ceiling.
        var half = ceiling.Ticks / 2;
        return TimeSpan.FromTicks(half + (long)(Random.Shared.NextDouble() * (ceiling.Ticks - half)));
    }

    /// <summary>The upper bound of <see cref="Delay"/> for <paramref name="attempt"/>.</summary>
    public static TimeSpan Ceiling(int attempt, TimeSpan min, TimeSpan max)
    {
        var shift = Math.Min(attempt, 30);
        var ticks = min.Ticks * (1L << shift);
        return ticks <= 0 || ticks > max.Ticks ? max : TimeSpan.FromTicks(ticks);
    }
}
