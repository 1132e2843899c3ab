using Engine.Brain;
using Engine.Exchange.Rest;
using Engine.Exchange.UserData;
using Engine.Execution;
using Engine.Feed;
using Engine.Feed.Replay;
using Engine.Model;
using Engine.State;
using Engine.State.Journal;
using Engine.State.Positions;
using Engine.State.Reconciliation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Hosting;

/// <summary>
/// Registers what trades in each mode: the REST client and clock of the venue, the symbol universe, the ring with the
/// brain, execution and the tail's position book, and the market source (feed, replay or synthetic), the user-data
/// stream and the reconciler. Mode decides which exist; nothing is registered that this mode does not run.
/// </summary>
public static class TradingServices
{
    /// <summary>Symbols a run can hold (the SymbolTable's capacity); discovery takes at most Engine:Feed:MaxSymbols of them.</summary>
    public const int SymbolCapacity = 1024;

    /// <summary>Configuration the venue decides (endpoints, the embedded simulator's journal), set before the host binds options.</summary>
    public static Dictionary<string, string?> VenueConfiguration(VenueSession venue, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(venue);
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = new Dictionary<string, string?>();
        if (venue.RestBaseAddress is { } rest)
        {
            settings[BinanceRestOptions.Section + ":BaseAddress"] = rest.GetLeftPart(UriPartial.Authority);
        }

        if (venue.StreamBaseAddress is { } streams)
        {
            settings[FeedOptions.Section + ":WebSocketBaseAddress"] = streams.ToString();
            settings[UserDataStreamOptions.Section + ":WebSocketBaseAddress"] = streams.ToString();
        }

        // The embedded venue's accounts live and die with this process, so its journal must too: a journal from an
        // earlier run would describe orders a fresh simulator never saw. An operator's explicit directory wins.
        if (venue.Mode == EngineMode.Sim && string.IsNullOrWhiteSpace(configuration[JournalOptions.Section + ":Directory"]))
        {
            settings[JournalOptions.Section + ":Directory"] = Path.Combine(Path.GetTempPath(), $"engine-sim-journal-{Environment.ProcessId}-{DateTime.UtcNow:yyyyMMddHHmmss}");
        }

        return settings;
    }

    public static void AddTrading(IServiceCollection services, IConfiguration configuration, LaunchSettings launch, VenueSession venue)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentNullException.ThrowIfNull(venue);
        services.AddSingleton(new SymbolUniverse(new SymbolTable(SymbolCapacity)));
        services.AddSingleton(sp => sp.GetRequiredService<SymbolUniverse>().Table);

        if (launch.Mode == EngineMode.Synthetic)
        {
            // No venue and no orders: the brain reads the invented market without rules and refuses every entry (counted).
            services.AddSingleton(sp => new RingPipeline(
                sp.GetRequiredService<IOptions<EngineOptions>>().Value.Ring,
                new TradingBrain(sp.GetRequiredService<IOptions<EngineOptions>>().Value.Brain, []),
                symbolCapacity: SymbolCapacity, testing: sp.GetRequiredService<IOptions<EngineOptions>>().Value.Testing));
            return;
        }

        services.AddOptions<ExecutionOptions>().Bind(configuration.GetSection(ExecutionOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ExecutionOptions>, ExecutionOptionsValidator>();
        services.AddOptions<JournalOptions>().Bind(configuration.GetSection(JournalOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<JournalOptions>, JournalOptionsValidator>();
        services.AddStateOptions(configuration);
        services.AddSingleton(sp =>
        {
            var feed = configuration.GetSection(FeedOptions.Section).Get<FeedOptions>() ?? new FeedOptions();
            FeedOptionsValidator.ThrowIfInvalid(feed);
            return feed;
        });

        if (venue.RestBaseAddress is not null)
        {
            if (venue.Credentials is { } credentials)
            {
                services.AddSingleton(credentials);
            }

            services.AddBinanceRest(configuration);
        }

        services.AddSingleton(sp => new PositionBook(SymbolCapacity));
        services.AddSingleton<ExecutionHolder>();
        services.AddSingleton(sp =>
        {
            var engine = sp.GetRequiredService<IOptions<EngineOptions>>().Value;
            var universe = sp.GetRequiredService<SymbolUniverse>();
            if (venue.RestBaseAddress is not null && universe.Traded.Count == 0)
            {
                // The brain and execution take the venue's rules at construction: built earlier, they would have none.
                throw new InvalidOperationException("The ring was requested before the symbols were discovered (EngineHostBuilder.PrepareAsync).");
            }

            var holder = sp.GetRequiredService<ExecutionHolder>();
            var client = venue.Credentials is null ? null : sp.GetRequiredService<BinanceRestClient>();
            return new RingPipeline(
                engine.Ring, new TradingBrain(engine.Brain, universe.RulesById), symbolCapacity: SymbolCapacity,
                execution: ring =>
                {
                    holder.Service = new ExecutionService(
                        sp.GetRequiredService<IOptions<ExecutionOptions>>(), sp.GetRequiredService<IOptions<JournalOptions>>(), client, venue.Credentials,
                        universe.Table, universe.RulesById, new RingPublisher(ring), sp.GetRequiredService<ILogger<ExecutionService>>(),
                        launch.RecoverFromVenue);
                    return holder.Service.Gateway;
                },
                positions: sp.GetRequiredService<PositionBook>(), testing: engine.Testing);
        });
        services.AddSingleton(sp =>
        {
            sp.GetRequiredService<RingPipeline>();
            return sp.GetRequiredService<ExecutionHolder>().Service ?? throw new InvalidOperationException("execution was not built with the ring");
        });

        if (launch.Mode == EngineMode.Replay)
        {
            services.AddSingleton(sp =>
            {
                var replay = configuration.GetSection(ReplayOptions.Section).Get<ReplayOptions>() ?? new ReplayOptions();
                if (launch.ReplayFile is not null)
                {
                    replay.Files = [launch.ReplayFile, .. replay.Files.Where(f => f != launch.ReplayFile)];
                }

                return replay;
            });
            services.AddSingleton(sp => new ReplayMarketSource(
                sp.GetRequiredService<RingPipeline>().Ring, sp.GetRequiredService<SymbolTable>(), sp.GetRequiredService<ReplayOptions>(),
                sp.GetRequiredService<ILogger<ReplayMarketSource>>()));
            return;
        }

        // The embedded simulator's clock is the venue's clock itself; at a speed other than 1 the REST-measured offset
        // would drift away from it between syncs, and the feed judges event times and candle ages by it.
        var simulator = venue.Simulator;
        services.AddSingleton(sp => new FeedService(
            sp.GetRequiredService<FeedOptions>(), sp.GetRequiredService<RingPipeline>().Ring, sp.GetRequiredService<SymbolTable>(),
            sp.GetRequiredService<BinanceRestClient>(), sp.GetRequiredService<ILoggerFactory>(),
            simulator is null ? null : () => simulator.ServerTimeMs));

        if (venue.Credentials is not null)
        {
            // Execution's I/O loop is the one funnel for order truth: the stream's events and reconciliation's queries go to it.
            services.AddSingleton<IUserDataSink>(sp => sp.GetRequiredService<ExecutionService>());
            services.AddSingleton<IOpenOrderView>(sp => sp.GetRequiredService<ExecutionService>());
            services.AddSingleton(sp => new UserDataStream(
                sp.GetRequiredService<BinanceRestClient>(), sp.GetRequiredService<SymbolTable>(), sp.GetRequiredService<IUserDataSink>(),
                sp.GetRequiredService<IOptions<UserDataStreamOptions>>(), sp.GetRequiredService<ILogger<UserDataStream>>()));
            services.AddSingleton(sp => new Reconciler(
                sp.GetRequiredService<BinanceRestClient>(), sp.GetRequiredService<SymbolTable>(), sp.GetRequiredService<PositionBook>(),
                sp.GetRequiredService<IOpenOrderView>(), sp.GetRequiredService<IUserDataSink>(), sp.GetRequiredService<RingPipeline>().Ring,
                sp.GetRequiredService<IOptions<ReconciliationOptions>>(), sp.GetRequiredService<ILogger<Reconciler>>()));
        }
    }
}

/// <summary>Execution is built by the ring's factory (it publishes into that ring); this hands it to everything else.</summary>
public sealed class ExecutionHolder
{
    public ExecutionService? Service { get; set; }
}
