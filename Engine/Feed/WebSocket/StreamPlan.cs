using Engine.Model;

namespace Engine.Feed.WebSocket;

/// <summary>The venue's WebSocket routes: high-frequency book data on /public, everything else public on /market.</summary>
public enum StreamRoute : byte
{
    Market = 0,
    Public = 1,
}

/// <summary>One connection's worth of streams: a route and the symbols whose streams of that route it carries.</summary>
/// <param name="Name">"market-0", "public-1", …: the label in logs and metrics.</param>
/// <param name="Route">Which route the connection uses.</param>
/// <param name="Symbols">The symbols, in rank order; each symbol's streams of this route are all here.</param>
/// <param name="Streams">Stream names (lower-case symbol, e.g. <c>btcusdt@aggTrade</c>), grouped by symbol.</param>
public sealed record ConnectionPlan(string Name, StreamRoute Route, IReadOnlyList<SymbolId> Symbols, IReadOnlyList<string> Streams);

/// <summary>Splits symbols × streams into connections under a per-connection stream limit.</summary>
public static class StreamPlanner
{
    /// <summary>The route a stream kind belongs on (BINANCE_USDM §1: bookTicker is /public, the rest /market).</summary>
    public static StreamRoute RouteOf(FeedStreams stream) => stream == FeedStreams.BookTicker ? StreamRoute.Public : StreamRoute.Market;

    /// <summary>The stream name suffix, e.g. <c>@kline_1m</c>.</summary>
    public static string SuffixOf(FeedStreams stream) => stream switch
    {
        FeedStreams.AggTrade => "@aggTrade",
        FeedStreams.Kline1m => "@kline_1m",
        FeedStreams.BookTicker => "@bookTicker",
        FeedStreams.MarkPrice1s => "@markPrice@1s",
        _ => throw new ArgumentOutOfRangeException(nameof(stream), stream, "one stream kind, not a combination"),
    };

    /// <summary>
    /// Plans the connections: per route, symbols are packed in order, as many per connection as fit whole under
    /// <paramref name="maxStreamsPerConnection"/>. A symbol's streams of one route stay on one connection, so one
    /// thread publishes them in the order the venue sent them.
    /// </summary>
    public static IReadOnlyList<ConnectionPlan> Plan(SymbolTable table, IReadOnlyList<SymbolId> symbols, FeedStreams streams, int maxStreamsPerConnection)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStreamsPerConnection, 1);
        var plans = new List<ConnectionPlan>();
        foreach (var route in (StreamRoute[])[StreamRoute.Market, StreamRoute.Public])
        {
            var kinds = new List<FeedStreams>();
            foreach (var kind in (FeedStreams[])[FeedStreams.AggTrade, FeedStreams.Kline1m, FeedStreams.MarkPrice1s, FeedStreams.BookTicker])
            {
                if ((streams & kind) != 0 && RouteOf(kind) == route)
                {
                    kinds.Add(kind);
                }
            }

            if (kinds.Count == 0 || symbols.Count == 0)
            {
                continue;
            }

            if (kinds.Count > maxStreamsPerConnection)
            {
                throw new ArgumentOutOfRangeException(nameof(maxStreamsPerConnection), maxStreamsPerConnection,
                    $"A symbol needs {kinds.Count} streams on route {route}; the per-connection limit must be at least that.");
            }

            var perConnection = maxStreamsPerConnection / kinds.Count;
            var prefix = route == StreamRoute.Market ? "market-" : "public-";
            for (var start = 0; start < symbols.Count; start += perConnection)
            {
                var count = Math.Min(perConnection, symbols.Count - start);
                var ids = new SymbolId[count];
                var names = new List<string>(count * kinds.Count);
                for (var i = 0; i < count; i++)
                {
                    ids[i] = symbols[start + i];
                    var lower = table.NameOf(ids[i]).ToLowerInvariant();
                    foreach (var kind in kinds)
                    {
                        names.Add(lower + SuffixOf(kind));
                    }
                }

                plans.Add(new ConnectionPlan(prefix + (start / perConnection).ToString(System.Globalization.CultureInfo.InvariantCulture), route, ids, names));
            }
        }

        return plans;
    }
}
