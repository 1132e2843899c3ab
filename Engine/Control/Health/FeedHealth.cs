using System.Diagnostics;
using System.Globalization;
using System.Text;
using Engine.Feed;

namespace Engine.Control.Health;

/// <summary>
/// The WebSocket market feed ("feed"): serving while it runs and every connection is subscribed. A connection that is
/// down (reconnecting with back-off) makes it not serving, with the connection and how long it has been quiet named.
/// Symbols whose ids are being re-synced (ids refused as far from the last, a new range not yet confirmed) and
/// symbols with impossible values refused in the last minute are named in the detail; they do not make the feed
/// not serving, as every other symbol still is.
/// </summary>
public sealed class FeedHealth(FeedService feed) : IHealthComponent
{
    private static readonly TimeSpan s_recent = TimeSpan.FromMinutes(1);

    public string Name => "feed";

    public ComponentCheck Check()
    {
        if (!feed.IsRunning)
        {
            return ComponentCheck.Down("not running");
        }

        var connections = feed.Connections;
        var down = connections.Where(c => !c.Connected).ToList();
        long published = 0;
        long reconnects = 0;
        foreach (var c in connections)
        {
            published += c.Counters.Published;
            for (var r = 0; r < Feed.WebSocket.FeedCounters.ReasonCount; r++)
            {
                reconnects += c.Counters.Reconnects((Feed.WebSocket.ReconnectReason)r);
            }
        }

        if (down.Count > 0)
        {
            var names = string.Join(", ", down.Select(c => c.SinceLastMessage is { } quiet
                ? string.Create(CultureInfo.InvariantCulture, $"{c.Name} (quiet {quiet.TotalSeconds:0.#} s)")
                : c.Name));
            return ComponentCheck.Down($"{down.Count} of {connections.Count} connections down, reconnecting: {names}");
        }

        return ComponentCheck.Up(string.Create(CultureInfo.InvariantCulture,
            $"{connections.Count} connections up, {connections.Sum(c => c.Symbols)} symbol routes, {published} events published, {reconnects} reconnects{Refusals()}"));
    }

    private string Refusals()
    {
        var refusals = feed.Refusals;
        if (refusals.Total == 0 && refusals.Resyncs == 0)
        {
            return "";
        }

        var now = Stopwatch.GetTimestamp();
        var resyncing = new List<string>();
        var refused = new List<string>();
        foreach (var symbol in feed.Plan.SelectMany(p => p.Symbols).Distinct())
        {
            var name = feed.SymbolName(symbol);
            if (refusals.IsResyncing(symbol))
            {
                resyncing.Add(name);
            }

            var (reason, at) = refusals.LastOf(symbol);
            if (at != 0 && Stopwatch.GetElapsedTime(at, now) < s_recent)
            {
                refused.Add(string.Create(CultureInfo.InvariantCulture, $"{name} ({refusals.Of(symbol)}, last {Label(reason)})"));
            }
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"; {refusals.Total} impossible values refused, {refusals.Resyncs} id re-syncs");
        if (resyncing.Count > 0)
        {
            text.Append("; re-syncing ids: ").AppendJoin(", ", resyncing);
        }

        if (refused.Count > 0)
        {
            text.Append("; refusing in the last minute: ").AppendJoin(", ", refused.Take(5));
            if (refused.Count > 5)
            {
                text.Append(CultureInfo.InvariantCulture, $" and {refused.Count - 5} more");
            }
        }

        return text.ToString();
    }

    /// <summary>The metric label of a refusal reason (<c>engine_feed_frames_refused_total{reason}</c>).</summary>
    public static string Label(Feed.Parsing.FrameRefusal reason) => reason switch
    {
        Feed.Parsing.FrameRefusal.Price => "price",
        Feed.Parsing.FrameRefusal.Quantity => "quantity",
        Feed.Parsing.FrameRefusal.KlineRange => "kline_range",
        Feed.Parsing.FrameRefusal.EventTime => "event_time",
        Feed.Parsing.FrameRefusal.Id => "id",
        _ => "none",
    };
}

/// <summary>
/// The operators' candle check ("missing_candles"): serving while no traded symbol misses a closed 1-minute candle in
/// the health window (<see cref="FeedOptions.HealthWindow"/>, 5 minutes by default). Minutes being back-filled count
/// as missing until they are published.
/// </summary>
public sealed class MissingCandlesHealth(FeedService feed) : IHealthComponent
{
    public string Name => "missing_candles";

    public ComponentCheck Check()
    {
        if (!feed.IsRunning)
        {
            return ComponentCheck.Down("feed not running");
        }

        var snapshot = feed.Candles.Snapshot(feed.VenueNowMs);
        var missing = snapshot.Where(s => s.MissingInWindow > 0).OrderByDescending(s => s.MissingInWindow).ToList();
        var window = feed.Candles.Window;
        if (missing.Count == 0)
        {
            var oldest = snapshot.Count == 0 ? TimeSpan.Zero : snapshot.Max(s => s.LastCandleAge ?? TimeSpan.Zero);
            return ComponentCheck.Up(string.Create(CultureInfo.InvariantCulture,
                $"0 missing in the last {window.TotalMinutes:0.#} min over {snapshot.Count} symbols; oldest last candle {oldest.TotalSeconds:0} s"));
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{missing.Sum(s => s.MissingInWindow)} candles missing in the last {window.TotalMinutes:0.#} min: ");
        foreach (var s in missing.Take(5))
        {
            text.Append(CultureInfo.InvariantCulture, $"{s.Name} {s.MissingInWindow}{(s.BackfillInFlight ? " (back-filling)" : "")}, ");
        }

        text.Length -= 2;
        if (missing.Count > 5)
        {
            text.Append(CultureInfo.InvariantCulture, $" and {missing.Count - 5} more symbols");
        }

        return ComponentCheck.Down(text.ToString());
    }
}
