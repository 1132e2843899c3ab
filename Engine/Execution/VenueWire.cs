using Engine.Exchange.Signing;
using Engine.Exchange.Wire;
using Engine.Exchange.WsApi;

namespace Engine.Execution;

/// <summary>
/// The live venue's wire for the execution stage: the WebSocket API session when it is ready, else the engine's own
/// REST order pool. Each send writes the request in that path's own form into a buffer the stage owns (the WebSocket
/// API frame; the REST pool sends the stage's signed parameters as they are) and tries it without waiting. When
/// neither path takes it now, the I/O loop sends it.
/// </summary>
/// <remarks>Called only from the execution stage's thread: the frame buffer and the signer are that thread's own.</remarks>
public sealed class VenueWire : IOrderWire, IAsyncDisposable
{
    private readonly WsApiSession? _session;
    private readonly RestOrderPool? _pool;
    private readonly IRequestSigner? _signer;
    private readonly byte[] _frame;
    private readonly byte[] _warmFrame;
    private readonly SendPathWarmer? _sendPath;

    /// <param name="session">The WebSocket API session (null when it is off or the venue has none); started by the caller.</param>
    /// <param name="pool">The REST order pool (null when there is none); started by the caller.</param>
    /// <param name="signer">The stage thread's own signer for WebSocket API requests when the session is not logged on; disposed with the wire.</param>
    /// <param name="sendPath">Keeps the kernel's send path warm beside the encoders (<see cref="KeepWarm"/>); disposed with the wire.</param>
    /// <param name="frameBytes">Room for one WebSocket API request frame.</param>
    public VenueWire(WsApiSession? session, RestOrderPool? pool, IRequestSigner? signer, SendPathWarmer? sendPath = null, int frameBytes = 4096)
    {
        if (session is null && pool is null)
        {
            throw new ArgumentException("A venue wire needs the WebSocket API session, the REST order pool or both.");
        }

        if (session is { LoggedOn: false } && signer is null)
        {
            throw new ArgumentNullException(nameof(signer), "A WebSocket API session that is not logged on needs the stage's signer.");
        }

        _session = session;
        _pool = pool;
        _signer = signer;
        _frame = new byte[frameBytes];
        _warmFrame = new byte[frameBytes];
        _sendPath = sendPath;
    }

    /// <inheritdoc/>
    public WirePath Path => _session is not null ? WirePath.WebSocketApi : WirePath.Rest;

    /// <summary>The WebSocket API session, when there is one.</summary>
    public WsApiSession? Session => _session;

    /// <summary>The kernel send path's warmer, when there is one.</summary>
    public SendPathWarmer? SendPath => _sendPath;

    /// <summary>The REST order pool, when there is one.</summary>
    public RestOrderPool? Pool => _pool;

    /// <summary>Orders whose WebSocket API request could not be written (too long, a number finer than the symbol allows): sent over REST instead.</summary>
    public long EncodeFailures { get; private set; }

    /// <inheritdoc/>
    public bool SendsRestForm => _session is not { IsReady: true };

    /// <inheritdoc/>
    public WireSendResult TrySend(in WireOrder order, out WirePath path, out int connectionId, out long writeStamp)
    {
        var result = WireSendResult.Down;
        if (_session is { IsReady: true } session)
        {
            path = WirePath.WebSocketApi;
            if (session.TryWriteOrder(Describe(in order), _signer, _frame, out var frame, out _))
            {
                result = session.TrySend(_frame.AsSpan(frame), out writeStamp, out connectionId);
                if (result == WireSendResult.Sent)
                {
                    return result;
                }
            }
            else
            {
                EncodeFailures++;
            }
        }

        if (_pool is not null && !order.SignedRestParameters.IsEmpty)
        {
            path = WirePath.Rest;
            var rest = _pool.TrySend(OrderRequestKind.Place, order.ClientOrderId, order.SignedRestParameters, out connectionId, out writeStamp);
            return rest == WireSendResult.Sent || result == WireSendResult.Down ? rest : result;
        }

        path = _session is not null || _pool is null ? WirePath.WebSocketApi : WirePath.Rest;
        connectionId = 0;
        writeStamp = 0;
        return result;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The REST pool sends the stage's signed parameters as they are: only the WebSocket API frame has encoding to keep
    /// warm. Then the kernel's send path, on a private connection (<see cref="SendPathWarmer"/>), when there is one.
    /// </remarks>
    public void KeepWarm(in WireOrder order)
    {
        if (_session is { IsReady: true } session)
        {
            session.TryWriteOrder(Describe(in order), _signer, _warmFrame, out _, out _);
        }

        _sendPath?.Warm();
    }

    private static OrderDescription Describe(in WireOrder order) =>
        new()
        {
            Request = OrderRequestKind.Place,
            Symbol = order.Symbol,
            ClientOrderId = order.ClientOrderId,
            Side = order.Side,
            Kind = order.Kind,
            TimeInForce = order.TimeInForce,
            Quantity = order.Quantity,
            Price = order.Price,
            ReduceOnly = order.ReduceOnly,
            PriceDecimals = order.PriceDecimals,
            QuantityDecimals = order.QuantityDecimals,
            RecvWindowMs = order.RecvWindowMs,
            TimestampMs = order.TimestampMs,
        };

    public async ValueTask DisposeAsync()
    {
        if (_session is not null)
        {
            await _session.DisposeAsync().ConfigureAwait(false);
        }

        _pool?.Dispose();
        _signer?.Dispose();
        _sendPath?.Dispose();
    }
}
