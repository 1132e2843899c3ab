using Microsoft.Extensions.Options;

namespace Engine.Exchange.Rest;

/// <summary>Where and how the REST client talks to the venue; bound from <see cref="Section"/>.</summary>
public sealed class BinanceRestOptions
{
    public const string Section = "Engine:Rest";

    /// <summary>Binance USDⓈ-M production.</summary>
    public const string LiveBaseAddress = "https://fapi.binance.com";

    /// <summary>Binance USDⓈ-M demo trading (the current testnet).</summary>
    public const string TestnetBaseAddress = "https://demo-fapi.binance.com";

    /// <summary>The venue's root: live, testnet or a simulator on loopback (http://127.0.0.1:port).</summary>
    public string BaseAddress { get; set; } = LiveBaseAddress;

    /// <summary>How long the venue may take to receive a signed request before refusing it (-1021); Binance's default is 5000.</summary>
    public int RecvWindowMs { get; set; } = 5000;

    /// <summary>Limit on establishing a TCP/TLS connection.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Limit on one request from send to the whole response; an order that hits it has an unknown outcome.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a pooled connection is reused before it is replaced (so DNS changes are picked up).</summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an idle pooled connection is kept open.</summary>
    public TimeSpan PooledConnectionIdleTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Concurrent HTTP/1.1 connections to the venue.</summary>
    public int MaxConnections { get; set; } = 4;

    /// <summary>How often the server-time offset is measured again.</summary>
    public TimeSpan ClockSyncInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Server-time requests per measurement; the one with the shortest round trip wins.</summary>
    public int ClockSamples { get; set; } = 5;

    /// <summary>Share (percent) of each venue rate limit this engine may use; the rest is headroom for other users of the IP or account.</summary>
    public int RateLimitUsablePercent { get; set; } = 90;

    /// <summary>How long to stop sending after a 429 or 418 that carries no Retry-After.</summary>
    public TimeSpan RateLimitBackoff { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Refuses settings the client cannot work with, naming each.</summary>
public sealed class BinanceRestOptionsValidator : IValidateOptions<BinanceRestOptions>
{
    public ValidateOptionsResult Validate(string? name, BinanceRestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var prefix = BinanceRestOptions.Section;
        if (!Uri.TryCreate(options.BaseAddress, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.PathAndQuery != "/")
        {
            failures.Add($"{prefix}:BaseAddress must be an absolute http(s) URL without a path, e.g. {BinanceRestOptions.LiveBaseAddress} (got '{options.BaseAddress}').");
        }
        else if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback)
        {
            failures.Add($"{prefix}:BaseAddress may use plain http only on loopback (a simulator); got '{options.BaseAddress}'.");
        }

        if (options.RecvWindowMs is < 1 or > 60_000)
        {
            failures.Add($"{prefix}:RecvWindowMs must be 1..60000 (got {options.RecvWindowMs}).");
        }

        Positive(failures, $"{prefix}:ConnectTimeout", options.ConnectTimeout);
        Positive(failures, $"{prefix}:RequestTimeout", options.RequestTimeout);
        Positive(failures, $"{prefix}:PooledConnectionLifetime", options.PooledConnectionLifetime);
        Positive(failures, $"{prefix}:PooledConnectionIdleTimeout", options.PooledConnectionIdleTimeout);
        Positive(failures, $"{prefix}:ClockSyncInterval", options.ClockSyncInterval);
        Positive(failures, $"{prefix}:RateLimitBackoff", options.RateLimitBackoff);
        if (options.MaxConnections < 1)
        {
            failures.Add($"{prefix}:MaxConnections must be at least 1 (got {options.MaxConnections}).");
        }

        if (options.ClockSamples is < 1 or > 50)
        {
            failures.Add($"{prefix}:ClockSamples must be 1..50 (got {options.ClockSamples}).");
        }

        if (options.RateLimitUsablePercent is < 1 or > 100)
        {
            failures.Add($"{prefix}:RateLimitUsablePercent must be 1..100 (got {options.RateLimitUsablePercent}).");
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
