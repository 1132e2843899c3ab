using System.Diagnostics;
using System.Text;
using Engine.Exchange.Wire;

namespace Engine.Exchange.WsApi;

/// <summary>
/// One WebSocket API connection of a <see cref="WsApiSession"/>: its WebSocket, the parse of every answer on the
/// reader thread into an <see cref="OrderAnswer"/> for the sink, the session's own requests (logon, warm-up ping),
/// and two counters — requests sent, order answers received — so a replaced connection is closed once it owes no
/// answer. It keeps no order state: a request's id says which order an answer is about.
/// </summary>
internal sealed class WsApiConnection : IWebSocketHandler
{
    private const int Pending = 0;
    private const int Announced = 1;
    private const int Ended = 2;

    private readonly WsApiSession _session;
    private readonly byte[] _sessionId = new byte[WsApiAnswerParser.MaxSessionIdLength];
    private readonly TaskCompletionSource<string?> _logon = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _pong = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebSocketClient? _client;
    private int _id;
    private int _state;
    private long _sent;
    private long _answered;
    private long _unparseable;

    private WsApiConnection(WsApiSession session) => _session = session;

    public int Id => _id;

    /// <summary>Stopwatch time the connection became ready.</summary>
    public long OpenedTimestamp { get; private set; }

    public bool IsOpen => _client is { IsOpen: true };

    /// <summary>Requests sent on this connection with no answer yet.</summary>
    public long Outstanding => Interlocked.Read(ref _sent) - Interlocked.Read(ref _answered);

    public long Unparseable => Interlocked.Read(ref _unparseable);

    /// <summary>Connects, upgrades, and warms the path: <c>session.logon</c> for an Ed25519 key, a ping round trip otherwise.</summary>
    public static async Task<WsApiConnection> OpenAsync(WsApiSession session, CancellationToken cancellationToken)
    {
        var connection = new WsApiConnection(session);
        var options = session.Options;
        var started = Stopwatch.GetTimestamp();
        connection._client = await WebSocketClient.ConnectAsync(
            options.Endpoint,
            connection,
            new WebSocketClientOptions
            {
                MaxMessageBytes = options.MaxMessageBytes,
                HandshakeTimeout = options.ReadyTimeout,
                Wire = new Wire.WireConnectionOptions { ThreadName = "wsapi-reader", RemoteCertificateValidation = options.RemoteCertificateValidation },
            },
            cancellationToken).ConfigureAwait(false);
        connection._id = connection._client.Wire.Id;
        try
        {
            if (session.LoggedOn)
            {
                var buffer = new byte[1024];
                var length = session.WriteLogon(buffer);
                if (connection._client.SendText(buffer.AsSpan(0, length), new byte[length + WebSocketFrames.MaxClientHeaderLength]) != WireSendResult.Sent)
                {
                    throw new IOException("session.logon could not be sent: " + (connection._client.Wire.CloseReason ?? "the connection was busy"));
                }

                var refusal = await connection._logon.Task.WaitAsync(options.ReadyTimeout, cancellationToken).ConfigureAwait(false);
                if (refusal is not null)
                {
                    throw new IOException("session.logon refused: " + refusal);
                }
            }
            else
            {
                await connection.PingAsync(options.ReadyTimeout, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            connection.Abort("not ready in time");
            throw new IOException($"The WebSocket API connection was not ready within {options.ReadyTimeout.TotalSeconds:0.###} s ({(session.LoggedOn ? "no logon answer" : "no pong")}).");
        }
        catch
        {
            connection.Abort("warm-up failed");
            throw;
        }

        connection.OpenedTimestamp = Stopwatch.GetTimestamp();
        var warmUp = Stopwatch.GetElapsedTime(started);
        var where = options.Endpoint.GetLeftPart(UriPartial.Path);
        WsApiLog.Ready(session.Logger, connection.Id, where, session.LoggedOn ? "logged on with an Ed25519 key" : "signed per request", warmUp);
        return connection;
    }

    /// <summary>Marks the connection as announced to the sink; false when it already ended (then it is never announced).</summary>
    public bool TryAnnounce() => Interlocked.CompareExchange(ref _state, Announced, Pending) == Pending;

    public WireSendResult TrySend(ReadOnlySpan<byte> frame, out long writeStamp)
    {
        var result = _client!.TrySend(frame, out writeStamp);
        if (result == WireSendResult.Sent)
        {
            Interlocked.Increment(ref _sent);
        }

        return result;
    }

    /// <summary>Sends a ping and waits for its pong.</summary>
    public async Task PingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pong = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _pong, pong);
        if (_client!.SendPing("warm"u8) != WireSendResult.Sent)
        {
            throw new IOException("the ping could not be sent: " + (_client.Wire.CloseReason ?? "the connection was busy"));
        }

        await pong.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A keep-alive ping; the pong is not waited for (the venue's own pings are answered by the reader).</summary>
    public void Ping() => _client?.SendPing(default);

    /// <summary>Starts the close handshake (the server's close ends the connection).</summary>
    public void Close(string reason) => _client?.Close(1000, reason);

    public void Abort(string reason) => _client?.Abort(reason);

    public void OnMessage(ReadOnlySpan<byte> message, bool text, long receivedTimestamp)
    {
        var answer = default(OrderAnswer);
        var kind = WsApiAnswerParser.Parse(message, ref answer, _sessionId, out var idLength, _session.RateLimits, _session.Clock.NowUnixMs);
        switch (kind)
        {
            case WsApiMessageKind.Order:
                answer.Path = WirePath.WebSocketApi;
                answer.ConnectionId = _id;
                answer.ReceivedTimestamp = receivedTimestamp;
                Interlocked.Increment(ref _answered);
                _session.Sink.OnAnswer(in answer);
                break;

            case WsApiMessageKind.Session:
                OnSessionAnswer(_sessionId.AsSpan(0, idLength), in answer);
                break;

            default:
                var count = Interlocked.Increment(ref _unparseable);
                _session.CountUnparseable();
                if (_session.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Warning))
                {
                    WsApiLog.Unparseable(_session.Logger, _id, count, message.Length, Encoding.UTF8.GetString(message[..Math.Min(message.Length, 200)]));
                }

                break;
        }
    }

    public void OnPong(ReadOnlySpan<byte> payload) => Volatile.Read(ref _pong).TrySetResult();

    public void OnClosed(string reason)
    {
        _logon.TrySetResult("the connection closed: " + reason);
        Volatile.Read(ref _pong).TrySetException(new IOException("the connection closed: " + reason));
        var previous = Interlocked.Exchange(ref _state, Ended);
        _session.OnConnectionClosed(this, reason, announced: previous == Announced);
    }

    private void OnSessionAnswer(ReadOnlySpan<byte> id, in OrderAnswer answer)
    {
        if (id.SequenceEqual(WsApiSession.LogonId))
        {
            _logon.TrySetResult(answer.IsSuccess ? null : $"status {answer.Status}, code {answer.ErrorCode}: {Encoding.UTF8.GetString(answer.Message[..answer.MessageLength])}");
            return;
        }

        if (!answer.IsSuccess && _session.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Warning))
        {
            // A null id with an error is the venue speaking about the session itself (a revoked key: -2015).
            WsApiLog.SessionAnswer(_session.Logger, _id, Encoding.UTF8.GetString(id), answer.Status, answer.ErrorCode, Encoding.UTF8.GetString(answer.Message[..answer.MessageLength]));
        }
    }
}
