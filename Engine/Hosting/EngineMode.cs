namespace Engine.Hosting;

/// <summary>What the engine trades against.</summary>
public enum EngineMode
{
    /// <summary>The built-in synthetic market through the ring; no venue and no orders (a smoke test of the pipeline).</summary>
    Synthetic,

    /// <summary>The embedded simulator's streams, REST API and user-data stream (the default).</summary>
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
    public EngineMode Mode { get; init; } = EngineMode.Sim;

    public bool Testnet { get; init; }

    public string? ReplayFile { get; init; }

    /// <summary>"development" or "production" (<c>ENVIRONMENT</c>).</summary>
    public string Environment { get; init; } = "development";

    /// <summary>Set when <c>BINANCE_API_KEY</c> and its secret or Ed25519 private key are set. The keys themselves stay in <see cref="Exchange.ApiCredentials"/>.</summary>
    public Exchange.ApiCredentials? Credentials { get; init; }

    /// <summary>Command-line arguments left for the host's configuration (<c>--Engine:Ring:Size=1024</c> and the like).</summary>
    public IReadOnlyList<string> ConfigurationArgs { get; init; } = [];

    /// <summary>Configuration set from the operators' variables (<c>LOG_LEVEL</c>, <c>RECONCILIATION_INTERVAL</c>).</summary>
    public IReadOnlyDictionary<string, string?> ConfigurationOverrides { get; init; } = new Dictionary<string, string?>();

    public bool ShowHelp { get; init; }

    /// <summary><c>--recover-from-venue</c>: a damaged journal is set aside and the venue's positions taken instead of refusing to start.</summary>
    public bool RecoverFromVenue { get; init; }

    public override string ToString() =>
        $"mode {Mode.ToString().ToLowerInvariant()}{(Testnet ? " (testnet)" : "")}, environment {Environment}, keys {(Credentials is null ? "not set" : "set")}";
}
