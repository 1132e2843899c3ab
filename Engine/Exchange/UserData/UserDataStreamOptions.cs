using Microsoft.Extensions.Options;

namespace Engine.Exchange.UserData;

/// <summary>Settings of the user-data stream (<c>Engine:UserStream</c>).</summary>
public sealed class UserDataStreamOptions
{
    public const string Section = "Engine:UserStream";

    /// <summary>Live futures WebSocket host.</summary>
    public const string LiveWebSocketAddress = "wss://fstream.binance.com";

    /// <summary>WebSocket base (scheme, host, port; no path). A simulator's <c>ws://127.0.0.1:port</c> on loopback.</summary>
    public string WebSocketBaseAddress { get; set; } = LiveWebSocketAddress;

    /// <summary>Path before the listenKey: <c>private/ws/</c> (current docs) or <c>ws/</c> (legacy).</summary>
    public string PathPrefix { get; set; } = "private/ws/";

    /// <summary>How often the key is extended (PUT); the venue keeps it 60 minutes after the last one.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>After a failed keep-alive (other than "key gone"), when to try again.</summary>
    public TimeSpan KeepAliveRetryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A connection is replaced (new key from POST, new socket) after this long, before the venue's 24-hour cut.</summary>
    public TimeSpan MaxConnectionAge { get; set; } = TimeSpan.FromHours(23);

    /// <summary>First delay before reconnecting after a failure; doubles per consecutive failure up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest delay between reconnect attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>WebSocket handshake time limit.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The asset whose wallet balance Account events carry.</summary>
    public string MarginAsset { get; set; } = "USDT";

    /// <summary>Starting receive buffer; it grows (up to <see cref="MaxMessageBytes"/>) for a larger frame and shrinks back after it.</summary>
    public int ReceiveBufferBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Largest user-data message taken, in bytes. A longer one drops the connection (close 1009, counted) and the
    /// stream reconnects as after any drop (open orders re-queried). The venue's largest user events (an
    /// ACCOUNT_UPDATE listing every balance and position) are a few KiB to a few tens of KiB: 512 KiB leaves room.
    /// </summary>
    public int MaxMessageBytes { get; set; } = 512 * 1024;

    /// <summary>Delete the listenKey when the stream stops. Off when several processes share one account's key.</summary>
    public bool CloseListenKeyOnStop { get; set; } = true;
}

/// <summary>Refuses settings the stream cannot work with, naming each.</summary>
public sealed class UserDataStreamOptionsValidator : IValidateOptions<UserDataStreamOptions>
{
    public ValidateOptionsResult Validate(string? name, UserDataStreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        const string prefix = UserDataStreamOptions.Section;
        if (!Uri.TryCreate(options.WebSocketBaseAddress, UriKind.Absolute, out var uri)
            || (uri.Scheme != "wss" && uri.Scheme != "ws")
            || uri.PathAndQuery != "/")
        {
            failures.Add($"{prefix}:WebSocketBaseAddress must be an absolute ws(s) URL without a path, e.g. {UserDataStreamOptions.LiveWebSocketAddress} (got '{options.WebSocketBaseAddress}').");
        }
        else if (uri.Scheme == "ws" && !uri.IsLoopback)
        {
            failures.Add($"{prefix}:WebSocketBaseAddress may use plain ws only on loopback (a simulator); got '{options.WebSocketBaseAddress}'.");
        }

        if (string.IsNullOrEmpty(options.PathPrefix) || options.PathPrefix[0] == '/' || !options.PathPrefix.EndsWith('/'))
        {
            failures.Add($"{prefix}:PathPrefix must be a relative path ending in '/', e.g. private/ws/ (got '{options.PathPrefix}').");
        }

        Positive(failures, $"{prefix}:KeepAliveInterval", options.KeepAliveInterval);
        Positive(failures, $"{prefix}:KeepAliveRetryInterval", options.KeepAliveRetryInterval);
        Positive(failures, $"{prefix}:ReconnectDelay", options.ReconnectDelay);
        Positive(failures, $"{prefix}:ConnectTimeout", options.ConnectTimeout);
        if (options.KeepAliveInterval >= TimeSpan.FromMinutes(60))
        {
            failures.Add($"{prefix}:KeepAliveInterval must be under 60 minutes, the key's lifetime (got {options.KeepAliveInterval}).");
        }

        if (options.MaxConnectionAge <= TimeSpan.Zero || options.MaxConnectionAge >= TimeSpan.FromHours(24))
        {
            failures.Add($"{prefix}:MaxConnectionAge must be positive and under 24 hours, the venue's cut (got {options.MaxConnectionAge}).");
        }

        if (options.MaxReconnectDelay < options.ReconnectDelay)
        {
            failures.Add($"{prefix}:MaxReconnectDelay must be at least ReconnectDelay (got {options.MaxReconnectDelay} < {options.ReconnectDelay}).");
        }

        if (string.IsNullOrWhiteSpace(options.MarginAsset))
        {
            failures.Add($"{prefix}:MarginAsset must name an asset, e.g. USDT.");
        }

        if (options.ReceiveBufferBytes is < 1024 or > 1024 * 1024)
        {
            failures.Add($"{prefix}:ReceiveBufferBytes must be 1024..1048576 (got {options.ReceiveBufferBytes}).");
        }

        if (options.MaxMessageBytes is < 4 * 1024 or > 64 * 1024 * 1024 || options.MaxMessageBytes < options.ReceiveBufferBytes)
        {
            failures.Add($"{prefix}:MaxMessageBytes must be 4096..67108864 and at least ReceiveBufferBytes (got {options.MaxMessageBytes}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{name} must be positive (got {value}).");
        }
    }
}
