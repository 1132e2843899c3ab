using System.Diagnostics;
using System.Globalization;
using Engine.Control.V1;
using Engine.Model;
using Engine.State.Journal;
using Grpc.Net.Client;
using Simulator;
using Tests.Control;
using Tests.Hosting;
using Tests.Simulator;
using Xunit.Abstractions;

namespace Tests.EndToEnd;

/// <summary>
/// The soak: the engine process in live mode against a standalone simulator on 127.0.0.1 (simulated time ×20) while the
/// simulator drops sockets, answers 429, -1021 and 5xx, stalls the market streams, expires the listenKey, rejects
/// orders, poisons market frames with impossible values (zero prices and quantities, absurd ids) and starves a symbol
/// of every event for two market minutes, and the process is killed (SIGKILL) and restarted twice on the same journal. At the end the journal, the
/// engine's positions and the simulator's account agree exactly, every order at the venue was sent once and is in the
/// journal, every journaled order the venue never saw ended rejected, and every candle is accounted for.
/// 60 seconds of faults by default; <c>ENGINE_SOAK_MINUTES=N</c> runs N minutes (docs/OPERATIONS.md).
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    private const string MinutesVariable = "ENGINE_SOAK_MINUTES";
    private const double Speed = 20;
    private const int Symbols = 5;
    private const int WarmupMinutes = 60;

    private static readonly string[] s_faults =
        ["drop-websockets", "fail-429", "fail-1021", "fail-5xx", "stall", "expire-listen-key", "reject-orders", "poison", "starve"];

    // Impossible values a hostile venue might send, one per injection in turn: each must be refused at the parser.
    private static readonly string[] s_poisons =
    [
        "stream=btcusdt@aggTrade&field=p&value=0",
        "stream=ethusdt@aggTrade&field=a&value=9000000000000000000",
        "stream=bnbusdt@bookTicker&field=b&value=-0",
        "stream=btcusdt@kline_1m&field=c&value=0",
        "stream=ethusdt@aggTrade&field=q&value=0",
        "stream=bnbusdt@bookTicker&field=u&value=9000000000000000000",
    ];

    [Fact]
    public async Task Under_faults_and_two_kills_nothing_is_lost_or_sent_twice_and_journal_engine_and_venue_agree()
    {
        var minutes = double.TryParse(Environment.GetEnvironmentVariable(MinutesVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && m > 0 ? m : 1;
        var faultTime = TimeSpan.FromMinutes(minutes);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var options = SimClient.Options(symbols: Symbols, speed: Speed);
        options.BackfillMinutes = 120;
        options.StartTimeMs = now - (now % 60_000);
        // Only the injected expiries: a key living an hour of simulated time would also lapse by itself at ×20.
        options.ListenKeyLifetime = TimeSpan.FromDays(30);
        await using var sim = await SimulatorHost.StartAsync(options);
        using var venue = new SimClient(sim);
        using var admin = new HttpClient { BaseAddress = sim.RestBaseUri, Timeout = TimeSpan.FromSeconds(20) };
        Assert.Equal("127.0.0.1", sim.RestBaseUri.Host);
        var journal = EndToEnd.TempDirectory("engine-soak");
        var injected = s_faults.ToDictionary(f => f, _ => 0);
        var seen = new Dictionary<string, double>();

        // A restart compacts the journal (a snapshot of what is open, older segments deleted): the intents of every run
        // are collected from the journal after each kill, before the next start.
        var journaled = new Dictionary<long, JournalOrder>();
        try
        {
            // Three runs, a third of the fault time each; the first two end with kill -9.
            for (var run = 1; run <= 3; run++)
            {
                using var engine = Start(sim, journal);
                var (control, http, channel) = await ConnectAsync(engine);
                using (channel)
                using (http)
                {
                    await InjectFaultsAsync(admin, injected, faultTime / 3);

                    // Let the last fault play out (a stall, a rate-limit pause) before counting and before the kill.
                    await Task.Delay(TimeSpan.FromSeconds(3));
                    var scrape = await EndToEnd.ScrapeAsync(http);
                    Count(seen, scrape);
                    seen["429_logged"] = seen.GetValueOrDefault("429_logged") + engine.Output.Split("HTTP 429 on ").Length - 1;
                    if (run < 3)
                    {
                        engine.Kill(); // SIGKILL: no drain, no journal flush beyond what the OS already has
                        EndToEnd.JournalIntents(journal, journaled);
                        output.WriteLine($"run {run}: killed");
                        continue;
                    }

                    await SettleAndCompareAsync(venue, admin, engine, control, http, journal, journaled, run, seen, injected);
                }
            }
        }
        finally
        {
            if (Directory.Exists(journal))
            {
                Directory.Delete(journal, recursive: true);
            }
        }
    }

    private async Task SettleAndCompareAsync(
        SimClient venue, HttpClient admin, EngineProcess engine, EngineControl.EngineControlClient control, HttpClient http,
        string journal, Dictionary<long, JournalOrder> journaled, int run, Dictionary<string, double> seen, Dictionary<string, int> injected)
    {
        Assert.True((await admin.PostAsync(new Uri("_sim/reset", UriKind.Relative), null)).IsSuccessStatusCode);
        await control.PauseAsync(new PauseRequest { Reason = "soak: compare with the venue" }, deadline: ControlClient.Deadline);
        Assert.True(
            await EndToEnd.EventuallyAsync(async () => (await control.ListOrdersAsync(new ListOrdersRequest(), deadline: ControlClient.Deadline)).Orders.Count == 0, TimeSpan.FromSeconds(90)),
            "orders still open:\n" + engine.Output[^Math.Min(engine.Output.Length, 4000)..]);

        // Every candle accounted for: nothing missing in the health window once the stalls stopped and back-fill ran.
        Assert.True(
            await EndToEnd.EventuallyAsync(async () => EndToEnd.ByLabel(await EndToEnd.ScrapeAsync(http), "engine_feed_missing_candles", "symbol") is { Count: Symbols } missing && missing.Values.All(v => v == 0), TimeSpan.FromSeconds(90)),
            "candles still missing: " + string.Join(", ", EndToEnd.ByLabel(await EndToEnd.ScrapeAsync(http), "engine_feed_missing_candles", "symbol")));
        Assert.True(
            await EndToEnd.EventuallyAsync(async () => (await control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline)).Overall == HealthState.Serving, TimeSpan.FromSeconds(90)),
            "health not SERVING at the end: " + string.Join("; ", (await control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline)).Components.Where(c => c.State != HealthState.Serving).Select(c => $"{c.Name}: {c.Detail}")));

        // Engine positions = venue positions (the user stream may trail the last fill by a moment).
        Dictionary<string, decimal> venuePositions = [];
        Dictionary<string, decimal> enginePositions = [];
        var agree = await EndToEnd.EventuallyAsync(
            async () =>
            {
                venuePositions = await venue.OpenPositionsAsync();
                enginePositions = EnginePositions(await control.ListPositionsAsync(new ListPositionsRequest(), deadline: ControlClient.Deadline));
                return Same(venuePositions, enginePositions);
            },
            TimeSpan.FromSeconds(30));
        Assert.True(agree, $"engine {Show(enginePositions)} venue {Show(venuePositions)}");
        var reconcile = await control.ReconcileAsync(new ReconcileRequest { DryRun = true }, deadline: ControlClient.Deadline);
        Assert.Empty(reconcile.Mismatches);

        // Candles of this run: the warm-up back-fill plus one per simulated minute since it started, per symbol, each once.
        var last = await EndToEnd.ScrapeAsync(http);
        var closed = EndToEnd.Sum(last, "engine_brain_events_total", ("event", "minutes_closed"));
        var startedAt = (long)EndToEnd.Sum(last, "engine_start_time_seconds") * 1000;
        var marketNow = (await venue.GetAsync("fapi/v1/time")).Json.GetProperty("serverTime").GetInt64();
        var simulatedMinutes = (marketNow - SimulatedStart(venue.Host, startedAt)) / 60_000.0;
        var expected = Symbols * (WarmupMinutes + simulatedMinutes);
        output.WriteLine($"candles closed in run {run}: {closed} over {Symbols} symbols; expected about {expected:0} ({WarmupMinutes} warm-up + {simulatedMinutes:0.0} simulated minutes each)");
        Assert.InRange(closed, expected - (Symbols * 3), expected + (Symbols * 3));

        await control.ShutdownAsync(new ShutdownRequest { Reason = "soak done" }, deadline: ControlClient.Deadline);
        Assert.Equal(0, engine.WaitForExit(TimeSpan.FromSeconds(60)));

        // The journal: no open order, the venue's positions, every venue order in it once, every other one rejected.
        var state = JournalReader.Replay(journal);
        Assert.Empty(state.OpenOrders);
        var journalPositions = state.Positions.All().Where(p => !p.Amount.IsZero).ToDictionary(p => p.Symbol, p => p.Amount.Mantissa / 100_000_000m);
        Assert.True(Same(venuePositions, journalPositions), $"journal {Show(journalPositions)} venue {Show(venuePositions)}; reconciliation corrections {seen.GetValueOrDefault("corrections")}");

        EndToEnd.JournalIntents(journal, journaled);
        var intents = journaled.Values.Where(o => !o.Paper).ToList();
        Assert.Equal(intents.Count, intents.Select(o => o.ClientOrderId).Distinct().Count());
        var atVenue = await VenueOrders(venue);
        Assert.All(atVenue, o => Assert.True(o.Value.Count == 1, $"{o.Key} is at the venue {o.Value.Count} times"));
        var byWire = intents.ToDictionary(o => "e" + o.ClientOrderId.ToString(CultureInfo.InvariantCulture));
        Assert.All(atVenue.Keys, id => Assert.True(byWire.ContainsKey(id), $"{id} is at the venue but not in the journal"));
        foreach (var (id, intent) in byWire)
        {
            if (atVenue.TryGetValue(id, out var statuses))
            {
                Assert.True(string.Equals(statuses[0].Replace("_", "", StringComparison.Ordinal), intent.Status.ToString(), StringComparison.OrdinalIgnoreCase),
                    $"{id}: venue {statuses[0]}, journal {intent.Status}");
            }
            else
            {
                Assert.True(intent.Status == OrderStatus.Rejected, $"{id} was journaled, never reached the venue, and the journal says {intent.Status}");
            }
        }

        Assert.NotEmpty(atVenue);
        output.WriteLine($"orders: {intents.Count} journaled, {atVenue.Count} at the venue (each once), {intents.Count - atVenue.Count} rejected before reaching it; " +
            $"positions {Show(venuePositions)} (venue = engine = journal)");
        output.WriteLine("fault               injected  engine saw");
        foreach (var fault in s_faults)
        {
            output.WriteLine($"{fault,-19} {injected[fault],8}  {Evidence(fault, seen)}");
        }

        output.WriteLine($"kills (SIGKILL) and restarts: 2; engine output of the last run: {engine.Output.Split('\n').Length} lines");
        Assert.All(s_faults, f => Assert.True(injected[f] > 0, $"{f} was never injected"));
        Assert.True(seen.GetValueOrDefault("gaps_backfilled") > 0, "no candle gap was back-filled");
        Assert.True(seen.GetValueOrDefault("frames_refused") > 0, "no poisoned frame was refused at the parser");
        Assert.True(seen.GetValueOrDefault("listen_key_expired") + seen.GetValueOrDefault("user_stream_connects") > 3, "the user stream never reconnected");
    }

    private static EngineProcess Start(SimulatorHost sim, string journal) => EngineProcess.LiveAgainst(
        sim,
        journal,
        ("Engine__Feed__MaxSymbols", Symbols.ToString(CultureInfo.InvariantCulture)),
        ("RECONCILIATION_INTERVAL", "10"),

        // At ×20 the venue's clock gains 20 ms per ms: the widest recvWindow (60 simulated seconds = 3 real ones) and
        // a resync every second keep signed requests valid, as docs/SIMULATOR.md advises. The injected -1021s remain.
        ("Engine__Rest__RecvWindowMs", "60000"),
        ("Engine__Rest__ClockSyncInterval", "00:00:01"));

    private static async Task<(EngineControl.EngineControlClient, HttpClient, GrpcChannel)> ConnectAsync(EngineProcess engine)
    {
        var controlPort = engine.WaitForPort("Control plane", TimeSpan.FromSeconds(90));
        var metricsPort = engine.WaitForPort("Metrics", TimeSpan.FromSeconds(30));
        Assert.True(engine.WaitForOutput("All stages running", TimeSpan.FromSeconds(30)), engine.Output);
        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{controlPort}");
        var control = new EngineControl.EngineControlClient(channel);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}"), Timeout = TimeSpan.FromSeconds(20) };
        Assert.True(
            await EndToEnd.EventuallyAsync(async () => (await control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline)).Overall == HealthState.Serving, TimeSpan.FromSeconds(90)),
            "health never SERVING after start:\n" + engine.Output);
        return (control, http, channel);
    }

    /// <summary>One fault every 1.5 s, in turn, for <paramref name="duration"/>; counts what was injected.</summary>
    private static async Task InjectFaultsAsync(HttpClient admin, Dictionary<string, int> injected, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var i = injected.Values.Sum();
        while (clock.Elapsed < duration)
        {
            var fault = s_faults[i++ % s_faults.Length];
            var poison = s_poisons[injected["poison"] % s_poisons.Length];
            var request = fault switch
            {
                "drop-websockets" => "_sim/drop-websockets",
                "fail-429" => "_sim/fail?count=2&status=429",
                "fail-1021" => "_sim/fail?count=2&status=400&code=-1021",
                "fail-5xx" => "_sim/fail?count=2&status=503",
                "stall" => "_sim/stall?seconds=4", // ≥ one minute boundary at ×20 (a minute is 3 s): a candle gap
                "expire-listen-key" => "_sim/expire-listen-key",
                "poison" => $"_sim/poison?{poison}&count=2",
                // A quiet symbol: no event at all for two market minutes (6 s at ×20), then a trade before any kline.
                "starve" => "_sim/starve?symbol=BNBUSDT&minutes=2&events=all",
                _ => "_sim/reject-orders?count=2",
            };
            using var answer = await admin.PostAsync(new Uri(request, UriKind.Relative), null);
            Assert.True(answer.IsSuccessStatusCode, $"{request}: {(int)answer.StatusCode}");
            injected[fault]++;
            await Task.Delay(1500);
        }
    }

    /// <summary>Adds the counters of one run (each process starts from zero) to <paramref name="seen"/>.</summary>
    private static void Count(Dictionary<string, double> seen, Dictionary<string, PrometheusText.Family> scrape)
    {
        void Add(string key, double value) => seen[key] = seen.GetValueOrDefault(key) + value;
        Add("feed_reconnects", EndToEnd.Sum(scrape, "engine_feed_reconnects_total"));
        Add("rate_limited", EndToEnd.Sum(scrape, "engine_rate_limit_responses_total", ("status", "rate_limited")));
        Add("retries", EndToEnd.Sum(scrape, "engine_execution_events_total", ("event", "retries")));
        Add("queries", EndToEnd.Sum(scrape, "engine_execution_events_total", ("event", "queries")));
        Add("resends", EndToEnd.Sum(scrape, "engine_execution_events_total", ("event", "resends")));
        Add("gaps_backfilled", EndToEnd.Sum(scrape, "engine_feed_gaps_backfilled_total"));
        Add("listen_key_expired", EndToEnd.Sum(scrape, "engine_user_stream_listen_key_total", ("outcome", "expired")));
        Add("user_stream_connects", EndToEnd.Sum(scrape, "engine_user_stream_connects_total"));
        Add("orders_rejected", EndToEnd.Sum(scrape, "engine_orders_total", ("outcome", "rejected")));
        Add("orders_error", EndToEnd.Sum(scrape, "engine_orders_total", ("outcome", "error")));
        Add("orders_accepted", EndToEnd.Sum(scrape, "engine_orders_total", ("outcome", "accepted")));
        Add("corrections", EndToEnd.Sum(scrape, "engine_reconciliation_corrections_total"));
        Add("reconciliations", EndToEnd.Sum(scrape, "engine_reconciliation_runs_total", ("outcome", "completed")));
        Add("frames_refused", EndToEnd.Sum(scrape, "engine_feed_frames_refused_total"));
    }

    private static string Evidence(string fault, Dictionary<string, double> seen) => fault switch
    {
        "drop-websockets" => $"feed reconnects {seen.GetValueOrDefault("feed_reconnects")}, user-stream connections {seen.GetValueOrDefault("user_stream_connects")}",
        "fail-429" => $"429 answers logged {seen.GetValueOrDefault("429_logged")} (metric {seen.GetValueOrDefault("rate_limited")})",
        "fail-1021" or "fail-5xx" => $"order retries {seen.GetValueOrDefault("retries")}, queries {seen.GetValueOrDefault("queries")}, resends {seen.GetValueOrDefault("resends")}, answers lost {seen.GetValueOrDefault("orders_error")}",
        "stall" => $"candle gaps back-filled {seen.GetValueOrDefault("gaps_backfilled")}",
        "expire-listen-key" => $"listenKey expiries {seen.GetValueOrDefault("listen_key_expired")}",
        "poison" => $"impossible values refused at the parser {seen.GetValueOrDefault("frames_refused")}",
        "starve" => $"candle gaps back-filled {seen.GetValueOrDefault("gaps_backfilled")} (the brain stage still serving at the end)",
        _ => $"orders rejected {seen.GetValueOrDefault("orders_rejected")} (accepted {seen.GetValueOrDefault("orders_accepted")}; reconciliations {seen.GetValueOrDefault("reconciliations")})",
    };

    /// <summary>The simulated time at local Unix time <paramref name="localMs"/> (the venue's clock runs ×Speed from its start).</summary>
    private static long SimulatedStart(SimulatorHost sim, long localMs)
    {
        var serverNow = sim.ServerTimeMs;
        var localNow = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return serverNow - (long)((localNow - localMs) * Speed);
    }

    private static bool Same(Dictionary<string, decimal> a, Dictionary<string, decimal> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);

    private static string Show(Dictionary<string, decimal> positions) =>
        positions.Count == 0 ? "(none)" : string.Join(", ", positions.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"));

    private static Dictionary<string, decimal> EnginePositions(ListPositionsResponse response) => response.Positions
        .Select(p => (p.Symbol, Amount: decimal.Parse(p.Quantity, CultureInfo.InvariantCulture) * (p.Side == "SHORT" ? -1 : 1)))
        .Where(p => p.Amount != 0)
        .ToDictionary(p => p.Symbol, p => p.Amount);

    /// <summary>Every order at the venue placed with an engine client id: the statuses of each (one per time it was placed).</summary>
    private static async Task<Dictionary<string, List<string>>> VenueOrders(SimClient venue)
    {
        var orders = new Dictionary<string, List<string>>();
        var info = await venue.GetAsync("fapi/v1/exchangeInfo");
        foreach (var symbol in info.Json.GetProperty("symbols").EnumerateArray())
        {
            var all = await venue.SignedAsync(HttpMethod.Get, "fapi/v1/allOrders", "symbol=" + symbol.GetProperty("symbol").GetString() + "&limit=1000");
            foreach (var order in all.Json.EnumerateArray())
            {
                var id = order.GetProperty("clientOrderId").GetString()!;
                if (id.StartsWith('e'))
                {
                    (orders.TryGetValue(id, out var list) ? list : orders[id] = []).Add(order.GetProperty("status").GetString()!);
                }
            }
        }

        return orders;
    }
}

