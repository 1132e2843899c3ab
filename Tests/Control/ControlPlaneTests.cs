using Engine.Control.V1;
using Engine.Hosting;
using Grpc.Core;
using Grpc.Reflection.V1Alpha;
using HealthCheckRequest = Grpc.Health.V1.HealthCheckRequest;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Tests.Control;

/// <summary>One engine for the read-only and refusal tests (none of them changes its state).</summary>
public sealed class RunningEngine : IDisposable
{
    internal ControlClient Client { get; } = ControlClient.Start();

    public void Dispose() => Client.Dispose();
}

/// <summary>Every RPC of a real engine process, over h2c on loopback, answered as docs/CONTROL_API.md says.</summary>
public sealed class ControlPlaneTests(RunningEngine fixture) : IClassFixture<RunningEngine>
{
    private static readonly string[] s_components = ["brain", "execution", "tail", "feed", "cooldowns"];

    private ControlClient Client => fixture.Client;

    [Fact]
    public async Task GetHealth_reports_every_component_serving_and_names_what_it_cannot_check()
    {
        var report = await Client.Control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline);

        Assert.Equal(HealthState.Serving, report.Overall);
        Assert.Equal(Mode.Synthetic, report.Mode);
        Assert.Equal(s_components, report.Components.Select(c => c.Name));
        Assert.All(report.Components, c => Assert.Equal(HealthState.Serving, c.State));
        Assert.Contains("running", report.Components[0].Detail, StringComparison.Ordinal);
        Assert.Contains(report.NotMonitored, item => item.StartsWith("user_stream:", StringComparison.Ordinal) && item.Contains("no venue in synthetic mode", StringComparison.Ordinal));
        Assert.Contains(report.NotMonitored, item => item.StartsWith("reconciler:", StringComparison.Ordinal));
        Assert.Contains(report.NotMonitored, item => item.StartsWith("missing_candles:", StringComparison.Ordinal));
        Assert.Equal("no symbol in cooldown", report.Components.Single(c => c.Name == "cooldowns").Detail);
    }

    [Fact]
    public async Task Grpc_health_answers_for_the_engine_its_control_service_and_each_component_and_NOT_FOUND_for_others()
    {
        foreach (var service in (string[])["", "engine.control.v1.EngineControl", .. s_components])
        {
            var response = await Client.Health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: ControlClient.Deadline);
            Assert.Equal(ServingStatus.Serving, response.Status);
        }

        var unknown = await Assert.ThrowsAsync<RpcException>(() => Client.Health.CheckAsync(new HealthCheckRequest { Service = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Reflection_lists_the_control_health_and_reflection_services()
    {
        var reflection = new ServerReflection.ServerReflectionClient(Client.Channel);
        using var call = reflection.ServerReflectionInfo(deadline: ControlClient.Deadline);
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        Assert.Contains("engine.control.v1.EngineControl", services);
        Assert.Contains("grpc.health.v1.Health", services);
        Assert.Contains("grpc.reflection.v1alpha.ServerReflection", services);
    }

    [Fact]
    public async Task GetStatus_reports_the_mode_the_ring_and_each_stage_moving()
    {
        var first = await Client.Control.GetStatusAsync(new GetStatusRequest(), deadline: ControlClient.Deadline);
        await Task.Delay(300);
        var second = await Client.Control.GetStatusAsync(new GetStatusRequest(), deadline: ControlClient.Deadline);

        Assert.Equal(Mode.Synthetic, second.Mode);
        Assert.Equal("development", second.Environment);
        Assert.Equal(4096, second.RingSlots);
        Assert.Equal(["brain", "execution", "tail"], second.Stages.Select(s => s.Name));
        // As shipped: brain and execution share a thread on a machine too small for one each.
        var fused = new RingOptions().FusesBrainAndExecution(Environment.ProcessorCount);
        Assert.All(second.Stages, s => Assert.True(s.Running && s.Events > 0 && s.LatencyP50Ns > 0));
        Assert.Equal(fused ? ["brain+execution", "brain+execution", "tail"] : ["brain", "execution", "tail"], second.Stages.Select(s => s.Thread));
        Assert.True(second.EventsPublished > first.EventsPublished);
        Assert.True(second.Stages[2].Events > first.Stages[2].Events);
        Assert.True(second.Uptime.ToTimeSpan() > first.Uptime.ToTimeSpan());
    }

    [Fact]
    public async Task Positions_orders_and_reconcile_are_UNIMPLEMENTED_in_a_mode_without_orders_saying_why()
    {
        var positions = await Assert.ThrowsAsync<RpcException>(() => Client.Control.ListPositionsAsync(new ListPositionsRequest()).ResponseAsync);
        var orders = await Assert.ThrowsAsync<RpcException>(() => Client.Control.ListOrdersAsync(new ListOrdersRequest()).ResponseAsync);
        var reconcile = await Assert.ThrowsAsync<RpcException>(() => Client.Control.ReconcileAsync(new ReconcileRequest { DryRun = true }).ResponseAsync);

        foreach (var refusal in new[] { positions, orders, reconcile })
        {
            Assert.Equal(StatusCode.Unimplemented, refusal.StatusCode);
            Assert.Contains("mode synthetic", refusal.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Pause_and_resume_travel_through_the_ring_to_the_brain()
    {
        var before = await Client.Control.GetStatusAsync(new GetStatusRequest());
        await Client.Control.PauseAsync(new PauseRequest { Reason = "test" });
        var paused = await Client.Control.GetStatusAsync(new GetStatusRequest());
        await Client.Control.ResumeAsync(new ResumeRequest());
        var after = await Client.Control.GetStatusAsync(new GetStatusRequest());
        Assert.False(before.Paused);
        Assert.True(paused.Paused);
        Assert.False(after.Paused);
        Assert.Equal(before.CommandsCompleted + 2, after.CommandsCompleted);
    }

    [Fact]
    public async Task Commands_without_an_owning_stage_are_UNIMPLEMENTED_and_never_reach_the_ring()
    {
        var before = await Client.Control.GetStatusAsync(new GetStatusRequest());
        var flatten = await Assert.ThrowsAsync<RpcException>(() => Client.Control.FlattenAsync(new FlattenRequest()).ResponseAsync);
        var paper = await Assert.ThrowsAsync<RpcException>(() => Client.Control.SetModeAsync(new SetModeRequest { Mode = Mode.Paper }).ResponseAsync);
        var after = await Client.Control.GetStatusAsync(new GetStatusRequest());

        Assert.All(new[] { flatten, paper }, e => Assert.Equal(StatusCode.Unimplemented, e.StatusCode));
        Assert.Contains("execution", flatten.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("a run without orders (synthetic mode)", paper.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before.CommandsCompleted, after.CommandsCompleted);
    }

    [Fact]
    public async Task Bad_requests_are_INVALID_ARGUMENT_and_live_without_keys_is_FAILED_PRECONDITION()
    {
        async Task<StatusCode> Code(Func<Task> call) => (await Assert.ThrowsAsync<RpcException>(call)).StatusCode;

        Assert.Equal(StatusCode.InvalidArgument, await Code(() => Client.Control.SetModeAsync(new SetModeRequest()).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await Code(() => Client.Control.SetModeAsync(new SetModeRequest { Mode = Mode.Replay }).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await Code(() => Client.Control.SetModeAsync(new SetModeRequest { Mode = (Mode)42 }).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await Code(() => Client.Control.PauseAsync(new PauseRequest { Reason = new string('x', 201) }).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await Code(() => Client.Control.ShutdownAsync(new ShutdownRequest { Reason = "line\nbreak" }).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await Code(() => Client.Control.ListOrdersAsync(new ListOrdersRequest { Symbol = "btc-usdt" }).ResponseAsync));
        Assert.Equal(StatusCode.FailedPrecondition, await Code(() => Client.Control.SetModeAsync(new SetModeRequest { Mode = Mode.Live }).ResponseAsync));

        using var watch = Client.Control.WatchEvents(new WatchEventsRequest { EventTypes = { (EventType)99 } });
        var badWatch = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, badWatch.StatusCode);

        // Still running after all that.
        Assert.True((await Client.Control.GetHealthAsync(new GetHealthRequest())).Overall == HealthState.Serving);
    }

    [Fact]
    public async Task WatchEvents_starts_with_the_state_of_every_component()
    {
        using var watch = Client.Control.WatchEvents(new WatchEventsRequest { EventTypes = { EventType.Health } }, deadline: ControlClient.Deadline);
        var seen = new List<HealthChanged>();
        while (seen.Count < s_components.Length && await watch.ResponseStream.MoveNext(CancellationToken.None))
        {
            seen.Add(watch.ResponseStream.Current.Health);
        }

        Assert.Equal(s_components, seen.Select(h => h.Component));
        Assert.All(seen, h => Assert.Equal(HealthState.Serving, h.State));
    }

    [Fact]
    public async Task Metrics_are_valid_exposition_and_move_as_the_engine_runs()
    {
        var first = PrometheusText.Parse(await Client.ScrapeAsync());
        var symbols = new[] { "BTCUSDT", "ETHUSDT", "SOLUSDT" };
        bool AllMoved(Dictionary<string, PrometheusText.Family> later) =>
            symbols.All(symbol => PrometheusText.Value(later, "engine_ticks_total", ("symbol", symbol)) > PrometheusText.Value(first, "engine_ticks_total", ("symbol", symbol)));

        // At 2,000 events/s every symbol moves within milliseconds; the deadline only absorbs a loaded machine.
        var second = first;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            await Task.Delay(200);
            second = PrometheusText.Parse(await Client.ScrapeAsync());
        }
        while (!AllMoved(second) && DateTime.UtcNow < deadline);

        Assert.True(AllMoved(second));

        var tailBefore = PrometheusText.Value(first, "engine_stage_events_total", ("stage", "tail"));
        var tailAfter = PrometheusText.Value(second, "engine_stage_events_total", ("stage", "tail"));
        Assert.True(tailAfter > tailBefore);
        // The histogram is scraped after the counter, while the tail keeps counting.
        Assert.True(PrometheusText.Value(second, "engine_stage_latency_seconds_count", ("stage", "tail")) >= tailAfter);
        // Within one scrape the source's counter may be read before the tail's, so compare with the earlier scrape.
        Assert.True(PrometheusText.Value(second, "engine_feed_events_published_total", ("source", "synthetic")) >= tailBefore);
        Assert.Equal(1, PrometheusText.Value(second, "engine_venue_mode", ("mode", "synthetic")));
        Assert.Equal(0, PrometheusText.Value(second, "engine_venue_mode", ("mode", "live")));
        Assert.Equal(1, PrometheusText.Value(second, "engine_health_serving"));
        Assert.Equal(1, PrometheusText.Value(second, "engine_component_up", ("component", "feed")));
        Assert.Equal(4096, PrometheusText.Value(second, "engine_ring_slots"));
        Assert.True(PrometheusText.Value(second, "engine_brain_events_total", ("event", "trades_processed")) > 0);
        Assert.Equal(0, PrometheusText.Value(second, "engine_cooldowns_active"));
        var buckets = second["engine_stage_latency_seconds"].Samples.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal) && s.Labels["stage"] == "tail").ToList();
        Assert.Equal("1E-07", buckets[0].Labels["le"]);
        Assert.Equal("0.01", buckets[^2].Labels["le"]);
    }

    [Fact]
    public async Task The_metrics_listener_serves_only_metrics_and_the_control_listener_only_grpc()
    {
        using var other = await Client.Http.GetAsync("/anything");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, other.StatusCode);
        using var post = await Client.Http.PostAsync("/metrics", new StringContent(""));
        Assert.Equal(System.Net.HttpStatusCode.MethodNotAllowed, post.StatusCode);

        // gRPC on the metrics port fails: that listener speaks HTTP/1.1 only.
        using var wrongChannel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{Client.MetricsPort}");
        var wrong = await Assert.ThrowsAsync<RpcException>(() => new EngineControl.EngineControlClient(wrongChannel).GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline).ResponseAsync);
        Assert.NotEqual(StatusCode.OK, wrong.StatusCode);
    }
}
