using System.Diagnostics;
using System.Text;

namespace Engine.Exchange.Wire;

/// <summary>
/// One keep-alive HTTP/1.1 connection of a <see cref="RestOrderPool"/>, for the life of one <see cref="WireConnection"/>:
/// at most one request in flight (no pipelining), so every response answers the request the connection remembers.
/// A lost connection is never reopened; the pool makes a new one in its slot.
/// </summary>
/// <remarks>
/// Threads: <see cref="TrySend"/> from any thread (a compare-and-swap on the in-flight flag decides who writes);
/// <see cref="OnReceived"/> and <see cref="OnLost"/> on the wire's reader thread; the pool's maintenance loop opens,
/// warms, times out and keeps the connection warm through the same flag.
/// </remarks>
internal sealed class RestOrderConnection : IWireReceiver
{
    private const int Idle = 0;
    private const int Busy = 1;

    private readonly RestOrderPool _pool;
    private readonly byte[] _request;
    private readonly HttpResponseParser _parser = new();
    private OrderAnswer _answer;
    private WireConnection? _wire;
    private TaskCompletionSource<int>? _warmUp;

    // 1 once warm and until lost or closing: TrySend may use the connection.
    private int _ready;

    // Busy from the send of a request to the delivery of its answer; also while the connection is being opened.
    private int _busy = Busy;
    private OrderRequestKind _inFlightKind;
    private long _inFlightClientOrderId;
    private long _sentTimestamp;
    private long _lastUsedTimestamp;

    // Ready and lost are reported in that order, each once: publication and the reader's loss report take this lock.
    private readonly Lock _reportLock = new();
    private bool _reportedReady;
    private string? _lostReason;

    public RestOrderConnection(RestOrderPool pool, int slot, int requestBufferBytes)
    {
        _pool = pool;
        Slot = slot;
        _request = GC.AllocateUninitializedArray<byte>(requestBufferBytes, pinned: true);
    }

    /// <summary>The pool slot this connection fills.</summary>
    public int Slot { get; }

    /// <summary>The wire connection's process-wide number (0 before it is open): what <see cref="OrderAnswer.ConnectionId"/> carries.</summary>
    public int Id { get; private set; }

    /// <summary>Whether the connection is warm and not lost (a request may still be in flight on it).</summary>
    public bool IsReady => Volatile.Read(ref _ready) == 1;

    /// <summary>Whether a request is waiting for its answer.</summary>
    public bool IsBusy => Volatile.Read(ref _busy) == Busy;

    /// <summary>Stopwatch time the request in flight was sent.</summary>
    public long SentTimestamp => Volatile.Read(ref _sentTimestamp);

    /// <summary>Stopwatch time of the last answer, or of the warm-up.</summary>
    public long LastUsedTimestamp => Volatile.Read(ref _lastUsedTimestamp);

    /// <summary>Why the connection ended, once it has.</summary>
    public string? LostReason
    {
        get
        {
            lock (_reportLock)
            {
                return _lostReason;
            }
        }
    }

    /// <summary>Runs <paramref name="publish"/> (slot, counters, the sink's ready report) unless the connection is already lost; true when it ran.</summary>
    public bool TryPublish(Action publish)
    {
        lock (_reportLock)
        {
            if (_lostReason is not null)
            {
                return false;
            }

            _reportedReady = true;
            publish();
            return true;
        }
    }

    /// <summary>
    /// Writes the order request into the connection's buffer and tries to send it: <see cref="WireSendResult.Down"/>
    /// when not ready, <see cref="WireSendResult.WouldBlock"/> when a request is in flight or the socket cannot take
    /// the bytes now. Never waits, takes no lock, allocates nothing.
    /// </summary>
    public WireSendResult TrySend(OrderRequestKind kind, long clientOrderId, ReadOnlySpan<byte> parameters, out long writeStamp)
    {
        writeStamp = 0;
        if (Volatile.Read(ref _ready) == 0)
        {
            return WireSendResult.Down;
        }

        if (Interlocked.CompareExchange(ref _busy, Busy, Idle) != Idle)
        {
            return WireSendResult.WouldBlock;
        }

        // Lost between the check and the take: the flag is ours, the connection is not usable.
        var wire = _wire;
        if (Volatile.Read(ref _ready) == 0 || wire is null)
        {
            Volatile.Write(ref _busy, Idle);
            return WireSendResult.Down;
        }

        var writer = new HttpRequestWriter(_request);
        writer.WriteOrder(kind, _pool.Head, parameters);
        if (!writer.TryComplete(out var length))
        {
            Volatile.Write(ref _busy, Idle);
            ThrowUnwritable(nameof(parameters), kind, parameters.Length, _request.Length);
        }

        // Set before the send: the answer can arrive on the reader thread before TrySend returns.
        _inFlightKind = kind;
        _inFlightClientOrderId = clientOrderId;
        Volatile.Write(ref _sentTimestamp, Stopwatch.GetTimestamp());
        var result = wire.TrySend(_request.AsSpan(0, length), out writeStamp);
        if (result != WireSendResult.Sent)
        {
            _inFlightKind = OrderRequestKind.None;
            _inFlightClientOrderId = 0;
            Volatile.Write(ref _busy, Idle);
        }

        return result;
    }

    /// <summary>Sends <c>GET /fapi/v1/time</c> on an idle connection from the maintenance loop; false when it was busy or the socket refused.</summary>
    public bool TryKeepWarm()
    {
        if (Volatile.Read(ref _ready) == 0 || Interlocked.CompareExchange(ref _busy, Busy, Idle) != Idle)
        {
            return false;
        }

        var writer = new HttpRequestWriter(_request);
        writer.WriteServerTime(_pool.Head);
        writer.TryComplete(out var length);
        _inFlightKind = OrderRequestKind.None;
        Volatile.Write(ref _sentTimestamp, Stopwatch.GetTimestamp());
        if (_wire?.TrySend(_request.AsSpan(0, length), out _) == WireSendResult.Sent)
        {
            return true;
        }

        Volatile.Write(ref _busy, Idle);
        return false;
    }

    /// <summary>
    /// Takes the freshly opened wire, sends <c>GET /fapi/v1/time</c> on it and waits for its answer (connect, TLS and
    /// the response path all warm); ready for orders only when the venue answered 200.
    /// </summary>
    public async Task<string?> WarmUpAsync(WireConnection wire, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var warmUp = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _warmUp, warmUp);
        Id = wire.Id;
        Volatile.Write(ref _wire, wire);
        var writer = new HttpRequestWriter(_request);
        writer.WriteServerTime(_pool.Head);
        writer.TryComplete(out var length);
        _inFlightKind = OrderRequestKind.None;
        Volatile.Write(ref _sentTimestamp, Stopwatch.GetTimestamp());
        if (wire.Send(_request.AsSpan(0, length), timeout) != WireSendResult.Sent)
        {
            return wire.CloseReason ?? "the warm-up request could not be sent";
        }

        int status;
        try
        {
            status = await warmUp.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return $"no answer to the warm-up request within {timeout.TotalMilliseconds:F0} ms";
        }

        if (status != 200)
        {
            return status < 0 ? wire.CloseReason ?? "the connection closed during the warm-up" : $"the warm-up request was answered HTTP {status}";
        }

        Volatile.Write(ref _lastUsedTimestamp, Stopwatch.GetTimestamp());
        Volatile.Write(ref _ready, 1);
        Volatile.Write(ref _busy, Idle);
        return null;
    }

    /// <summary>Ends the connection (its reader reports the loss to the pool).</summary>
    public void Close(string reason)
    {
        Volatile.Write(ref _ready, 0);
        if (Volatile.Read(ref _wire) is { } wire)
        {
            wire.Close(reason);
        }
    }

    /// <summary>Closes and releases the wire (its reader thread is joined briefly).</summary>
    public void Dispose(string reason)
    {
        Close(reason);
        Volatile.Read(ref _wire)?.Dispose();
    }

    /// <inheritdoc/>
    public int OnReceived(ReadOnlySpan<byte> data)
    {
        var received = Stopwatch.GetTimestamp();
        var consumed = 0;
        while (consumed < data.Length)
        {
            var result = _parser.TryParse(data[consumed..], out var used);
            if (result == HttpParseResult.Incomplete)
            {
                break;
            }

            if (result == HttpParseResult.Invalid)
            {
                Close("an unreadable HTTP response: " + _parser.Problem);
                return data.Length;
            }

            consumed += used;
            if (!OnResponse(received))
            {
                return data.Length;
            }
        }

        return consumed;
    }

    /// <inheritdoc/>
    public void OnLost(string reason)
    {
        Volatile.Write(ref _ready, 0);
        Volatile.Read(ref _warmUp)?.TrySetResult(-1);
        var inFlight = Volatile.Read(ref _busy) == Busy && _inFlightKind != OrderRequestKind.None;
        lock (_reportLock)
        {
            _lostReason = reason;
            _pool.OnConnectionLost(this, reason, _reportedReady, inFlight ? _inFlightKind : OrderRequestKind.None, _inFlightClientOrderId);
        }
    }

    /// <summary>One whole response: rate-limit counts, then the answer to the request in flight. False when the connection is ending.</summary>
    private bool OnResponse(long received)
    {
        var parser = _parser;
        var nowUnixMs = _pool.Clock.NowUnixMs;
        for (var i = 0; i < parser.RateLimitHeaderCount; i++)
        {
            _pool.RateLimits.Observe(parser.RateLimitHeaderName(i), parser.RateLimitHeaderValue(i), nowUnixMs);
        }

        if (Volatile.Read(ref _busy) != Busy)
        {
            Close("an HTTP response to no request");
            return false;
        }

        var kind = _inFlightKind;
        ref var answer = ref _answer;
        answer = default;
        answer.Request = kind;
        answer.Path = WirePath.Rest;
        answer.ConnectionId = Id;
        answer.ClientOrderId = _inFlightClientOrderId;
        answer.ReceivedTimestamp = received;
        var retryAfterMs = parser.RetryAfterSeconds >= 0 ? parser.RetryAfterSeconds * 1000
            : parser.RetryAfterDateUnixMs > 0 ? Math.Max(0, parser.RetryAfterDateUnixMs - nowUnixMs) : -1;
        answer.RetryAfterMs = Math.Max(0, retryAfterMs);
        if (!RestAnswerReader.TryRead(parser.StatusCode, parser.Body, ref answer, out var problem) && kind != OrderRequestKind.None)
        {
            // The request was answered but the answer cannot be trusted: as far as the engine knows, its outcome is unknown.
            Close($"an unreadable answer (HTTP {parser.StatusCode}): {problem}");
            return false;
        }

        if (parser.StatusCode is 429 or 418)
        {
            _pool.OnRateLimited(kind, parser.StatusCode, retryAfterMs, Encoding.UTF8.GetString(answer.Message[..answer.MessageLength]), nowUnixMs);
        }

        _inFlightKind = OrderRequestKind.None;
        _inFlightClientOrderId = 0;
        Volatile.Write(ref _lastUsedTimestamp, received);
        var closing = parser.ConnectionClose;
        if (closing)
        {
            Volatile.Write(ref _ready, 0);
        }

        if (kind != OrderRequestKind.None)
        {
            _pool.Sink.OnAnswer(in answer);
        }
        else if (Volatile.Read(ref _warmUp) is { } warmUp)
        {
            Volatile.Write(ref _warmUp, null);
            warmUp.TrySetResult(closing ? -1 : parser.StatusCode);
            if (!closing)
            {
                // The warm-up keeps the flag until WarmUpAsync has marked the connection ready.
                return true;
            }
        }

        Volatile.Write(ref _busy, Idle);
        if (closing)
        {
            Close("the venue closes the connection after its answer (Connection: close)");
            return false;
        }

        return true;
    }

    private static void ThrowUnwritable(string parameterName, OrderRequestKind kind, int parametersLength, int bufferLength) =>
        throw new ArgumentException(
            $"A {kind} request with {parametersLength} bytes of parameters cannot be written (not an order request, a space or line break in a query, or more than the {bufferLength}-byte request buffer; raise MaxParametersBytes).",
            parameterName);
}
