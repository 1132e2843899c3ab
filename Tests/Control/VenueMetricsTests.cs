using Engine.Control.Metrics;
using Engine.Exchange;

namespace Tests.Control;

public sealed class VenueMetricsTests
{
    [Fact]
    public void Weight_orders_blocks_alerts_and_the_clock_offset_are_exported_from_the_trackers()
    {
        var limits = new RateLimitTracker();
        var clock = new ServerClock();
        var metrics = new VenueMetrics(limits, clock);

        var before = Scrape(metrics);
        Assert.Empty(before["engine_clock_offset_seconds"].Samples);
        Assert.Equal(0, PrometheusText.Value(before, "engine_rate_limit_blocked", ("reason", "backoff")));

        var now = clock.LocalUnixMs;
        limits.Observe([new("X-MBX-USED-WEIGHT-1M", ["37"]), new("X-MBX-ORDER-COUNT-10S", ["4"])], now);
        limits.OnTooManyRequests(TimeSpan.FromMinutes(1), now, "429 Too many requests");
        limits.OnBanned(now + 60_000, "418 banned");
        clock.Apply([new ClockSample(now, now + 250, 4)]);

        var after = Scrape(metrics);
        Assert.Equal(37, PrometheusText.Value(after, "engine_rate_limit_weight_used", ("interval", "1m")));
        Assert.Equal(2400, PrometheusText.Value(after, "engine_rate_limit_weight_limit", ("interval", "1m")));
        Assert.Equal(4, PrometheusText.Value(after, "engine_rate_limit_orders_used", ("interval", "10s")));
        Assert.Equal(1, PrometheusText.Value(after, "engine_rate_limit_blocked", ("reason", "backoff")));
        Assert.Equal(1, PrometheusText.Value(after, "engine_rate_limit_blocked", ("reason", "ban")));
        Assert.Equal(1, PrometheusText.Value(after, "engine_rate_limit_responses_total", ("status", "rate_limited")));
        Assert.Equal(1, PrometheusText.Value(after, "engine_rate_limit_responses_total", ("status", "banned")));
        Assert.Equal(0.248, PrometheusText.Value(after, "engine_clock_offset_seconds"), 6);
    }

    [Fact]
    public void Rate_limit_answers_before_the_first_scrape_are_counted()
    {
        // The host resolves metrics sources lazily, at the first scrape: a 429 or 418 that came earlier must still count.
        var limits = new RateLimitTracker();
        var clock = new ServerClock();
        var now = clock.LocalUnixMs;
        limits.OnTooManyRequests(TimeSpan.FromSeconds(1), now, "429 Too many requests");
        limits.OnTooManyRequests(TimeSpan.FromSeconds(1), now, "429 Too many requests");
        limits.OnBanned(now + 1_000, "418 banned");

        var scrape = Scrape(new VenueMetrics(limits, clock));
        Assert.Equal(2, PrometheusText.Value(scrape, "engine_rate_limit_responses_total", ("status", "rate_limited")));
        Assert.Equal(1, PrometheusText.Value(scrape, "engine_rate_limit_responses_total", ("status", "banned")));
    }

    private static Dictionary<string, PrometheusText.Family> Scrape(VenueMetrics metrics)
    {
        var writer = new PrometheusWriter();
        metrics.Collect(writer);
        return PrometheusText.Parse(writer.ToString());
    }
}
