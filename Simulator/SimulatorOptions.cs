using System.Globalization;

namespace Simulator;

/// <summary>Start-up settings of the simulated venue. Every value has a usable default.</summary>
public sealed class SimulatorOptions
{
    /// <summary>The documented default API key (never a real Binance credential).</summary>
    public const string DefaultApiKey = "simkey0000000000000000000000000000000000000000000000000000000001";

    /// <summary>The documented default API secret (never a real Binance credential).</summary>
    public const string DefaultApiSecret = "simsecret0000000000000000000000000000000000000000000000000000001";

    /// <summary>TCP port on 127.0.0.1; 0 picks an ephemeral one.</summary>
    public int Port { get; set; }

    /// <summary>How many symbols trade (1..20, taken in order from the built-in table).</summary>
    public int Symbols { get; set; } = 20;

    /// <summary>Seed of the random walk; the same seed and start time give the same prices.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Simulated seconds per real second (1 = real time).</summary>
    public double Speed { get; set; } = 1.0;

    /// <summary>Simulated start time in Unix ms; null = the wall clock at start.</summary>
    public long? StartTimeMs { get; set; }

    /// <summary>A Binance public-data CSV (aggTrades or klines, header or not) that drives one symbol's price.</summary>
    public string? ReplayFile { get; set; }

    /// <summary>Symbol the replay file drives; null = taken from the file name (e.g. BTCUSDT-1m-2020-01-01.csv).</summary>
    public string? ReplaySymbol { get; set; }

    /// <summary>The account's API key (sent in X-MBX-APIKEY).</summary>
    public string ApiKey { get; set; } = DefaultApiKey;

    /// <summary>The account's HMAC secret.</summary>
    public string ApiSecret { get; set; } = DefaultApiSecret;

    /// <summary>
    /// Ed25519 API keys of the account: API key → public key as SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----",
    /// what Binance's key generator writes). Requests with such a key carry a base64 Ed25519 signature; a key is either
    /// this or the HMAC <see cref="ApiKey"/>, never both.
    /// </summary>
    public IDictionary<string, string> Ed25519PublicKeys { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How long a WebSocket API connection (/ws-fapi/v1) lives before the venue closes it (Binance: 24 hours).</summary>
    public TimeSpan WsApiConnectionLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Starting USDT wallet balance.</summary>
    public decimal Balance { get; set; } = 10000m;

    /// <summary>Default leverage of every symbol.</summary>
    public int DefaultLeverage { get; set; } = 20;

    /// <summary>Maker commission rate (0.0002 = 0.02 %).</summary>
    public decimal MakerCommission { get; set; } = 0.0002m;

    /// <summary>Taker commission rate (0.0005 = 0.05 %).</summary>
    public decimal TakerCommission { get; set; } = 0.0005m;

    /// <summary>Lifetime of a listenKey after creation or its last keep-alive (simulated time).</summary>
    public TimeSpan ListenKeyLifetime { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>Request weight allowed per minute per client IP (exchangeInfo reports it).</summary>
    public int WeightLimitPerMinute { get; set; } = 2400;

    /// <summary>Orders allowed per minute per account.</summary>
    public int OrderLimitPerMinute { get; set; } = 1200;

    /// <summary>Orders allowed per 10 seconds per account.</summary>
    public int OrderLimitPer10Seconds { get; set; } = 300;

    /// <summary>Requests a client may send after a 429 within the same window before it is banned with 418.</summary>
    public int RequestsAfter429BeforeBan { get; set; } = 5;

    /// <summary>Length of a 418 ban (simulated time).</summary>
    public TimeSpan BanDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Real-time period of the simulation loop.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Minutes of candle history generated before the start (0 = none).</summary>
    public int BackfillMinutes { get; set; } = 120;

    /// <summary>Least severe log level written (the console logger of the embedded web host).</summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Information;

    /// <summary>Delay added to every REST response from the start (a fault; admin can change it).</summary>
    public TimeSpan ResponseDelay { get; set; }

    /// <summary>Clock skew from the start in ms (a fault; admin can change it).</summary>
    public long ClockSkewMs { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Check(Port is >= 0 and <= 65535, nameof(Port), "must be 0..65535");
        Check(Symbols is >= 1 and <= SymbolCatalog.Count, nameof(Symbols), $"must be 1..{SymbolCatalog.Count}");
        Check(Speed is > 0 and <= 100_000 && double.IsFinite(Speed), nameof(Speed), "must be in (0, 100000]");
        Check(!string.IsNullOrWhiteSpace(ApiKey) && ApiKey.Length <= 128 && ApiKey.All(char.IsAsciiLetterOrDigit), nameof(ApiKey), "must be 1..128 ASCII letters or digits");
        Check(!string.IsNullOrEmpty(ApiSecret), nameof(ApiSecret), "must not be empty");
        foreach (var (key, pem) in Ed25519PublicKeys)
        {
            Check(!string.IsNullOrWhiteSpace(key) && key.Length <= 128 && key.All(char.IsAsciiLetterOrDigit), nameof(Ed25519PublicKeys), $"key '{key}' must be 1..128 ASCII letters or digits");
            Check(!string.Equals(key, ApiKey, StringComparison.Ordinal), nameof(Ed25519PublicKeys), "must not hold the HMAC ApiKey: a key is HMAC or Ed25519, never both");
            ApiKeys.ParsePublicKey(pem);
        }

        Check(WsApiConnectionLifetime > TimeSpan.Zero, nameof(WsApiConnectionLifetime), "must be positive");
        Check(Balance >= 0, nameof(Balance), "must not be negative");
        Check(DefaultLeverage is >= 1 and <= 125, nameof(DefaultLeverage), "must be 1..125");
        Check(MakerCommission is >= 0 and < 0.1m && TakerCommission is >= 0 and < 0.1m, "Commission", "must be in [0, 0.1)");
        Check(ListenKeyLifetime > TimeSpan.Zero, nameof(ListenKeyLifetime), "must be positive");
        Check(WeightLimitPerMinute > 0 && OrderLimitPerMinute > 0 && OrderLimitPer10Seconds > 0, "RateLimits", "must be positive");
        Check(RequestsAfter429BeforeBan >= 0, nameof(RequestsAfter429BeforeBan), "must not be negative");
        Check(BanDuration > TimeSpan.Zero, nameof(BanDuration), "must be positive");
        Check(TickInterval >= TimeSpan.FromMilliseconds(1) && TickInterval <= TimeSpan.FromSeconds(1), nameof(TickInterval), "must be 1 ms..1 s");
        Check(BackfillMinutes is >= 0 and <= 14 * 24 * 60, nameof(BackfillMinutes), "must be 0..20160");
        Check(ResponseDelay >= TimeSpan.Zero, nameof(ResponseDelay), "must not be negative");
        if (ReplayFile is not null)
        {
            Check(File.Exists(ReplayFile), nameof(ReplayFile), $"file not found: {ReplayFile}");
        }
    }

    /// <summary>
    /// Applies command-line switches (--port 8080 --symbols 20 --seed 1 --speed 1 --replay FILE --api-key K --api-secret S
    /// --balance 10000 --listen-key-minutes 60 --weight-limit-per-minute 2400 --order-limit-per-minute 1200 --order-limit-per-10s 300
    /// --api-key-ed25519 KEY=PATH_TO_PUBLIC_KEY_PEM (repeatable) --ws-api-lifetime-seconds 86400).
    /// </summary>
    public static SimulatorOptions FromArgs(IReadOnlyList<string> args)
    {
        var o = new SimulatorOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"option {name} needs a value");
            }

            var value = args[++i];
            var inv = CultureInfo.InvariantCulture;
            switch (name)
            {
                case "--port": o.Port = int.Parse(value, inv); break;
                case "--symbols": o.Symbols = int.Parse(value, inv); break;
                case "--seed": o.Seed = int.Parse(value, inv); break;
                case "--speed": o.Speed = double.Parse(value, inv); break;
                case "--replay": o.ReplayFile = value; break;
                case "--replay-symbol": o.ReplaySymbol = value; break;
                case "--api-key": o.ApiKey = value; break;
                case "--api-secret": o.ApiSecret = value; break;
                case "--balance": o.Balance = decimal.Parse(value, NumberStyles.Number, inv); break;
                case "--leverage": o.DefaultLeverage = int.Parse(value, inv); break;
                case "--backfill-minutes": o.BackfillMinutes = int.Parse(value, inv); break;
                case "--listen-key-minutes": o.ListenKeyLifetime = TimeSpan.FromMinutes(double.Parse(value, inv)); break;
                case "--weight-limit-per-minute": o.WeightLimitPerMinute = int.Parse(value, inv); break;
                case "--order-limit-per-minute": o.OrderLimitPerMinute = int.Parse(value, inv); break;
                case "--order-limit-per-10s": o.OrderLimitPer10Seconds = int.Parse(value, inv); break;
                case "--api-key-ed25519": AddEd25519Key(o, value); break;
                case "--ws-api-lifetime-seconds": o.WsApiConnectionLifetime = TimeSpan.FromSeconds(double.Parse(value, inv)); break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }

        return o;
    }

    // KEY=PATH: the public key PEM is read now so that a wrong path fails at start, naming the switch
    private static void AddEd25519Key(SimulatorOptions o, string value)
    {
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == value.Length - 1)
        {
            throw new ArgumentException($"--api-key-ed25519 needs KEY=PATH_TO_PUBLIC_KEY_PEM (got '{value}')");
        }

        var path = value[(eq + 1)..];
        if (!File.Exists(path))
        {
            throw new ArgumentException($"--api-key-ed25519: public key file not found: {path}");
        }

        o.Ed25519PublicKeys[value[..eq]] = File.ReadAllText(path);
    }

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"SimulatorOptions.{name} {rule}.", name);
        }
    }
}
