using Engine.Control.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Tests.Hosting;

namespace Tests.Control;

/// <summary>A real engine process on ephemeral ports and gRPC/HTTP clients talking to it over loopback.</summary>
internal sealed class ControlClient : IDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private ControlClient(EngineProcess engine, int controlPort, int metricsPort, string? token, EmbeddedVenue? venue = null, string? journal = null)
    {
        Engine = engine;
        Venue = venue;
        Journal = journal;
        ControlPort = controlPort;
        MetricsPort = metricsPort;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{controlPort}");
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}"), Timeout = TimeSpan.FromSeconds(10) };
        Headers = token is null ? [] : new Metadata { { "authorization", $"Bearer {token}" } };
        Control = new EngineControl.EngineControlClient(Channel);
        Health = new Grpc.Health.V1.Health.HealthClient(Channel);
    }

    public EngineProcess Engine { get; }

    /// <summary>The engine's embedded simulator (sim mode only): its REST, fault switches and account, from outside the engine.</summary>
    public EmbeddedVenue? Venue { get; }

    /// <summary>The engine's journal folder when the test chose it (sim mode); deleted on dispose.</summary>
    public string? Journal { get; }

    public int ControlPort { get; }

    public int MetricsPort { get; }

    public GrpcChannel Channel { get; }

    public HttpClient Http { get; }

    /// <summary>Headers to send (the bearer token when the engine wants one).</summary>
    public Metadata Headers { get; }

    public EngineControl.EngineControlClient Control { get; }

    public Grpc.Health.V1.Health.HealthClient Health { get; }

    public static DateTime Deadline => DateTime.UtcNow.AddSeconds(15);

    /// <summary>Starts an engine on ephemeral ports with <paramref name="environment"/> on top of fast test settings.</summary>
    public static ControlClient Start(string? token = null, params (string Name, string Value)[] environment) =>
        // The control-plane tests run over the synthetic pipeline (no venue): fast, deterministic, no orders.
        Start(["--mode", "synthetic"], token, environment);

    /// <summary>
    /// Starts an engine in the default mode, sim (its embedded simulator with 3 symbols, all traded), on ephemeral
    /// ports with <paramref name="environment"/> on top of fast test settings and a journal of its own (deleted on
    /// dispose); <see cref="Venue"/> reaches its simulator.
    /// </summary>
    public static ControlClient StartSim(string? token = null, params (string Name, string Value)[] environment)
    {
        var journal = Path.Combine(Path.GetTempPath(), "engine-sim-" + Guid.NewGuid().ToString("N"));
        return Start(
            [],
            token,
            [("Engine__Simulator__Symbols", "3"), ("Engine__Feed__MaxSymbols", "3"), ("Engine__Journal__Directory", journal), .. environment],
            journal);
    }

    private static ControlClient Start(string[] arguments, string? token, (string Name, string Value)[] environment, string? journal = null)
    {
        (string, string)[] settings =
        [
            ("Engine__Control__Port", "0"),
            ("Engine__Metrics__Port", "0"),
            ("Engine__Ring__Size", "4096"),
            ("Engine__Health__CheckInterval", "00:00:00.200"),
            ("Engine__Health__FeedStaleAfter", "00:00:01"),
            .. environment,
        ];
        var engine = new EngineProcess(arguments, settings);
        try
        {
            Assert.True(engine.WaitForOutput("All stages running", StartTimeout), engine.Output);
            var venue = journal is null ? null : EmbeddedVenue.FromStartupLines(engine.Output);
            return new ControlClient(engine, engine.WaitForPort("Control plane", StartTimeout), engine.WaitForPort("Metrics", StartTimeout), token, venue, journal);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    public async Task<string> ScrapeAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (Headers.GetValue("authorization") is { } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await Http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    public void Dispose()
    {
        Http.Dispose();
        Channel.Dispose();
        Engine.Dispose();
        Venue?.Dispose();
        if (Journal is not null && Directory.Exists(Journal))
        {
            Directory.Delete(Journal, recursive: true);
        }
    }
}
