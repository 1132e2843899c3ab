using System.Globalization;
using Engine.Exchange;

namespace Engine.Hosting;

/// <summary>
/// Reads the command line (<c>--mode</c>, <c>--testnet</c>, <c>--file</c>) and the operators' environment variables
/// (<c>BINANCE_API_KEY</c>, <c>BINANCE_API_SECRET</c> or <c>BINANCE_API_PRIVATE_KEY_FILE</c>, <c>ENVIRONMENT</c>, <c>LOG_LEVEL</c>,
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
        environment: BINANCE_API_KEY with BINANCE_API_SECRET (an HMAC key) or BINANCE_API_PRIVATE_KEY_FILE (an Ed25519
                     key's PKCS#8 PEM; or the PEM itself in BINANCE_API_PRIVATE_KEY) (live), ENVIRONMENT (development|production),
                     LOG_LEVEL (trace|debug|information|warning|error|critical), RECONCILIATION_INTERVAL (seconds),
                     Engine__Section__Key for any setting of appsettings.json
        """;

    /// <summary>The API key, sent in every keyed request's header.</summary>
    public const string ApiKeyVariable = "BINANCE_API_KEY";

    /// <summary>The secret of an HMAC API key.</summary>
    public const string ApiSecretVariable = "BINANCE_API_SECRET";

    /// <summary>The path of the PKCS#8 PEM file holding an Ed25519 API key's private key.</summary>
    public const string PrivateKeyFileVariable = "BINANCE_API_PRIVATE_KEY_FILE";

    /// <summary>An Ed25519 API key's private key as PKCS#8 PEM text, for secret stores that hand out variables rather than files.</summary>
    public const string PrivateKeyVariable = "BINANCE_API_PRIVATE_KEY";

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

        var credentials = ReadCredentials(environment, resolved, errors);

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
    /// The API key and what signs for it: <c>BINANCE_API_SECRET</c> (an HMAC key) or an Ed25519 private key in PKCS#8 PEM,
    /// from the file <c>BINANCE_API_PRIVATE_KEY_FILE</c> names or from <c>BINANCE_API_PRIVATE_KEY</c> itself. The key type
    /// follows from which one is set; two of them set is an error, since the engine cannot know which key Binance holds.
    /// Everything set is checked in every mode; no message quotes a key, a secret or a line of a PEM.
    /// </summary>
    private static ApiCredentials? ReadCredentials(Func<string, string?> environment, EngineMode mode, List<string> errors)
    {
        var key = environment(ApiKeyVariable);
        var secret = environment(ApiSecretVariable);
        var privateKeyFile = environment(PrivateKeyFileVariable);
        var privateKey = environment(PrivateKeyVariable);
        var hasKey = !string.IsNullOrWhiteSpace(key);
        string[] signing = [.. new[] { (ApiSecretVariable, secret), (PrivateKeyFileVariable, privateKeyFile), (PrivateKeyVariable, privateKey) }
            .Where(v => !string.IsNullOrWhiteSpace(v.Item2)).Select(v => v.Item1)];

        // Checked whenever set, in every mode: a key is refused before it could reach a request header.
        var problems = new List<string>();
        if (hasKey && ApiCredentials.Problem(ApiKeyVariable, key!) is { } keyProblem)
        {
            problems.Add(keyProblem);
        }

        if (signing.Length > 1)
        {
            problems.Add($"{string.Join(" and ", signing)} are {(signing.Length == 2 ? "both" : "all")} set: set one, {ApiSecretVariable} for an HMAC key or {PrivateKeyFileVariable} for an Ed25519 key, whichever type Binance made this API key.");
            errors.AddRange(problems);
            return null;
        }

        NSec.Cryptography.Key? ed25519 = null;
        switch (signing.FirstOrDefault())
        {
            case ApiSecretVariable when ApiCredentials.Problem(ApiSecretVariable, secret!) is { } secretProblem:
                problems.Add(secretProblem);
                break;
            case PrivateKeyFileVariable:
                ed25519 = ReadPrivateKeyFile(privateKeyFile!.Trim(), problems);
                break;
            case PrivateKeyVariable:
                ed25519 = Exchange.Signing.Ed25519PrivateKeyPem.TryImport(PrivateKeyVariable, privateKey, out var pemProblem);
                if (pemProblem is not null)
                {
                    problems.Add(pemProblem);
                }

                break;
        }

        if (problems.Count > 0)
        {
            ed25519?.Dispose();
            errors.AddRange(problems);
            return null;
        }

        if (hasKey && signing.Length == 1)
        {
            return ed25519 is null ? new ApiCredentials(key!, secret!) : ApiCredentials.WithEd25519Key(key!, ed25519);
        }

        ed25519?.Dispose();
        if (mode == EngineMode.Live)
        {
            var missing = (hasKey, signing.Length == 1) switch
            {
                (false, false) => $"{ApiKeyVariable} and {ApiSecretVariable} (or {PrivateKeyFileVariable} for an Ed25519 key) are not set",
                (true, false) => $"{ApiSecretVariable} (or {PrivateKeyFileVariable} for an Ed25519 key) is not set",
                _ => $"{ApiKeyVariable} is not set",
            };
            errors.Add($"live mode needs API keys: {missing}.");
        }
        else if (hasKey || signing.Length == 1)
        {
            var set = hasKey ? ApiKeyVariable : signing[0];
            var unset = hasKey ? $"{ApiSecretVariable} or {PrivateKeyFileVariable}" : ApiKeyVariable;
            errors.Add($"{set} is set without {unset}; set both or neither.");
        }

        return null;
    }

    /// <summary>Reads the Ed25519 private key from <paramref name="path"/>; a missing, unreadable or oversized file is a problem named by its path, never its content.</summary>
    private static NSec.Cryptography.Key? ReadPrivateKeyFile(string path, List<string> problems)
    {
        var name = $"{PrivateKeyFileVariable} ('{StartupRefusal.OneLine(path)}')";
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                problems.Add($"{name} does not exist.");
                return null;
            }

            if (info.Length > Exchange.Signing.Ed25519PrivateKeyPem.MaxLength)
            {
                problems.Add($"{name} is {info.Length} bytes, more than the {Exchange.Signing.Ed25519PrivateKeyPem.MaxLength} a PEM private key may have.");
                return null;
            }

            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problems.Add($"{name} cannot be read: {e.GetType().Name}.");
            return null;
        }

        var key = Exchange.Signing.Ed25519PrivateKeyPem.TryImport(name, text, out var problem);
        if (problem is not null)
        {
            problems.Add(problem);
        }

        return key;
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
