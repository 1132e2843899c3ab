using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using Engine.Feed.Parsing;
using Engine.Model;

namespace Engine.Feed.WebSocket;

/// <summary>
/// One WebSocket connection of a <see cref="StreamSession"/>: connect, subscribe (SUBSCRIBE in batches, every
/// reply awaited), then read messages into one pooled buffer, assembling fragments, stamp each complete message,
/// parse it into this connection's scratch event and hand it to the session.
/// </summary>
/// <remarks>
/// A message longer than the pooled buffer is read into a buffer of its own (doubling, never past
/// <see cref="FeedOptions.MaxMessageBytes"/>), which is dropped once the message is handled: a long message costs its
/// memory only while it is read, and nothing grown goes to the shared pool to stay there. A message longer than the
/// cap ends the connection with 1009 (Message Too Big) as soon as the cap is reached, without reading the rest.
/// </remarks>
/// <remarks>
/// Ping frames are answered by <see cref="ClientWebSocket"/> itself while a receive is pending, which the read loop
/// always has (proved by <c>RawServerTests</c> against a server that pings); the client also sends an unsolicited pong
/// every <see cref="ClientWebSocketOptions.KeepAliveInterval"/>, which the venue allows.
/// </remarks>
internal sealed class FeedConnection : IDisposable
{
    private const int NoReason = -1;

    private readonly StreamSession _session;
    private readonly StreamFrameParser _parser;
    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _maxMessageBytes;
    private byte[] _pooled;
    private byte[] _buffer;
    private MarketEvent _scratch;
    private int _pendingAcks;
    private long _firstRequestId;
    private long _lastRequestId;
    private int _abortReason = NoReason;
    private MarketEvent[] _staged = [];
    private int _stagedCount;

    public FeedConnection(StreamSession session, StreamFrameParser parser, int bufferSize, int maxMessageBytes, long number, bool staging)
    {
        _session = session;
        _parser = parser;
        _maxMessageBytes = maxMessageBytes;
        _pooled = ArrayPool<byte>.Shared.Rent(Math.Min(bufferSize, maxMessageBytes));
        _buffer = _pooled;
        session.Counters.ReceiveBuffer(_buffer.Length);
        Number = number;
        Staging = staging;
        _socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(30);
    }

    /// <summary>1, 2, …: which connection of its session this is.</summary>
    public long Number { get; }

    /// <summary>Receiving for a replacement: events are kept, not published, until the handover (session lock held).</summary>
    public bool Staging { get; set; }

    /// <summary>Stopwatch timestamp when the socket opened.</summary>
    public long ConnectedTimestamp { get; private set; }

    /// <summary>The read loop; its result says why it ended.</summary>
    public Task<ReconnectReason> Completion { get; private set; } = Task.FromResult(ReconnectReason.ConnectFailed);

    /// <summary>Bytes of the receive buffer now: the pooled one, or a larger one only while a long message is read.</summary>
    public int BufferLength => _buffer.Length;

    public int StagedCount => _stagedCount;

    /// <summary>Connects, starts reading, subscribes and waits for every SUBSCRIBE reply.</summary>
    /// <exception cref="Exception">Anything that stops the connection from being usable; the caller counts and retries.</exception>
    public async Task OpenAsync(Uri uri, IReadOnlyList<string> streams, FeedOptions options, long firstRequestId, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        timeout.CancelAfter(options.ConnectTimeout);
        await _socket.ConnectAsync(uri, timeout.Token).ConfigureAwait(false);
        ConnectedTimestamp = Stopwatch.GetTimestamp();
        var batches = (streams.Count + options.SubscribeBatchSize - 1) / options.SubscribeBatchSize;
        _firstRequestId = firstRequestId;
        _lastRequestId = firstRequestId + batches - 1;
        Volatile.Write(ref _pendingAcks, batches);
        Completion = ReceiveLoopAsync();
        for (var b = 0; b < batches; b++)
        {
            if (b > 0)
            {
                await Task.Delay(options.SubscribeInterval, timeout.Token).ConfigureAwait(false);
            }

            var request = SubscribeRequest(streams, b * options.SubscribeBatchSize, options.SubscribeBatchSize, firstRequestId + b);
            await _socket.SendAsync(request, WebSocketMessageType.Text, endOfMessage: true, timeout.Token).ConfigureAwait(false);
        }

        if (batches == 0)
        {
            _subscribed.TrySetResult();
        }

        var ended = await Task.WhenAny(_subscribed.Task, Completion).WaitAsync(timeout.Token).ConfigureAwait(false);
        if (ended != _subscribed.Task)
        {
            throw new WebSocketException($"the connection ended ({await Completion.ConfigureAwait(false)}) before every subscription was confirmed");
        }

        await _subscribed.Task.ConfigureAwait(false); // throws the venue's refusal
    }

    /// <summary>Ends the connection for <paramref name="reason"/>; the read loop returns it.</summary>
    public void Abort(ReconnectReason reason)
    {
        Interlocked.CompareExchange(ref _abortReason, (int)reason, NoReason);
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // already disposed: nothing left to end
        }

        _socket.Abort();
    }

    /// <summary>Closes politely (used for the connection a replacement took over from); never throws.</summary>
    public async Task CloseAsync()
    {
        Interlocked.CompareExchange(ref _abortReason, (int)ReconnectReason.MaxAge, NoReason);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "replaced", timeout.Token).ConfigureAwait(false);
            await Completion.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            // the replacement already publishes; how the old socket goes does not matter
        }
        finally
        {
            Abort(ReconnectReason.MaxAge);
        }
    }

    /// <summary>Keeps a parsed event for the handover (session lock held).</summary>
    public void Stage(in MarketEvent data)
    {
        if (_stagedCount == _staged.Length)
        {
            Array.Resize(ref _staged, Math.Max(256, _staged.Length * 2));
        }

        _staged[_stagedCount++] = data;
    }

    /// <summary>The events kept while staging (session lock held).</summary>
    public Span<MarketEvent> Staged => _staged.AsSpan(0, _stagedCount);

    /// <summary>Forgets the staged events after the handover replayed them.</summary>
    public void ClearStaged()
    {
        _staged = [];
        _stagedCount = 0;
    }

    public void Dispose()
    {
        Abort(ReconnectReason.Dropped);
        _socket.Dispose();
        _abort.Dispose();
        // The read loop may still be inside a message for a moment after the abort: hand the buffer back only once it has ended.
        _ = Completion.ContinueWith(
            static (_, state) =>
            {
                var connection = (FeedConnection)state!;
                var buffer = Interlocked.Exchange(ref connection._pooled, []);
                if (buffer.Length > 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private static byte[] SubscribeRequest(IReadOnlyList<string> streams, int start, int count, long id)
    {
        var text = new StringBuilder("{\"method\":\"SUBSCRIBE\",\"params\":[");
        var end = Math.Min(streams.Count, start + count);
        for (var i = start; i < end; i++)
        {
            text.Append(i > start ? ",\"" : "\"").Append(streams[i]).Append('"');
        }

        text.Append("],\"id\":").Append(id.ToString(CultureInfo.InvariantCulture)).Append('}');
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private async Task<ReconnectReason> ReceiveLoopAsync()
    {
        var token = _abort.Token;
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    var limit = Math.Min(_buffer.Length, _maxMessageBytes);
                    if (count == limit)
                    {
                        if (limit == _maxMessageBytes)
                        {
                            return await RefuseTooBigAsync().ConfigureAwait(false);
                        }

                        Grow();
                        limit = Math.Min(_buffer.Length, _maxMessageBytes);
                    }

                    result = await _socket.ReceiveAsync(_buffer.AsMemory(count, limit - count), token).ConfigureAwait(false);
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return EndReason(ReconnectReason.Closed);
                }

                OnMessage(count, Stopwatch.GetTimestamp());
                if (!ReferenceEquals(_buffer, _pooled))
                {
                    ShrinkBack();
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            _subscribed.TrySetException(e);
            return EndReason(ReconnectReason.Dropped);
        }
    }

    private ReconnectReason EndReason(ReconnectReason otherwise)
    {
        var requested = Volatile.Read(ref _abortReason);
        return requested == NoReason ? otherwise : (ReconnectReason)requested;
    }

    // A grown buffer is the message's own, not the pool's: dropped after it, the memory goes back with the next
    // collection instead of staying pooled for good.
    private void Grow()
    {
        var bigger = GC.AllocateUninitializedArray<byte>((int)Math.Min(_buffer.Length * 2L, _maxMessageBytes));
        _buffer.AsSpan().CopyTo(bigger);
        _buffer = bigger;
        _session.Counters.ReceiveBuffer(bigger.Length);
    }

    private void ShrinkBack()
    {
        _buffer = _pooled;
        _session.Counters.ReceiveBuffer(_pooled.Length);
    }

    /// <summary>A message past the cap: close with 1009 without reading the rest; the session reconnects.</summary>
    private async Task<ReconnectReason> RefuseTooBigAsync()
    {
        Interlocked.CompareExchange(ref _abortReason, (int)ReconnectReason.MessageTooBig, NoReason);
        ShrinkBack();
        _subscribed.TrySetException(new WebSocketException($"a message longer than {_maxMessageBytes} bytes"));
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The venue or an abort went first; the session retires the socket either way.
        }

        return EndReason(ReconnectReason.MessageTooBig);
    }

    private void OnMessage(int count, long receivedTimestamp)
    {
        var message = _buffer.AsSpan(0, count);

        // Market frames start {"stream": (combined); our requests' replies start {"result" or, refused, {"code"/{"error"/{"id".
        // Anything else goes to the parser, which counts what it cannot use.
        if (message.StartsWith("{\"result\""u8) || message.StartsWith("{\"code\""u8) || message.StartsWith("{\"error\""u8)
            || message.StartsWith("{\"id\""u8))
        {
            OnReply(message);
            return;
        }

        var outcome = _parser.Parse(message, receivedTimestamp, ref _scratch);
        _session.OnFrame(this, ref _scratch, outcome, count);
    }

    private void OnReply(ReadOnlySpan<byte> message)
    {
        _session.Counters.Control(message.Length);
        var refused = !message.StartsWith("{\"result\""u8);
        var idAt = message.IndexOf("\"id\":"u8);
        long id = -1;
        if (idAt >= 0)
        {
            var digits = message[(idAt + 5)..];
            var n = 0;
            id = 0;
            while (n < digits.Length && (uint)(digits[n] - '0') <= 9)
            {
                id = (id * 10) + (digits[n] - '0');
                n++;
            }

            if (n == 0)
            {
                id = -1;
            }
        }

        if (refused)
        {
            var text = Encoding.UTF8.GetString(message[..Math.Min(message.Length, 300)]);
            _session.Refused(text);
            _subscribed.TrySetException(new WebSocketException("the venue refused a subscription: " + text));
            return;
        }

        if (id >= _firstRequestId && id <= _lastRequestId && Interlocked.Decrement(ref _pendingAcks) == 0)
        {
            _subscribed.TrySetResult();
        }
    }
}
