using System.Globalization;

namespace Simulator;

/// <summary>What the limiter decided for one request.</summary>
internal readonly record struct LimitVerdict(int Status, int UsedWeight, int Orders10S, int Orders1M, long RetryAfterSeconds, byte[]? Body);

/// <summary>
/// Binance's fixed-window limits on the venue clock: request weight per IP per minute, orders per account per 10 s and
/// per minute. Past a limit the answer is 429 with Retry-After; a client that keeps sending during the same window is
/// banned with 418 for <see cref="SimulatorOptions.BanDuration"/>.
/// </summary>
internal sealed class RateLimiter(SimulatorOptions options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IpState> _ips = new(StringComparer.Ordinal);
    private long _orderMinute = long.MinValue;
    private long _order10S = long.MinValue;
    private int _orders1M;
    private int _orders10S;

    public LimitVerdict Admit(string ip, int weight, bool isOrder, long now)
    {
        lock (_gate)
        {
            if (!_ips.TryGetValue(ip, out var s))
            {
                s = new IpState();
                _ips[ip] = s;
            }

            var minute = now - (((now % 60_000) + 60_000) % 60_000);
            if (s.Minute != minute)
            {
                s.Minute = minute;
                s.Weight = 0;
                s.AfterLimit = 0;
            }

            RollOrders(now);
            if (now < s.BannedUntil)
            {
                return Banned(s, now);
            }

            s.Weight += weight;
            if (s.Weight > options.WeightLimitPerMinute)
            {
                if (s.AfterLimit++ > options.RequestsAfter429BeforeBan)
                {
                    s.BannedUntil = now + (long)options.BanDuration.TotalMilliseconds;
                    return Banned(s, now);
                }

                var retry = Math.Max(1, (minute + 60_000 - now + 999) / 1000);
                return new LimitVerdict(429, s.Weight, _orders10S, _orders1M, retry, JsonOut.Error(-1003,
                    $"Too many requests; current limit is {options.WeightLimitPerMinute} requests per minute. Please use the websocket for live updates to avoid polling the API."));
            }

            if (isOrder)
            {
                if (_orders10S + 1 > options.OrderLimitPer10Seconds || _orders1M + 1 > options.OrderLimitPerMinute)
                {
                    var tenSeconds = _orders10S + 1 > options.OrderLimitPer10Seconds;
                    var end = tenSeconds ? _order10S + 10_000 : _orderMinute + 60_000;
                    var limit = tenSeconds ? options.OrderLimitPer10Seconds : options.OrderLimitPerMinute;
                    var retry = Math.Max(1, (end - now + 999) / 1000);
                    return new LimitVerdict(429, s.Weight, _orders10S, _orders1M, retry, JsonOut.Error(-1015,
                        $"Too many new orders; current limit is {limit} orders per {(tenSeconds ? "10 SECOND" : "MINUTE")}."));
                }

                _orders10S++;
                _orders1M++;
            }

            return new LimitVerdict(200, s.Weight, _orders10S, _orders1M, 0, null);
        }
    }

    private void RollOrders(long now)
    {
        var minute = now - (((now % 60_000) + 60_000) % 60_000);
        if (minute != _orderMinute)
        {
            _orderMinute = minute;
            _orders1M = 0;
        }

        var ten = now - (((now % 10_000) + 10_000) % 10_000);
        if (ten != _order10S)
        {
            _order10S = ten;
            _orders10S = 0;
        }
    }

    private LimitVerdict Banned(IpState s, long now)
    {
        var retry = Math.Max(1, (s.BannedUntil - now + 999) / 1000);
        return new LimitVerdict(418, s.Weight, _orders10S, _orders1M, retry, JsonOut.Error(-1003,
            $"Way too many requests; IP banned until {s.BannedUntil.ToString(CultureInfo.InvariantCulture)}. Please use the websocket for live updates to avoid bans."));
    }

    private sealed class IpState
    {
        public long Minute = long.MinValue;
        public int Weight;
        public int AfterLimit;
        public long BannedUntil = long.MinValue;
    }
}

/// <summary>Fault switches set through /_sim/… or at start.</summary>
internal sealed class Faults
{
    private readonly Lock _gate = new();
    private readonly Queue<(int Status, int Code, string Message)> _forced = new();

    public TimeSpan ResponseDelay { get; set; }

    /// <summary>While set, the WebSocket API refuses new connections (the upgrade answers 503).</summary>
    public bool WsApiDown { get; set; }

    /// <summary>Extra delay of every WebSocket API answer (on top of <see cref="ResponseDelay"/>).</summary>
    public TimeSpan WsApiDelay { get; set; }

    private int _wsApiDropAfterOrders;

    /// <summary>The next <paramref name="count"/> order.place requests take effect and their connection drops unanswered.</summary>
    public void DropWsApiAfterOrders(int count) => Volatile.Write(ref _wsApiDropAfterOrders, count);

    /// <summary>Takes one pending drop-after-order; true when this order.place must go unanswered.</summary>
    public bool TakeWsApiDropAfterOrder()
    {
        while (true)
        {
            var n = Volatile.Read(ref _wsApiDropAfterOrders);
            if (n <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _wsApiDropAfterOrders, n - 1, n) == n)
            {
                return true;
            }
        }
    }

    /// <summary>Real-time instant (Environment.TickCount64) until which market streams send nothing.</summary>
    public long StallUntilTicks { get; set; }

    /// <summary>The one stream the stall applies to; null = every market stream.</summary>
    public string? StallStream { get; set; }

    public bool IsStalled(string stream) =>
        Environment.TickCount64 < StallUntilTicks && (StallStream is null || string.Equals(StallStream, stream, StringComparison.Ordinal));

    public void Force(int count, int status, int code, string message)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _forced.Enqueue((status, code, message));
            }
        }
    }

    public bool TryTakeForced(out (int Status, int Code, string Message) answer)
    {
        lock (_gate)
        {
            return _forced.TryDequeue(out answer);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _forced.Clear();
            ResponseDelay = TimeSpan.Zero;
            WsApiDown = false;
            WsApiDelay = TimeSpan.Zero;
            _wsApiDropAfterOrders = 0;
            StallUntilTicks = 0;
            StallStream = null;
        }
    }
}
