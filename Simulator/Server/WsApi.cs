using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace Simulator;

/// <summary>
/// Binance's USDⓈ-M WebSocket API on /ws-fapi/v1 (BINANCE_USDM.md §12): text frames, one JSON request per frame,
/// answers <c>{"id","status","result"|"error","rateLimits"}</c>. Every trading method runs through the REST surface's
/// own path (<see cref="RestApi.Execute"/>): the same matching, validation, error codes, rate limits (counted together
/// with REST per IP and account) and forced faults. A bad request gets an error answer; the connection stays open.
/// </summary>
internal sealed partial class WsApi : IAsyncDisposable
{
    public const string Path = "/ws-fapi/v1";

    // the WebSocket API adds these to every method's own parameters; both are signed like the rest
    private static readonly string[] Transport = ["apiKey", "returnRateLimits"];
    private static readonly byte[] CloseSentinel = new byte[1]; // identity only, never sent

    private readonly RestApi _rest;
    private readonly RateLimiter _limiter;
    private readonly Venue _venue;
    private readonly Faults _faults;
    private readonly SimulatorOptions _options;
    private readonly ILogger _log;
    private readonly Dictionary<string, Func<Connection, RestApi.Endpoint>> _methods = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly List<Connection> _connections = [];
    private readonly CancellationTokenSource _shutdown = new();
    private long _nextId;

    public WsApi(RestApi rest, RateLimiter limiter, Venue venue, Faults faults, ILogger log)
    {
        _rest = rest;
        _limiter = limiter;
        _venue = venue;
        _faults = faults;
        _options = venue.Options;
        _log = log;
        var place = rest.Route("POST", "/fapi/v1/order");
        var cancel = rest.Route("DELETE", "/fapi/v1/order");
        var status = rest.Route("GET", "/fapi/v1/order");
        var algoPlace = rest.Route("POST", "/fapi/v1/algoOrder");
        var algoCancel = rest.Route("DELETE", "/fapi/v1/algoOrder") with { Handle = rest.CancelAlgoAck };
        _methods["order.place"] = _ => place;
        _methods["order.cancel"] = _ => cancel;
        _methods["order.status"] = _ => status;
        _methods["algoOrder.place"] = _ => algoPlace;
        _methods["algoOrder.cancel"] = _ => algoCancel;
        _methods["session.logon"] = c => new RestApi.Endpoint("WS", "session.logon", Security.Signed, _ => 2, false, ["apiKey", "timestamp", "recvWindow", "signature"], p => Logon(c, p));
        _methods["session.status"] = c => new RestApi.Endpoint("WS", "session.status", Security.None, _ => 2, false, [], _ => SessionReply(c));
        _methods["session.logout"] = c => new RestApi.Endpoint("WS", "session.logout", Security.None, _ => 2, false, [], _ =>
        {
            c.Logout();
            return SessionReply(c);
        });
    }

    public int ConnectionCount
    {
        get
        {
            lock (_gate)
            {
                return _connections.Count;
            }
        }
    }

    public async Task HandleAsync(HttpContext ctx)
    {
        if (_faults.WsApiDown)
        {
            ctx.Response.StatusCode = 503;
            return;
        }

        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = 400;
            return;
        }

        // the handshake costs 5 request weight, counted with REST's (§4)
        var ip = ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var admitted = _limiter.Admit(ip, 5, isOrder: false, _venue.Now);
        if (admitted.Body is not null)
        {
            ctx.Response.StatusCode = admitted.Status;
            ctx.Response.Headers.RetryAfter = admitted.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            ctx.Response.ContentType = "application/json";
            await ctx.Response.Body.WriteAsync(admitted.Body).ConfigureAwait(false);
            return;
        }

        var returnRateLimits = !string.Equals(ctx.Request.Query["returnRateLimits"].ToString(), "false", StringComparison.OrdinalIgnoreCase);
        using var ws = await ctx.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            // Binance pings every 3 minutes and drops a connection that has not ponged for 10; pings are answered with their payload
            KeepAliveInterval = TimeSpan.FromMinutes(3),
            KeepAliveTimeout = TimeSpan.FromMinutes(10),
        }).ConfigureAwait(false);
        var connection = new Connection(Interlocked.Increment(ref _nextId), ws, ip, returnRateLimits, _venue.Clock.ServerNowMs);
        lock (_gate)
        {
            _connections.Add(connection);
        }

        SimulatorLog.Connected(_log, connection.Id, Path);
        using var lifetime = new CancellationTokenSource(_options.WsApiConnectionLifetime);
        using var lifetimeEnds = lifetime.Token.Register(() => connection.CloseGracefully("connection lifetime reached"));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token, ctx.RequestAborted, connection.Closing.Token);
        var writer = WriteLoopAsync(connection, linked.Token);
        try
        {
            await ReadLoopAsync(connection, linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // the peer went away or the venue dropped it
        }
        finally
        {
            lock (_gate)
            {
                _connections.Remove(connection);
            }

            await connection.Closing.CancelAsync().ConfigureAwait(false);
            try
            {
                await writer.ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // already closing
            }
        }
    }

    /// <summary>Aborts every WebSocket API connection at once (a fault switch); returns how many there were.</summary>
    public int DropAll()
    {
        List<Connection> all;
        lock (_gate)
        {
            all = [.. _connections];
        }

        foreach (var c in all)
        {
            c.Abort();
        }

        return all.Count;
    }

    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        DropAll();
        _shutdown.Dispose();
    }

    private async Task ReadLoopAsync(Connection c, CancellationToken ct)
    {
        var reader = new WebSocketMessageReader(c.Socket);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var answer = Handle(c, reader.Message, reader.IsText);
            if (answer is null)
            {
                // drop-after-order: the order took effect, the client never hears of it
                c.Abort();
                return;
            }

            // the request has taken effect; only its answer waits (the writer holds it until due, keeping the order)
            var delay = _faults.ResponseDelay + _faults.WsApiDelay;
            c.Send(answer, delay > TimeSpan.Zero ? Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency) : 0);
        }
    }

    private static async Task WriteLoopAsync(Connection c, CancellationToken ct)
    {
        var reader = c.Queue.Reader;
        while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                if (ReferenceEquals(item.Frame, CloseSentinel))
                {
                    await c.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, c.CloseReason, ct).ConfigureAwait(false);
                    return;
                }

                // Stopwatch, not Environment.TickCount64: that clock is coarse (a few ms) and let answers leave early.
                TimeSpan wait;
                while (item.DueTicks != 0 && (wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), item.DueTicks)) > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                }

                await c.Socket.SendAsync(item.Frame, WebSocketMessageType.Text, endOfMessage: true, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One request frame → its answer; null when the drop-after-order switch swallows it.</summary>
    private byte[]? Handle(Connection c, ReadOnlySpan<byte> frame, bool text)
    {
        JsonDocument doc;
        try
        {
            if (!text)
            {
                throw new JsonException("binary frame");
            }

            doc = JsonDocument.Parse(frame.ToArray());
        }
        catch (JsonException)
        {
            return Answer(null, new Reply(400, JsonOut.Error(-1135, "Invalid JSON Request")), false, null);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Answer(null, new Reply(400, JsonOut.Error(-1135, "Invalid JSON Request")), false, null);
            }

            string? id = null;
            if (root.TryGetProperty("id", out var idEl))
            {
                if (idEl.ValueKind is not (JsonValueKind.Number or JsonValueKind.String or JsonValueKind.Null))
                {
                    return Answer(null, new Reply(400, JsonOut.Error(-1135, "Invalid 'id' in JSON request; expected an integer, a string or null.")), false, null);
                }

                id = idEl.GetRawText();
            }

            if (!root.TryGetProperty("method", out var m) || m.ValueKind != JsonValueKind.String || m.GetString() is not { Length: > 0 } method)
            {
                return Answer(id, new Reply(400, JsonOut.Error(-1102, "Mandatory parameter 'method' was not sent, was empty/null, or malformed.")), false, null);
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("params", out var ps) && ps.ValueKind != JsonValueKind.Null)
            {
                if (ps.ValueKind != JsonValueKind.Object)
                {
                    return Answer(id, new Reply(400, JsonOut.Error(-1135, "Invalid 'params' in JSON request; expected an object.")), false, null);
                }

                foreach (var prop in ps.EnumerateObject())
                {
                    var v = prop.Value;
                    if (v.ValueKind == JsonValueKind.Null)
                    {
                        continue;
                    }

                    if (v.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    {
                        return Answer(id, new Reply(400, JsonOut.Error(-1130, $"Data sent for parameter '{prop.Name}' is not valid.")), false, null);
                    }

                    // the value as signed: a string as it is, a number as written, true/false as words
                    var asSigned = v.ValueKind switch
                    {
                        JsonValueKind.String => v.GetString()!,
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        _ => v.GetRawText(),
                    };
                    if (!values.TryAdd(prop.Name, asSigned))
                    {
                        return Answer(id, new Reply(400, JsonOut.Error(-1101, "Duplicate values for a parameter detected.")), false, null);
                    }
                }
            }

            // a per-request returnRateLimits overrides the connection's default
            var showLimits = values.TryGetValue("returnRateLimits", out var rl) ? !string.Equals(rl, "false", StringComparison.OrdinalIgnoreCase) : c.ReturnRateLimits;
            if (!_methods.TryGetValue(Unversioned(method), out var route))
            {
                return Answer(id, new Reply(400, JsonOut.Error(-5000, $"Method {method} is invalid")), false, null);
            }

            var ep = route(c);
            var p = RequestParams.FromWebSocket(values);
            var dropAfter = ep.IsOrder && ep.Path == "/fapi/v1/order" && _faults.TakeWsApiDropAfterOrder();
            var outcome = _rest.Execute(ep, new Caller(c.Ip, values.GetValueOrDefault("apiKey"), c.SessionKey), p, Transport);
            if (dropAfter)
            {
                return null;
            }

            return Answer(id, outcome.Reply, ep.IsOrder, showLimits ? outcome.Verdict : null);
        }
    }

    // "v1/order.place" names the same method as "order.place" (§12: method names may carry an explicit version)
    private static string Unversioned(string method)
    {
        var slash = method.IndexOf('/', StringComparison.Ordinal);
        var versioned = slash > 1 && method[0] == 'v' && !method.AsSpan(1, slash - 1).ContainsAnyExceptInRange('0', '9');
        return versioned ? method[(slash + 1)..] : method;
    }

    private byte[] Answer(string? id, Reply reply, bool isOrder, LimitVerdict? shown) => JsonOut.Build(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("id");
            if (id is null)
            {
                w.WriteNullValue();
            }
            else
            {
                w.WriteRawValue(id, skipInputValidation: true);
            }

            w.WriteNumber("status", reply.Status);
            w.WritePropertyName(reply.Status == 200 ? "result" : "error");
            w.WriteRawValue(reply.Body, skipInputValidation: true);
            if (shown is { } v)
            {
                w.WriteStartArray("rateLimits");
                RateLimit(w, "REQUEST_WEIGHT", "MINUTE", 1, _options.WeightLimitPerMinute, v.UsedWeight);
                if (isOrder)
                {
                    RateLimit(w, "ORDERS", "SECOND", 10, _options.OrderLimitPer10Seconds, v.Orders10S);
                    RateLimit(w, "ORDERS", "MINUTE", 1, _options.OrderLimitPerMinute, v.Orders1M);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        });

    private static void RateLimit(Utf8JsonWriter w, string type, string interval, int num, int limit, int count)
    {
        w.WriteStartObject();
        w.WriteString("rateLimitType", type);
        w.WriteString("interval", interval);
        w.WriteNumber("intervalNum", num);
        w.WriteNumber("limit", limit);
        w.WriteNumber("count", count);
        w.WriteEndObject();
    }

    // session.logon: the signature was verified by the shared path; only an Ed25519 key may log a session on
    private Reply Logon(Connection c, RequestParams p)
    {
        var key = p.Required("apiKey");
        if (_rest.CheckKey(key, c.Ip) != KeyKind.Ed25519)
        {
            throw VenueException.Bad(-4056, "HMAC_SHA256 API key is not supported.");
        }

        c.Logon(key, p.RequiredLong("timestamp"));
        return SessionReply(c);
    }

    private Reply SessionReply(Connection c) => Reply.Ok(JsonOut.Build(w =>
    {
        w.WriteStartObject();
        var (key, since) = c.Session;
        if (key is null)
        {
            w.WriteNull("apiKey");
            w.WriteNull("authorizedSince");
        }
        else
        {
            w.WriteString("apiKey", key);
            w.WriteNumber("authorizedSince", since);
        }

        w.WriteNumber("connectedSince", c.ConnectedSince);
        w.WriteBoolean("returnRateLimits", c.ReturnRateLimits);
        w.WriteNumber("serverTime", _venue.Clock.ServerNowMs);
        w.WriteEndObject();
    }));

    private sealed class Connection(long id, WebSocket socket, string ip, bool returnRateLimits, long connectedSince)
    {
        private readonly Lock _gate = new();
        private string? _sessionKey;
        private long _authorizedSince;

        public long Id { get; } = id;

        public WebSocket Socket { get; } = socket;

        public string Ip { get; } = ip;

        public bool ReturnRateLimits { get; } = returnRateLimits;

        public long ConnectedSince { get; } = connectedSince;

        /// <summary>Answers in request order, each with the instant (Stopwatch timestamp) it may leave; 0 = now.</summary>
        public Channel<(byte[] Frame, long DueTicks)> Queue { get; } = Channel.CreateUnbounded<(byte[] Frame, long DueTicks)>(new UnboundedChannelOptions { SingleReader = true });

        public CancellationTokenSource Closing { get; } = new();

        public string? CloseReason { get; private set; }

        public string? SessionKey
        {
            get
            {
                lock (_gate)
                {
                    return _sessionKey;
                }
            }
        }

        public (string? Key, long Since) Session
        {
            get
            {
                lock (_gate)
                {
                    return (_sessionKey, _authorizedSince);
                }
            }
        }

        public void Logon(string key, long since)
        {
            lock (_gate)
            {
                _sessionKey = key;
                _authorizedSince = since;
            }
        }

        public void Logout()
        {
            lock (_gate)
            {
                _sessionKey = null;
                _authorizedSince = 0;
            }
        }

        public void Send(byte[] answer, long dueTicks) => Queue.Writer.TryWrite((answer, dueTicks));

        /// <summary>Answers already queued go out, then a close frame (the 24-hour cut).</summary>
        public void CloseGracefully(string reason)
        {
            CloseReason = reason;
            Queue.Writer.TryWrite((CloseSentinel, 0));
        }

        public void Abort()
        {
            Socket.Abort();
            try
            {
                Closing.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // the connection finished on its own meanwhile
            }
        }
    }
}
