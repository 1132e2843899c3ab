namespace Engine.Exchange.WsApi;

/// <summary>Where and how the WebSocket API session connects; validated by <see cref="WsApiSession"/> when it is made.</summary>
public sealed class WsApiOptions
{
    /// <summary>The configuration section (the endpoint itself comes from the venue).</summary>
    public const string Section = "Engine:WsApi";

    /// <summary>The WebSocket API's address: <c>wss://ws-fapi.binance.com/ws-fapi/v1</c> live, the simulator's <c>ws://…/ws-fapi/v1</c> in sim.</summary>
    public Uri Endpoint { get; set; } = new("wss://ws-fapi.binance.com/ws-fapi/v1");

    /// <summary>How often the session pings the venue (the venue's own pings come every 3 min; an idle NAT must not drop the connection).</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Age at which a connection is replaced, make-before-break, ahead of the venue's 24 h cut.</summary>
    public TimeSpan ReplaceAfter { get; set; } = TimeSpan.FromHours(23);

    /// <summary>How long a replaced connection stays open for the answers to requests sent on it.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First reconnect delay after a drop; doubles (with jitter) up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a new connection may take to connect, upgrade and answer its warm-up (logon or ping).</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>recvWindow</c> of <c>session.logon</c>.</summary>
    public long LogonRecvWindowMs { get; set; } = 5000;

    /// <summary>Largest answer accepted; a longer one closes the connection with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>TLS server-certificate check for <c>wss</c>; null uses the system's (the only right choice live).</summary>
    public System.Net.Security.RemoteCertificateValidationCallback? RemoteCertificateValidation { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Endpoint);
        if (!Endpoint.IsAbsoluteUri || Endpoint.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException($"Endpoint must be a ws:// or wss:// URI (was '{Endpoint}').", nameof(Endpoint));
        }

        Positive(PingInterval, nameof(PingInterval));
        Positive(ReplaceAfter, nameof(ReplaceAfter));
        Positive(DrainTimeout, nameof(DrainTimeout));
        Positive(ReconnectMinDelay, nameof(ReconnectMinDelay));
        Positive(ReadyTimeout, nameof(ReadyTimeout));
        if (ReconnectMaxDelay < ReconnectMinDelay)
        {
            throw new ArgumentException("ReconnectMaxDelay must be at least ReconnectMinDelay.", nameof(ReconnectMaxDelay));
        }

        if (ReplaceAfter > TimeSpan.FromHours(24))
        {
            throw new ArgumentException("ReplaceAfter must be under the venue's 24 h cut.", nameof(ReplaceAfter));
        }

        if (LogonRecvWindowMs is < 1 or > 60_000)
        {
            throw new ArgumentException("LogonRecvWindowMs must be 1..60000.", nameof(LogonRecvWindowMs));
        }

        if (MaxMessageBytes is < 1024 or > 16 * 1024 * 1024)
        {
            throw new ArgumentException("MaxMessageBytes must be 1 KiB..16 MiB.", nameof(MaxMessageBytes));
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{name} must be positive (was {value}).", name);
        }
    }
}
