using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Simulator;

/// <summary>
/// A running simulated venue: Kestrel on 127.0.0.1 serving REST under /fapi, WebSocket streams, the WebSocket API on
/// /ws-fapi/v1, and fault switches under /_sim/. Start one with <see cref="StartAsync"/>; dispose it to stop.
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly StreamHub _hub;
    private readonly WsApi _wsApi;
    private readonly Venue _venue;
    private int _disposed;

    private SimulatorHost(WebApplication app, Venue venue, StreamHub hub, WsApi wsApi, int port, SimulatorOptions options)
    {
        _app = app;
        _venue = venue;
        _hub = hub;
        _wsApi = wsApi;
        Port = port;
        RestBaseUri = new Uri($"http://127.0.0.1:{port}/");
        WebSocketBaseUri = new Uri($"ws://127.0.0.1:{port}/");
        WebSocketApiUri = new Uri($"ws://127.0.0.1:{port}{WsApi.Path}");
        ApiKey = options.ApiKey;
        ApiSecret = options.ApiSecret;
        Options = options;
        _loop = Task.Run(() => RunLoopAsync(_stop.Token));
    }

    /// <summary>The bound TCP port.</summary>
    public int Port { get; }

    /// <summary>REST base, e.g. http://127.0.0.1:PORT/ (endpoints under fapi/v1/…).</summary>
    public Uri RestBaseUri { get; }

    /// <summary>WebSocket base, e.g. ws://127.0.0.1:PORT/ (ws/&lt;stream&gt;, stream?streams=…, private/ws/&lt;listenKey&gt;).</summary>
    public Uri WebSocketBaseUri { get; }

    /// <summary>The WebSocket API, ws://127.0.0.1:PORT/ws-fapi/v1 (order.place, order.cancel, order.status, algoOrder.*, session.*).</summary>
    public Uri WebSocketApiUri { get; }

    /// <summary>The account's API key.</summary>
    public string ApiKey { get; }

    /// <summary>The account's HMAC secret (never logged).</summary>
    public string ApiSecret { get; }

    /// <summary>The settings the venue runs with.</summary>
    public SimulatorOptions Options { get; }

    /// <summary>The venue's server time in Unix ms (what /fapi/v1/time answers; runs at <see cref="SimulatorOptions.Speed"/>).</summary>
    public long ServerTimeMs => _venue.Clock.ServerNowMs;

    /// <summary>Validates the options, binds the port, starts the price loop and returns once the venue answers.</summary>
    public static async Task<SimulatorHost> StartAsync(SimulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder();

        // configured by SimulatorOptions alone: an embedding process's appsettings.json or ASPNETCORE_* variables must not leak in
        builder.Configuration.Sources.Clear();

        // the embedding process owns Ctrl-C and SIGTERM and stops the venue by disposing it, in its own shutdown order
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        var app = builder.Build();
        var log = app.Logger;

        ReplaySource? replay = options.ReplayFile is null ? null : ReplaySource.Open(options.ReplayFile);
        var start = options.StartTimeMs ?? replay?.FirstTime ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var clock = new SimClock(start, options.Speed, options.ClockSkewMs);
        var faults = new Faults { ResponseDelay = options.ResponseDelay };
        var hub = new StreamHub(faults, log);
        var venue = new Venue(options, clock, hub, replay, options.BackfillMinutes);
        hub.Venue = venue;
        var limiter = new RateLimiter(options);
        var rest = new RestApi(venue, limiter, faults, new ApiKeys(options), log);
        var wsApi = new WsApi(rest, limiter, venue, faults, log);
        var admin = new AdminApi(venue, hub, wsApi, faults, log);

        app.UseWebSockets();
        app.Run(ctx =>
        {
            var path = ctx.Request.Path.Value ?? "";
            if (path.StartsWith("/_sim/", StringComparison.Ordinal))
            {
                return admin.HandleAsync(ctx);
            }

            if (path == WsApi.Path)
            {
                return wsApi.HandleAsync(ctx);
            }

            return StreamHub.IsStreamPath(path) ? hub.HandleAsync(ctx) : rest.HandleAsync(ctx);
        });

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        SimulatorLog.Listening(log, port, options.Symbols, options.Seed, options.Speed, options.ReplayFile ?? "none");
        return new SimulatorHost(app, venue, hub, wsApi, port, options);
    }

    private async Task RunLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Options.TickInterval);
        try
        {
            do
            {
                _venue.Advance(_venue.Clock.MarketNowMs);
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>Stops the loop, closes every connection and the listener.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _hub.DisposeAsync().ConfigureAwait(false);
        await _wsApi.DisposeAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"Simulator on {RestBaseUri} (key {ApiKey[..Math.Min(4, ApiKey.Length)]}…)";
}

/// <summary>A host lifetime that ignores process signals.</summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal static partial class SimulatorLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Simulator listening on http://127.0.0.1:{Port} ({Symbols} symbols, seed {Seed}, speed x{Speed}, replay {Replay})")]
    public static partial void Listening(ILogger logger, int port, int symbols, int seed, double speed, string replay);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "WebSocket {Id} connected on {Path}")]
    public static partial void Connected(ILogger logger, long id, string path);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Fault switch {Action}{Query}")]
    public static partial void Admin(ILogger logger, string action, string query);
}
