namespace Engine.Hosting;

/// <summary>What the engine trades against.</summary>
public enum EngineMode
{
    /// <summary>The built-in synthetic market through the ring; no venue and no orders (today's default, see docs/OPERATIONS.md).</summary>
    Synthetic,

    /// <summary>The embedded simulator's streams and REST API.</summary>
    Sim,

    /// <summary>Binance public streams, orders simulated locally.</summary>
    Paper,

    /// <summary>Binance (or its testnet with <c>--testnet</c>); needs API keys.</summary>
    Live,

    /// <summary>A recorded file (<c>--file</c>), orders on paper.</summary>
    Replay,
}

/// <summary>The run's settings from the command line and the operators' environment variables.</summary>
public sealed class LaunchSettings
{
    public EngineMode Mode { get; init; } = EngineMode.Synthetic;

    public bool Testnet { get; init; }

    public string? ReplayFile { get; init; }

    /// <summary>"development" or "production" (<c>ENVIRONMENT</c>).</summary>
    public string Environment { get; init; } = "development";

    /// <summary>True when both <c>BINANCE_API_KEY</c> and <c>BINANCE_API_SECRET</c> are set. The keys themselves stay in <see cref="Exchange.ApiCredentials"/>.</summary>
    public Exchange.ApiCredentials? Credentials { get; init; }

    /// <summary>Command-line arguments left for the host's configuration (<c>--Engine:Ring:Size=1024</c> and the like).</summary>
    public IReadOnlyList<string> ConfigurationArgs { get; init; } = [];

    /// <summary>Configuration set from the operators' variables (<c>LOG_LEVEL</c>, <c>RECONCILIATION_INTERVAL</c>).</summary>
    public IReadOnlyDictionary<string, string?> ConfigurationOverrides { get; init; } = new Dictionary<string, string?>();

    public bool ShowHelp { get; init; }

    public override string ToString() =>
        $"mode {Mode.ToString().ToLowerInvariant()}{(Testnet ? " (testnet)" : "")}, environment {Environment}, keys {(Credentials is null ? "not set" : "set")}";
}
