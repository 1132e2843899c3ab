using System.Globalization;
using System.Text.Json;

namespace Simulator;

/// <summary>
/// Fault switches over HTTP under /_sim/ on the venue's own port (POST, query parameters):
/// drop-websockets · stall?seconds=N[&amp;stream=btcusdt@kline_1m] · delay?ms=N · fail?count=K&amp;status=429|418|500|503|400&amp;code=-1001|-1021|…
/// · reject-orders?count=K&amp;code=-2010 · expire-listen-key · skew?ms=N · starve?symbol=S&amp;minutes=N&amp;events=all|trades
/// · oversize?bytes=N&amp;stream=market|user · poison?stream=bnbusdt@aggTrade&amp;field=p&amp;value=0[&amp;count=K]
/// · ws-api-drop · ws-api-down · ws-api-up · ws-api-drop-after-order[?count=K] · ws-api-delay?ms=N · reset; GET state.
/// </summary>
internal sealed class AdminApi(Venue venue, StreamHub hub, WsApi wsApi, Faults faults, ILogger log)
{
    public async Task HandleAsync(HttpContext ctx)
    {
        var action = (ctx.Request.Path.Value ?? "")["/_sim/".Length..];
        var q = ctx.Request.Query;
        long Arg(string name, long fallback) =>
            q[name].ToString() is { Length: > 0 } v ? long.Parse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : fallback;

        byte[] body;
        try
        {
            if (ctx.Request.Method == "GET" && action == "state")
            {
                body = State();
            }
            else if (ctx.Request.Method != "POST")
            {
                ctx.Response.StatusCode = 405;
                return;
            }
            else
            {
                body = Apply(action, Arg, q);
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            ctx.Response.StatusCode = 400;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.Body.WriteAsync(JsonOut.Error(-1, e.Message)).ConfigureAwait(false);
            return;
        }

        SimulatorLog.Admin(log, action, ctx.Request.QueryString.Value ?? "");
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(body).ConfigureAwait(false);
    }

    private byte[] Apply(string action, Func<string, long, long> arg, IQueryCollection q)
    {
        switch (action)
        {
            case "drop-websockets":
                var dropped = hub.DropAll();
                return Done(w => w.WriteNumber("dropped", dropped));
            case "stall":
                var seconds = arg("seconds", 5);
                faults.StallStream = q["stream"].ToString() is { Length: > 0 } st ? st : null;
                faults.StallUntilTicks = Environment.TickCount64 + (seconds * 1000);
                return Done(w => w.WriteNumber("seconds", seconds));
            case "delay":
                var ms = arg("ms", 0);
                ArgumentOutOfRangeException.ThrowIfNegative(ms);
                faults.ResponseDelay = TimeSpan.FromMilliseconds(ms);
                return Done(w => w.WriteNumber("ms", ms));
            case "fail":
                var count = (int)arg("count", 1);
                var status = (int)arg("status", 503);
                var code = (int)arg("code", status switch { 429 or 418 => -1003, 400 => -1021, _ => -1001 });
                var msg = q["msg"].ToString() is { Length: > 0 } m ? m : DefaultMessage(status, code);
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
                faults.Force(count, status, code, msg);
                return Done(w =>
                {
                    w.WriteNumber("count", count);
                    w.WriteNumber("status", status);
                    w.WriteNumber("code", code);
                });
            case "reject-orders":
                var n = (int)arg("count", 1);
                var c = (int)arg("code", -2010);
                venue.RejectNextOrders(n, c);
                return Done(w => w.WriteNumber("count", n));
            case "expire-listen-key":
                var expired = venue.ExpireListenKeyNow();
                return Done(w => w.WriteBoolean("expired", expired));
            case "skew":
                var skew = arg("ms", 0);
                venue.Clock.SkewMs = skew;
                return Done(w => w.WriteNumber("skewMs", skew));
            case "starve":
                return Starve(arg, q);
            case "oversize":
                return Oversize(arg, q);
            case "poison":
                var stream = q["stream"].ToString();
                var field = q["field"].ToString();
                var value = q["value"].ToString();
                var times = (int)arg("count", 1);
                if (stream.Length == 0 || !stream.Contains('@', StringComparison.Ordinal) || field.Length == 0 || value.Length == 0)
                {
                    throw new ArgumentException("poison needs stream (e.g. bnbusdt@aggTrade), field (e.g. p) and value (e.g. 0)");
                }

                hub.Poisons.Set(stream, field, value, times);
                return Done(w =>
                {
                    w.WriteString("stream", stream);
                    w.WriteString("field", field);
                    w.WriteString("value", value);
                    w.WriteNumber("count", times);
                });
            case "ws-api-drop":
                var droppedApi = wsApi.DropAll();
                return Done(w => w.WriteNumber("dropped", droppedApi));
            case "ws-api-down":
                faults.WsApiDown = true;
                return Done(_ => { });
            case "ws-api-up":
                faults.WsApiDown = false;
                return Done(_ => { });
            case "ws-api-drop-after-order":
                var after = (int)arg("count", 1);
                ArgumentOutOfRangeException.ThrowIfNegative(after);
                faults.DropWsApiAfterOrders(after);
                return Done(w => w.WriteNumber("count", after));
            case "ws-api-delay":
                var wsMs = arg("ms", 0);
                ArgumentOutOfRangeException.ThrowIfNegative(wsMs);
                faults.WsApiDelay = TimeSpan.FromMilliseconds(wsMs);
                return Done(w => w.WriteNumber("ms", wsMs));
            case "reset":
                hub.Poisons.Clear();
                faults.Clear();
                hub.ClearStarvation();
                venue.Clock.SkewMs = 0;
                venue.RejectNextOrders(0, -2010);
                return Done(_ => { });
            default:
                throw new ArgumentException($"unknown admin action '{action}'");
        }
    }

    // starve?symbol=BTCUSDT&minutes=N[&events=all|trades]: the symbol goes quiet from the next minute boundary.
    private byte[] Starve(Func<string, long, long> arg, IQueryCollection q)
    {
        var symbol = q["symbol"].ToString().ToUpperInvariant();
        var minutes = (int)arg("minutes", 2);
        var events = q["events"].ToString() is { Length: > 0 } e ? e : "all";
        if (events is not ("all" or "trades"))
        {
            throw new ArgumentException($"events must be all or trades (got '{events}')");
        }

        var from = hub.Starve(symbol, minutes, tradesOnly: events == "trades");
        return Done(w =>
        {
            w.WriteString("symbol", symbol);
            w.WriteNumber("fromMs", from);
            w.WriteNumber("untilMs", from + (minutes * 60_000L));
            w.WriteString("events", events);
        });
    }

    // oversize?bytes=N[&stream=market|user]: one message of N bytes to every connection of that kind.
    private byte[] Oversize(Func<string, long, long> arg, IQueryCollection q)
    {
        var bytes = arg("bytes", 64L * 1024 * 1024);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, 1L << 30);
        var stream = q["stream"].ToString() is { Length: > 0 } st ? st : "market";
        if (stream is not ("market" or "user"))
        {
            throw new ArgumentException($"stream must be market or user (got '{stream}')");
        }

        var sent = hub.SendOversized((int)bytes, user: stream == "user");
        return Done(w =>
        {
            w.WriteNumber("bytes", bytes);
            w.WriteNumber("connections", sent);
        });
    }

    private static string DefaultMessage(int status, int code) => code switch
    {
        -1003 when status == 418 => "Way too many requests; IP banned. Please use the websocket for live updates to avoid bans.",
        -1003 => "Too many requests; current limit is 2400 requests per minute. Please use the websocket for live updates to avoid polling the API.",
        -1021 => "Timestamp for this request is outside of the recvWindow.",
        -1001 => "Internal error; unable to process your request. Please try again.",
        -1008 => "Request throttled by system-level protection. Reduce-only/close-position orders are exempt. Please try again.",
        _ when status == 503 => "Service Unavailable.",
        _ => "Unknown error, please check your request or try again later.",
    };

    private byte[] State()
    {
        lock (venue.Gate)
        {
            return JsonOut.Build(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("marketTime", venue.Now);
                w.WriteNumber("serverTime", venue.Clock.ServerNowMs);
                w.WriteNumber("speed", venue.Clock.Speed);
                w.WriteNumber("connections", hub.ConnectionCount);
                w.WriteNumber("wsApiConnections", wsApi.ConnectionCount);
                w.WriteNumber("messagesSent", hub.MessagesSent);
                w.WriteNumber("openOrders", venue.OpenOrders.Count);
                w.WriteNumber("openAlgoOrders", venue.OpenAlgos.Count);
                w.WriteString("wallet", Num.Plain(venue.Wallet));
                w.WriteEndObject();
            });
        }
    }

    private static byte[] Done(Action<Utf8JsonWriter> extra) => JsonOut.Build(w =>
    {
        w.WriteStartObject();
        w.WriteBoolean("ok", true);
        extra(w);
        w.WriteEndObject();
    });
}
