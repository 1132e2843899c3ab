using System.Net;

namespace Engine.Hosting;

/// <summary>Where the gRPC control plane listens and the token it asks for off loopback.</summary>
public sealed class ControlOptions
{
    /// <summary>IP address to bind; loopback by default. Any other address requires <see cref="Token"/>.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>TCP port (h2c); 0 picks a free one, logged at start.</summary>
    public int Port { get; set; } = 5001;

    /// <summary>
    /// Bearer token every request must carry (<c>authorization: Bearer …</c>) when the bind is not loopback.
    /// A secret: never logged, and not shown by <see cref="ToString"/>.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>How long a command may take to pass through the ring before its RPC gives up (DEADLINE_EXCEEDED).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public override string ToString() => $"Control({Address}:{Port}, token {(string.IsNullOrEmpty(Token) ? "none" : "set")})";
}

/// <summary>Where the Prometheus endpoint listens.</summary>
public sealed class MetricsOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>IP address to bind; loopback by default. Any other address requires the control token (Prometheus sends it as a bearer token).</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>TCP port (HTTP/1.1); 0 picks a free one, logged at start.</summary>
    public int Port { get; set; } = 9464;
}

/// <summary>Thresholds of the health checks.</summary>
public sealed class HealthOptions
{
    /// <summary>How often components are checked (and grpc.health.v1 and WatchEvents updated).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A market source that has published nothing for this long is not serving.</summary>
    public TimeSpan FeedStaleAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Window of the "no missing candles" check (evaluated once a candle feed exists).</summary>
    public TimeSpan MissingCandlesWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The last successful reconciliation must be younger than this (evaluated once a reconciler exists).</summary>
    public TimeSpan ReconciliationMaxAge { get; set; } = TimeSpan.FromMinutes(15);
}

internal static class ControlOptionsValidation
{
    public static void Validate(EngineOptions options, List<string> failures)
    {
        var control = options.Control;
        var controlLoopback = CheckEndpoint("Engine:Control", control.Address, control.Port, failures);
        if (controlLoopback == false && string.IsNullOrWhiteSpace(control.Token))
        {
            failures.Add($"Engine:Control:Address {control.Address} is not loopback: set Engine:Control:Token (requests must then carry it as a bearer token).");
        }

        if (!string.IsNullOrEmpty(control.Token) && control.Token.Trim().Length < 16)
        {
            failures.Add("Engine:Control:Token must be at least 16 characters.");
        }

        if (control.CommandTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Engine:Control:CommandTimeout must be positive (got {control.CommandTimeout}).");
        }

        var metrics = options.Metrics;
        if (metrics.Enabled)
        {
            var metricsLoopback = CheckEndpoint("Engine:Metrics", metrics.Address, metrics.Port, failures);
            if (metricsLoopback == false && string.IsNullOrWhiteSpace(control.Token))
            {
                failures.Add($"Engine:Metrics:Address {metrics.Address} is not loopback: set Engine:Control:Token (scrapes must then carry it as a bearer token).");
            }

            if (metrics.Port != 0 && metrics.Port == control.Port && controlLoopback is not null && metricsLoopback is not null)
            {
                failures.Add($"Engine:Metrics:Port and Engine:Control:Port are both {metrics.Port}; they must differ.");
            }
        }

        var health = options.Health;
        if (health.CheckInterval <= TimeSpan.Zero || health.FeedStaleAfter <= TimeSpan.Zero
            || health.MissingCandlesWindow <= TimeSpan.Zero || health.ReconciliationMaxAge <= TimeSpan.Zero)
        {
            failures.Add("Engine:Health:CheckInterval, FeedStaleAfter, MissingCandlesWindow and ReconciliationMaxAge must be positive.");
        }
    }

    /// <summary>True when the address is loopback, false when it is another address, null when it is not one.</summary>
    private static bool? CheckEndpoint(string section, string address, int port, List<string> failures)
    {
        if (port is < 0 or > 65535)
        {
            failures.Add($"{section}:Port must be 0..65535 (got {port}).");
        }

        if (!IPAddress.TryParse(address, out var ip))
        {
            failures.Add($"{section}:Address must be an IP address (got '{address}').");
            return null;
        }

        return IPAddress.IsLoopback(ip);
    }
}
