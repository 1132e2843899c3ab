using Engine.Exchange;
using Engine.Exchange.Rules;

namespace Engine.Control.Metrics;

/// <summary>
/// The venue connection's budget and clock: request weight and order counts used against each rate limit, whether
/// sending is blocked (a 429 back-off or a 418 ban) and how often that happened, and the measured server-clock offset.
/// </summary>
public sealed class VenueMetrics : IMetricsSource
{
    private readonly RateLimitTracker _limits;
    private readonly ServerClock _clock;

    public VenueMetrics(RateLimitTracker limits, ServerClock clock)
    {
        _limits = limits ?? throw new ArgumentNullException(nameof(limits));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
    }

    public void Collect(PrometheusWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var now = _clock.LocalUnixMs;
        var usage = _limits.Snapshot(now);
        Family(writer, usage, RateLimitType.RequestWeight, "engine_rate_limit_weight_used", "Request weight used in the venue's current window, by window.", limit: false);
        Family(writer, usage, RateLimitType.RequestWeight, "engine_rate_limit_weight_limit", "The venue's request-weight limit, by window.", limit: true);
        Family(writer, usage, RateLimitType.Orders, "engine_rate_limit_orders_used", "Orders counted in the venue's current window, by window.", limit: false);
        Family(writer, usage, RateLimitType.Orders, "engine_rate_limit_orders_limit", "The venue's order-count limit, by window.", limit: true);

        writer.Family("engine_rate_limit_blocked", "gauge", "1 while nothing is sent: after a 429 until Retry-After (backoff), or during a 418 IP ban (ban).")
            .Sample("engine_rate_limit_blocked", now < _limits.BlockedUntilUnixMs ? 1 : 0, ("reason", "backoff"))
            .Sample("engine_rate_limit_blocked", _limits.IsBanned(now) ? 1 : 0, ("reason", "ban"));
        writer.Family("engine_rate_limit_responses_total", "counter", "Venue answers that said too many requests: HTTP 429 (rate_limited) or 418 (banned).")
            .Sample("engine_rate_limit_responses_total", _limits.TooManyRequestsCount, ("status", "rate_limited"))
            .Sample("engine_rate_limit_responses_total", _limits.BanCount, ("status", "banned"));

        // Unmeasured is not zero: the family stays empty until the first measurement.
        writer.Family("engine_clock_offset_seconds", "gauge", "Venue server time minus local time, measured with round-trip correction.");
        if (_clock.IsSynchronized)
        {
            writer.Sample("engine_clock_offset_seconds", _clock.OffsetMs / 1000.0);
        }
    }

    private static void Family(PrometheusWriter writer, RateLimitUsage[] usage, RateLimitType type, string name, string help, bool limit)
    {
        writer.Family(name, "gauge", help);
        foreach (var window in usage)
        {
            if (window.Rule.Type == type)
            {
                var interval = string.Concat(window.Rule.IntervalNum.ToString(System.Globalization.CultureInfo.InvariantCulture), char.ToLowerInvariant(window.Rule.IntervalLetter).ToString());
                writer.Sample(name, limit ? window.Rule.Limit : window.Used, ("interval", interval));
            }
        }
    }
}
