using Engine.Exchange.Rest;
using Engine.Exchange.Rules;
using Engine.Feed;
using Engine.Feed.Discovery;
using Engine.Feed.WebSocket;
using Engine.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Simulator;
using Tests.Exchange;
using Tests.Exchange.Rest;
using Tests.Feed.WebSocket;

namespace Tests.Feed.Discovery;

/// <summary>Symbol discovery against the simulator and the real 2021 exchangeInfo, the fallback, and 300+ symbols end to end through the planner.</summary>
public sealed class SymbolDiscoveryTests
{
    // A clock that barely moves: the 24 h volumes stay put between discovery and the check.
    private static SimulatorOptions Sim() => new() { Symbols = 20, Seed = 5, Speed = 0.001, BackfillMinutes = 30, MinimumLogLevel = LogLevel.Warning };

    [Fact]
    public async Task Discovery_takes_the_top_symbols_by_quote_volume_with_their_rules()
    {
        await using var sim = await SimulatorHost.StartAsync(Sim());
        using var rest = FeedHarness.RestClient(sim);
        var options = new FeedOptions { MaxSymbols = 5 };
        var discovered = await new SymbolDiscovery(rest, options, Microsoft.Extensions.Logging.Abstractions.NullLogger<SymbolDiscovery>.Instance)
            .DiscoverAsync(CancellationToken.None);

        Assert.False(discovered.FromFallback);
        Assert.Null(discovered.Failure);
        var tickers = (await rest.GetTickers24hAsync()).GetValueOrThrow();
        var expected = tickers.OrderByDescending(t => t.QuoteVolume!.Value.Mantissa).ThenBy(t => t.Symbol, StringComparer.Ordinal).Take(5).Select(t => t.Symbol);
        Assert.Equal(expected, discovered.Names);

        var info = (await rest.GetExchangeInfoAsync()).GetValueOrThrow();
        var table = new SymbolTable(64);
        var (ids, rulesById) = discovered.Register(table);
        for (var i = 0; i < ids.Count; i++)
        {
            Assert.Equal(i + 1, ids[i].Value); // registered in rank order
            Assert.Equal(discovered.Names[i], table.NameOf(ids[i]));
            Assert.True(info.TryGetSymbol(discovered.Names[i], out var symbol));
            Assert.Equal(symbol.Rules.TickSize, rulesById[ids[i].Value].TickSize);
            Assert.Equal(symbol.Rules.StepSize, rulesById[ids[i].Value].StepSize);
            Assert.False(rulesById[ids[i].Value].TickSize.IsZero);
        }
    }

    [Fact]
    public async Task A_failing_venue_gives_the_fallback_list_with_a_warning()
    {
        await using var sim = await SimulatorHost.StartAsync(Sim());
        using var logs = new CollectingLoggerProvider();
        using var rest = FeedHarness.RestClient(sim);
        using (var admin = new HttpClient { BaseAddress = sim.RestBaseUri })
        {
            using var r = await admin.PostAsync("_sim/fail?count=3&status=503", null);
            Assert.True(r.IsSuccessStatusCode);
        }

        var options = new FeedOptions { MaxSymbols = 50 };
        var discovered = await new SymbolDiscovery(rest, options, logs.CreateFactory().CreateLogger<SymbolDiscovery>()).DiscoverAsync(CancellationToken.None);

        Assert.True(discovered.FromFallback);
        Assert.Equal(FeedOptions.DefaultFallbackSymbols, discovered.Names);
        Assert.Equal(20, discovered.Names.Count);
        Assert.All(discovered.Rules, r => Assert.Null(r));
        Assert.Contains("503", discovered.Failure, StringComparison.Ordinal);
        var warning = Assert.Single(logs.Lines, l => l.Level == LogLevel.Warning && l.Text.Contains("fallback", StringComparison.Ordinal));
        Assert.Contains("BTCUSDT", warning.Text, StringComparison.Ordinal);

        var table = new SymbolTable(64);
        var (ids, rulesById) = discovered.Register(table);
        Assert.Equal(20, ids.Count);
        Assert.All(ids, id => Assert.True(rulesById[id.Value].TickSize.IsZero)); // no rules: the brain refuses entries
    }

    [Fact]
    public void Real_exchange_info_ranks_only_trading_usdt_perpetuals()
    {
        var info = ExchangeInfoParser.Parse(TestData.Read(TestData.ExchangeInfo2021));
        var eligible = info.Symbols.Where(s => s.Status == SymbolStatus.Trading && s.ContractType == ContractType.Perpetual
            && s.QuoteAsset == "USDT" && s.MarginAsset == "USDT").Select(s => s.Symbol).ToHashSet();
        Assert.True(eligible.Count > 100);
        Assert.True(info.Symbols.Count > eligible.Count, "the file has symbols that must be left out");

        // Volumes: a deterministic function of the name, so the expected order is known.
        var tickers = info.Symbols.Select(s => new Ticker24h { Symbol = s.Symbol, QuoteVolume = Notional.FromMantissa(Volume(s.Symbol)) }).ToList();
        var ranked = SymbolDiscovery.Rank(info, tickers, 1000, FeedOptions.DefaultFallbackSymbols);
        Assert.Equal(eligible.Count, ranked.Count);
        Assert.All(ranked, s => Assert.Contains(s.Symbol, eligible));
        Assert.Equal(eligible.OrderByDescending(Volume).ThenBy(s => s, StringComparer.Ordinal), ranked.Select(s => s.Symbol));
        Assert.Equal(10, SymbolDiscovery.Rank(info, tickers, 10, []).Count);

        // Without tickers the preferred list comes first, in its order, then the rest by name.
        var unranked = SymbolDiscovery.Rank(info, null, 1000, ["ETHUSDT", "BTCUSDT", "NOSUCHUSDT"]);
        Assert.Equal(["ETHUSDT", "BTCUSDT"], unranked.Take(2).Select(s => s.Symbol));
        Assert.Equal(unranked.Skip(2).Select(s => s.Symbol).Order(StringComparer.Ordinal), unranked.Skip(2).Select(s => s.Symbol));
    }

    [Fact]
    public void More_than_three_hundred_fifty_symbols_rank_register_and_split_across_connections()
    {
        var template = ExchangeInfoParser.Parse(TestData.Read(TestData.ExchangeInfo2021)).Symbols.First(s => s.Symbol == "BTCUSDT");
        var symbols = new List<SymbolInfo>();
        for (var i = 0; i < 380; i++)
        {
            var name = "S" + i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture) + "USDT";
            symbols.Add(new SymbolInfo
            {
                Symbol = name,
                Pair = name,
                ContractType = i % 37 == 5 ? ContractType.CurrentQuarter : ContractType.Perpetual,
                Status = i % 41 == 7 ? SymbolStatus.Settling : SymbolStatus.Trading,
                BaseAsset = "S" + i,
                QuoteAsset = i % 53 == 11 ? "BUSD" : "USDT",
                MarginAsset = i % 53 == 11 ? "BUSD" : "USDT",
                Rules = template.Rules,
                OrderTypes = template.OrderTypes,
                TimeInForce = template.TimeInForce,
                IgnoredFilters = [],
            });
        }

        var info = new ExchangeInfo(0, [], symbols);
        var eligible = symbols.Count(s => s.IsTradingUsdtPerpetual);
        Assert.True(eligible >= 350, eligible.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var tickers = symbols.Select((s, i) => new Ticker24h { Symbol = s.Symbol, QuoteVolume = i == 200 ? null : Notional.FromMantissa(Volume(s.Symbol)) }).ToList();
        var ranked = SymbolDiscovery.Rank(info, tickers, 1000, []);
        Assert.Equal(eligible, ranked.Count);
        Assert.Equal("S200USDT", ranked[0].Symbol); // a volume beyond the fixed-point range ranks first

        var discovered = new DiscoveredSymbols([.. ranked.Select(s => s.Symbol)], [.. ranked.Select(s => (SymbolRules?)s.Rules)], false, null);
        var table = new SymbolTable(1024);
        var (ids, rulesById) = discovered.Register(table);
        Assert.Equal(eligible, table.Count);
        Assert.All(ids, id => Assert.Equal(template.Rules.TickSize, rulesById[id.Value].TickSize));

        var plan = StreamPlanner.Plan(table, ids, FeedStreams.All, 200);
        var market = plan.Where(p => p.Route == StreamRoute.Market).ToList();
        Assert.Equal((eligible + 65) / 66, market.Count); // 3 market streams per symbol: 66 symbols under 200
        Assert.Equal((eligible + 199) / 200, plan.Count(p => p.Route == StreamRoute.Public));
        Assert.All(plan, p => Assert.InRange(p.Streams.Count, 1, 200));
        var all = plan.SelectMany(p => p.Streams).ToList();
        Assert.Equal(eligible * 4, all.Count);
        Assert.Equal(all.Count, all.Distinct().Count());
        foreach (var id in ids)
        {
            var lower = table.NameOf(id).ToLowerInvariant();
            var home = Assert.Single(market, p => p.Symbols.Contains(id));
            Assert.Contains(lower + "@aggTrade", home.Streams);
            Assert.Contains(lower + "@kline_1m", home.Streams);
            Assert.Contains(lower + "@markPrice@1s", home.Streams);
            Assert.Contains(lower + "@bookTicker", Assert.Single(plan, p => p.Route == StreamRoute.Public && p.Symbols.Contains(id)).Streams);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => StreamPlanner.Plan(table, ids, FeedStreams.All, 2));
    }

    [Fact]
    public void Options_are_validated_naming_each_bad_setting()
    {
        var bad = new FeedOptions
        {
            MaxStreamsPerConnection = 2000,
            MaxConnectionAge = TimeSpan.FromHours(25),
            BackoffMin = TimeSpan.FromSeconds(10),
            BackoffMax = TimeSpan.FromSeconds(1),
            FallbackSymbols = ["btcusdt"],
            WebSocketBaseAddress = "http://example.com/",
            Streams = FeedStreams.None,
        };
        var result = new FeedOptionsValidator().Validate(null, bad);
        Assert.True(result.Failed);
        foreach (var setting in new[] { "MaxStreamsPerConnection", "MaxConnectionAge", "BackoffMin", "FallbackSymbols", "WebSocketBaseAddress", "Streams" })
        {
            Assert.Contains(result.Failures!, f => f.Contains("Engine:Feed:" + setting, StringComparison.Ordinal));
        }

        Assert.True(new FeedOptionsValidator().Validate(null, new FeedOptions()).Succeeded);
    }

    [Fact]
    public void Options_bind_from_configuration_replacing_the_fallback_list()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Feed:Streams"] = "AggTrade, Kline1m",
            ["Engine:Feed:MaxStreamsPerConnection"] = "300",
            ["Engine:Feed:FallbackSymbols:0"] = "BTCUSDT",
            ["Engine:Feed:FallbackSymbols:1"] = "ETHUSDT",
            ["Engine:Feed:MaxConnectionAge"] = "12:00:00",
        }).Build();
        var options = new FeedOptions();
        configuration.GetSection(FeedOptions.Section).Bind(options);
        Assert.Equal(FeedStreams.AggTrade | FeedStreams.Kline1m, options.Streams);
        Assert.Equal(300, options.MaxStreamsPerConnection);
        Assert.Equal(["BTCUSDT", "ETHUSDT"], options.EffectiveFallbackSymbols);
        Assert.Equal(20, new FeedOptions().EffectiveFallbackSymbols.Count);
        Assert.Equal(TimeSpan.FromHours(12), options.MaxConnectionAge);
        Assert.True(new FeedOptionsValidator().Validate(null, options).Succeeded);
    }

    private static long Volume(string symbol)
    {
        var h = 17L;
        foreach (var c in symbol)
        {
            h = ((h * 31) + c) % 1_000_000_007L;
        }

        return h * 1000;
    }
}
