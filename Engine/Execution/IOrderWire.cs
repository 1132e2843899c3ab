using Engine.Exchange.Wire;
using Engine.Model;
using Engine.State.Journal;

namespace Engine.Execution;

/// <summary>
/// A venue path the execution stage puts a signed order request on itself, without waiting: an already open
/// connection (the WebSocket API session, the REST wire pool). Answers and connection losses come back through the
/// <see cref="IOrderAnswerSink"/> the path was built with (<see cref="ExecutionService"/>).
/// </summary>
public interface IOrderWire
{
    /// <summary>The path orders take while it is up (for the start-up log).</summary>
    WirePath Path { get; }

    /// <summary>
    /// Whether the next order may leave in the stage's REST form: false while the path tried first writes its own
    /// (the WebSocket API session is ready), so the stage can leave that form unsigned until a send falls back to it.
    /// </summary>
    bool SendsRestForm { get; }

    /// <summary>
    /// Sends one new order from the calling thread (the execution stage's): never waits, takes no lock, allocates
    /// nothing. <see cref="WireSendResult.Sent"/>: on the wire, the answer follows on the sink, <paramref name="connectionId"/>
    /// is the connection a later <see cref="IOrderAnswerSink.OnConnectionLost"/> names and <paramref name="writeStamp"/>
    /// the Stopwatch time just before the send system call. Otherwise nothing was sent, and the I/O loop sends it.
    /// </summary>
    /// <param name="order">The order, and its signed REST parameters as the stage wrote them (a REST path sends those; another path writes its own form).</param>
    /// <param name="path">The path it went on (metrics and the tick-to-order trace carry it); the path tried last when not sent.</param>
    /// <param name="connectionId">The connection it went on; 0 when not sent.</param>
    /// <param name="writeStamp">Stopwatch time immediately before the send system call; 0 when not sent.</param>
    WireSendResult TrySend(in WireOrder order, out WirePath path, out int connectionId, out long writeStamp);

    /// <summary>
    /// Writes <paramref name="order"/>'s request in the form the path would send, into a scratch buffer, and sends
    /// nothing (the stage thread, while idle): keeps the encoding and signing of the path warm.
    /// </summary>
    void KeepWarm(in WireOrder order);
}

/// <summary>A new order as the execution stage hands it to an <see cref="IOrderWire"/>: its facts, and its signed REST parameters.</summary>
public readonly ref struct WireOrder
{
    public required long ClientOrderId { get; init; }

    /// <summary>The symbol's name, UTF-8.</summary>
    public required ReadOnlySpan<byte> Symbol { get; init; }

    public Side Side { get; init; }

    public OrderKind Kind { get; init; }

    public TimeInForce TimeInForce { get; init; }

    public Quantity Quantity { get; init; }

    public Price Price { get; init; }

    public bool ReduceOnly { get; init; }

    public int PriceDecimals { get; init; }

    public int QuantityDecimals { get; init; }

    public long RecvWindowMs { get; init; }

    /// <summary>The timestamp the order was signed at (the intent journals it: the -2013 rule waits past it + recvWindow).</summary>
    public long TimestampMs { get; init; }

    /// <summary>
    /// The signed REST parameters (<see cref="Engine.Exchange.Wire.OrderEncoder.TryWriteRest(in Engine.Exchange.Wire.OrderDescription, Engine.Exchange.Signing.IRequestSigner, Span{byte}, out int, out Engine.Exchange.Wire.OrderEncodeError)"/>:
    /// <c>symbol=…&amp;…&amp;timestamp=…&amp;signature=…</c>); empty when the stage has not signed them: then a path that
    /// needs them is not tried, and the stage signs and sends again if the others did not take the order.
    /// </summary>
    public required ReadOnlySpan<byte> SignedRestParameters { get; init; }
}

/// <summary>
/// Where the execution stage writes an order's intent before its own send: appended without a system call (a
/// memory-mapped log), released once the I/O loop has the intent in the main journal. What a restart finds appended
/// and not released are orders that may have left without the main journal knowing: unknown outcomes to query.
/// </summary>
public interface IStageIntentLog
{
    /// <summary>Appends (the stage thread only, no allocation); false when there is no room now: then the stage does not send.</summary>
    /// <param name="intent">The order about to be sent; the stage reuses one instance.</param>
    /// <param name="sequence">The intent's sequence, for <see cref="Release"/>.</param>
    bool TryAppend(JournalOrder intent, out long sequence);

    /// <summary>Rehearses an append of <paramref name="intent"/> and writes nothing a reader or a restart would see (the stage thread, while idle).</summary>
    void KeepWarm(JournalOrder intent);

    /// <summary>Every intent up to <paramref name="upToSequence"/> is in the main journal (any thread).</summary>
    void Release(long upToSequence);

    /// <summary>Intents appended and not released when the log was opened: orders that may have left before a crash.</summary>
    IReadOnlyList<JournalOrder> Unreleased { get; }

    /// <summary>
    /// Forces what is appended and the release watermark to disk, blocking (the I/O loop, before it compacts the main
    /// journal: a released intent must not come back after the main journal forgets it). False when the disk failed.
    /// </summary>
    bool Flush();
}
