using System.Security.Cryptography;
using System.Text;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Tests.Exchange.Rest;

/// <summary>Builds clients against a <see cref="LoopbackVenue"/> and checks signatures with the BCL, independently of the engine's signer.</summary>
internal static class RestHarness
{
    // Binance's documented example key pair (BINANCE_USDM.md §3.2).
    public const string ApiKey = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
    public const string Secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

    public static BinanceRestClient Client(
        LoopbackVenue venue,
        ILoggerFactory? logs = null,
        Action<BinanceRestOptions>? configure = null,
        TimeProvider? time = null,
        RateLimitTracker? rateLimits = null,
        bool withCredentials = true)
    {
        var options = new BinanceRestOptions { BaseAddress = venue.BaseAddress, RequestTimeout = TimeSpan.FromSeconds(5), ClockSamples = 3 };
        configure?.Invoke(options);
        return new BinanceRestClient(
            Options.Create(options),
            (logs ?? NullLoggerFactory.Instance).CreateLogger<BinanceRestClient>(),
            new ServerClock(time),
            rateLimits ?? new RateLimitTracker(),
            withCredentials ? new ApiCredentials(ApiKey, Secret) : null);
    }

    /// <summary>HMAC-SHA256 (BCL) over the raw query + raw body minus the trailing <c>&amp;signature=…</c>, compared with the one sent.</summary>
    public static bool SignatureValid(RecordedRequest request)
    {
        var total = request.TotalParams;
        var at = total.LastIndexOf("&signature=", StringComparison.Ordinal);
        if (at < 0)
        {
            return false;
        }

        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.ASCII.GetBytes(total[..at])));
        return total[(at + "&signature=".Length)..] == expected;
    }

    /// <summary>The value of a parameter in a raw <c>a=1&amp;b=2</c> string (still percent-encoded).</summary>
    public static string? Param(string raw, string name) =>
        raw.Split('&').Select(p => p.Split('=', 2)).Where(p => p[0] == name).Select(p => p.Length > 1 ? p[1] : string.Empty).FirstOrDefault();

    /// <summary>Parameter names in the order sent.</summary>
    public static string[] Names(string raw) => [.. raw.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)[0])];
}

/// <summary>A wall clock stopped at one instant (the monotonic timestamps stay real).</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
