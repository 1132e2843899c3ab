using System.Diagnostics;
using System.Globalization;
using Engine.Exchange.Rest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Exchange.Wire;

/// <summary>
/// REST orders from the execution stage's own thread: a few pre-connected keep-alive HTTP/1.1 connections (TCP, TLS for
/// live) to the venue, each opened and warmed with <c>GET /fapi/v1/time</c> at start, and a non-blocking
/// <see cref="TrySend"/> that writes the request with the engine's own <see cref="HttpRequestWriter"/> on an idle
/// connection. Answers are parsed on each connection's reader thread and handed to the <see cref="IOrderAnswerSink"/>.
/// </summary>
/// <remarks>
/// <para>
/// One request is in flight per connection (HTTP/1.1 without pipelining), so answers never need matching: a connection
/// remembers the client order id it sent. A connection that closes (the venue's <c>Connection: close</c> or idle
/// time-out, a socket error, an unreadable answer, a request without an answer within
/// <see cref="RestOrderPoolOptions.RequestTimeout"/>) is reported through
/// <see cref="IOrderAnswerSink.OnConnectionLost"/>: a request sent on it and not answered has an unknown outcome, to be
/// queried by client order id and never resent blind. The pool reopens the slot in the background, with back-off, and
/// reports <see cref="IOrderAnswerSink.OnConnectionReady"/> once the new connection is warm.
/// </para>
/// <para>
/// Rate limits: each answer's <c>X-MBX-*</c> counts go to the shared <see cref="RateLimitTracker"/>, a 429 or 418 is
/// recorded there (with Retry-After) exactly as the REST client records it, and while that back-off or ban lasts
/// <see cref="TrySend"/> sends nothing and answers <see cref="WireSendResult.WouldBlock"/>, so the order takes the I/O
/// path, whose REST client refuses it with the tracker's reason. The stage path does not reserve weight ahead (that
/// takes the tracker's lock); the venue's counts correct the tracker after each answer.
/// </para>
/// </remarks>
public sealed class RestOrderPool : IDisposable
{
    // Request time-outs and keep-warm intervals are seconds long; a loss wakes the loop at once.
    private const int MaintenanceTickMs = 50;

    private readonly RestOrderPoolOptions _options;
    private readonly ILogger _logger;
    private readonly WireEndpoint _endpoint;
    private readonly int _requestBufferBytes;
    private readonly RestOrderConnection?[] _slots;
    private readonly Task?[] _connecting;
    private readonly long[] _nextAttempt;
    private readonly int[] _attempts;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private Thread? _maintenance;
    private int _disposed;
    private long _connects;
    private long _lost;
    private long _lostInFlight;
    private long _timedOut;

    public RestOrderPool(
        IOptions<RestOrderPoolOptions> options,
        ApiCredentials credentials,
        ServerClock clock,
        RateLimitTracker rateLimits,
        IOrderAnswerSink sink,
        ILogger<RestOrderPool> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credentials);
        _options = options.Value;
        var validation = new RestOrderPoolOptionsValidator().Validate(null, _options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(RestOrderPoolOptions.Section, typeof(RestOrderPoolOptions), validation.Failures);
        }

        Clock = clock ?? throw new ArgumentNullException(nameof(clock));
        RateLimits = rateLimits ?? throw new ArgumentNullException(nameof(rateLimits));
        Sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        var baseAddress = new Uri(_options.BaseAddress);
        _endpoint = WireEndpoint.FromUri(baseAddress);
        Head = new RestRequestHead(baseAddress, credentials);
        _requestBufferBytes = HttpRequestWriter.MaxLength(Head, _options.MaxParametersBytes);
        _slots = new RestOrderConnection?[_options.Connections];
        _connecting = new Task?[_options.Connections];
        _nextAttempt = new long[_options.Connections];
        _attempts = new int[_options.Connections];
        Prime(Head);
    }

    /// <summary>The venue clock the rate-limit windows and Retry-After dates are read on.</summary>
    public ServerClock Clock { get; }

    /// <summary>The tracker the answers' counts, 429s and 418s go to (the one the REST client uses).</summary>
    public RateLimitTracker RateLimits { get; }

    /// <summary>Where answers, losses and readiness are reported.</summary>
    public IOrderAnswerSink Sink { get; }

    /// <summary>Host and (masked) key every request carries.</summary>
    public RestRequestHead Head { get; }

    /// <summary>Connections the pool keeps.</summary>
    public int ConnectionCount => _slots.Length;

    /// <summary>Connections open, warm and not lost right now (busy or idle).</summary>
    public int ReadyCount
    {
        get
        {
            var ready = 0;
            for (var slot = 0; slot < _slots.Length; slot++)
            {
                ready += Volatile.Read(ref _slots[slot]) is { IsReady: true } ? 1 : 0;
            }

            return ready;
        }
    }

    /// <summary>Connections opened and warmed since start (the first ones included).</summary>
    public long ConnectCount => Interlocked.Read(ref _connects);

    /// <summary>Ready connections that were lost since start.</summary>
    public long LostCount => Interlocked.Read(ref _lost);

    /// <summary>Connections lost with an order request in flight (each an unknown outcome).</summary>
    public long LostInFlightCount => Interlocked.Read(ref _lostInFlight);

    /// <summary>Requests given up for want of an answer within <see cref="RestOrderPoolOptions.RequestTimeout"/>.</summary>
    public long TimedOutCount => Interlocked.Read(ref _timedOut);

    /// <summary>
    /// Opens and warms every connection (in parallel), then starts the maintenance loop that reconnects, times out
    /// and keeps warm. Returns how many connections are ready; the others keep being retried in the background.
    /// </summary>
    public async Task<int> StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_maintenance is not null)
        {
            throw new InvalidOperationException("The REST order pool is already started.");
        }

        var endpoint = _endpoint.ToString();
        var head = Head.ToString();
        RestOrderPoolLog.Starting(_logger, _slots.Length, endpoint, head);
        var first = new Task[_slots.Length];
        for (var slot = 0; slot < _slots.Length; slot++)
        {
            first[slot] = _connecting[slot] = ConnectSlotAsync(slot, _stop.Token);
        }

        await Task.WhenAll(first).WaitAsync(cancellationToken).ConfigureAwait(false);
        _maintenance = new Thread(() => Maintain(_stop.Token)) { IsBackground = true, Name = "rest-order-pool" };
        _maintenance.Start();
        var ready = ReadyCount;
        RestOrderPoolLog.Started(_logger, ready, _slots.Length);
        return ready;
    }

    /// <summary>
    /// Sends one signed order request on an idle ready connection, from any thread (the execution stage's): never
    /// waits, takes no lock, allocates nothing on plain TCP (TLS: see <see cref="WireConnection.TrySend"/>).
    /// </summary>
    /// <param name="kind">Which request: place, cancel or query an order; place or cancel an algo order.</param>
    /// <param name="clientOrderId">The engine's client order id the request is about; the answer carries it back.</param>
    /// <param name="signedParameters">The encoded, signed parameters (<c>…&amp;timestamp=…&amp;signature=…</c>): the body of a POST, the query of a GET or DELETE.</param>
    /// <param name="connectionId">The connection it went on (the id a later <see cref="IOrderAnswerSink.OnConnectionLost"/> names); 0 when not sent.</param>
    /// <param name="writeStamp">Stopwatch time immediately before the send system call; 0 when not sent.</param>
    /// <returns>
    /// <see cref="WireSendResult.Sent"/>: on the wire, answer to follow on the sink. <see cref="WireSendResult.WouldBlock"/>:
    /// every ready connection has a request in flight or could not take the bytes now, or a 429/418 back-off is on;
    /// nothing was sent. <see cref="WireSendResult.Down"/>: no connection is ready; nothing was sent.
    /// </returns>
    /// <exception cref="ArgumentException">The request cannot be written (a kind that is not an order request, or parameters over <see cref="RestOrderPoolOptions.MaxParametersBytes"/>).</exception>
    public WireSendResult TrySend(OrderRequestKind kind, long clientOrderId, ReadOnlySpan<byte> signedParameters, out int connectionId, out long writeStamp)
    {
        connectionId = 0;
        writeStamp = 0;
        if (IsHeldBack())
        {
            return WireSendResult.WouldBlock;
        }

        var result = WireSendResult.Down;
        var slots = _slots;
        for (var i = 0; i < slots.Length; i++)
        {
            var connection = Volatile.Read(ref slots[i]);
            if (connection is null)
            {
                continue;
            }

            var sent = connection.TrySend(kind, clientOrderId, signedParameters, out writeStamp);
            if (sent == WireSendResult.Sent)
            {
                connectionId = connection.Id;
                return sent;
            }

            if (sent == WireSendResult.WouldBlock)
            {
                result = WireSendResult.WouldBlock;
            }
        }

        return result;
    }

    /// <summary>Whether a 429 back-off or a 418 ban recorded in the tracker is still on.</summary>
    private bool IsHeldBack()
    {
        var until = Math.Max(RateLimits.BlockedUntilUnixMs, RateLimits.BannedUntilUnixMs);

        // Both are 0 until the venue first refuses: the clock is read only after that.
        return until != 0 && Clock.NowUnixMs < until;
    }

    /// <summary>A 429 or 418 answer: recorded in the tracker and logged as the REST client does.</summary>
    internal void OnRateLimited(OrderRequestKind kind, int status, long retryAfterMs, string message, long nowUnixMs)
    {
        var (method, path) = Route(kind);
        TimeSpan? retryAfter = retryAfterMs >= 0 ? TimeSpan.FromMilliseconds(retryAfterMs) : null;
        if (status == 429)
        {
            RateLimits.OnTooManyRequests(retryAfter, nowUnixMs, message);
            var blockedUntil = DateTimeOffset.FromUnixTimeMilliseconds(RateLimits.BlockedUntilUnixMs);
            RestLog.RateLimited(_logger, method, path, blockedUntil, message);
            return;
        }

        var until = retryAfter is { } wait ? nowUnixMs + (long)wait.TotalMilliseconds
            : BanEnd(message) ?? nowUnixMs + (long)RateLimits.DefaultBackoff.TotalMilliseconds;
        RateLimits.OnBanned(until, message);
        var bannedUntil = DateTimeOffset.FromUnixTimeMilliseconds(until);
        RestLog.Banned(_logger, method, path, bannedUntil, message);
    }

    /// <summary>A connection's reader ended: report it, count it, and let the maintenance loop open a new one in its slot.</summary>
    internal void OnConnectionLost(RestOrderConnection connection, string reason, bool wasReady, OrderRequestKind inFlight, long clientOrderId)
    {
        Interlocked.CompareExchange(ref _slots[connection.Slot], null, connection);
        if (!wasReady)
        {
            return;
        }

        Interlocked.Increment(ref _lost);
        if (inFlight != OrderRequestKind.None)
        {
            Interlocked.Increment(ref _lostInFlight);
            RestOrderPoolLog.LostInFlight(_logger, connection.Id, inFlight, clientOrderId, reason);
        }
        else
        {
            RestOrderPoolLog.Lost(_logger, connection.Id, connection.Slot, reason);
        }

        Sink.OnConnectionLost(WirePath.Rest, connection.Id, reason);
        WakeMaintenance();
    }

    private void WakeMaintenance()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        try
        {
            _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // Stopped meanwhile: nothing to reopen.
        }
    }

    /// <summary>
    /// The maintenance thread: reopens empty slots, gives up on requests past their time-out, keeps idle connections
    /// warm. It waits synchronously, so between events it allocates nothing (no garbage, no collection to disturb the
    /// stage thread).
    /// </summary>
    private void Maintain(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            // Without the token: registering it on every wait would allocate. Dispose wakes the loop instead.
            _wake.Wait(MaintenanceTickMs, CancellationToken.None);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            for (var slot = 0; slot < _slots.Length; slot++)
            {
                var connection = Volatile.Read(ref _slots[slot]);
                if (connection is null)
                {
                    if (_connecting[slot] is not { IsCompleted: false } && now >= _nextAttempt[slot])
                    {
                        _connecting[slot] = ConnectSlotAsync(slot, cancellationToken);
                    }

                    continue;
                }

                if (!connection.IsReady)
                {
                    continue;
                }

                if (connection.IsBusy && Stopwatch.GetElapsedTime(connection.SentTimestamp, now) > _options.RequestTimeout)
                {
                    Interlocked.Increment(ref _timedOut);
                    RestOrderPoolLog.TimedOut(_logger, connection.Id, _options.RequestTimeout.TotalMilliseconds);
                    connection.Close(string.Create(CultureInfo.InvariantCulture, $"no answer within {_options.RequestTimeout.TotalMilliseconds:F0} ms"));
                }
                else if (_options.KeepWarmInterval > TimeSpan.Zero && Stopwatch.GetElapsedTime(connection.LastUsedTimestamp, now) > _options.KeepWarmInterval)
                {
                    connection.TryKeepWarm();
                }
            }
        }
    }

    /// <summary>One attempt to fill <paramref name="slot"/>: connect, warm, publish; on failure the next attempt is scheduled with back-off.</summary>
    private async Task ConnectSlotAsync(int slot, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var connection = new RestOrderConnection(this, slot, _requestBufferBytes);
        var wireOptions = new WireConnectionOptions
        {
            ConnectTimeout = _options.ConnectTimeout,
            ThreadName = "rest-order-" + slot.ToString(CultureInfo.InvariantCulture),
            PendingBufferBytes = Math.Max(16 * 1024, 2 * _requestBufferBytes),
            RemoteCertificateValidation = _options.RemoteCertificateValidation,
        };
        string? failure;
        WireConnection? wire = null;
        try
        {
            wire = await WireConnection.ConnectAsync(_endpoint, connection, wireOptions, cancellationToken).ConfigureAwait(false);
            failure = await connection.WarmUpAsync(wire, _options.ConnectTimeout + _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            failure = e.Message;
        }
        catch (OperationCanceledException)
        {
            wire?.Dispose();
            return;
        }

        if (failure is null && Volatile.Read(ref _disposed) == 0)
        {
            _attempts[slot] = 0;
            if (connection.TryPublish(() =>
            {
                Volatile.Write(ref _slots[slot], connection);
                Interlocked.Increment(ref _connects);
                var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                RestOrderPoolLog.Ready(_logger, connection.Id, slot, elapsedMs);
                Sink.OnConnectionReady(WirePath.Rest, connection.Id);
            }))
            {
                return;
            }

            // Lost between its warm-up and now: it was never reported ready, so nothing is reported lost.
            failure = connection.LostReason ?? "lost before it was ready";
        }

        connection.Dispose(failure ?? "the pool stopped");
        if (failure is null)
        {
            return;
        }

        var attempt = ++_attempts[slot];
        var delay = TimeSpan.FromTicks(Math.Min(_options.MaxReconnectDelay.Ticks, _options.ReconnectDelay.Ticks << Math.Min(attempt - 1, 16)));
        _nextAttempt[slot] = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        RestOrderPoolLog.ConnectFailed(_logger, slot, attempt, failure, (long)delay.TotalMilliseconds);
    }

    private static (string Method, string Path) Route(OrderRequestKind kind) => kind switch
    {
        OrderRequestKind.Place => ("POST", "/fapi/v1/order"),
        OrderRequestKind.Cancel => ("DELETE", "/fapi/v1/order"),
        OrderRequestKind.Status => ("GET", "/fapi/v1/order"),
        OrderRequestKind.AlgoPlace => ("POST", "/fapi/v1/algoOrder"),
        OrderRequestKind.AlgoCancel => ("DELETE", "/fapi/v1/algoOrder"),
        _ => ("GET", "/fapi/v1/time"),
    };

    /// <summary>"Way too many requests; IP banned until 1591702613943." → the epoch ms, as the REST client reads it.</summary>
    private static long? BanEnd(string message)
    {
        const string marker = "banned until ";
        var at = message.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return null;
        }

        var digits = message.AsSpan(at + marker.Length);
        var length = digits.IndexOfAnyExceptInRange('0', '9');
        digits = length < 0 ? digits : digits[..length];
        return digits.Length >= 10 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var until) ? until : null;
    }

    /// <summary>Runs the request writer, the response parser and the answer reader once, so the first order does not pay for their compilation.</summary>
    private static void Prime(RestRequestHead head)
    {
        Span<byte> request = stackalloc byte[1024];
        var writer = new HttpRequestWriter(request);
        writer.WriteOrder(OrderRequestKind.Place, head, "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=e1&timestamp=1&signature=00"u8);
        var parser = new HttpResponseParser(1024);
        parser.TryParse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-MBX-USED-WEIGHT-1M: 1\r\n\r\n4c\r\n{\"orderId\":1,\"status\":\"FILLED\",\"executedQty\":\"0.001\",\"cumQuote\":\"42.00000\"}\r\n0\r\n\r\n"u8, out _);
        var answer = new OrderAnswer { Request = OrderRequestKind.Place, ClientOrderId = 1 };
        RestAnswerReader.TryRead(parser.StatusCode, parser.Body, ref answer, out _);
        RestAnswerReader.TryRead(400, "{\"code\":-2019,\"msg\":\"Margin is insufficient.\"}"u8, ref answer, out _);
    }

    /// <summary>Stops reconnecting and closes every connection (a request still in flight is reported lost, as any).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _wake.Release();
        try
        {
            _maintenance?.Join(TimeSpan.FromSeconds(5));
            Task.WaitAll([.. _connecting.OfType<Task>()], TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // A connect cancelled mid-way: nothing to keep.
        }

        for (var slot = 0; slot < _slots.Length; slot++)
        {
            Volatile.Read(ref _slots[slot])?.Dispose("the pool stopped");
        }

        _stop.Dispose();
        _wake.Dispose();
    }
}
