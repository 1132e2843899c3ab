using Engine.Exchange;
using Engine.Exchange.Rest;
using Microsoft.Extensions.Options;
using Simulator;

namespace Engine.Hosting;

/// <summary>
/// Where this run's venue is: the REST root, the WebSocket root (market and user streams), the credentials, and for
/// <see cref="EngineMode.Sim"/> the embedded simulator that serves them. Decided before the host is built, because the
/// venue's exchange rules and symbols decide how the ring and the brain are made.
/// </summary>
public sealed class VenueSession : IAsyncDisposable
{
    /// <summary>Binance USDⓈ-M production market and user streams.</summary>
    public static readonly Uri LiveStreams = new("wss://fstream.binance.com/");

    /// <summary>Binance USDⓈ-M testnet streams.</summary>
    public static readonly Uri TestnetStreams = new("wss://fstream.binancefuture.com/");

    /// <summary>Binance USDⓈ-M production WebSocket API (orders).</summary>
    public static readonly Uri LiveWebSocketApi = new("wss://ws-fapi.binance.com/ws-fapi/v1");

    /// <summary>Binance USDⓈ-M testnet WebSocket API (orders).</summary>
    public static readonly Uri TestnetWebSocketApi = new("wss://testnet.binancefuture.com/ws-fapi/v1");

    private VenueSession(EngineMode mode, Uri? rest, Uri? streams, ApiCredentials? credentials, SimulatorHost? simulator, string description, Uri? webSocketApi = null)
    {
        WebSocketApiAddress = credentials is null ? null : webSocketApi;
        Mode = mode;
        RestBaseAddress = rest;
        StreamBaseAddress = streams;
        Credentials = credentials;
        Simulator = simulator;
        Description = description;
    }

    public EngineMode Mode { get; }

    /// <summary>The REST root (null when the mode has no venue: synthetic, replay).</summary>
    public Uri? RestBaseAddress { get; }

    /// <summary>The WebSocket root for market and user-data streams (null when the mode has no venue).</summary>
    public Uri? StreamBaseAddress { get; }

    /// <summary>The venue's WebSocket API for orders; null when orders stay local or the venue offers none (orders go over REST).</summary>
    public Uri? WebSocketApiAddress { get; }

    /// <summary>The keys orders are signed with; null when orders stay local (paper, replay, synthetic).</summary>
    public ApiCredentials? Credentials { get; }

    /// <summary>True when orders go to a venue (sim, live); false when execution is on paper from the start.</summary>
    public bool SendsOrders => Credentials is not null;

    /// <summary>The embedded simulator in sim mode; null otherwise.</summary>
    public SimulatorHost? Simulator { get; }

    /// <summary>One line for the start-up log: which venue, where.</summary>
    public string Description { get; }

    /// <summary>
    /// Opens the venue for <paramref name="launch"/>: in sim mode starts the embedded simulator on an ephemeral loopback
    /// port with <paramref name="simulator"/>'s settings; in live and paper modes names <paramref name="endpoints"/> when
    /// set, Binance's endpoints otherwise. Endpoints set in a mode that has its own venue (or none) are refused with
    /// <see cref="OptionsValidationException"/>: a silently ignored address would trade somewhere the operator did not mean.
    /// </summary>
    public static async Task<VenueSession> OpenAsync(LaunchSettings launch, SimulatorOptions simulator, VenueEndpointOptions endpoints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.IsSet)
        {
            if (launch.Mode is not (EngineMode.Live or EngineMode.Paper))
            {
                throw new OptionsValidationException(EngineOptions.Section, typeof(VenueEndpointOptions),
                    [$"Engine:Venue:RestBaseAddress/StreamBaseAddress apply to live and paper modes only (mode is {launch.Mode.ToString().ToLowerInvariant()})."]);
            }

            var rest = new Uri(endpoints.RestBaseAddress!);
            var streams = new Uri(endpoints.StreamBaseAddress!);
            var credentials = launch.Mode == EngineMode.Live ? launch.Credentials : null;
            var orders = launch.Mode == EngineMode.Live ? "orders signed and sent there" : "orders on paper";
            var webSocketApi = string.IsNullOrWhiteSpace(endpoints.WebSocketApiAddress) ? null : new Uri(endpoints.WebSocketApiAddress);
            return new VenueSession(launch.Mode, rest, streams, credentials, null, $"configured venue (Engine:Venue) at {rest} and {streams}, {orders}", webSocketApi);
        }

        switch (launch.Mode)
        {
            case EngineMode.Sim:
                var host = await SimulatorHost.StartAsync(simulator, cancellationToken).ConfigureAwait(false);
                return new VenueSession(
                    EngineMode.Sim, host.RestBaseUri, host.WebSocketBaseUri, new ApiCredentials(host.ApiKey, host.ApiSecret), host,
                    $"embedded simulator on {host.RestBaseUri} ({simulator.Symbols} symbols, speed ×{simulator.Speed:0.###}, seed {simulator.Seed})", host.WebSocketApiUri);
            case EngineMode.Live:
                var rest = new Uri(launch.Testnet ? BinanceRestOptions.TestnetBaseAddress : BinanceRestOptions.LiveBaseAddress);
                var streams = launch.Testnet ? TestnetStreams : LiveStreams;
                return new VenueSession(EngineMode.Live, rest, streams, launch.Credentials, null, $"Binance USDⓈ-M{(launch.Testnet ? " testnet" : "")} at {rest} and {streams}",
                    launch.Testnet ? TestnetWebSocketApi : LiveWebSocketApi);
            case EngineMode.Paper:
                return new VenueSession(EngineMode.Paper, new Uri(BinanceRestOptions.LiveBaseAddress), LiveStreams, null, null, $"Binance USDⓈ-M public data at {BinanceRestOptions.LiveBaseAddress}, orders on paper");
            default:
                return new VenueSession(launch.Mode, null, null, null, null, launch.Mode == EngineMode.Replay ? $"replay of {launch.ReplayFile}, orders on paper" : "synthetic market, no orders");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Simulator is not null)
        {
            await Simulator.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override string ToString() => Description;
}
