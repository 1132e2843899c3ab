using System.Globalization;
using System.Net;
using Engine.Control.V1;
using Engine.State.Journal;
using Grpc.Core;
using Grpc.Reflection.V1Alpha;
using Tests.Control;
using HealthCheckRequest = Grpc.Health.V1.HealthCheckRequest;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Tests.Hosting;

/// <summary>
/// The control plane of a real engine process in the default mode, sim, against its embedded simulator: health
/// flipping when the venue's streams stall or its sockets drop and coming back, auth off loopback, bad requests and
/// venue failures answered with the right status codes, a position closed by Flatten counted as a fill, and the
/// Shutdown RPC exiting 0 with the journal flushed.
/// </summary>
public sealed class SimModeControlTests
{
    private static readonly TimeSpan s_exitTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Health_flips_when_the_venue_stalls_the_market_streams_or_drops_the_sockets_and_comes_back()
    {
        using var client = ControlClient.StartSim(
            null,
            // A stream silent for 2 s is stale; its reconnect then waits 2-4 s, so the feed is visibly down for seconds.
            ("Engine__Feed__StaleTimeout", "00:00:02"),
            ("Engine__Feed__BackoffMin", "00:00:04"),
            ("Engine__Feed__BackoffMax", "00:00:04"),
            ("Engine__UserStream__ReconnectDelay", "00:00:01"),
            ("Engine__UserStream__MaxReconnectDelay", "00:00:02"));
        var venue = client.Venue!;
        await client.Control.PauseAsync(new PauseRequest { Reason = "health test: no orders" }, deadline: ControlClient.Deadline);
        await WaitForOverallAsync(client, HealthState.Serving);

        // 1. The venue's market streams go silent: the stale watchdog drops the connection, the feed and the engine stop serving.
        await venue.FaultAsync("stall?seconds=6");
        var feedDown = await WaitForCheckAsync(client, "feed", ServingStatus.NotServing);
        Assert.Contains("connections down, reconnecting", feedDown, StringComparison.Ordinal);
        Assert.Equal(ServingStatus.NotServing, (await client.Health.CheckAsync(new HealthCheckRequest(), deadline: ControlClient.Deadline)).Status);
        Assert.Equal(ServingStatus.Serving, (await client.Health.CheckAsync(new HealthCheckRequest { Service = "user_stream" }, deadline: ControlClient.Deadline)).Status);
        Assert.Matches(@"Feed connection market-0: \w+ silent for .* reconnecting", client.Engine.Output);

        // The stall ends; the feed reconnects (a candle closed during it is back-filled) and everything serves again.
        await WaitForOverallAsync(client, HealthState.Serving);
        Assert.Equal(ServingStatus.Serving, (await client.Health.CheckAsync(new HealthCheckRequest { Service = "feed" }, deadline: ControlClient.Deadline)).Status);
        var metrics = PrometheusText.Parse(await client.ScrapeAsync());
        Assert.True(PrometheusText.Value(metrics, "engine_feed_reconnects_total", ("stream", "market-0"), ("reason", "stale")) >= 1);

        // 2. Every socket dropped while the venue's REST fails: the user-data stream cannot get a listenKey and stays down.
        await venue.FaultAsync("fail?count=100000&status=500");
        await venue.FaultAsync("drop-websockets");
        var userDown = await WaitForCheckAsync(client, "user_stream", ServingStatus.NotServing);
        Assert.StartsWith("disconnected", userDown, StringComparison.Ordinal);
        Assert.Equal(ServingStatus.NotServing, (await client.Health.CheckAsync(new HealthCheckRequest(), deadline: ControlClient.Deadline)).Status);
        var down = PrometheusText.Parse(await client.ScrapeAsync());
        Assert.Equal(0, PrometheusText.Value(down, "engine_user_stream_connected"));
        Assert.Equal(0, PrometheusText.Value(down, "engine_component_up", ("component", "user_stream")));
        Assert.Equal(0, PrometheusText.Value(down, "engine_health_serving"));

        // A reconciliation cannot read the venue now: UNAVAILABLE, saying nothing was changed.
        var unavailable = await Assert.ThrowsAsync<RpcException>(() => client.Control.ReconcileAsync(new ReconcileRequest { DryRun = true }, deadline: ControlClient.Deadline).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, unavailable.StatusCode);
        Assert.Contains("nothing was changed", unavailable.Status.Detail, StringComparison.Ordinal);

        // The venue recovers: the stream reconnects by itself; a reconciliation replaces the failed one.
        await venue.FaultAsync("reset");
        await WaitForCheckAsync(client, "user_stream", ServingStatus.Serving);
        await client.Control.ReconcileAsync(new ReconcileRequest(), deadline: ControlClient.Deadline);
        await WaitForOverallAsync(client, HealthState.Serving);
        var up = PrometheusText.Parse(await client.ScrapeAsync());
        Assert.Equal(1, PrometheusText.Value(up, "engine_user_stream_connected"));
        Assert.True(PrometheusText.Value(up, "engine_user_stream_connects_total") >= 2);
        Assert.Equal(1, PrometheusText.Value(up, "engine_health_serving"));

        client.Engine.Terminate();
        Assert.Equal(0, client.Engine.WaitForExit(s_exitTimeout));
    }

    [Fact]
    public async Task Off_loopback_in_sim_mode_every_call_needs_the_token_and_no_secret_reaches_the_log()
    {
        const string token = "sim-token-0123456789-abcdef";
        using var client = ControlClient.StartSim(
            token,
            ("Engine__Control__Address", "0.0.0.0"),
            ("Engine__Metrics__Address", "0.0.0.0"),
            ("Engine__Control__Token", token));
        Assert.Contains("bearer token required", client.Engine.Output, StringComparison.Ordinal);
        var wrong = new Metadata { { "authorization", "Bearer sim-token-0123456789-abcdeX" } };

        // Without the token (or with a wrong one): control, health and reflection are UNAUTHENTICATED, /metrics 401.
        var refusals = new List<RpcException>
        {
            await Assert.ThrowsAsync<RpcException>(() => client.Control.GetHealthAsync(new GetHealthRequest()).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => client.Control.ListPositionsAsync(new ListPositionsRequest(), wrong).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => client.Control.ReconcileAsync(new ReconcileRequest { DryRun = true }).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => client.Control.FlattenAsync(new FlattenRequest()).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => client.Health.CheckAsync(new HealthCheckRequest()).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => client.Health.CheckAsync(new HealthCheckRequest { Service = "feed" }, wrong).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => ListServicesAsync(client, null)),
        };
        using (var watch = client.Control.WatchEvents(new WatchEventsRequest()))
        {
            refusals.Add(await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(CancellationToken.None)));
        }

        Assert.All(refusals, e => Assert.Equal(StatusCode.Unauthenticated, e.StatusCode));
        using (var anonymous = await client.Http.GetAsync(new Uri("/metrics", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        // A flatten refused for want of the token never reached the ring: no position, no order, nothing at the venue.
        await WaitForOverallAsync(client, HealthState.Serving, client.Headers);
        Assert.Equal(0, (await client.Control.GetStatusAsync(new GetStatusRequest(), client.Headers, ControlClient.Deadline)).CommandsCompleted);

        // With it: everything answers.
        Assert.Equal(ServingStatus.Serving, (await client.Health.CheckAsync(new HealthCheckRequest(), client.Headers, ControlClient.Deadline)).Status);
        Assert.Contains("engine.control.v1.EngineControl", await ListServicesAsync(client, client.Headers));
        await client.Control.ListPositionsAsync(new ListPositionsRequest(), client.Headers, ControlClient.Deadline);
        var metrics = PrometheusText.Parse(await client.ScrapeAsync());
        Assert.Equal(1, PrometheusText.Value(metrics, "engine_venue_mode", ("mode", "sim")));

        client.Engine.Terminate();
        Assert.Equal(0, client.Engine.WaitForExit(s_exitTimeout));
        var output = client.Engine.Output;
        Assert.Contains("Execution stopped: journal flushed", output, StringComparison.Ordinal);
        Assert.DoesNotContain(token, output, StringComparison.Ordinal);
        Assert.DoesNotContain(global::Simulator.SimulatorOptions.DefaultApiSecret, output, StringComparison.Ordinal);
        Assert.DoesNotContain(global::Simulator.SimulatorOptions.DefaultApiKey, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_requests_get_their_status_codes_a_flatten_closes_the_venues_position_as_counted_fills_and_Shutdown_exits_0_with_the_journal_flushed()
    {
        using var client = ControlClient.StartSim();
        var venue = client.Venue!;
        await client.Control.PauseAsync(new PauseRequest { Reason = "only the test trades" }, deadline: ControlClient.Deadline);
        await WaitForOverallAsync(client, HealthState.Serving);

        async Task<RpcException> Refused(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);
        var invalid = new[]
        {
            await Refused(() => client.Control.SetModeAsync(new SetModeRequest()).ResponseAsync),
            await Refused(() => client.Control.SetModeAsync(new SetModeRequest { Mode = Mode.Sim }).ResponseAsync),
            await Refused(() => client.Control.SetModeAsync(new SetModeRequest { Mode = (Mode)42 }).ResponseAsync),
            await Refused(() => client.Control.FlattenAsync(new FlattenRequest { Reason = new string('x', 201) }).ResponseAsync),
            await Refused(() => client.Control.ShutdownAsync(new ShutdownRequest { Reason = "line\nbreak" }).ResponseAsync),
            await Refused(() => client.Control.ListOrdersAsync(new ListOrdersRequest { Symbol = "btc-usdt" }).ResponseAsync),
        };
        Assert.All(invalid, e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        var unknown = await Refused(() => client.Health.CheckAsync(new HealthCheckRequest { Service = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);

        // Someone else trades on the engine's account: the venue has a long the engine does not know.
        var order = await venue.SignedAsync(HttpMethod.Post, "fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=by-hand-1");
        Assert.True(order.Status == HttpStatusCode.OK, order.Body);
        Assert.Equal(0.010m, (await venue.PositionsAsync())["BTCUSDT"]);
        var before = PrometheusText.Parse(await client.ScrapeAsync());
        var fillsBefore = Sells(before, "BTCUSDT");

        // Reconciliation takes the venue's position into the engine's book (through the ring) ...
        var reconcile = await client.Control.ReconcileAsync(new ReconcileRequest(), deadline: ControlClient.Deadline);
        Assert.False(reconcile.DryRun);
        Assert.Contains(reconcile.Mismatches, m => m.What.Contains("BTCUSDT", StringComparison.Ordinal) && m.Action.Length > 0);
        var positions = await WaitForPositionsAsync(client, p => p.Any(x => x.Symbol == "BTCUSDT"));
        Assert.Equal(("LONG", 0.010m), positions.Where(p => p.Symbol == "BTCUSDT").Select(p => (p.Side, decimal.Parse(p.Quantity, CultureInfo.InvariantCulture))).Single());

        // ... and Flatten closes it at the venue: the closing order's fill reaches the tail, is counted and is watched.
        using var watch = client.Control.WatchEvents(new WatchEventsRequest { EventTypes = { EventType.Fill } });
        var flatten = await client.Control.FlattenAsync(new FlattenRequest { Reason = "test" }, deadline: ControlClient.Deadline);
        Assert.Equal(["brain", "execution"], flatten.HandledBy);
        var closing = new List<Fill>(); // one per fill: the market order may take more than one level of the book
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (closing.Sum(f => decimal.Parse(f.Quantity, CultureInfo.InvariantCulture)) < 0.010m && await watch.ResponseStream.MoveNext(timeout.Token))
            {
                if (watch.ResponseStream.Current.Fill is { Symbol: "BTCUSDT" } fill)
                {
                    closing.Add(fill);
                }
            }
        }

        Assert.NotEmpty(closing);
        Assert.All(closing, f => Assert.Equal("SELL", f.Side));
        Assert.Equal(0.010m, closing.Sum(f => decimal.Parse(f.Quantity, CultureInfo.InvariantCulture)));
        await WaitForPositionsAsync(client, p => p.Count == 0);
        Assert.Empty(await venue.PositionsAsync());
        var after = PrometheusText.Parse(await client.ScrapeAsync());
        Assert.True(Sells(after, "BTCUSDT") >= fillsBefore + closing.Count, $"sell fills of BTCUSDT: {fillsBefore} before, {Sells(after, "BTCUSDT")} after the flatten's {closing.Count}");
        Assert.Equal(
            after["engine_fills_total"].Samples.Sum(s => s.Value),
            PrometheusText.Value(after, "engine_position_updates_total", ("kind", "fill")));
        Assert.True(PrometheusText.Value(after, "engine_orders_total", ("outcome", "accepted")) >= 1);
        Assert.Equal(1, PrometheusText.Value(after, "engine_entries_paused"));

        // Shutdown drains the ring through the tail, then the host stops: exit 0, the journal flushed and whole.
        var shutdown = await client.Control.ShutdownAsync(new ShutdownRequest { Reason = "sim test done" }, deadline: ControlClient.Deadline);
        Assert.Equal("Shutdown", shutdown.Command);
        Assert.Equal(["tail"], shutdown.HandledBy);
        Assert.Equal(0, client.Engine.WaitForExit(s_exitTimeout));
        var output = client.Engine.Output;
        Assert.Contains("Execution stopped: journal flushed", output, StringComparison.Ordinal);
        Assert.Contains("Control: Shutdown requested by", output, StringComparison.Ordinal);
        var journal = JournalReader.Replay(client.Journal!);
        Assert.True(journal.Records > 0);
        Assert.Equal(0, journal.TornBytes);
        Assert.Empty(journal.OpenOrders);
    }

    private static double Sells(Dictionary<string, PrometheusText.Family> metrics, string symbol) =>
        metrics.TryGetValue("engine_fills_total", out var fills)
            ? fills.Samples.Where(s => s.Labels["symbol"] == symbol && s.Labels["side"] == "sell").Sum(s => s.Value)
            : 0;

    private static async Task<List<string>> ListServicesAsync(ControlClient client, Metadata? headers)
    {
        var reflection = new ServerReflection.ServerReflectionClient(client.Channel);
        using var call = reflection.ServerReflectionInfo(headers, ControlClient.Deadline);
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return [.. call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name)];
    }

    /// <summary>Polls GetHealth until the overall state is <paramref name="state"/> (60 s: a loaded machine reconnects slowly).</summary>
    private static async Task WaitForOverallAsync(ControlClient client, HealthState state, Metadata? headers = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        HealthReport report;
        while ((report = await client.Control.GetHealthAsync(new GetHealthRequest(), headers, ControlClient.Deadline)).Overall != state && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.True(report.Overall == state, $"overall {report.Overall}, wanted {state}: " + string.Join("; ", report.Components.Select(c => $"{c.Name}: {c.State} {c.Detail}")));
    }

    /// <summary>Polls the grpc.health.v1 check of <paramref name="component"/> until it answers <paramref name="status"/>; returns the component's detail then.</summary>
    private static async Task<string> WaitForCheckAsync(ControlClient client, string component, ServingStatus status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(40);
        ServingStatus seen;
        while ((seen = (await client.Health.CheckAsync(new HealthCheckRequest { Service = component }, deadline: ControlClient.Deadline)).Status) != status && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(seen == status, $"{component} stayed {seen}; output:\n{client.Engine.Output}");
        var report = await client.Control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline);
        return report.Components.Single(c => c.Name == component).Detail;
    }

    private static async Task<IReadOnlyList<Position>> WaitForPositionsAsync(ControlClient client, Func<IReadOnlyList<Position>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        IReadOnlyList<Position> positions;
        while (!done(positions = (await client.Control.ListPositionsAsync(new ListPositionsRequest(), deadline: ControlClient.Deadline)).Positions) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.True(done(positions), "positions: " + string.Join(", ", positions.Select(p => $"{p.Symbol} {p.Side} {p.Quantity}")));
        return positions;
    }
}
