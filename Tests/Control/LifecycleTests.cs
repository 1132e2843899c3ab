using Engine.Control.V1;
using Grpc.Core;
using HealthCheckRequest = Grpc.Health.V1.HealthCheckRequest;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Tests.Control;

/// <summary>Engines that change state: health flipping, the Shutdown RPC, SIGTERM, auth off loopback.</summary>
public sealed class LifecycleTests
{
    private static readonly TimeSpan s_exitTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Health_flips_to_NOT_SERVING_when_the_feed_stops_and_Shutdown_drains_and_exits_0()
    {
        // The synthetic source stops after 3,000 events (1.5 s at 2,000/s), as a finite recording would run out.
        using var client = ControlClient.Start(null, ("Engine__Synthetic__MaxEvents", "3000"), ("Engine__Ring__FuseBrainAndExecution", "false"));
        using var watch = client.Control.WatchEvents(new WatchEventsRequest { EventTypes = { EventType.Health, EventType.Command, EventType.Lifecycle } });

        // First the current state (serving), then the change when the feed goes quiet.
        HealthChanged? down = null;
        var feedWasServing = false;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            while (down is null && await watch.ResponseStream.MoveNext(timeout.Token))
            {
                var health = watch.ResponseStream.Current.Health;
                if (health is { Component: "feed" })
                {
                    if (health.State == HealthState.Serving)
                    {
                        feedWasServing = true;
                    }
                    else
                    {
                        down = health;
                    }
                }
            }
        }

        Assert.True(feedWasServing, client.Engine.Output);
        Assert.NotNull(down);
        Assert.Equal(HealthState.NotServing, down.Overall);
        Assert.Contains("stopped after 3000 events", down.Detail, StringComparison.Ordinal);
        var report = await client.Control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline);
        Assert.Equal(HealthState.NotServing, report.Overall);
        Assert.Equal(HealthState.Serving, report.Components.Single(c => c.Name == "tail").State);
        Assert.Equal(ServingStatus.NotServing, (await client.Health.CheckAsync(new HealthCheckRequest { Service = "feed" })).Status);
        Assert.Equal(ServingStatus.NotServing, (await client.Health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(ServingStatus.Serving, (await client.Health.CheckAsync(new HealthCheckRequest { Service = "brain" })).Status);
        var metrics = PrometheusText.Parse(await client.ScrapeAsync());
        Assert.Equal(0, PrometheusText.Value(metrics, "engine_component_up", ("component", "feed")));
        Assert.Equal(0, PrometheusText.Value(metrics, "engine_health_serving"));

        // Shutdown goes through the ring: its reply names the sequence it occupied, after all 3,000 events.
        var reply = await client.Control.ShutdownAsync(new ShutdownRequest { Reason = "test" }, deadline: ControlClient.Deadline);
        Assert.Equal("Shutdown", reply.Command);
        Assert.Equal(3000, reply.Sequence);
        Assert.Equal(["tail"], reply.HandledBy);

        // The watch sees the command, then the engine stopping, then ends.
        var rest = new List<EngineEvent>();
        using (var timeout = new CancellationTokenSource(s_exitTimeout))
        {
            while (await watch.ResponseStream.MoveNext(timeout.Token))
            {
                rest.Add(watch.ResponseStream.Current);
            }
        }

        Assert.Contains(rest, e => e.Command is { Command: "Shutdown" } command && command.Sequence == 3000);
        Assert.Contains(rest, e => e.Lifecycle is { Phase: "stopping" });
        Assert.Equal(0, client.Engine.WaitForExit(s_exitTimeout));
        foreach (var stage in new[] { "brain", "execution", "tail" })
        {
            Assert.Contains($"Stopped: stage {stage} handled 3001 events", client.Engine.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Off_loopback_every_call_needs_the_token_secrets_stay_out_of_the_log_and_SIGTERM_exits_0()
    {
        const string token = "test-token-0123456789-abcdef";
        const string key = "KEYabcdefghijklmnopqrstuvwxyz0123456789";
        const string secret = "SECRETabcdefghijklmnopqrstuvwxyz0123456789";
        using var client = ControlClient.Start(
            token,
            ("Engine__Control__Address", "0.0.0.0"),
            ("Engine__Metrics__Address", "0.0.0.0"),
            ("Engine__Control__Token", token),
            ("BINANCE_API_KEY", key),
            ("BINANCE_API_SECRET", secret));
        Assert.Contains("bearer token required", client.Engine.Output, StringComparison.Ordinal);

        var none = await Assert.ThrowsAsync<RpcException>(() => client.Control.GetHealthAsync(new GetHealthRequest()).ResponseAsync);
        var wrong = await Assert.ThrowsAsync<RpcException>(() => client.Control.GetStatusAsync(new GetStatusRequest(), new Metadata { { "authorization", "Bearer test-token-0123456789-abcdeX" } }).ResponseAsync);
        var healthNone = await Assert.ThrowsAsync<RpcException>(() => client.Health.CheckAsync(new HealthCheckRequest()).ResponseAsync);
        var shutdownNone = await Assert.ThrowsAsync<RpcException>(() => client.Control.ShutdownAsync(new ShutdownRequest()).ResponseAsync);
        Assert.All(new[] { none, wrong, healthNone, shutdownNone }, e => Assert.Equal(StatusCode.Unauthenticated, e.StatusCode));

        var report = await client.Control.GetHealthAsync(new GetHealthRequest(), client.Headers, ControlClient.Deadline);
        Assert.Equal(HealthState.Serving, report.Overall);
        Assert.Equal(ServingStatus.Serving, (await client.Health.CheckAsync(new HealthCheckRequest(), client.Headers)).Status);
        using (var anonymous = await client.Http.GetAsync("/metrics"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        PrometheusText.Parse(await client.ScrapeAsync());

        client.Engine.Terminate();
        Assert.Equal(0, client.Engine.WaitForExit(s_exitTimeout));
        var output = client.Engine.Output;
        Assert.Contains("SIGTERM received: stopping", output, StringComparison.Ordinal);
        Assert.Contains("Stopped: stage tail handled", output, StringComparison.Ordinal);
        Assert.DoesNotContain(token, output, StringComparison.Ordinal);
        Assert.DoesNotContain(key, output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stop_held_up_by_a_stuck_client_ends_within_the_shutdown_timeout_with_exit_0()
    {
        using var client = ControlClient.Start(null, ("Engine__ShutdownTimeout", "00:00:03"));
        using var stuck = HalfSentRequest(client.MetricsPort);
        var started = System.Diagnostics.Stopwatch.StartNew();

        client.Engine.Terminate();

        Assert.Equal(0, client.Engine.WaitForExit(s_exitTimeout));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(8), $"took {started.Elapsed}");
        Assert.Contains("Stopped: stage tail handled", client.Engine.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_signal_exits_at_once_while_the_first_stop_is_still_running()
    {
        using var client = ControlClient.Start(null, ("Engine__ShutdownTimeout", "00:00:30"));
        using var stuck = HalfSentRequest(client.MetricsPort);

        client.Engine.Terminate();
        Assert.True(client.Engine.WaitForOutput("SIGTERM received: stopping", s_exitTimeout), client.Engine.Output);
        Thread.Sleep(500);
        Assert.False(client.Engine.HasExited, "the first stop waits for the stuck request (up to the 30 s timeout)");
        var second = System.Diagnostics.Stopwatch.StartNew();
        client.Engine.Terminate();

        Assert.Equal(128 + 15, client.Engine.WaitForExit(s_exitTimeout));
        Assert.True(second.Elapsed < TimeSpan.FromSeconds(3), $"took {second.Elapsed}");
        Assert.Contains("engine: SIGTERM received again: exiting now (code 143)", client.Engine.Output, StringComparison.Ordinal);
    }

    /// <summary>An HTTP request whose headers never finish: the server's graceful stop waits for it.</summary>
    private static System.Net.Sockets.Socket HalfSentRequest(int port)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Connect(System.Net.IPAddress.Loopback, port);
        socket.Send("GET /metrics HTTP/1.1\r\nHost: engine\r\n"u8);
        Thread.Sleep(200);
        return socket;
    }
}
