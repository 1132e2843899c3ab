using Engine.Exchange;
using Engine.Exchange.Rules;

namespace Tests.Exchange.Rest;

/// <summary>Local rate-limit accounting: windows aligned to the venue clock, header correction, back-off and ban.</summary>
public sealed class RateLimitTrackerTests
{
    private const long Minute = 60_000;
    private const long T0 = 1_700_000_040_000; // a whole minute

    private static RateLimitTracker Tracker(int weightLimit, int orderLimit10s)
    {
        var tracker = new RateLimitTracker(usablePercent: 100, defaultBackoff: TimeSpan.FromSeconds(10));
        tracker.SetRules([
            new(RateLimitType.RequestWeight, TimeSpan.FromMinutes(1), 1, 'M', weightLimit),
            new(RateLimitType.Orders, TimeSpan.FromSeconds(10), 10, 'S', orderLimit10s),
            new(RateLimitType.RawRequests, TimeSpan.FromMinutes(5), 5, 'M', 1),
        ]);
        return tracker;
    }

    [Fact]
    public void A_request_that_would_exceed_the_weight_is_refused_and_the_next_window_starts_afresh()
    {
        var tracker = Tracker(10, 100);

        Assert.True(tracker.TryAcquire(6, 0, T0, out _));
        Assert.True(tracker.TryAcquire(4, 0, T0 + 1_000, out _));
        Assert.False(tracker.TryAcquire(1, 0, T0 + 59_999, out var refusal));
        Assert.Equal(VenueErrorCategory.RateLimit, refusal!.Category);
        Assert.False(refusal.Sent);
        Assert.Equal(TimeSpan.FromMilliseconds(1), refusal.RetryAfter);
        Assert.True(tracker.TryAcquire(10, 0, T0 + Minute, out _));
    }

    [Fact]
    public void A_refused_request_reserves_nothing()
    {
        var tracker = Tracker(10, 2);

        Assert.True(tracker.TryAcquire(1, 2, T0, out _));
        Assert.False(tracker.TryAcquire(1, 1, T0, out _)); // orders full
        Assert.Equal(1, tracker.Snapshot(T0).Single(u => u.Rule.Type == RateLimitType.RequestWeight).Used);
        Assert.True(tracker.TryAcquire(1, 1, T0 + 10_000, out _)); // next 10 s window
    }

    [Fact]
    public void The_venue_headers_raise_the_count_but_never_lower_it()
    {
        var tracker = Tracker(2400, 300);
        Assert.True(tracker.TryAcquire(100, 0, T0, out _));

        tracker.Observe([new("x-mbx-used-weight-1m", ["2390"]), new("X-MBX-ORDER-COUNT-10S", ["7"]), new("Content-Type", ["application/json"])], T0);
        var usage = tracker.Snapshot(T0);
        Assert.Equal(2390, usage.Single(u => u.Rule.Type == RateLimitType.RequestWeight).Used);
        Assert.Equal(7, usage.Single(u => u.Rule.Type == RateLimitType.Orders).Used);

        tracker.Observe([new("X-MBX-USED-WEIGHT-1M", ["5"])], T0);
        Assert.Equal(2390, tracker.Snapshot(T0).Single(u => u.Rule.Type == RateLimitType.RequestWeight).Used);
        Assert.False(tracker.TryAcquire(11, 0, T0, out _));
        Assert.True(tracker.TryAcquire(10, 0, T0, out _));
    }

    [Fact]
    public void Usable_percent_leaves_headroom()
    {
        var tracker = new RateLimitTracker(usablePercent: 50);
        Assert.True(tracker.TryAcquire(1200, 0, T0, out _));
        Assert.False(tracker.TryAcquire(1, 0, T0, out var refusal));
        Assert.Contains("usable 1200", refusal!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Back_off_and_ban_refuse_everything_until_they_end_and_raise_alerts()
    {
        var tracker = Tracker(2400, 300);
        var alerts = new List<VenueAlertEventArgs>();
        tracker.Alert += (_, alert) => alerts.Add(alert);

        tracker.OnTooManyRequests(null, T0, "Too many requests");
        Assert.False(tracker.TryAcquire(1, 0, T0 + 9_999, out var held));
        Assert.Contains("429", held!.Message, StringComparison.Ordinal);
        Assert.True(tracker.TryAcquire(1, 0, T0 + 10_000, out _));

        tracker.OnBanned(T0 + 120_000, "Way too many requests");
        Assert.True(tracker.IsBanned(T0 + 119_999));
        Assert.False(tracker.TryAcquire(0, 0, T0 + 119_999, out var banned));
        Assert.Contains("banned", banned!.Message, StringComparison.Ordinal);
        Assert.True(tracker.TryAcquire(1, 0, T0 + 120_000, out _));

        Assert.Equal([VenueAlertKind.RateLimited, VenueAlertKind.Banned], alerts.Select(a => a.Kind));
        Assert.Equal(T0 + 120_000, alerts[1].Until.ToUnixTimeMilliseconds());
    }

    [Fact]
    public void Limits_from_the_real_exchange_info_replace_the_defaults()
    {
        var info = ExchangeInfoParser.Parse(TestData.Read(TestData.ExchangeInfo2021));
        var tracker = new RateLimitTracker();
        tracker.SetRules(info.RateLimits);

        var usage = tracker.Snapshot(T0);

        Assert.Equal(info.RateLimits.Count(r => r.Type is RateLimitType.RequestWeight or RateLimitType.Orders), usage.Length);
        Assert.Contains(usage, u => u.Rule.Type == RateLimitType.RequestWeight && u.Rule.Limit == 2400);
        Assert.Equal(T0, usage[0].WindowStartUnixMs);
    }
}
