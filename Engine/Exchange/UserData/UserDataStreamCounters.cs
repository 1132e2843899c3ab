namespace Engine.Exchange.UserData;

/// <summary>
/// What the user-data stream did, for health and metrics. Written by the stream's receive loop and keep-alive task
/// (interlocked: two writers, neither on a ring stage), read from any thread.
/// </summary>
public sealed class UserDataStreamCounters
{
    private long _connects;
    private long _disconnects;
    private long _connectFailures;
    private long _listenKeysCreated;
    private long _listenKeyFailures;
    private long _keepAlives;
    private long _keepAliveFailures;
    private long _listenKeyExpired;
    private long _frames;
    private long _orderUpdates;
    private long _accountUpdates;
    private long _ignored;
    private long _malformed;
    private long _unknownSymbol;
    private long _sinkFailures;
    private long _oversized;
    private long _receiveBufferBytes;
    private long _connected;
    private long _connectedSinceUnixMs;
    private long _listenKeySinceUnixMs;
    private long _lastEventUnixMs;

    /// <summary>Connections opened.</summary>
    public long Connects => Volatile.Read(ref _connects);

    /// <summary>Connections that ended (drop, expired key, age limit, stop).</summary>
    public long Disconnects => Volatile.Read(ref _disconnects);

    /// <summary>Handshakes that failed.</summary>
    public long ConnectFailures => Volatile.Read(ref _connectFailures);

    /// <summary>listenKey POSTs that succeeded (a new key, or the active one extended).</summary>
    public long ListenKeysCreated => Volatile.Read(ref _listenKeysCreated);

    /// <summary>listenKey POSTs that failed.</summary>
    public long ListenKeyFailures => Volatile.Read(ref _listenKeyFailures);

    /// <summary>Keep-alive PUTs that succeeded.</summary>
    public long KeepAlives => Volatile.Read(ref _keepAlives);

    /// <summary>Keep-alive PUTs that failed.</summary>
    public long KeepAliveFailures => Volatile.Read(ref _keepAliveFailures);

    /// <summary>listenKeyExpired events received (and keep-alives answered -1125).</summary>
    public long ListenKeyExpired => Volatile.Read(ref _listenKeyExpired);

    /// <summary>Frames received.</summary>
    public long Frames => Volatile.Read(ref _frames);

    /// <summary>ORDER_TRADE_UPDATEs handed to the sink.</summary>
    public long OrderUpdates => Volatile.Read(ref _orderUpdates);

    /// <summary>ACCOUNT_UPDATEs handed to the sink.</summary>
    public long AccountUpdates => Volatile.Read(ref _accountUpdates);

    /// <summary>Events the engine does not act on (TRADE_LITE, ALGO_UPDATE, …).</summary>
    public long Ignored => Volatile.Read(ref _ignored);

    /// <summary>Frames that were not valid user-data events; dropped, the stream goes on.</summary>
    public long Malformed => Volatile.Read(ref _malformed);

    /// <summary>Order updates for symbols outside the engine's table.</summary>
    public long UnknownSymbol => Volatile.Read(ref _unknownSymbol);

    /// <summary>Sink calls that threw.</summary>
    public long SinkFailures => Volatile.Read(ref _sinkFailures);

    /// <summary>Messages longer than <c>Engine:UserStream:MaxMessageBytes</c>: each closed its connection (1009).</summary>
    public long Oversized => Volatile.Read(ref _oversized);

    /// <summary>Bytes of the receive buffer now (the starting size, or more only while a long frame is read).</summary>
    public long ReceiveBufferBytes => Volatile.Read(ref _receiveBufferBytes);

    /// <summary>Whether a socket is open now.</summary>
    public bool Connected => Volatile.Read(ref _connected) != 0;

    /// <summary>When the current connection opened (Unix ms; 0 when none).</summary>
    public long ConnectedSinceUnixMs => Volatile.Read(ref _connectedSinceUnixMs);

    /// <summary>When the listenKey was last created or extended (Unix ms; 0 before).</summary>
    public long ListenKeySinceUnixMs => Volatile.Read(ref _listenKeySinceUnixMs);

    /// <summary>When the last frame arrived (Unix ms; 0 before).</summary>
    public long LastEventUnixMs => Volatile.Read(ref _lastEventUnixMs);

    internal void Connect(long nowMs)
    {
        Interlocked.Increment(ref _connects);
        Volatile.Write(ref _connectedSinceUnixMs, nowMs);
        Volatile.Write(ref _connected, 1);
    }

    internal void Disconnect()
    {
        Volatile.Write(ref _connected, 0);
        Volatile.Write(ref _connectedSinceUnixMs, 0);
        Interlocked.Increment(ref _disconnects);
    }

    internal void ConnectFailure() => Interlocked.Increment(ref _connectFailures);

    internal void ListenKeyCreated(long nowMs)
    {
        Interlocked.Increment(ref _listenKeysCreated);
        Volatile.Write(ref _listenKeySinceUnixMs, nowMs);
    }

    internal void ListenKeyFailure() => Interlocked.Increment(ref _listenKeyFailures);

    internal void KeepAlive(long nowMs)
    {
        Interlocked.Increment(ref _keepAlives);
        Volatile.Write(ref _listenKeySinceUnixMs, nowMs);
    }

    internal void KeepAliveFailure() => Interlocked.Increment(ref _keepAliveFailures);

    internal void KeyExpired() => Interlocked.Increment(ref _listenKeyExpired);

    internal void Frame(long nowMs)
    {
        Interlocked.Increment(ref _frames);
        Volatile.Write(ref _lastEventUnixMs, nowMs);
    }

    internal void OrderUpdate() => Interlocked.Increment(ref _orderUpdates);

    internal void AccountUpdate() => Interlocked.Increment(ref _accountUpdates);

    internal void IgnoredEvent() => Interlocked.Increment(ref _ignored);

    internal long MalformedFrame() => Interlocked.Increment(ref _malformed);

    internal void UnknownSymbolEvent() => Interlocked.Increment(ref _unknownSymbol);

    internal void SinkFailure() => Interlocked.Increment(ref _sinkFailures);

    internal void OversizedFrame() => Interlocked.Increment(ref _oversized);

    internal void ReceiveBuffer(int bytes) => Volatile.Write(ref _receiveBufferBytes, bytes);
}
