using System.Buffers;
using Engine.Exchange.Wire;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.Signing;
using Engine.Model;
using Engine.State.Journal;

namespace Engine.Execution;

/// <summary>
/// The exchange, reached through the REST client's HTTP/1.1 keep-alive connections: new orders, queries by client order
/// id and cancel-alls, each answered through <see cref="IVenueAnswers"/> from the client's continuation. A request
/// that fails on the way (cancelled, the connection broke) is reported as its error: a new order's outcome is then
/// unknown (it may have reached the venue), a query's is safe to ask again. Owns the I/O loop's signer, which signs
/// the requests the loop writes itself (a resend at a fresh timestamp, a protective close).
/// </summary>
internal sealed class LiveVenue : IOrderVenue, IDisposable
{
    private readonly IRequestSigner _signer;
    private readonly SymbolTable _symbols;
    private readonly SymbolRules[] _rules;
    private readonly IVenueAnswers _answers;
    private readonly CancellationToken _stopping;

    /// <param name="client">The venue's REST client.</param>
    /// <param name="credentials">The key pair the I/O loop signs with (a signer of its own: a signer is not shared between threads).</param>
    /// <param name="symbols">This run's symbols.</param>
    /// <param name="rules">Venue rules indexed by <see cref="SymbolId.Value"/>.</param>
    /// <param name="answers">Where answers go.</param>
    /// <param name="stopping">Cancels requests in flight when execution stops.</param>
    public LiveVenue(BinanceRestClient client, ApiCredentials credentials, SymbolTable symbols, SymbolRules[] rules, IVenueAnswers answers, CancellationToken stopping)
    {
        Client = client;
        _signer = RequestSigners.Create(credentials);
        _symbols = symbols;
        _rules = rules;
        _answers = answers;
        _stopping = stopping;
    }

    public VenueMode Mode => VenueMode.Live;

    /// <summary>The REST client (its clock, recvWindow, and the positions a damaged journal is recovered from).</summary>
    public BinanceRestClient Client { get; }

    /// <summary>The venue's clock.</summary>
    public ServerClock Clock => Client.Clock;

    /// <summary>The recvWindow every request carries, ms.</summary>
    public long RecvWindowMs => Client.RecvWindowMs;

    /// <summary>
    /// Writes and signs the new-order request for <paramref name="order"/> at <paramref name="timestampMs"/> into
    /// <paramref name="destination"/>; returns its length, -1 when the symbol is not traded in this run, the request
    /// does not fit, or a number is finer than the symbol allows.
    /// </summary>
    public int WriteRequest(JournalOrder order, SymbolId symbol, long timestampMs, Span<byte> destination)
    {
        if (symbol.IsNone || symbol.Value >= _rules.Length)
        {
            return -1;
        }

        ref readonly var rules = ref _rules[symbol.Value];
        var request = NewOrders.Describe(_symbols.Utf8NameOf(symbol), order.ClientOrderId, order.Side, order.Kind, order.TimeInForce, order.Quantity,
            order.Price, order.ReduceOnly, in rules, RecvWindowMs, timestampMs);
        return OrderEncoder.TryWriteRest(in request, _signer, destination, out var length, out _) ? length : -1;
    }

    public void Place(OrderRecord record, byte[] request, int length) => _ = SendAsync(record.ClientOrderId, request, length, record.Written);

    public void Query(OrderRecord record) => _ = QueryAsync(record.ClientOrderId, record.Order.Symbol, ExecutionService.WireId(record));

    public void CancelAll(string symbol, bool entriesOnly) => _ = CancelAllAsync(symbol);

    public TimeSpan? Poll() => null;

    public void Dispose() => _signer.Dispose();

    private async Task SendAsync(long clientOrderId, byte[] bytes, int length, SocketWriteStamp? written)
    {
        RestResult<OrderResponse> result;
        try
        {
            result = await Client.SendStampedOrderAsync(OrderCall.New, bytes.AsMemory(0, length), written, _stopping).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            result = RestResult.Failure<OrderResponse>(new VenueError(VenueErrorCategory.UnknownOutcome, VenueError.LocalCode, exception.Message, 0, sent: true));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }

        _answers.OnPlaced(clientOrderId, result);
    }

    private async Task QueryAsync(long clientOrderId, string symbol, string wireId)
    {
        RestResult<OrderResponse> result;
        try
        {
            result = await Client.QueryOrderAsync(OrderReference.ByClientOrderId(symbol, wireId), _stopping).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            result = RestResult.Failure<OrderResponse>(new VenueError(VenueErrorCategory.RetrySafe, VenueError.LocalCode, exception.Message, 0, sent: false));
        }

        _answers.OnQueried(clientOrderId, result);
    }

    private async Task CancelAllAsync(string symbol)
    {
        VenueError? error;
        try
        {
            var result = await Client.CancelAllOpenOrdersAsync(symbol, _stopping).ConfigureAwait(false);
            error = result.Error;
        }
        catch (Exception exception) when (exception is OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            error = new VenueError(VenueErrorCategory.UnknownOutcome, VenueError.LocalCode, exception.Message, 0, sent: true);
        }

        _answers.OnCancelledAll(symbol, error);
    }
}
