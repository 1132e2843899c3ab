using Engine.Exchange.Rest;
using Engine.Exchange.Rules;
using Engine.Feed.WebSocket;
using Engine.Model;
using Microsoft.Extensions.Logging;

namespace Engine.Feed.Discovery;

/// <summary>The symbols the engine trades, best first, with the venue's rules for each.</summary>
public sealed class DiscoveredSymbols
{
    public DiscoveredSymbols(IReadOnlyList<string> names, IReadOnlyList<SymbolRules?> rules, bool fromFallback, string? failure)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(rules);
        if (names.Count != rules.Count)
        {
            throw new ArgumentException("One rules entry per name.", nameof(rules));
        }

        Names = names;
        Rules = rules;
        FromFallback = fromFallback;
        Failure = failure;
    }

    /// <summary>Symbol names in rank order (highest 24 h quote volume first, or the fallback list's order).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The venue's rules per name (same order); null where exchangeInfo could not be read (fallback without rules).</summary>
    public IReadOnlyList<SymbolRules?> Rules { get; }

    /// <summary>True when discovery failed and the configured fallback list is in use.</summary>
    public bool FromFallback { get; }

    /// <summary>Why discovery (or its ranking) fell back, when it did.</summary>
    public string? Failure { get; }

    /// <summary>
    /// Registers the names in <paramref name="table"/> in rank order and returns the symbols' ids and their rules indexed
    /// by <see cref="SymbolId.Value"/> (index 0 unused; a symbol without rules has the default, all-zero rules, which the
    /// brain treats as "no rules": it refuses entries).
    /// </summary>
    public (IReadOnlyList<SymbolId> Ids, SymbolRules[] RulesById) Register(SymbolTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var ids = new SymbolId[Names.Count];
        for (var i = 0; i < Names.Count; i++)
        {
            ids[i] = table.Add(Names[i]);
        }

        var byId = new SymbolRules[table.Capacity + 1];
        for (var i = 0; i < ids.Length; i++)
        {
            if (Rules[i] is { } r)
            {
                byId[ids[i].Value] = r;
            }
        }

        return (ids, byId);
    }
}

/// <summary>
/// Chooses the traded symbols: exchangeInfo's USDT-margined perpetuals that are TRADING, ranked by 24-hour quote
/// volume (ticker/24hr), at most <see cref="FeedOptions.MaxSymbols"/>. If exchangeInfo cannot be had, the configured
/// fallback list is used and a warning says so; if only the tickers fail, the fallback list's tradable symbols come
/// first (in its order) and the rest follow by name.
/// </summary>
public sealed class SymbolDiscovery(BinanceRestClient rest, FeedOptions options, ILogger<SymbolDiscovery> logger)
{
    /// <summary>Asks the venue; never throws for a venue failure (falls back instead).</summary>
    public async Task<DiscoveredSymbols> DiscoverAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rest);
        var info = await rest.GetExchangeInfoAsync(cancellationToken).ConfigureAwait(false);
        if (!info.IsSuccess)
        {
            return Fallback(info.Error.ToString());
        }

        var tickers = await rest.GetTickers24hAsync(cancellationToken).ConfigureAwait(false);
        if (!tickers.IsSuccess)
        {
            FeedLog.TickersUnavailable(logger, tickers.Error.ToString());
        }

        var ranked = Rank(info.Value!, tickers.IsSuccess ? tickers.Value! : null, options.MaxSymbols, options.EffectiveFallbackSymbols);
        if (ranked.Count == 0)
        {
            return Fallback("exchangeInfo lists no TRADING USDT perpetual");
        }

        var eligible = info.Value!.Symbols.Count(s => s.IsTradingUsdtPerpetual);
        if (logger.IsEnabled(LogLevel.Information))
        {
            var top = string.Join(", ", ranked.Take(5).Select(s => s.Symbol));
            FeedLog.Discovered(logger, eligible, ranked.Count, top);
        }

        return new DiscoveredSymbols(
            [.. ranked.Select(s => s.Symbol)],
            [.. ranked.Select(s => (SymbolRules?)s.Rules)],
            fromFallback: false,
            failure: tickers.IsSuccess ? null : "24 h tickers unavailable: " + tickers.Error);
    }

    /// <summary>
    /// The ranking itself: TRADING USDT-margined perpetuals, highest quote volume first (a volume too large for the
    /// fixed-point range ranks first; no ticker ranks last), ties by name; at most <paramref name="max"/>. Without
    /// tickers, the <paramref name="preferred"/> symbols come first in their order, then the rest by name.
    /// </summary>
    public static IReadOnlyList<SymbolInfo> Rank(ExchangeInfo info, IReadOnlyList<Ticker24h>? tickers, int max, IReadOnlyList<string> preferred)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(preferred);
        var eligible = info.Symbols.Where(s => s.IsTradingUsdtPerpetual).ToList();
        if (tickers is not null)
        {
            var volume = new Dictionary<string, long>(tickers.Count, StringComparer.Ordinal);
            foreach (var t in tickers)
            {
                volume[t.Symbol] = t.QuoteVolume is { } q ? q.Mantissa : long.MaxValue;
            }

            return [.. eligible
                .OrderByDescending(s => volume.TryGetValue(s.Symbol, out var v) ? v : long.MinValue)
                .ThenBy(s => s.Symbol, StringComparer.Ordinal)
                .Take(max)];
        }

        var order = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < preferred.Count; i++)
        {
            order.TryAdd(preferred[i], i);
        }

        return [.. eligible
            .OrderBy(s => order.TryGetValue(s.Symbol, out var i) ? i : int.MaxValue)
            .ThenBy(s => s.Symbol, StringComparer.Ordinal)
            .Take(max)];
    }

    private DiscoveredSymbols Fallback(string error)
    {
        var names = options.EffectiveFallbackSymbols.Distinct(StringComparer.Ordinal).Take(options.MaxSymbols).ToArray();
        if (logger.IsEnabled(LogLevel.Warning))
        {
            FeedLog.DiscoveryFallback(logger, error, names.Length, string.Join(", ", names));
        }

        return new DiscoveredSymbols(names, new SymbolRules?[names.Length], fromFallback: true, failure: error);
    }
}
