using System.Buffers.Text;
using System.Diagnostics;
using System.Text;
using Engine.Exchange.Signing;
using Engine.Exchange.Wire;
using Engine.Feed.WebSocket;
using Microsoft.Extensions.Logging;

namespace Engine.Exchange.WsApi;

/// <summary>
/// The engine's order connection to the WebSocket API (<c>ws-fapi/v1</c>): one ready connection at a time, opened and
/// warmed at start, that any thread can send an order frame on without blocking (<see cref="TrySend"/>); answers are
/// parsed on the connection's reader thread and given to the <see cref="IOrderAnswerSink"/>.
/// </summary>
/// <remarks>
/// <para>
/// Replacement is make-before-break: at <see cref="WsApiOptions.ReplaceAfter"/> (ahead of the venue's 24 h cut) or on
/// <see cref="ReplaceAsync"/>, a new connection is opened and warmed, becomes the one sends go to, and only then is
/// the old one closed — once it owes no answer, or after <see cref="WsApiOptions.DrainTimeout"/>; answers arriving
/// on it meanwhile are delivered as usual. A connection that drops is reported with
/// <see cref="IOrderAnswerSink.OnConnectionLost"/> (every request sent on it without an answer is an unknown outcome
/// for the owner to query by client order id; nothing is resent here) and a new one is opened with back-off.
/// </para>
/// <para>
/// With an Ed25519 key each connection logs on (<c>session.logon</c>) before it is used, and order requests carry
/// neither <c>apiKey</c> nor <c>signature</c>; with an HMAC key every request is signed by the sender.
/// </para>
/// </remarks>
public sealed class WsApiSession : IAsyncDisposable
{
    internal static ReadOnlySpan<byte> LogonId => "logon"u8;

    private readonly byte[] _apiKey;
    private readonly IRequestSigner _sessionSigner;
    private readonly Lock _drainLock = new();
    private readonly List<(WsApiConnection Connection, long Deadline)> _draining = [];
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private WsApiConnection? _current;
    private Task? _maintenance;
    private long _lostConnections;
    private long _replacements;
    private long _unparseable;

    /// <param name="options">Endpoint and timings; validated here.</param>
    /// <param name="apiKey">The API key (sent in <c>session.logon</c> or in each HMAC-signed request; never logged).</param>
    /// <param name="sessionSigner">
    /// Signs <c>session.logon</c>, on the session's own maintenance task only: give it a signer no other thread uses.
    /// Its <see cref="IRequestSigner.Scheme"/> decides the mode: Ed25519 logs on, HMAC signs per request.
    /// </param>
    /// <param name="rateLimits">The engine's tracker, shared with REST: answers' <c>rateLimits</c>, 429s and 418s go to it.</param>
    /// <param name="clock">The venue's clock (logon timestamps, rate-limit windows).</param>
    /// <param name="sink">Receives answers and connection changes on the reader threads.</param>
    /// <param name="logger">The session's log.</param>
    public WsApiSession(WsApiOptions options, string apiKey, IRequestSigner sessionSigner, RateLimitTracker rateLimits, ServerClock clock, IOrderAnswerSink sink, ILogger<WsApiSession> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        ArgumentNullException.ThrowIfNull(sessionSigner);
        ArgumentNullException.ThrowIfNull(rateLimits);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        Options = options;
        _apiKey = Encoding.ASCII.GetBytes(apiKey.Trim());
        _sessionSigner = sessionSigner;
        RateLimits = rateLimits;
        Clock = clock;
        Sink = sink;
        Logger = logger;
        LoggedOn = sessionSigner.Scheme == SignatureScheme.Ed25519;
    }

    /// <summary>True with an Ed25519 key: connections are logged on and order requests carry no apiKey or signature.</summary>
    public bool LoggedOn { get; }

    /// <summary>Whether a ready connection takes sends now.</summary>
    public bool IsReady => Volatile.Read(ref _current) is { IsOpen: true };

    /// <summary>The id of the connection sends go to now (0 when none).</summary>
    public int CurrentConnectionId => Volatile.Read(ref _current)?.Id ?? 0;

    /// <summary>Connections that ended while in use (drops, not replacements).</summary>
    public long LostConnections => Interlocked.Read(ref _lostConnections);

    /// <summary>Make-before-break replacements done.</summary>
    public long Replacements => Interlocked.Read(ref _replacements);

    /// <summary>Messages on any of the session's connections that were not WebSocket API answers (each logged, none thrown).</summary>
    public long UnparseableMessages => Interlocked.Read(ref _unparseable);

    internal WsApiOptions Options { get; }

    internal RateLimitTracker RateLimits { get; }

    internal ServerClock Clock { get; }

    internal IOrderAnswerSink Sink { get; }

    internal ILogger Logger { get; }

    /// <summary>
    /// Opens and warms the first connection (throws <see cref="IOException"/> when it cannot: start fails loudly),
    /// announces it to the sink, and starts the maintenance task (pings, replacement, reconnects).
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_maintenance is not null)
        {
            throw new InvalidOperationException("The session is already started.");
        }

        var first = await WsApiConnection.OpenAsync(this, cancellationToken).ConfigureAwait(false);
        if (!Publish(first))
        {
            throw new IOException("The first WebSocket API connection closed as soon as it was ready.");
        }

        _maintenance = Task.Run(() => MaintainAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>
    /// Writes the order request as a masked WebSocket text frame into <paramref name="buffer"/> (any thread, nothing
    /// allocated): with <see cref="LoggedOn"/> unsigned, otherwise signed by <paramref name="signer"/> — the calling
    /// thread's own signer. <paramref name="frame"/> is where the frame lies in the buffer. False with the reason when
    /// the order cannot be encoded (nothing to send).
    /// </summary>
    public bool TryWriteOrder(in OrderDescription order, IRequestSigner? signer, Span<byte> buffer, out Range frame, out OrderEncodeError error)
    {
        frame = default;
        if (!LoggedOn && signer is null)
        {
            throw new ArgumentNullException(nameof(signer), "An HMAC session signs every request: pass the sending thread's signer.");
        }

        if (!OrderEncoder.TryWriteWsApi(order, _apiKey, LoggedOn ? null : signer, buffer, out var jsonLength, out error))
        {
            return false;
        }

        if (jsonLength > ushort.MaxValue)
        {
            error = OrderEncodeError.BufferTooSmall;
            return false;
        }

        var start = WebSocketFrames.FrameInPlace(buffer, OrderEncoder.FrameHeadroom, jsonLength, WebSocketOpcode.Text, WebSocketFrames.NextMaskKey());
        frame = start..(OrderEncoder.FrameHeadroom + jsonLength);
        return true;
    }

    /// <summary>
    /// Puts a frame written by <see cref="TryWriteOrder"/> on the current connection without blocking (any thread,
    /// no lock, nothing allocated). <paramref name="connectionId"/> names the connection it went on: if the sink later
    /// hears <see cref="IOrderAnswerSink.OnConnectionLost"/> for it before the answer, the outcome is unknown.
    /// WouldBlock or Down: nothing was sent; the caller takes its other path.
    /// </summary>
    public WireSendResult TrySend(ReadOnlySpan<byte> frame, out long writeStamp, out int connectionId)
    {
        var current = Volatile.Read(ref _current);
        if (current is null)
        {
            writeStamp = 0;
            connectionId = 0;
            return WireSendResult.Down;
        }

        connectionId = current.Id;
        return current.TrySend(frame, out writeStamp);
    }

    /// <summary>Replaces the current connection now, make-before-break (what the 24 h cut does on its own).</summary>
    public async Task ReplaceAsync(CancellationToken cancellationToken)
    {
        var old = Volatile.Read(ref _current);
        if (old is not null)
        {
            var age = Stopwatch.GetElapsedTime(old.OpenedTimestamp);
            WsApiLog.Replacing(Logger, old.Id, age);
        }

        var fresh = await WsApiConnection.OpenAsync(this, cancellationToken).ConfigureAwait(false);
        if (!Publish(fresh))
        {
            throw new IOException("The replacement WebSocket API connection closed as soon as it was ready.");
        }

        Interlocked.Increment(ref _replacements);
        if (old is not null && !ReferenceEquals(old, fresh))
        {
            lock (_drainLock)
            {
                _draining.Add((old, Stopwatch.GetTimestamp() + (long)(Options.DrainTimeout.TotalSeconds * Stopwatch.Frequency)));
            }

            WsApiLog.Switched(Logger, old.Id, fresh.Id, old.Outstanding, Options.DrainTimeout);
            RetireDrained();
        }
    }

    /// <summary>Stops maintenance and closes every connection (each reported to the sink as lost, reason "the session stopped").</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_maintenance is not null)
        {
            try
            {
                await _maintenance.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        var connections = new List<WsApiConnection>();
        lock (_drainLock)
        {
            connections.AddRange(_draining.Select(d => d.Connection));
            _draining.Clear();
        }

        if (Interlocked.Exchange(ref _current, null) is { } current)
        {
            connections.Add(current);
        }

        foreach (var connection in connections)
        {
            connection.Abort("the session stopped");
        }

        _stop.Dispose();
        _wake.Dispose();
    }

    /// <summary>session.logon's request: <c>apiKey</c>, <c>recvWindow</c>, <c>timestamp</c>, signed over them sorted.</summary>
    internal int WriteLogon(Span<byte> destination)
    {
        var timestamp = Clock.NowUnixMs;
        Span<byte> number = stackalloc byte[20];
        Span<byte> payload = stackalloc byte[512];
        var p = 0;
        Append(payload, ref p, "apiKey="u8);
        Append(payload, ref p, _apiKey);
        Append(payload, ref p, "&recvWindow="u8);
        Utf8Formatter.TryFormat(Options.LogonRecvWindowMs, number, out var n);
        Append(payload, ref p, number[..n]);
        Append(payload, ref p, "&timestamp="u8);
        Utf8Formatter.TryFormat(timestamp, number, out var t);
        Append(payload, ref p, number[..t]);

        var d = 0;
        Append(destination, ref d, "{\"id\":\"logon\",\"method\":\"session.logon\",\"params\":{\"apiKey\":\""u8);
        Append(destination, ref d, _apiKey);
        Append(destination, ref d, "\",\"recvWindow\":"u8);
        Append(destination, ref d, number[..0]);
        Utf8Formatter.TryFormat(Options.LogonRecvWindowMs, destination[d..], out n);
        d += n;
        Append(destination, ref d, ",\"signature\":\""u8);
        d += _sessionSigner.SignForJson(payload[..p], destination[d..]);
        Append(destination, ref d, "\",\"timestamp\":"u8);
        Utf8Formatter.TryFormat(timestamp, destination[d..], out t);
        d += t;
        Append(destination, ref d, "}}"u8);
        return d;
    }

    internal void CountUnparseable() => Interlocked.Increment(ref _unparseable);

    /// <summary>Called by a connection's reader when it ends.</summary>
    internal void OnConnectionClosed(WsApiConnection connection, string reason, bool announced)
    {
        var wasCurrent = Interlocked.CompareExchange(ref _current, null, connection) == connection;
        var wasDraining = false;
        lock (_drainLock)
        {
            wasDraining = _draining.RemoveAll(d => ReferenceEquals(d.Connection, connection)) > 0;
        }

        if (!announced)
        {
            return;
        }

        if (wasCurrent)
        {
            Interlocked.Increment(ref _lostConnections);
            try
            {
                _wake.Release();
            }
            catch (ObjectDisposedException)
            {
                // The session is stopping: no reconnect is wanted.
            }
        }

        if (wasCurrent || wasDraining || connection.Outstanding > 0)
        {
            WsApiLog.Lost(Logger, connection.Id, reason, connection.Outstanding);
        }

        Sink.OnConnectionLost(WirePath.WebSocketApi, connection.Id, reason);
    }

    private static void Append(Span<byte> destination, ref int position, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination[position..]);
        position += bytes.Length;
    }

    /// <summary>Makes <paramref name="connection"/> the one sends go to and tells the sink; false when it already ended.</summary>
    private bool Publish(WsApiConnection connection)
    {
        if (!connection.TryAnnounce())
        {
            return false;
        }

        Volatile.Write(ref _current, connection);
        if (!connection.IsOpen)
        {
            Interlocked.CompareExchange(ref _current, null, connection);
        }

        Sink.OnConnectionReady(WirePath.WebSocketApi, connection.Id);
        return true;
    }

    private async Task MaintainAsync(CancellationToken stop)
    {
        var attempt = 0;
        var lastPing = Stopwatch.GetTimestamp();
        var tick = Options.PingInterval < TimeSpan.FromSeconds(1) ? Options.PingInterval : TimeSpan.FromSeconds(1);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var current = Volatile.Read(ref _current);
                if (current is not null && !current.IsOpen)
                {
                    // Ended between its close and the reader's report: the report clears it; wait for it.
                    current = null;
                }

                if (current is null)
                {
                    try
                    {
                        var fresh = await WsApiConnection.OpenAsync(this, stop).ConfigureAwait(false);
                        if (Publish(fresh))
                        {
                            attempt = 0;
                            lastPing = Stopwatch.GetTimestamp();
                        }
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException)
                    {
                        var delay = Backoff.Delay(attempt, Options.ReconnectMinDelay, Options.ReconnectMaxDelay);
                        WsApiLog.ConnectFailed(Logger, ++attempt, e.Message, delay);
                        await Task.Delay(delay, stop).ConfigureAwait(false);
                    }

                    continue;
                }

                if (Stopwatch.GetElapsedTime(current.OpenedTimestamp) >= Options.ReplaceAfter)
                {
                    try
                    {
                        await ReplaceAsync(stop).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException)
                    {
                        // The old connection still works until its cut: try again on the next tick after a pause.
                        var delay = Backoff.Delay(attempt, Options.ReconnectMinDelay, Options.ReconnectMaxDelay);
                        WsApiLog.ConnectFailed(Logger, ++attempt, e.Message, delay);
                        await Task.Delay(delay, stop).ConfigureAwait(false);
                    }

                    continue;
                }

                if (Stopwatch.GetElapsedTime(lastPing) >= Options.PingInterval)
                {
                    current.Ping();
                    lastPing = Stopwatch.GetTimestamp();
                }

                RetireDrained();
                await _wake.WaitAsync(tick, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Closes replaced connections that owe no answer or whose drain time is over.</summary>
    private void RetireDrained()
    {
        List<WsApiConnection>? closing = null;
        lock (_drainLock)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var (connection, deadline) in _draining)
            {
                if (connection.Outstanding <= 0 || now >= deadline)
                {
                    (closing ??= []).Add(connection);
                }
            }
        }

        foreach (var connection in closing ?? [])
        {
            connection.Close("replaced");

            // The server answers close with close and ends TCP; a server that does not is cut off shortly after.
            _ = Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None).ContinueWith(
                _ => connection.Abort("replaced; the close handshake did not finish"), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }
}
