using Engine.Feed;
using Engine.Feed.Parsing;
using Engine.Feed.WebSocket;

namespace Engine.Control.Metrics;

/// <summary>The WebSocket feed: connections, reconnects by reason, frames by outcome, bytes, and per-symbol candle health.</summary>
public sealed class FeedMetrics(FeedService feed) : IMetricsSource
{
    private static readonly (ReconnectReason Reason, string Label)[] s_reasons =
    [
        (ReconnectReason.Dropped, "dropped"), (ReconnectReason.Closed, "closed"), (ReconnectReason.Stale, "stale"),
        (ReconnectReason.MaxAge, "max_age"), (ReconnectReason.ConnectFailed, "connect_failed"),
        (ReconnectReason.MessageTooBig, "message_too_big"),
    ];

    private static readonly (FrameOutcome Outcome, string Label)[] s_outcomes =
    [
        (FrameOutcome.Event, "event"), (FrameOutcome.Skipped, "skipped"), (FrameOutcome.UnknownSymbol, "unknown_symbol"),
        (FrameOutcome.UnknownStream, "unknown_stream"), (FrameOutcome.Malformed, "malformed"), (FrameOutcome.Refused, "refused"),
    ];

    private static readonly FrameRefusal[] s_refusals =
        [FrameRefusal.Price, FrameRefusal.Quantity, FrameRefusal.KlineRange, FrameRefusal.EventTime, FrameRefusal.Id];

    private readonly long[] _buckets = new long[Telemetry.LatencyHistogram.BucketCount];
    private readonly long[] _sum = new long[Telemetry.LatencyHistogram.BucketCount];

    public void Collect(PrometheusWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var connections = feed.Connections;

        writer.Family("engine_feed_connection_up", "gauge", "1 while the feed connection is subscribed and publishing.");
        foreach (var c in connections)
        {
            writer.Sample("engine_feed_connection_up", c.Connected ? 1 : 0, ("stream", c.Name));
        }

        writer.Family("engine_feed_reconnects_total", "counter", "Feed connections ended and re-made, by connection and reason (connect_failed counts failed attempts).");
        foreach (var c in connections)
        {
            foreach (var (reason, label) in s_reasons)
            {
                writer.Sample("engine_feed_reconnects_total", c.Counters.Reconnects(reason), ("stream", c.Name), ("reason", label));
            }
        }

        writer.Family("engine_feed_receive_buffer_bytes", "gauge", "Bytes of each feed connection's receive buffer now (back to the initial size after a long message).");
        foreach (var c in connections)
        {
            writer.Sample("engine_feed_receive_buffer_bytes", c.Counters.ReceiveBufferBytes, ("stream", c.Name));
        }

        writer.Family("engine_feed_frames_total", "counter", "Market-stream messages by what the parser made of them.");
        foreach (var (outcome, label) in s_outcomes)
        {
            long sum = 0;
            foreach (var c in connections)
            {
                sum += c.Counters.Frames((int)outcome);
            }

            writer.Sample("engine_feed_frames_total", sum, ("outcome", label));
        }

        var refusals = feed.Refusals;
        writer.Family("engine_feed_frames_refused_total", "counter", "Market events refused as impossible (zero or negative prices and quantities, klines outside their range, event times far from the venue clock, ids far from the symbol's last), by reason.");
        foreach (var reason in s_refusals)
        {
            writer.Sample("engine_feed_frames_refused_total", refusals.Of(reason), ("reason", Health.FeedHealth.Label(reason)));
        }

        writer.Family("engine_feed_id_resyncs_total", "counter", "Times a symbol's ids moved to a new range that consecutive frames confirmed, and the feed re-synced to it.")
            .Sample("engine_feed_id_resyncs_total", refusals.Resyncs);
        var resyncing = 0;
        foreach (var symbol in feed.Plan.SelectMany(p => p.Symbols).Distinct())
        {
            resyncing += refusals.IsResyncing(symbol) ? 1 : 0;
        }

        writer.Family("engine_feed_symbols_resyncing", "gauge", "Symbols with ids refused as far from their last and no new range confirmed yet.")
            .Sample("engine_feed_symbols_resyncing", resyncing);

        long bytes = 0;
        long duplicates = 0;
        long held = 0;
        long overflow = 0;
        foreach (var c in connections)
        {
            bytes += c.Counters.Bytes;
            duplicates += c.Counters.Duplicates;
            held += c.Counters.Held;
            overflow += c.Counters.HoldOverflow;
        }

        writer.Family("engine_feed_received_bytes_total", "counter", "WebSocket message bytes received by the feed.")
            .Sample("engine_feed_received_bytes_total", bytes);
        writer.Family("engine_feed_duplicates_dropped_total", "counter", "Events dropped as already published (reconnect overlap, back-filled minutes).")
            .Sample("engine_feed_duplicates_dropped_total", duplicates);
        writer.Family("engine_feed_events_held_total", "counter", "Events held back while their symbol was checked for or back-filled missing candles.")
            .Sample("engine_feed_events_held_total", held);
        writer.Family("engine_feed_hold_overflow_total", "counter", "Events dropped because their symbol's hold queue was full during a back-fill.")
            .Sample("engine_feed_hold_overflow_total", overflow);

        Array.Clear(_sum);
        long latencySum = 0;
        foreach (var c in connections)
        {
            c.Counters.ReceiveToRing.CopyTo(_buckets);
            for (var i = 0; i < _sum.Length; i++)
            {
                _sum[i] += _buckets[i];
            }

            latencySum += c.Counters.ReceiveToRingSumNanoseconds;
        }

        writer.Family("engine_feed_receive_to_ring_seconds", "histogram", "WebSocket message complete → its event published into the ring (held events include the hold).")
            .LatencyHistogram("engine_feed_receive_to_ring_seconds", _sum, latencySum / 1e9);

        var candles = feed.Candles.Snapshot(feed.VenueNowMs);
        writer.Family("engine_feed_missing_candles", "gauge", "Closed 1-minute candles missing in the health window (the operators' check: 0).");
        foreach (var s in candles)
        {
            writer.Sample("engine_feed_missing_candles", s.MissingInWindow, ("symbol", s.Name));
        }

        writer.Family("engine_feed_last_candle_age_seconds", "gauge", "Venue time since the symbol's last closed 1-minute candle closed.");
        foreach (var s in candles)
        {
            if (s.LastCandleAge is { } age)
            {
                writer.Sample("engine_feed_last_candle_age_seconds", age.TotalSeconds, ("symbol", s.Name));
            }
        }

        writer.Family("engine_feed_gaps_backfilled_total", "counter", "Candle gaps back-filled from REST.");
        foreach (var s in candles)
        {
            writer.Sample("engine_feed_gaps_backfilled_total", s.GapsBackfilled, ("symbol", s.Name));
        }

        writer.Family("engine_feed_candles_backfilled_total", "counter", "Closed 1-minute candles published from REST to fill gaps.");
        foreach (var s in candles)
        {
            writer.Sample("engine_feed_candles_backfilled_total", s.CandlesBackfilled, ("symbol", s.Name));
        }

        writer.Family("engine_feed_candles_given_up_total", "counter", "Missing minutes that could not be back-filled.");
        foreach (var s in candles)
        {
            writer.Sample("engine_feed_candles_given_up_total", s.MinutesGivenUp, ("symbol", s.Name));
        }
    }
}
