using System.Diagnostics;
using Engine.Telemetry;

namespace Engine.Feed.WebSocket;

/// <summary>Why a connection ended and a new one was made.</summary>
public enum ReconnectReason : byte
{
    /// <summary>The socket failed or was aborted (a network error, the venue dropping it).</summary>
    Dropped = 0,

    /// <summary>The venue closed it with a close frame (e.g. its 24-hour cut).</summary>
    Closed,

    /// <summary>The stale-stream watchdog: a live symbol went quiet.</summary>
    Stale,

    /// <summary>Replaced before the venue's 24-hour cut (make-before-break).</summary>
    MaxAge,

    /// <summary>Connecting, upgrading or subscribing failed.</summary>
    ConnectFailed,

    /// <summary>A message longer than <c>Engine:Feed:MaxMessageBytes</c>: the connection was closed with 1009.</summary>
    MessageTooBig,
}

/// <summary>
/// One connection slot's counters: reconnects by reason, frames by parse outcome, bytes, and what happened to events.
/// Written by whichever thread holds the slot's lock (one at a time), read by any thread.
/// </summary>
public sealed class FeedCounters
{
    /// <summary>How many <see cref="ReconnectReason"/> values there are.</summary>
    public const int ReasonCount = (int)ReconnectReason.MessageTooBig + 1;

    /// <summary>Room for every parse outcome (<c>Engine.Feed.Parsing.FrameOutcome</c>).</summary>
    public const int OutcomeCount = 8;

    private readonly long[] _reconnects = new long[ReasonCount];
    private readonly long[] _frames = new long[OutcomeCount];
    private long _bytes;
    private long _controlFrames;
    private long _published;
    private long _duplicates;
    private long _held;
    private long _holdOverflow;
    private long _connects;
    private long _receiveBufferBytes;
    private long _peakReceiveBufferBytes;
    private long _receiveToRingSumNanoseconds;
    private static readonly double s_nanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    public long Reconnects(ReconnectReason reason) => Volatile.Read(ref _reconnects[(int)reason]);

    public long Frames(int outcome) => Volatile.Read(ref _frames[outcome]);

    /// <summary>Message bytes received (WebSocket payloads).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Replies to our SUBSCRIBE requests.</summary>
    public long ControlFrames => Volatile.Read(ref _controlFrames);

    /// <summary>Events published into the ring (back-filled candles included).</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>Events dropped because one like it was already published (overlap after a reconnect or a back-fill).</summary>
    public long Duplicates => Volatile.Read(ref _duplicates);

    /// <summary>Events held back while their symbol was checked for missed candles or back-filled.</summary>
    public long Held => Volatile.Read(ref _held);

    /// <summary>Events dropped because their symbol's hold queue was full.</summary>
    public long HoldOverflow => Volatile.Read(ref _holdOverflow);

    /// <summary>Connections made (subscribed) since start.</summary>
    public long Connects => Volatile.Read(ref _connects);

    /// <summary>Bytes of the receive buffer the slot's newest connection holds now (0 before the first).</summary>
    public long ReceiveBufferBytes => Volatile.Read(ref _receiveBufferBytes);

    /// <summary>The largest receive buffer any of the slot's connections held (never above <c>Engine:Feed:MaxMessageBytes</c>).</summary>
    public long PeakReceiveBufferBytes => Volatile.Read(ref _peakReceiveBufferBytes);

    /// <summary>Message complete → event published into the ring (held events include their hold), nanoseconds.</summary>
    public LatencyHistogram ReceiveToRing { get; } = new();

    /// <summary>Sum of <see cref="ReceiveToRing"/>'s observations, nanoseconds.</summary>
    public long ReceiveToRingSumNanoseconds => Volatile.Read(ref _receiveToRingSumNanoseconds);

    internal void CountPublished(long receivedTimestamp, long publishedTimestamp)
    {
        Volatile.Write(ref _published, _published + 1);
        var nanoseconds = (long)((publishedTimestamp - receivedTimestamp) * s_nanosecondsPerTick);
        ReceiveToRing.Record(nanoseconds);
        Volatile.Write(ref _receiveToRingSumNanoseconds, _receiveToRingSumNanoseconds + nanoseconds);
    }

    internal void Reconnect(ReconnectReason reason) => Interlocked.Increment(ref _reconnects[(int)reason]);

    internal void Frame(int outcome, int bytes)
    {
        Volatile.Write(ref _frames[outcome], _frames[outcome] + 1);
        Volatile.Write(ref _bytes, _bytes + bytes);
    }

    internal void Control(int bytes)
    {
        Interlocked.Increment(ref _controlFrames);
        Interlocked.Add(ref _bytes, bytes);
    }

    internal void Duplicate() => Volatile.Write(ref _duplicates, _duplicates + 1);

    internal void Hold() => Volatile.Write(ref _held, _held + 1);

    internal void Overflow() => Volatile.Write(ref _holdOverflow, _holdOverflow + 1);

    internal void Connected() => Interlocked.Increment(ref _connects);

    /// <summary>A connection's receive buffer changed size (grew for a long message, or shrank back after it).</summary>
    internal void ReceiveBuffer(int bytes)
    {
        Volatile.Write(ref _receiveBufferBytes, bytes);
        if (bytes > Volatile.Read(ref _peakReceiveBufferBytes))
        {
            Volatile.Write(ref _peakReceiveBufferBytes, bytes);
        }
    }
}
