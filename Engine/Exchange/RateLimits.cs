using System.Globalization;
using System.Text.Json;

namespace Engine.Exchange;

/// <summary>What a rate limit counts.</summary>
public enum RateLimitKind : byte
{
    /// <summary>Request weight per IP ("REQUEST_WEIGHT", header <c>X-MBX-USED-WEIGHT-…</c>).</summary>
    RequestWeight = 1,

    /// <summary>New orders per account ("ORDERS", header <c>X-MBX-ORDER-COUNT-…</c>).</summary>
    Orders,
}

/// <summary>One limit from exchangeInfo <c>rateLimits</c>, e.g. 2,400 weight per 1 minute.</summary>
/// <param name="Kind">What it counts.</param>
/// <param name="IntervalNum">How many units the window spans (10 for "10S").</param>
/// <param name="IntervalUnit">'S', 'M', 'H' or 'D'.</param>
/// <param name="Limit">The most the venue allows per window.</param>
public readonly record struct RateLimitRule(RateLimitKind Kind, int IntervalNum, char IntervalUnit, int Limit)
{
    /// <summary>Binance's defaults for USDⓈ-M (exchangeInfo as observed): 2,400 weight/min, 300 orders/10 s, 1,200 orders/min.</summary>
    public static IReadOnlyList<RateLimitRule> Defaults { get; } =
    [
        new(RateLimitKind.RequestWeight, 1, 'M', 2400),
        new(RateLimitKind.Orders, 10, 'S', 300),
        new(RateLimitKind.Orders, 1, 'M', 1200),
    ];

    /// <summary>The window length in milliseconds.</summary>
    public long IntervalMs => IntervalNum * IntervalUnit switch
    {
        'S' => 1_000L,
        'M' => 60_000L,
        'H' => 3_600_000L,
        'D' => 86_400_000L,
        _ => throw new InvalidOperationException($"Unknown rate-limit interval unit '{IntervalUnit}'."),
    };

    /// <summary>The response-header suffix naming this window, e.g. "1M" or "10S".</summary>
    public string HeaderSuffix => string.Create(CultureInfo.InvariantCulture, $"{IntervalNum}{IntervalUnit}");

    /// <summary>
    /// Reads <c>rateLimits</c> from an exchangeInfo body. Entries of unknown type or interval are skipped; an answer
    /// without the array gives an empty list.
    /// </summary>
    /// <exception cref="JsonException">The body is not valid JSON.</exception>
    public static List<RateLimitRule> ParseExchangeInfo(ReadOnlySpan<byte> utf8Json)
    {
        var rules = new List<RateLimitRule>();
        var reader = new Utf8JsonReader(utf8Json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("exchangeInfo is not a JSON object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isRateLimits = reader.ValueTextEquals("rateLimits"u8);
            reader.Read();
            if (!isRateLimits || reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                if (TryReadRule(ref reader, out var rule))
                {
                    rules.Add(rule);
                }
            }
        }

        return rules;
    }

    private static bool TryReadRule(ref Utf8JsonReader reader, out RateLimitRule rule)
    {
        RateLimitKind kind = 0;
        var unit = '\0';
        int intervalNum = 0, limit = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("rateLimitType"u8))
            {
                reader.Read();
                kind = reader.ValueTextEquals("REQUEST_WEIGHT"u8) ? RateLimitKind.RequestWeight
                    : reader.ValueTextEquals("ORDERS"u8) ? RateLimitKind.Orders : 0;
            }
            else if (reader.ValueTextEquals("interval"u8))
            {
                reader.Read();
                unit = reader.ValueTextEquals("SECOND"u8) ? 'S'
                    : reader.ValueTextEquals("MINUTE"u8) ? 'M'
                    : reader.ValueTextEquals("HOUR"u8) ? 'H'
                    : reader.ValueTextEquals("DAY"u8) ? 'D' : '\0';
            }
            else if (reader.ValueTextEquals("intervalNum"u8))
            {
                reader.Read();
                intervalNum = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("limit"u8))
            {
                reader.Read();
                limit = reader.GetInt32();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        rule = new RateLimitRule(kind, intervalNum, unit, limit);
        return kind != 0 && unit != '\0' && intervalNum > 0 && limit > 0;
    }
}

/// <summary>A limit's state: how much of the current window is used (venue's count or our reservation, whichever is higher).</summary>
public readonly record struct RateLimitUsage(RateLimitRule Rule, int Used, long WindowStartUnixMs);

/// <summary>Why a venue alert was raised.</summary>
public enum VenueAlertKind : byte
{
    /// <summary>HTTP 429: requests are refused locally until the Retry-After time.</summary>
    RateLimited = 1,

    /// <summary>HTTP 418: the IP is banned; nothing is sent until the ban ends. The venue switch should act on this.</summary>
    Banned,
}

/// <summary>A rate-limit alert: what happened, until when, and the venue's words.</summary>
public sealed class VenueAlertEventArgs(VenueAlertKind kind, DateTimeOffset until, string message) : EventArgs
{
    public VenueAlertKind Kind { get; } = kind;

    /// <summary>When sending may resume.</summary>
    public DateTimeOffset Until { get; } = until;

    public string Message { get; } = message;
}

/// <summary>
/// Counts request weight and orders per window against the venue's limits so a request that would exceed one is
/// refused here, before it is sent; corrects the counts from the venue's <c>X-MBX-*</c> headers; remembers 429
/// back-offs and 418 bans. Thread-safe; windows are aligned to the venue's clock (Unix time multiples of the interval).
/// </summary>
public sealed class RateLimitTracker
{
    private const string WeightHeaderPrefix = "X-MBX-USED-WEIGHT-";
    private const string OrderHeaderPrefix = "X-MBX-ORDER-COUNT-";

    private readonly Lock _lock = new();
    private readonly int _usablePercent;
    private readonly TimeSpan _defaultBackoff;
    private Window[] _windows;
    private long _blockedUntilMs;
    private long _bannedUntilMs;

    /// <param name="usablePercent">Share of each limit this process may use (1..100); the rest is left to other users of the IP/account.</param>
    /// <param name="defaultBackoff">How long to hold off after a 429 or 418 without Retry-After.</param>
    public RateLimitTracker(int usablePercent = 100, TimeSpan? defaultBackoff = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(usablePercent, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(usablePercent, 100);
        _usablePercent = usablePercent;
        _defaultBackoff = defaultBackoff ?? TimeSpan.FromSeconds(10);
        _windows = Build(RateLimitRule.Defaults);
    }

    /// <summary>Raised (on the thread that saw the answer) when a 429 or 418 arrives.</summary>
    public event EventHandler<VenueAlertEventArgs>? Alert;

    /// <summary>When a 418 ban ends (Unix ms on the venue clock), or 0 if there is none.</summary>
    public long BannedUntilUnixMs => Volatile.Read(ref _bannedUntilMs);

    /// <summary>When a 429 back-off ends (Unix ms on the venue clock), or 0.</summary>
    public long BlockedUntilUnixMs => Volatile.Read(ref _blockedUntilMs);

    /// <summary>Whether the IP is banned at <paramref name="nowUnixMs"/>.</summary>
    public bool IsBanned(long nowUnixMs) => nowUnixMs < BannedUntilUnixMs;

    /// <summary>Replaces the limits (from exchangeInfo); counts in windows that still apply are kept.</summary>
    public void SetRules(IReadOnlyList<RateLimitRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Count == 0)
        {
            return;
        }

        lock (_lock)
        {
            var windows = Build(rules);
            foreach (ref var window in windows.AsSpan())
            {
                foreach (var old in _windows)
                {
                    if (old.Rule.Kind == window.Rule.Kind && old.Rule.IntervalMs == window.Rule.IntervalMs)
                    {
                        window.Index = old.Index;
                        window.Used = old.Used;
                    }
                }
            }

            _windows = windows;
        }
    }

    /// <summary>The limits and their use now.</summary>
    public RateLimitUsage[] Snapshot(long nowUnixMs)
    {
        lock (_lock)
        {
            var usage = new RateLimitUsage[_windows.Length];
            for (var i = 0; i < _windows.Length; i++)
            {
                ref var window = ref _windows[i];
                Roll(ref window, nowUnixMs);
                usage[i] = new RateLimitUsage(window.Rule, window.Used, window.Index * window.Rule.IntervalMs);
            }

            return usage;
        }
    }

    /// <summary>
    /// Reserves <paramref name="weight"/> and <paramref name="orders"/> in the current windows, or refuses (nothing
    /// reserved) when banned, backing off, or when a limit would be exceeded.
    /// </summary>
    public bool TryAcquire(int weight, int orders, long nowUnixMs, out VenueError? refusal)
    {
        lock (_lock)
        {
            if (nowUnixMs < _bannedUntilMs)
            {
                refusal = Refuse($"IP banned by the venue (HTTP 418) until {Format(_bannedUntilMs)}; nothing is sent until then.", _bannedUntilMs - nowUnixMs);
                return false;
            }

            if (nowUnixMs < _blockedUntilMs)
            {
                refusal = Refuse($"Backing off after HTTP 429 until {Format(_blockedUntilMs)}.", _blockedUntilMs - nowUnixMs);
                return false;
            }

            for (var i = 0; i < _windows.Length; i++)
            {
                ref var window = ref _windows[i];
                Roll(ref window, nowUnixMs);
                var cost = window.Rule.Kind == RateLimitKind.RequestWeight ? weight : orders;
                if (cost > 0 && window.Used + cost > window.Usable)
                {
                    var endMs = (window.Index + 1) * window.Rule.IntervalMs;
                    refusal = Refuse(
                        string.Create(CultureInfo.InvariantCulture, $"{window.Rule.Kind} limit {window.Rule.Limit}/{window.Rule.HeaderSuffix} (usable {window.Usable}): {window.Used} used, this request needs {cost}; window ends {Format(endMs)}."),
                        endMs - nowUnixMs);
                    return false;
                }
            }

            for (var i = 0; i < _windows.Length; i++)
            {
                ref var window = ref _windows[i];
                window.Used += window.Rule.Kind == RateLimitKind.RequestWeight ? weight : orders;
            }

            refusal = null;
            return true;
        }
    }

    /// <summary>Takes the venue's own counts from a response's headers (names are matched case-insensitively).</summary>
    public void Observe(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers, long nowUnixMs)
    {
        ArgumentNullException.ThrowIfNull(headers);
        foreach (var (name, values) in headers)
        {
            RateLimitKind kind;
            string suffix;
            if (name.StartsWith(WeightHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                kind = RateLimitKind.RequestWeight;
                suffix = name[WeightHeaderPrefix.Length..];
            }
            else if (name.StartsWith(OrderHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                kind = RateLimitKind.Orders;
                suffix = name[OrderHeaderPrefix.Length..];
            }
            else
            {
                continue;
            }

            var text = values.FirstOrDefault();
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var used))
            {
                continue;
            }

            lock (_lock)
            {
                for (var i = 0; i < _windows.Length; i++)
                {
                    ref var window = ref _windows[i];
                    if (window.Rule.Kind == kind && string.Equals(window.Suffix, suffix, StringComparison.OrdinalIgnoreCase))
                    {
                        Roll(ref window, nowUnixMs);
                        window.Used = Math.Max(window.Used, used);
                    }
                }
            }
        }
    }

    /// <summary>Records a 429: every request is refused locally until Retry-After (or the default back-off) has passed.</summary>
    public void OnTooManyRequests(TimeSpan? retryAfter, long nowUnixMs, string message)
    {
        var until = nowUnixMs + (long)(retryAfter ?? _defaultBackoff).TotalMilliseconds;
        lock (_lock)
        {
            _blockedUntilMs = Math.Max(_blockedUntilMs, until);
        }

        Alert?.Invoke(this, new VenueAlertEventArgs(VenueAlertKind.RateLimited, DateTimeOffset.FromUnixTimeMilliseconds(until), message));
    }

    /// <summary>Records a 418 ban until <paramref name="untilUnixMs"/>: nothing is sent before then.</summary>
    public void OnBanned(long untilUnixMs, string message)
    {
        lock (_lock)
        {
            _bannedUntilMs = Math.Max(_bannedUntilMs, untilUnixMs);
        }

        Alert?.Invoke(this, new VenueAlertEventArgs(VenueAlertKind.Banned, DateTimeOffset.FromUnixTimeMilliseconds(untilUnixMs), message));
    }

    /// <summary>The default back-off used when a 429/418 carries no Retry-After.</summary>
    public TimeSpan DefaultBackoff => _defaultBackoff;

    private Window[] Build(IReadOnlyList<RateLimitRule> rules)
    {
        var windows = new Window[rules.Count];
        for (var i = 0; i < windows.Length; i++)
        {
            var rule = rules[i];
            windows[i] = new Window
            {
                Rule = rule,
                Suffix = rule.HeaderSuffix,
                Usable = Math.Max(1, (int)((long)rule.Limit * _usablePercent / 100)),
                Index = -1,
            };
        }

        return windows;
    }

    private static void Roll(ref Window window, long nowUnixMs)
    {
        var index = nowUnixMs / window.Rule.IntervalMs;
        if (index != window.Index)
        {
            window.Index = index;
            window.Used = 0;
        }
    }

    private static VenueError Refuse(string message, long waitMs) =>
        new(VenueErrorCategory.RateLimit, VenueError.LocalCode, message, 0, sent: false, TimeSpan.FromMilliseconds(Math.Max(0, waitMs)));

    private static string Format(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    private struct Window
    {
        public RateLimitRule Rule;
        public string Suffix;
        public int Usable;
        public long Index;
        public int Used;
    }
}
