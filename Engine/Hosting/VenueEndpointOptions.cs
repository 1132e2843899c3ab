namespace Engine.Hosting;

/// <summary>
/// "Engine:Venue": where live and paper modes find the venue when it is not Binance's own endpoints — a Binance-compatible
/// gateway, a recorded-session server, or a simulator that must outlive the engine (a crash-and-restart drill). Both
/// addresses or neither; absent, the modes use Binance's production (or <c>--testnet</c>) endpoints.
/// </summary>
public sealed class VenueEndpointOptions
{
    /// <summary>REST root, http or https (e.g. <c>http://127.0.0.1:8080/</c>).</summary>
    public string? RestBaseAddress { get; set; }

    /// <summary>WebSocket root of the market and user-data streams, ws or wss (e.g. <c>ws://127.0.0.1:8080/</c>).</summary>
    public string? StreamBaseAddress { get; set; }

    /// <summary>
    /// The venue's WebSocket API for orders, ws or wss (e.g. <c>ws://127.0.0.1:8080/ws-fapi/v1</c>); optional: without it
    /// the venue is taken not to offer one and orders go over REST.
    /// </summary>
    public string? WebSocketApiAddress { get; set; }

    /// <summary>True when both addresses are given.</summary>
    public bool IsSet => !string.IsNullOrWhiteSpace(RestBaseAddress) && !string.IsNullOrWhiteSpace(StreamBaseAddress);

    /// <summary>Adds one message per bad setting to <paramref name="failures"/>.</summary>
    public void Validate(List<string> failures)
    {
        ArgumentNullException.ThrowIfNull(failures);
        var rest = !string.IsNullOrWhiteSpace(RestBaseAddress);
        var streams = !string.IsNullOrWhiteSpace(StreamBaseAddress);
        if (rest != streams)
        {
            failures.Add("Engine:Venue:RestBaseAddress and Engine:Venue:StreamBaseAddress go together: set both or neither.");
            return;
        }

        if (rest && !IsAbsolute(RestBaseAddress!, "http", "https"))
        {
            failures.Add($"Engine:Venue:RestBaseAddress must be an absolute http or https address (got '{RestBaseAddress}').");
        }

        if (streams && !IsAbsolute(StreamBaseAddress!, "ws", "wss"))
        {
            failures.Add($"Engine:Venue:StreamBaseAddress must be an absolute ws or wss address (got '{StreamBaseAddress}').");
        }

        if (!string.IsNullOrWhiteSpace(WebSocketApiAddress) && !IsAbsolute(WebSocketApiAddress, "ws", "wss"))
        {
            failures.Add($"Engine:Venue:WebSocketApiAddress must be an absolute ws or wss address (got '{WebSocketApiAddress}').");
        }
    }

    private static bool IsAbsolute(string address, string plain, string secure) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && (uri.Scheme == plain || uri.Scheme == secure) && uri.Host.Length > 0;
}
