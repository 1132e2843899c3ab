using Engine.Control.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Tests.Hosting;

namespace Tests.Control;

/// <summary>A real engine process on ephemeral ports and gRPC/HTTP clients talking to it over loopback.</summary>
internal sealed class ControlClient : IDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private ControlClient(EngineProcess engine, int controlPort, int metricsPort, string? token)
    {
        Engine = engine;
        ControlPort = controlPort;
        MetricsPort = metricsPort;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{controlPort}");
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}"), Timeout = TimeSpan.FromSeconds(10) };
        Headers = token is null ? [] : new Metadata { { "authorization", $"Bearer {token}" } };
        Control = new EngineControl.EngineControlClient(Channel);
        Health = new Grpc.Health.V1.Health.HealthClient(Channel);
    }

    public EngineProcess Engine { get; }

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
    public static ControlClient Start(string? token = null, params (string Name, string Value)[] environment)
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
        // The control-plane tests run over the synthetic pipeline (no venue): fast, deterministic, no orders.
        var engine = new EngineProcess(["--mode", "synthetic"], settings);
        try
        {
            Assert.True(engine.WaitForOutput("All stages running", StartTimeout), engine.Output);
            return new ControlClient(engine, engine.WaitForPort("Control plane", StartTimeout), engine.WaitForPort("Metrics", StartTimeout), token);
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
    }
}
