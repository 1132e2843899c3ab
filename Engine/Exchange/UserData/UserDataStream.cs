using System.Diagnostics;
using System.Net.WebSockets;
using Engine.Exchange.Rest;
using Engine.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Exchange.UserData;

/// <summary>
/// The Binance user-data stream: creates the listenKey (POST), keeps it alive (PUT every
/// <see cref="UserDataStreamOptions.KeepAliveInterval"/>), connects to <c>&lt;base&gt;/private/ws/&lt;key&gt;</c>, parses
/// every frame and hands order and account events to the <see cref="IUserDataSink"/>. It starts over (POST, which
/// returns the active key or a new one, then a new socket) on <c>listenKeyExpired</c>, on a keep-alive answered
/// -1125, on a dropped or closed socket (with exponential back-off while attempts fail) and when the connection
/// reaches <see cref="UserDataStreamOptions.MaxConnectionAge"/>, before the venue's 24-hour cut. The sink hears
/// <see cref="IUserDataSink.OnStreamDown"/> when a connection ends and
/// <see cref="IUserDataSink.OnStreamUp"/>(recovered: true) when the next one is up, so it can query the orders
/// it thinks are open for whatever happened in between.
/// </summary>
/// <remarks>
/// Threads: one receive loop (a thread-pool task) that parses and calls the sink, one call at a time; a keep-alive
/// task per connection. Parsing a frame allocates nothing; the listenKey is never logged in full.
/// </remarks>
public sealed partial class UserDataStream : BackgroundService, IAsyncDisposable
{
    private static readonly TimeSpan s_healthyConnection = TimeSpan.FromSeconds(5);

    private readonly BinanceRestClient _rest;
    private readonly IUserDataSink _sink;
    private readonly UserDataStreamOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly UserDataParser _parser;
    private readonly byte[] _initialBuffer;
    private byte[] _buffer;
    private MarketEvent _scratch;
    private int _listenKeyClosed;
    private CancellationTokenSource? _session;
    private int _endReason;

    /// <summary>Creates the stream; nothing connects before <see cref="BackgroundService.StartAsync"/>.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public UserDataStream(
        BinanceRestClient rest,
        SymbolTable symbols,
        IUserDataSink sink,
        IOptions<UserDataStreamOptions> options,
        ILogger<UserDataStream> logger,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options.Value;
        var validation = new UserDataStreamOptionsValidator().Validate(null, _options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(UserDataStreamOptions.Section, typeof(UserDataStreamOptions), validation.Failures);
        }

        _rest = rest;
        _sink = sink;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _parser = new UserDataParser(symbols, _options.MarginAsset);
        _initialBuffer = new byte[_options.ReceiveBufferBytes];
        _buffer = _initialBuffer;
        Counters.ReceiveBuffer(_buffer.Length);
    }

    private enum EndReason
    {
        None = 0,
        Stopped,
        Closed,
        Failed,
        ListenKeyExpired,
        KeyGone,
        Aged,
        Requested,
        MessageTooBig,
    }

    /// <summary>What the stream did (health, metrics, tests).</summary>
    public UserDataStreamCounters Counters { get; } = new();

    /// <summary>The connect/receive loop, until the host stops it.</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => RunAsync(stoppingToken);

    /// <summary>Closes the socket, ends the loop and (by default) deletes the listenKey, once.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (ExecuteTask is null)
        {
            return;
        }

        // Returns at the host's stop deadline even if the loop has not ended yet; it ends on its own.
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        if (_options.CloseListenKeyOnStop && Interlocked.Exchange(ref _listenKeyClosed, 1) == 0)
        {
            var closed = await _rest.CloseListenKeyAsync(cancellationToken).ConfigureAwait(false);
            if (!closed.IsSuccess)
            {
                Log.CloseFailed(_logger, closed.Error!);
            }
        }
    }

    /// <summary>Ends the current connection and starts over, as after a drop (operators, tests).</summary>
    public void Reconnect()
    {
        if (Volatile.Read(ref _session) is { } session)
        {
            EndSession(session, EndReason.Requested);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        Dispose();
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task RunAsync(CancellationToken stop)
    {
        var failures = 0;
        var wasUp = false;
        while (!stop.IsCancellationRequested)
        {
            var created = await _rest.CreateListenKeyAsync(stop).ConfigureAwait(false);
            if (!created.IsSuccess)
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                Counters.ListenKeyFailure();
                Log.ListenKeyFailed(_logger, created.Error!);
                await BackOffAsync(++failures, stop).ConfigureAwait(false);
                continue;
            }

            var key = created.Value!;
            var maskedKey = ApiCredentials.Mask(key);
            Counters.ListenKeyCreated(NowMs);
            using var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(30);
            var uri = new Uri(_options.WebSocketBaseAddress.TrimEnd('/') + "/" + _options.PathPrefix + key);
            try
            {
                using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                connectTimeout.CancelAfter(_options.ConnectTimeout);
                await socket.ConnectAsync(uri, connectTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                Counters.ConnectFailure();
                Log.ConnectFailed(_logger, maskedKey, ex.Message);
                await BackOffAsync(++failures, stop).ConfigureAwait(false);
                continue;
            }

            var connectedAt = Stopwatch.GetTimestamp();
            var framesBefore = Counters.Frames;
            using var session = CancellationTokenSource.CreateLinkedTokenSource(stop);
            Volatile.Write(ref _endReason, (int)EndReason.None);
            Volatile.Write(ref _session, session);
            Counters.Connect(NowMs);
            Log.Connected(_logger, maskedKey, wasUp);
            CallSink(static (sink, recovered) => sink.OnStreamUp(recovered), wasUp);

            // The timer and the keep-alive end this session only: a late callback cannot touch the next one.
            using var ageTimer = _time.CreateTimer(
                static s =>
                {
                    var (stream, owner) = ((UserDataStream, CancellationTokenSource))s!;
                    stream.EndSession(owner, EndReason.Aged);
                },
                (this, session),
                _options.MaxConnectionAge,
                Timeout.InfiniteTimeSpan);
            var keepAlive = KeepAliveLoopAsync(session);
            var reason = await ReceiveAsync(socket, session.Token).ConfigureAwait(false);
            var requested = (EndReason)Volatile.Read(ref _endReason);
            if (reason == EndReason.Stopped && requested != EndReason.None)
            {
                reason = requested;
            }

            Volatile.Write(ref _session, null);
            await session.CancelAsync().ConfigureAwait(false);
            await keepAlive.ConfigureAwait(false);
            await CloseQuietlyAsync(socket).ConfigureAwait(false);

            Counters.Disconnect();
            wasUp = true;
            CallSink(static (sink, _) => sink.OnStreamDown(), false);
            if (stop.IsCancellationRequested)
            {
                Log.Stopped(_logger);
                break;
            }

            Log.Disconnected(_logger, reason);
            var healthy = Stopwatch.GetElapsedTime(connectedAt) >= s_healthyConnection || Counters.Frames > framesBefore;
            failures = healthy || reason is EndReason.ListenKeyExpired or EndReason.KeyGone or EndReason.Aged or EndReason.Requested ? 0 : failures + 1;
            if (failures > 0)
            {
                await BackOffAsync(failures, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task<EndReason> ReceiveAsync(ClientWebSocket socket, CancellationToken token)
    {
        var count = 0;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(_buffer.AsMemory(count), token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return EndReason.Closed;
                }

                count += result.Count;
                if (!result.EndOfMessage)
                {
                    if (count == _buffer.Length)
                    {
                        if (_buffer.Length >= _options.MaxMessageBytes)
                        {
                            return await RefuseTooBigAsync(socket).ConfigureAwait(false);
                        }

                        // The frame's own buffer, dropped after it: the memory returns with the next collection.
                        var bigger = GC.AllocateUninitializedArray<byte>((int)Math.Min(_buffer.Length * 2L, _options.MaxMessageBytes));
                        _buffer.AsSpan().CopyTo(bigger);
                        _buffer = bigger;
                        Counters.ReceiveBuffer(bigger.Length);
                    }

                    continue;
                }

                var frameLength = count;
                count = 0;
                var expired = HandleFrame(_buffer.AsSpan(0, frameLength));
                if (!ReferenceEquals(_buffer, _initialBuffer))
                {
                    _buffer = _initialBuffer;
                    Counters.ReceiveBuffer(_buffer.Length);
                }

                if (expired)
                {
                    return EndReason.ListenKeyExpired;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return EndReason.Stopped;
        }
        catch (WebSocketException ex)
        {
            Log.ReceiveFailed(_logger, ex.Message);
            return EndReason.Failed;
        }
    }

    /// <summary>A frame past the cap: close with 1009 without reading the rest; the stream reconnects (open orders re-queried).</summary>
    private async Task<EndReason> RefuseTooBigAsync(ClientWebSocket socket)
    {
        _buffer = _initialBuffer;
        Counters.ReceiveBuffer(_buffer.Length);
        Counters.OversizedFrame();
        Log.TooBig(_logger, _options.MaxMessageBytes);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The venue went first; the socket is aborted after this anyway.
        }

        return EndReason.MessageTooBig;
    }

    // Returns true when the key expired and the connection must be replaced.
    private bool HandleFrame(ReadOnlySpan<byte> frame)
    {
        Counters.Frame(NowMs);
        var kind = _parser.Parse(frame, ref _scratch, Stopwatch.GetTimestamp());
        switch (kind)
        {
            case UserDataFrameKind.OrderUpdate:
                Counters.OrderUpdate();
                try
                {
                    _sink.OnOrderUpdate(in _scratch);
                }
                catch (Exception ex)
                {
                    SinkFailed(ex);
                }

                return false;
            case UserDataFrameKind.AccountUpdate:
                Counters.AccountUpdate();
                try
                {
                    _sink.OnAccountUpdate(in _scratch);
                }
                catch (Exception ex)
                {
                    SinkFailed(ex);
                }

                return false;
            case UserDataFrameKind.ListenKeyExpired:
                Counters.KeyExpired();
                Log.ListenKeyExpired(_logger);
                return true;
            case UserDataFrameKind.Ignored:
                Counters.IgnoredEvent();
                return false;
            case UserDataFrameKind.UnknownSymbol:
                Counters.UnknownSymbolEvent();
                return false;
            default:
                MalformedFrame(_parser.LastError ?? "unreadable", frame);
                return false;
        }
    }

    private async Task KeepAliveLoopAsync(CancellationTokenSource session)
    {
        var token = session.Token;
        var wait = _options.KeepAliveInterval;
        try
        {
            while (true)
            {
                await Task.Delay(wait, _time, token).ConfigureAwait(false);
                var result = await _rest.KeepAliveListenKeyAsync(token).ConfigureAwait(false);
                if (result.IsSuccess)
                {
                    Counters.KeepAlive(NowMs);
                    wait = _options.KeepAliveInterval;
                    continue;
                }

                if (token.IsCancellationRequested)
                {
                    return;
                }

                Counters.KeepAliveFailure();
                if (result.Error!.Code == -1125)
                {
                    // The key is gone (expired or deleted): a new one means a new connection.
                    Counters.KeyExpired();
                    Log.KeepAliveKeyGone(_logger);
                    EndSession(session, EndReason.KeyGone);
                    return;
                }

                Log.KeepAliveFailed(_logger, result.Error);
                wait = _options.KeepAliveRetryInterval;
            }
        }
        catch (OperationCanceledException)
        {
            // The connection ended.
        }
    }

    private void EndSession(CancellationTokenSource session, EndReason reason)
    {
        if (!ReferenceEquals(Volatile.Read(ref _session), session))
        {
            return;
        }

        Interlocked.CompareExchange(ref _endReason, (int)reason, (int)EndReason.None);
        try
        {
            session.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection already ended.
        }
    }

    private async Task BackOffAsync(int failures, CancellationToken stop)
    {
        var factor = Math.Pow(2, Math.Min(failures - 1, 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(_options.ReconnectDelay.Ticks * factor, _options.MaxReconnectDelay.Ticks));

        // Up to a fifth of jitter, so many engines do not reconnect in step after a venue outage.
#pragma warning disable CA5394 // Jitter, not security.
        delay += TimeSpan.FromTicks((long)(delay.Ticks * 0.2 * Random.Shared.NextDouble()));
#pragma warning restore CA5394
        Log.BackingOff(_logger, delay.TotalMilliseconds, failures);
        try
        {
            await Task.Delay(delay, _time, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // Closing a broken socket: aborting below is all that is left.
            }
        }

        socket.Abort();
    }

    private void CallSink(Action<IUserDataSink, bool> call, bool argument)
    {
        try
        {
            call(_sink, argument);
        }
        catch (Exception ex)
        {
            SinkFailed(ex);
        }
    }

    private void SinkFailed(Exception ex)
    {
        Counters.SinkFailure();
        Log.SinkFailed(_logger, ex);
    }

    private void MalformedFrame(string reason, ReadOnlySpan<byte> frame)
    {
        var n = Counters.MalformedFrame();
        if (n <= 10 || n % 1000 == 0)
        {
            var shown = frame.Length > 200 ? frame[..200] : frame;
            Log.Malformed(_logger, n, reason, System.Text.Encoding.UTF8.GetString(shown));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1800, Level = LogLevel.Information, Message = "User-data stream connected (listenKey {MaskedKey}, after a disconnect: {Recovered})")]
        public static partial void Connected(ILogger logger, string maskedKey, bool recovered);

        [LoggerMessage(EventId = 1801, Level = LogLevel.Warning, Message = "User-data stream disconnected ({Reason}); reconnecting, open orders will be re-queried")]
        public static partial void Disconnected(ILogger logger, EndReason reason);

        [LoggerMessage(EventId = 1802, Level = LogLevel.Warning, Message = "listenKey creation failed: {Error}")]
        public static partial void ListenKeyFailed(ILogger logger, VenueError error);

        [LoggerMessage(EventId = 1803, Level = LogLevel.Warning, Message = "User-data stream handshake failed (listenKey {MaskedKey}): {Reason}")]
        public static partial void ConnectFailed(ILogger logger, string maskedKey, string reason);

        [LoggerMessage(EventId = 1804, Level = LogLevel.Warning, Message = "The venue says the listenKey expired; creating a new one")]
        public static partial void ListenKeyExpired(ILogger logger);

        [LoggerMessage(EventId = 1805, Level = LogLevel.Warning, Message = "listenKey keep-alive answered -1125 (key gone); creating a new one")]
        public static partial void KeepAliveKeyGone(ILogger logger);

        [LoggerMessage(EventId = 1806, Level = LogLevel.Warning, Message = "listenKey keep-alive failed: {Error}; retrying")]
        public static partial void KeepAliveFailed(ILogger logger, VenueError error);

        [LoggerMessage(EventId = 1807, Level = LogLevel.Warning, Message = "User-data frame #{Count} dropped ({Reason}): {Frame}")]
        public static partial void Malformed(ILogger logger, long count, string reason, string frame);

        [LoggerMessage(EventId = 1808, Level = LogLevel.Error, Message = "The user-data sink threw; the event is lost to it, the stream goes on")]
        public static partial void SinkFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1809, Level = LogLevel.Information, Message = "Reconnecting the user-data stream in {DelayMs:F0} ms (attempt {Failures} failed)")]
        public static partial void BackingOff(ILogger logger, double delayMs, int failures);

        [LoggerMessage(EventId = 1810, Level = LogLevel.Warning, Message = "User-data receive failed: {Reason}")]
        public static partial void ReceiveFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 1811, Level = LogLevel.Information, Message = "User-data stream stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(EventId = 1812, Level = LogLevel.Warning, Message = "listenKey close failed: {Error}")]
        public static partial void CloseFailed(ILogger logger, VenueError error);

        [LoggerMessage(EventId = 1813, Level = LogLevel.Warning, Message = "A user-data message longer than {MaxBytes} bytes (Engine:UserStream:MaxMessageBytes): connection closed (1009), reconnecting")]
        public static partial void TooBig(ILogger logger, int maxBytes);
    }
}
