using System.Net.Security;
using Microsoft.Extensions.Options;

namespace Engine.Exchange.Wire;

/// <summary>The engine's own keep-alive REST connections for orders; bound from <see cref="Section"/>.</summary>
public sealed class RestOrderPoolOptions
{
    public const string Section = "Engine:RestOrderPool";

    /// <summary>The venue's root, as <c>Engine:Rest:BaseAddress</c>: live, testnet or a simulator on loopback (http://127.0.0.1:port).</summary>
    public string BaseAddress { get; set; } = "https://fapi.binance.com";

    /// <summary>
    /// Connections opened and kept warm. One request is in flight per connection (no pipelining), so this is how many
    /// orders can be on the wire at once on this path: what a burst sends beyond that waits for the I/O loop's REST
    /// client. The brain decides in bursts (a dozen orders on one minute's close); with two connections half of a
    /// burst's REST orders went to the loop in the e2e harness, with eight a fifth. Each costs the venue one request of
    /// weight 1 per <see cref="KeepWarmInterval"/>.
    /// </summary>
    public int Connections { get; set; } = 8;

    /// <summary>Limit on the TCP connect and TLS handshake of one connection.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Limit from a request's send to its whole answer. A request without an answer by then has an unknown outcome:
    /// its connection is closed (the only way to give up on an HTTP/1.1 request) and reported lost.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// An idle connection sends <c>GET /fapi/v1/time</c> (weight 1) this often, so the venue's idle time-out never
    /// closes it under an order and its path stays warm. Zero turns it off.
    /// </summary>
    public TimeSpan KeepWarmInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait before reconnecting a lost connection; doubled after each failed attempt.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between reconnect attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest signed parameter string an order request may carry.</summary>
    public int MaxParametersBytes { get; set; } = 4096;

    /// <summary>TLS server-certificate check; null uses the system's, the only right choice live.</summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; set; }
}

/// <summary>Refuses settings the pool cannot work with, naming each.</summary>
public sealed class RestOrderPoolOptionsValidator : IValidateOptions<RestOrderPoolOptions>
{
    public ValidateOptionsResult Validate(string? name, RestOrderPoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var prefix = RestOrderPoolOptions.Section;
        if (!Uri.TryCreate(options.BaseAddress, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.PathAndQuery != "/")
        {
            failures.Add($"{prefix}:BaseAddress must be an absolute http(s) URL without a path, e.g. https://fapi.binance.com (got '{options.BaseAddress}').");
        }
        else if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback)
        {
            failures.Add($"{prefix}:BaseAddress may use plain http only on loopback (a simulator); got '{options.BaseAddress}'.");
        }

        if (options.Connections is < 1 or > 16)
        {
            failures.Add($"{prefix}:Connections must be 1..16 (got {options.Connections}).");
        }

        Positive(failures, $"{prefix}:ConnectTimeout", options.ConnectTimeout);
        Positive(failures, $"{prefix}:RequestTimeout", options.RequestTimeout);
        Positive(failures, $"{prefix}:ReconnectDelay", options.ReconnectDelay);
        if (options.MaxReconnectDelay < options.ReconnectDelay)
        {
            failures.Add($"{prefix}:MaxReconnectDelay must be at least ReconnectDelay (got {options.MaxReconnectDelay} < {options.ReconnectDelay}).");
        }

        if (options.KeepWarmInterval < TimeSpan.Zero)
        {
            failures.Add($"{prefix}:KeepWarmInterval must be zero (off) or positive (got {options.KeepWarmInterval}).");
        }

        if (options.MaxParametersBytes is < 256 or > 60 * 1024)
        {
            failures.Add($"{prefix}:MaxParametersBytes must be 256..61440 (got {options.MaxParametersBytes}).");
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
