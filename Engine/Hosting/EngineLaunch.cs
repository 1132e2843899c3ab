using System.Globalization;
using Engine.Exchange;

namespace Engine.Hosting;

/// <summary>
/// Reads the command line (<c>--mode</c>, <c>--testnet</c>, <c>--file</c>) and the operators' environment variables
/// (<c>BINANCE_API_KEY</c>, <c>BINANCE_API_SECRET</c>, <c>ENVIRONMENT</c>, <c>LOG_LEVEL</c>,
/// <c>RECONCILIATION_INTERVAL</c>) and decides whether this build can run what was asked, before anything starts.
/// </summary>
public static class EngineLaunch
{
    public const string Usage = """
        usage: Engine [--mode sim|live|paper|replay|synthetic] [--testnet] [--file PATH] [--recover-from-venue] [--Section:Key=value ...]
          --mode      what to trade against (default: sim, the embedded Binance-compatible simulator; see docs/OPERATIONS.md)
          --testnet   live mode against the Binance testnet
          --file      the recording replay mode reads
          --recover-from-venue  live and sim: if the journal is damaged, set it aside and start from the venue's positions
        environment: BINANCE_API_KEY, BINANCE_API_SECRET (live), ENVIRONMENT (development|production),
                     LOG_LEVEL (trace|debug|information|warning|error|critical), RECONCILIATION_INTERVAL (seconds),
                     Engine__Section__Key for any setting of appsettings.json
        """;

    private static readonly string[] s_logLevels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical", "None"];

    /// <summary>Parses <paramref name="args"/> and the environment; <paramref name="errors"/> lists every problem found.</summary>
    public static LaunchSettings Parse(IReadOnlyList<string> args, Func<string, string?> environment, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(errors);
        EngineMode? mode = null;
        var testnet = false;
        string? file = null;
        var help = false;
        var recoverFromVenue = false;
        var passOn = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var (name, inline) = Split(arg);
            switch (name)
            {
                case "--mode":
                    var value = inline ?? (i + 1 < args.Count ? args[++i] : null);
                    if (value is null)
                    {
                        errors.Add("--mode needs a value: synthetic, sim, paper, live or replay.");
                    }
                    else if (!TryParseMode(value, out var parsed))
                    {
                        errors.Add($"--mode '{value}' is not a mode (synthetic, sim, paper, live, replay).");
                    }
                    else
                    {
                        mode = parsed;
                    }

                    break;
                case "--testnet":
                    testnet = true;
                    break;
                case "--file":
                    file = inline ?? (i + 1 < args.Count ? args[++i] : null);
                    if (string.IsNullOrWhiteSpace(file))
                    {
                        errors.Add("--file needs a path.");
                    }

                    break;
                case "--recover-from-venue":
                    recoverFromVenue = true;
                    break;
                case "-h" or "--help":
                    help = true;
                    break;
                default:
                    // Configuration overrides (--Engine:Ring:Size=1024) go on to the host; anything else is a typo.
                    if (name.StartsWith("--", StringComparison.Ordinal) && name.Contains(':', StringComparison.Ordinal))
                    {
                        passOn.Add(arg);
                        if (inline is null && i + 1 < args.Count)
                        {
                            passOn.Add(args[++i]);
                        }
                    }
                    else
                    {
                        errors.Add($"unknown argument '{arg}'.");
                    }

                    break;
            }
        }

        var resolved = mode ?? EngineMode.Sim;
        if (testnet && resolved != EngineMode.Live)
        {
            errors.Add("--testnet applies to --mode live only.");
        }

        if (file is not null && resolved != EngineMode.Replay)
        {
            errors.Add("--file applies to --mode replay only.");
        }

        if (recoverFromVenue && resolved is not (EngineMode.Live or EngineMode.Sim))
        {
            errors.Add($"--recover-from-venue applies to --mode live or sim only: {resolved.ToString().ToLowerInvariant()} mode has no venue whose positions could replace a damaged journal.");
        }

        if (resolved == EngineMode.Replay)
        {
            if (file is null)
            {
                errors.Add("--mode replay needs --file PATH (a Binance public-data CSV).");
            }
            else if (!File.Exists(file))
            {
                errors.Add($"--file '{file}' does not exist.");
            }
        }

        var overrides = new Dictionary<string, string?>();
        var env = environment("ENVIRONMENT");
        var environmentName = "development";
        if (!string.IsNullOrWhiteSpace(env))
        {
            environmentName = env.Trim().ToLowerInvariant();
            if (environmentName is not ("development" or "production"))
            {
                errors.Add($"ENVIRONMENT '{env}' must be development or production.");
            }
        }

        var logLevel = environment("LOG_LEVEL");
        if (!string.IsNullOrWhiteSpace(logLevel))
        {
            var level = NormalizeLogLevel(logLevel.Trim());
            if (level is null)
            {
                errors.Add($"LOG_LEVEL '{logLevel}' must be one of trace, debug, information, warning, error, critical, none.");
            }
            else
            {
                overrides["Logging:LogLevel:Default"] = level;
            }
        }

        var reconciliation = environment("RECONCILIATION_INTERVAL");
        if (!string.IsNullOrWhiteSpace(reconciliation))
        {
            if (int.TryParse(reconciliation.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                && seconds > 0 && seconds <= SettingsCheck.MaxInterval.TotalSeconds)
            {
                overrides["Engine:Reconciliation:Interval"] = TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture);
            }
            else
            {
                errors.Add($"RECONCILIATION_INTERVAL '{StartupRefusal.OneLine(reconciliation)}' must be a whole number of seconds from 1 to {SettingsCheck.MaxInterval.TotalSeconds:0}.");
            }
        }

        var key = environment("BINANCE_API_KEY");
        var secret = environment("BINANCE_API_SECRET");
        ApiCredentials? credentials = null;
        var hasKey = !string.IsNullOrWhiteSpace(key);
        var hasSecret = !string.IsNullOrWhiteSpace(secret);
        // Checked whenever set, in every mode: a key is refused before it could reach a request header.
        var keyProblem = hasKey ? ApiCredentials.Problem("BINANCE_API_KEY", key!) : null;
        var secretProblem = hasSecret ? ApiCredentials.Problem("BINANCE_API_SECRET", secret!) : null;
        if (keyProblem is not null || secretProblem is not null)
        {
            errors.AddRange(new[] { keyProblem, secretProblem }.OfType<string>());
        }
        else if (hasKey && hasSecret)
        {
            credentials = new ApiCredentials(key!, secret!);
        }
        else if (resolved == EngineMode.Live)
        {
            var missing = (hasKey, hasSecret) switch
            {
                (false, false) => "BINANCE_API_KEY and BINANCE_API_SECRET are not set",
                (true, false) => "BINANCE_API_SECRET is not set",
                _ => "BINANCE_API_KEY is not set",
            };
            errors.Add($"live mode needs API keys: {missing}.");
        }
        else if (hasKey != hasSecret)
        {
            errors.Add($"{(hasKey ? "BINANCE_API_KEY" : "BINANCE_API_SECRET")} is set without {(hasKey ? "BINANCE_API_SECRET" : "BINANCE_API_KEY")}; set both or neither.");
        }

        return new LaunchSettings
        {
            Mode = resolved,
            Testnet = testnet,
            ReplayFile = file,
            Environment = environmentName,
            Credentials = credentials,
            ConfigurationArgs = passOn,
            ConfigurationOverrides = overrides,
            ShowHelp = help,
            RecoverFromVenue = recoverFromVenue,
        };
    }

    /// <summary>
    /// Why this build cannot run <paramref name="settings"/>' mode, or null when it can. Modes whose parts have not
    /// landed refuse and name what is missing rather than run something else under their name.
    /// </summary>
    public static string? Unavailable(LaunchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Mode switch
        {
            EngineMode.Synthetic or EngineMode.Sim or EngineMode.Paper or EngineMode.Live or EngineMode.Replay => null,
            _ => $"unknown mode {settings.Mode}.",
        };
    }

    internal static bool TryParseMode(string value, out EngineMode mode)
    {
        switch (value.Trim().ToLowerInvariant())
        {
            case "synthetic": mode = EngineMode.Synthetic; return true;
            case "sim": mode = EngineMode.Sim; return true;
            case "paper": mode = EngineMode.Paper; return true;
            case "live": mode = EngineMode.Live; return true;
            case "replay": mode = EngineMode.Replay; return true;
            default: mode = default; return false;
        }
    }

    private static string? NormalizeLogLevel(string value)
    {
        var lower = value.ToLowerInvariant() switch
        {
            "info" => "information",
            "warn" => "warning",
            "err" => "error",
            "fatal" => "critical",
            var other => other,
        };
        foreach (var level in s_logLevels)
        {
            if (string.Equals(level, lower, StringComparison.OrdinalIgnoreCase))
            {
                return level;
            }
        }

        return null;
    }

    private static (string Name, string? Inline) Split(string arg)
    {
        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && arg.StartsWith("--", StringComparison.Ordinal) ? (arg[..equals], arg[(equals + 1)..]) : (arg, null);
    }
}
