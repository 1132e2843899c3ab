using System.Globalization;
using Engine.Exchange.Rules;

namespace Engine.Exchange;

/// <summary>A limit's state: how much of the current window is used (venue's count or our reservation, whichever is higher).</summary>
public readonly record struct RateLimitUsage(RateLimit Rule, int Used, long WindowStartUnixMs);

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
    /// <summary>Binance's USDⓈ-M limits as observed in exchangeInfo: 2,400 weight/min, 300 orders/10 s, 1,200 orders/min.</summary>
    public static IReadOnlyList<RateLimit> Defaults { get; } =
    [
        new(RateLimitType.RequestWeight, TimeSpan.FromMinutes(1), 1, 'M', 2400),
        new(RateLimitType.Orders, TimeSpan.FromSeconds(10), 10, 'S', 300),
        new(RateLimitType.Orders, TimeSpan.FromMinutes(1), 1, 'M', 1200),
    ];

    private readonly Lock _lock = new();
    private readonly int _usablePercent;
    private readonly TimeSpan _defaultBackoff;
    private Window[] _windows;
    private long _blockedUntilMs;
    private long _bannedUntilMs;
    private long _tooManyRequests;
    private long _bans;

    /// <param name="usablePercent">Share of each limit this process may use (1..100); the rest is left to other users of the IP/account.</param>
    /// <param name="defaultBackoff">How long to hold off after a 429 or 418 without Retry-After.</param>
    public RateLimitTracker(int usablePercent = 100, TimeSpan? defaultBackoff = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(usablePercent, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(usablePercent, 100);
        _usablePercent = usablePercent;
        _defaultBackoff = defaultBackoff ?? TimeSpan.FromSeconds(10);
        _windows = Build(Defaults);
    }

    /// <summary>Raised (on the thread that saw the answer) when a 429 or 418 arrives.</summary>
    public event EventHandler<VenueAlertEventArgs>? Alert;

    /// <summary>429 answers recorded since start (counted here, so a metrics reader created later misses none).</summary>
    public long TooManyRequestsCount => Interlocked.Read(ref _tooManyRequests);

    /// <summary>418 answers recorded since start.</summary>
    public long BanCount => Interlocked.Read(ref _bans);

    /// <summary>When a 418 ban ends (Unix ms on the venue clock), or 0 if there is none.</summary>
    public long BannedUntilUnixMs => Volatile.Read(ref _bannedUntilMs);

    /// <summary>When a 429 back-off ends (Unix ms on the venue clock), or 0.</summary>
    public long BlockedUntilUnixMs => Volatile.Read(ref _blockedUntilMs);

    /// <summary>Whether the IP is banned at <paramref name="nowUnixMs"/>.</summary>
    public bool IsBanned(long nowUnixMs) => nowUnixMs < BannedUntilUnixMs;

    /// <summary>Replaces the limits (from exchangeInfo); counts in windows that still apply are kept. Kinds other than weight and orders are ignored.</summary>
    public void SetRules(IReadOnlyList<RateLimit> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (!rules.Any(r => r.Type is RateLimitType.RequestWeight or RateLimitType.Orders))
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
                    if (old.Rule.Type == window.Rule.Type && old.Rule.Window == window.Rule.Window)
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
                usage[i] = new RateLimitUsage(window.Rule, window.Used, window.Index * window.IntervalMs);
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
                var cost = window.Rule.Type == RateLimitType.RequestWeight ? weight : orders;
                if (cost > 0 && window.Used + cost > window.Usable)
                {
                    var endMs = (window.Index + 1) * window.IntervalMs;
                    refusal = Refuse(
                        string.Create(CultureInfo.InvariantCulture, $"{window.Rule.Type} limit {window.Rule.Limit} per {window.Rule.IntervalNum}{window.Rule.IntervalLetter} (usable {window.Usable}): {window.Used} used, this request needs {cost}; window ends {Format(endMs)}."),
                        endMs - nowUnixMs);
                    return false;
                }
            }

            for (var i = 0; i < _windows.Length; i++)
            {
                ref var window = ref _windows[i];
                window.Used += window.Rule.Type == RateLimitType.RequestWeight ? weight : orders;
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
            if (!name.StartsWith("X-MBX-", StringComparison.OrdinalIgnoreCase)
                || !int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var used))
            {
                continue;
            }

            lock (_lock)
            {
                for (var i = 0; i < _windows.Length; i++)
                {
                    ref var window = ref _windows[i];
                    if (string.Equals(window.Header, name, StringComparison.OrdinalIgnoreCase))
                    {
                        Roll(ref window, nowUnixMs);
                        window.Used = Math.Max(window.Used, used);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Takes one count the venue reported in a WebSocket API answer's <c>rateLimits</c> (the same counters as the
    /// REST headers: the IP's weight and the account's orders). Allocates nothing; kinds and intervals without a
    /// configured limit are ignored.
    /// </summary>
    public void ObserveCount(RateLimitType type, long intervalMs, int count, long nowUnixMs)
    {
        lock (_lock)
        {
            for (var i = 0; i < _windows.Length; i++)
            {
                ref var window = ref _windows[i];
                if (window.Rule.Type == type && window.IntervalMs == intervalMs)
                {
                    Roll(ref window, nowUnixMs);
                    window.Used = Math.Max(window.Used, count);
                }
            }
        }
    }

    /// <summary>
    /// Takes one of the venue's counts from a header read off the wire (UTF-8 name, matched case-insensitively), as
    /// <see cref="Observe(IEnumerable{KeyValuePair{string, IEnumerable{string}}}, long)"/> does; allocates nothing.
    /// </summary>
    public void Observe(ReadOnlySpan<byte> headerName, int used, long nowUnixMs)
    {
        lock (_lock)
        {
            for (var i = 0; i < _windows.Length; i++)
            {
                ref var window = ref _windows[i];
                if (System.Text.Ascii.EqualsIgnoreCase(headerName, window.Header))
                {
                    Roll(ref window, nowUnixMs);
                    window.Used = Math.Max(window.Used, used);
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

        Interlocked.Increment(ref _tooManyRequests);

        Alert?.Invoke(this, new VenueAlertEventArgs(VenueAlertKind.RateLimited, DateTimeOffset.FromUnixTimeMilliseconds(until), message));
    }

    /// <summary>Records a 418 ban until <paramref name="untilUnixMs"/>: nothing is sent before then.</summary>
    public void OnBanned(long untilUnixMs, string message)
    {
        lock (_lock)
        {
            _bannedUntilMs = Math.Max(_bannedUntilMs, untilUnixMs);
        }

        Interlocked.Increment(ref _bans);

        Alert?.Invoke(this, new VenueAlertEventArgs(VenueAlertKind.Banned, DateTimeOffset.FromUnixTimeMilliseconds(untilUnixMs), message));
    }

    /// <summary>The default back-off used when a 429/418 carries no Retry-After.</summary>
    public TimeSpan DefaultBackoff => _defaultBackoff;

    private Window[] Build(IReadOnlyList<RateLimit> rules) =>
    [
        .. rules.Where(r => r.Type is RateLimitType.RequestWeight or RateLimitType.Orders && r.Window > TimeSpan.Zero && r.Limit > 0)
            .Select(rule => new Window
            {
                Rule = rule,
                Header = rule.HeaderName,
                IntervalMs = (long)rule.Window.TotalMilliseconds,
                Usable = Math.Max(1, (int)((long)rule.Limit * _usablePercent / 100)),
                Index = -1,
            }),
    ];

    private static void Roll(ref Window window, long nowUnixMs)
    {
        var index = nowUnixMs / window.IntervalMs;
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
        public RateLimit Rule;
        public string Header;
        public long IntervalMs;
        public int Usable;
        public long Index;
        public int Used;
    }
}
