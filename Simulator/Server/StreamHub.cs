using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Simulator;

/// <summary>
/// WebSocket side of the venue: market streams (raw /ws/&lt;stream&gt;, combined /stream?streams=…, under the routed
/// prefixes /public, /market and without one), live SUBSCRIBE/UNSUBSCRIBE, and the user-data stream on
/// /ws/&lt;listenKey&gt;, /private/ws/&lt;listenKey&gt; and /private/ws?listenKey=. Publishing never blocks the venue: each
/// connection has a bounded queue and a connection that cannot keep up is closed, as the real venue does.
/// </summary>
internal sealed partial class StreamHub : IVenueSink, IAsyncDisposable
{
    private const int QueueCapacity = 100_000;
    private static readonly byte[] CloseSentinel = new byte[1]; // identity only, never sent

    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<Session>> _subscriptions = new(StringComparer.Ordinal);
    private readonly List<Session> _sessions = [];
    private readonly Faults _faults;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Dictionary<MarketSymbol, SymbolStreams> _names = [];
    private long _nextSessionId;
    private long _messagesSent;

    public StreamHub(Faults faults, ILogger log)
    {
        _faults = faults;
        _log = log;
    }

    public Venue? Venue { get; set; }

    /// <summary>The poison fault switch (<c>/_sim/poison</c>).</summary>
    public StreamPoisons Poisons { get; } = new();

    public long MessagesSent => Interlocked.Read(ref _messagesSent);

    public int ConnectionCount
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Count;
            }
        }
    }

    public static bool IsStreamPath(string path) =>
        path is "/ws" or "/stream" || path.StartsWith("/ws/", StringComparison.Ordinal)
        || path.StartsWith("/public/", StringComparison.Ordinal) || path.StartsWith("/market/", StringComparison.Ordinal)
        || path.StartsWith("/private/", StringComparison.Ordinal);

    public async Task HandleAsync(HttpContext ctx)
    {
        var venue = Venue ?? throw new InvalidOperationException("hub has no venue");
        var path = ctx.Request.Path.Value ?? "";
        var route = path;
        foreach (var prefix in (string[])["/public", "/market", "/private"])
        {
            if (route.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                route = route[prefix.Length..];
                break;
            }
        }

        var combined = route is "/stream";
        if (!combined && route != "/ws" && !route.StartsWith("/ws/", StringComparison.Ordinal))
        {
            ctx.Response.StatusCode = 404;
            return;
        }

        var streams = new List<string>();
        string? listenKey = ctx.Request.Query["listenKey"].ToString() is { Length: > 0 } q ? q : null;
        if (combined)
        {
            var list = ctx.Request.Query["streams"].ToString();
            streams.AddRange(list.Split('/', StringSplitOptions.RemoveEmptyEntries));
        }
        else if (route.Length > 4)
        {
            foreach (var segment in route[4..].Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (segment.Length == 64 && segment.All(char.IsAsciiLetterOrDigit))
                {
                    listenKey = segment;
                }
                else
                {
                    streams.Add(segment);
                }
            }
        }

        if (listenKey is not null && !venue.IsActiveListenKey(listenKey))
        {
            ctx.Response.StatusCode = 400;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.Body.WriteAsync(JsonOut.Error(-1125, "This listenKey does not exist.")).ConfigureAwait(false);
            return;
        }

        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = 400;
            return;
        }

        using var ws = await ctx.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = TimeSpan.FromMinutes(3),
            KeepAliveTimeout = TimeSpan.FromMinutes(10),
        }).ConfigureAwait(false);
        var session = new Session(Interlocked.Increment(ref _nextSessionId), ws, combined, listenKey, ctx.Request.Query["events"].ToString());
        lock (_gate)
        {
            _sessions.Add(session);
            foreach (var s in streams.Where(IsValidStream))
            {
                Subscribe(session, s);
            }
        }

        SimulatorLog.Connected(_log, session.Id, path);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token, ctx.RequestAborted, session.Closing.Token);
        var writer = WriteLoopAsync(session, linked.Token);
        try
        {
            await ReadLoopAsync(session, linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // the peer went away or the venue dropped it; nothing to tell anyone
        }
        finally
        {
            Remove(session);
            await session.Closing.CancelAsync().ConfigureAwait(false);

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

    /// <summary>Aborts every WebSocket connection (a fault switch); returns how many there were.</summary>
    public int DropAll()
    {
        List<Session> all;
        lock (_gate)
        {
            all = [.. _sessions];
        }

        foreach (var s in all)
        {
            s.Socket.Abort();
            s.Closing.Cancel();
        }

        return all.Count;
    }

    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        DropAll();
        _shutdown.Dispose();
    }

    private void Remove(Session session)
    {
        lock (_gate)
        {
            _sessions.Remove(session);
            foreach (var s in session.Streams)
            {
                if (_subscriptions.TryGetValue(s, out var list))
                {
                    list.Remove(session);
                    if (list.Count == 0)
                    {
                        _subscriptions.Remove(s);
                    }
                }
            }

            session.Streams.Clear();
        }
    }

    private void Subscribe(Session session, string stream)
    {
        if (!session.Streams.Add(stream))
        {
            return;
        }

        if (!_subscriptions.TryGetValue(stream, out var list))
        {
            list = [];
            _subscriptions[stream] = list;
        }

        list.Add(session);
    }

    private void Unsubscribe(Session session, string stream)
    {
        if (session.Streams.Remove(stream) && _subscriptions.TryGetValue(stream, out var list))
        {
            list.Remove(session);
            if (list.Count == 0)
            {
                _subscriptions.Remove(stream);
            }
        }
    }

    private async Task WriteLoopAsync(Session session, CancellationToken ct)
    {
        var reader = session.Queue.Reader;
        while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (reader.TryRead(out var msg))
            {
                if (ReferenceEquals(msg, CloseSentinel))
                {
                    await session.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, session.CloseReason, ct).ConfigureAwait(false);
                    return;
                }

                await session.Socket.SendAsync(msg, WebSocketMessageType.Text, endOfMessage: true, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _messagesSent);
            }
        }
    }

    private async Task ReadLoopAsync(Session session, CancellationToken ct)
    {
        var reader = new WebSocketMessageReader(session.Socket);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            if (reader.IsText)
            {
                var answer = Command(session, reader.Message);
                session.Queue.Writer.TryWrite(answer);
            }
        }
    }

    /// <summary>SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY with the venue's error codes.</summary>
    private byte[] Command(Session session, ReadOnlySpan<byte> text)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text.ToArray());
        }
        catch (JsonException e)
        {
            return Error(3, "Invalid JSON: " + e.Message, null);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Error(2, "Invalid request: request must be an object", null);
            }

            if (!root.TryGetProperty("id", out var idEl) || idEl.ValueKind != JsonValueKind.Number || !idEl.TryGetUInt64(out var id))
            {
                return Error(2, "Invalid request: request ID must be an unsigned integer", null);
            }

            var method = root.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            var args = root.TryGetProperty("params", out var pEl) && pEl.ValueKind == JsonValueKind.Array ? pEl.EnumerateArray().ToList() : [];
            switch (method)
            {
                case "SUBSCRIBE":
                case "UNSUBSCRIBE":
                    var names = new List<string>();
                    foreach (var a in args)
                    {
                        var n = a.ValueKind == JsonValueKind.String ? a.GetString()! : "";
                        if (!IsValidStream(n))
                        {
                            return Error(2, $"Invalid request: invalid stream name '{n}'", id);
                        }

                        names.Add(n);
                    }

                    lock (_gate)
                    {
                        foreach (var n in names)
                        {
                            if (method == "SUBSCRIBE")
                            {
                                Subscribe(session, n);
                            }
                            else
                            {
                                Unsubscribe(session, n);
                            }
                        }
                    }

                    return Result(id, w => w.WriteNullValue());
                case "LIST_SUBSCRIPTIONS":
                    List<string> current;
                    lock (_gate)
                    {
                        current = [.. session.Streams];
                    }

                    return Result(id, w =>
                    {
                        w.WriteStartArray();
                        foreach (var s in current)
                        {
                            w.WriteStringValue(s);
                        }

                        w.WriteEndArray();
                    });
                case "SET_PROPERTY":
                    if (args.Count != 2 || args[0].ValueKind != JsonValueKind.String || args[0].GetString() != "combined")
                    {
                        return Error(0, "Unknown property", id);
                    }

                    if (args[1].ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        return Error(1, "Invalid value type: expected Boolean", id);
                    }

                    session.Combined = args[1].GetBoolean();
                    return Result(id, w => w.WriteNullValue());
                case "GET_PROPERTY":
                    if (args.Count != 1 || args[0].ValueKind != JsonValueKind.String || args[0].GetString() != "combined")
                    {
                        return Error(0, "Unknown property", id);
                    }

                    return Result(id, w => w.WriteBooleanValue(session.Combined));
                default:
                    return Error(2, "Invalid request: unknown method", id);
            }
        }
    }

    private static byte[] Result(ulong id, Action<Utf8JsonWriter> result) => JsonOut.Build(w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("result");
        result(w);
        w.WriteNumber("id", id);
        w.WriteEndObject();
    });

    private static byte[] Error(int code, string msg, ulong? id) => JsonOut.Build(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("code", code);
        w.WriteString("msg", msg);
        if (id is { } i)
        {
            w.WriteNumber("id", i);
        }

        w.WriteEndObject();
    });

    private static readonly HashSet<string> StreamKinds = new(StringComparer.Ordinal)
    {
        "aggTrade", "trade", "bookTicker", "kline_1m", "markPrice", "markPrice@1s", "depth", "depth@100ms", "depth@500ms",
        "depth5", "depth10", "depth20", "depth5@100ms", "depth10@100ms", "depth20@100ms", "depth5@500ms", "depth10@500ms", "depth20@500ms",
    };

    private static bool IsValidStream(string name)
    {
        if (name == "!bookTicker")
        {
            return true;
        }

        var at = name.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && StreamKinds.Contains(name[(at + 1)..]);
    }

    internal sealed class Session(long id, WebSocket socket, bool combined, string? listenKey, string events)
    {
        public long Id { get; } = id;

        public WebSocket Socket { get; } = socket;

        public bool Combined { get; set; } = combined;

        public string? ListenKey { get; } = listenKey;

        public bool Expired { get; set; }

        public HashSet<string> EventFilter { get; } = new(events.Split('/', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);

        public HashSet<string> Streams { get; } = new(StringComparer.Ordinal);

        public Channel<byte[]> Queue { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

        public CancellationTokenSource Closing { get; } = new();

        /// <summary>Set when the venue ends the connection on purpose: the writer sends a close frame after what is queued.</summary>
        public string? CloseReason { get; private set; }

        public void CloseGracefully(string reason)
        {
            CloseReason = reason;
            if (!Queue.Writer.TryWrite(CloseSentinel))
            {
                Closing.Cancel();
            }
        }

        /// <summary>Queues a message; a connection whose queue is full is closed rather than slowing the venue.</summary>
        public void Send(byte[] message)
        {
            if (!Queue.Writer.TryWrite(message))
            {
                Closing.Cancel();
            }
        }
    }

    private static string EventType(byte[] payload)
    {
        // every user event starts {"e":"TYPE"
        var span = payload.AsSpan();
        if (span.Length > 7 && span.StartsWith("{\"e\":\""u8))
        {
            var rest = span[6..];
            var end = rest.IndexOf((byte)'"');
            if (end > 0)
            {
                return Encoding.ASCII.GetString(rest[..end]);
            }
        }

        return "";
    }
}
