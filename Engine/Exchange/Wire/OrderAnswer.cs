using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Engine.Model;

namespace Engine.Exchange.Wire;

/// <summary>Which request an <see cref="OrderAnswer"/> answers.</summary>
public enum OrderRequestKind : byte
{
    None = 0,
    Place,
    Cancel,
    Status,
    AlgoPlace,
    AlgoCancel,
}

/// <summary>The venue path a request took.</summary>
public enum WirePath : byte
{
    None = 0,

    /// <summary>The WebSocket API (<c>ws-fapi/v1</c>).</summary>
    WebSocketApi,

    /// <summary>A REST request on one of the engine's own keep-alive connections.</summary>
    Rest,
}

/// <summary>What a non-blocking send did with the request.</summary>
public enum WireSendResult : byte
{
    /// <summary>The connection took every byte: written to the socket, or the first part written and the rest queued on the connection.</summary>
    Sent,

    /// <summary>Nothing was written: the socket could not take bytes now, or another thread was writing on the connection.</summary>
    WouldBlock,

    /// <summary>Nothing was written: no open, ready connection.</summary>
    Down,
}

/// <summary>An error message's first bytes kept inline, so parsing an error answer allocates nothing.</summary>
[InlineArray(Length)]
public struct AnswerMessage
{
    public const int Length = 96;

    private byte _element0;
}

/// <summary>
/// One venue answer to an order request, parsed on the connection's reader thread without allocating (WebSocket API
/// frame or REST response alike): the request it answers, the HTTP-like status, the venue's error code, and the
/// order's state when the answer carries one. Decimal fields are exact fixed-point, parsed from the answer's bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct OrderAnswer
{
    public OrderRequestKind Request;
    public WirePath Path;

    /// <summary>The connection the answer came on (each connection of a path has its own number).</summary>
    public int ConnectionId;

    /// <summary>The client order id the request carried (the engine's request ids are its client order ids).</summary>
    public long ClientOrderId;

    /// <summary>HTTP status, or the WebSocket API's <c>status</c> (200 success, 400/401/403/409/418/429/5xx).</summary>
    public int Status;

    /// <summary>The venue's error code when <see cref="Status"/> is not 200; 0 otherwise.</summary>
    public int ErrorCode;

    /// <summary>Bytes of <see cref="Message"/> in use.</summary>
    public int MessageLength;

    /// <summary>The error message's first bytes (UTF-8, cut at <see cref="AnswerMessage.Length"/>).</summary>
    public AnswerMessage Message;

    /// <summary>Retry-After in milliseconds when the venue gave one (429/418); 0 otherwise.</summary>
    public long RetryAfterMs;

    // The order, when Status is 200 and the answer carries it.
    public long OrderId;
    public OrderStatus OrderStatus;
    public Quantity ExecutedQuantity;
    public Notional CumulativeQuote;
    public Price AveragePrice;
    public long UpdateTimeMs;

    /// <summary>Stopwatch time the answer's last byte was read.</summary>
    public long ReceivedTimestamp;

    /// <summary>True when the venue accepted the request (status 200).</summary>
    public readonly bool IsSuccess => Status == 200;
}

/// <summary>Receives what order connections learn, on their reader threads: must not block, should not allocate.</summary>
public interface IOrderAnswerSink
{
    /// <summary>An answer to one of the engine's order requests.</summary>
    void OnAnswer(in OrderAnswer answer);

    /// <summary>
    /// The connection closed or failed. Every request sent on it without an answer has an unknown outcome: the
    /// owner queries each by client order id; none is resent blind.
    /// </summary>
    void OnConnectionLost(WirePath path, int connectionId, string reason);

    /// <summary>The connection is open (and logged on where the key allows): new requests may use it.</summary>
    void OnConnectionReady(WirePath path, int connectionId);
}
