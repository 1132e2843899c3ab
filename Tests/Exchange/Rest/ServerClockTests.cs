using Engine.Exchange;

namespace Tests.Exchange.Rest;

/// <summary>The server-time offset: round-trip correction, best of N, and a real measurement against a venue running ahead.</summary>
public sealed class ServerClockTests
{
    [Fact]
    public void Offset_assumes_the_server_read_its_clock_at_the_midpoint_of_the_round_trip()
    {
        // Sent at 1,000; the server said 6,050; the answer took 100 ms: at the midpoint local time was 1,050.
        Assert.Equal(5_000, new ClockSample(1_000, 6_050, 100).OffsetMs);
        Assert.Equal(-2_000, new ClockSample(10_000, 8_010, 20).OffsetMs);
    }

    [Fact]
    public void The_sample_with_the_shortest_round_trip_wins()
    {
        var time = new FixedTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var clock = new ServerClock(time);
        Assert.False(clock.IsSynchronized);
        Assert.Null(clock.RoundTrip);

        var best = clock.Apply([new(1_000, 6_400, 200), new(2_000, 7_004, 8), new(3_000, 7_900, 90)]);

        Assert.Equal(8, best.RoundTripMs);
        Assert.Equal(5_000, clock.OffsetMs);
        Assert.True(clock.IsSynchronized);
        Assert.Equal(TimeSpan.FromMilliseconds(8), clock.RoundTrip);
        Assert.Equal(1_700_000_005_000, clock.NowUnixMs);
        Assert.Equal(time.Now, clock.SynchronizedAt);
        Assert.Throws<ArgumentException>(() => clock.Apply([]));
    }

    [Fact]
    public async Task Sync_measures_a_venue_running_ahead_within_its_round_trip()
    {
        await using var venue = await LoopbackVenue.StartAsync();
        venue.ServerOffsetMs = 123_456;
        using var client = RestHarness.Client(venue, configure: o => o.ClockSamples = 5);

        var sample = (await client.SyncClockAsync()).GetValueOrThrow();

        Assert.Equal(5, venue.RequestsTo("GET /fapi/v1/time").Count);
        var slack = (long)Math.Ceiling(sample.RoundTripMs) + 2;
        Assert.InRange(client.Clock.OffsetMs, 123_456 - slack, 123_456 + slack);
        Assert.InRange(client.Clock.NowUnixMs - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 123_456 - slack - 50, 123_456 + slack + 50);
    }

    [Fact]
    public async Task A_failed_sync_keeps_the_previous_offset()
    {
        await using var venue = await LoopbackVenue.StartAsync();
        venue.ServerOffsetMs = -7_000;
        using var client = RestHarness.Client(venue, configure: o => o.ClockSamples = 2);
        Assert.True((await client.SyncClockAsync()).IsSuccess);
        var offset = client.Clock.OffsetMs;
        venue.Enqueue("GET /fapi/v1/time", new VenueReply(503, "Service Unavailable."));

        var failed = await client.SyncClockAsync();

        Assert.Equal(VenueErrorCategory.RetrySafe, failed.Error!.Category);
        Assert.Equal(offset, client.Clock.OffsetMs);
    }
}
