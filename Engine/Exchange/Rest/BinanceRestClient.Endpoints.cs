using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Engine.Exchange.Rules;
using Engine.Exchange.Signing;
using Engine.Model;

namespace Engine.Exchange.Rest;

// The endpoints (BINANCE_USDM.md §9). Weights follow the venue's table so the local rate-limit accounting matches the
// venue's before its headers correct it.
public sealed partial class BinanceRestClient
{
    private static readonly Endpoint s_time = new(HttpMethod.Get, "/fapi/v1/time", 1);
    private static readonly Endpoint s_exchangeInfo = new(HttpMethod.Get, "/fapi/v1/exchangeInfo", 1);
    private static readonly Endpoint s_ticker24h = new(HttpMethod.Get, "/fapi/v1/ticker/24hr", 1);
    private static readonly Endpoint s_klines = new(HttpMethod.Get, "/fapi/v1/klines", 5);
    private static readonly Endpoint s_depth = new(HttpMethod.Get, "/fapi/v1/depth", 10);
    private static readonly Endpoint s_bookTicker = new(HttpMethod.Get, "/fapi/v1/ticker/bookTicker", 2);
    private static readonly Endpoint s_premiumIndex = new(HttpMethod.Get, "/fapi/v1/premiumIndex", 1);
    private static readonly Endpoint s_newOrder = new(HttpMethod.Post, "/fapi/v1/order", 0, Orders: 1, Keyed: true);
    private static readonly Endpoint s_cancelOrder = new(HttpMethod.Delete, "/fapi/v1/order", 1, Keyed: true);
    private static readonly Endpoint s_queryOrder = new(HttpMethod.Get, "/fapi/v1/order", 1, Keyed: true);
    private static readonly Endpoint s_batchOrders = new(HttpMethod.Post, "/fapi/v1/batchOrders", 5, Orders: 5, Keyed: true);
    private static readonly Endpoint s_cancelAll = new(HttpMethod.Delete, "/fapi/v1/allOpenOrders", 1, Keyed: true);
    private static readonly Endpoint s_openOrders = new(HttpMethod.Get, "/fapi/v1/openOrders", 1, Keyed: true);
    private static readonly Endpoint s_positionRiskV2 = new(HttpMethod.Get, "/fapi/v2/positionRisk", 5, Keyed: true);
    private static readonly Endpoint s_positionRiskV3 = new(HttpMethod.Get, "/fapi/v3/positionRisk", 5, Keyed: true);
    private static readonly Endpoint s_accountV2 = new(HttpMethod.Get, "/fapi/v2/account", 5, Keyed: true);
    private static readonly Endpoint s_accountV3 = new(HttpMethod.Get, "/fapi/v3/account", 5, Keyed: true);
    private static readonly Endpoint s_balance = new(HttpMethod.Get, "/fapi/v2/balance", 5, Keyed: true);
    private static readonly Endpoint s_leverage = new(HttpMethod.Post, "/fapi/v1/leverage", 1, Keyed: true);
    private static readonly Endpoint s_marginType = new(HttpMethod.Post, "/fapi/v1/marginType", 1, Keyed: true);
    private static readonly Endpoint s_userTrades = new(HttpMethod.Get, "/fapi/v1/userTrades", 5, Keyed: true);
    private static readonly Endpoint s_listenKeyCreate = new(HttpMethod.Post, "/fapi/v1/listenKey", 1, Keyed: true);
    private static readonly Endpoint s_listenKeyKeepAlive = new(HttpMethod.Put, "/fapi/v1/listenKey", 1, Keyed: true);
    private static readonly Endpoint s_listenKeyClose = new(HttpMethod.Delete, "/fapi/v1/listenKey", 1, Keyed: true);
    private static readonly Endpoint s_newAlgoOrder = new(HttpMethod.Post, "/fapi/v1/algoOrder", 0, Orders: 1, Keyed: true);
    private static readonly Endpoint s_cancelAlgoOrder = new(HttpMethod.Delete, "/fapi/v1/algoOrder", 1, Keyed: true);
    private static readonly Endpoint s_queryAlgoOrder = new(HttpMethod.Get, "/fapi/v1/algoOrder", 1, Keyed: true);
    private static readonly Endpoint s_openAlgoOrders = new(HttpMethod.Get, "/fapi/v1/openAlgoOrders", 1, Keyed: true);

    private static readonly Func<byte[], OrderResponse> s_order = Json(RestJsonContext.Default.OrderResponse);
    private static readonly Func<byte[], AlgoOrderResponse> s_algoOrder = Json(RestJsonContext.Default.AlgoOrderResponse);
    private static readonly Func<byte[], VenueAck> s_ack = Json(RestJsonContext.Default.VenueAck);

    // ---- market data (NONE) ----

    /// <summary><c>GET /fapi/v1/time</c>: the server's Unix ms.</summary>
    public Task<RestResult<long>> GetServerTimeAsync(CancellationToken cancellationToken = default) =>
        SendPublicAsync(s_time, null, static body => Json(RestJsonContext.Default.ServerTimeResponse)(body).ServerTime, cancellationToken);

    /// <summary>
    /// <c>GET /fapi/v1/exchangeInfo</c>, parsed into per-symbol rules by <see cref="ExchangeInfoParser"/>. Its
    /// <c>rateLimits</c> replace the defaults in <see cref="RateLimits"/>. An answer the parser refuses is a
    /// <see cref="VenueErrorCategory.BadResponse"/> naming the field.
    /// </summary>
    public Task<RestResult<ExchangeInfo>> GetExchangeInfoAsync(CancellationToken cancellationToken = default) =>
        SendPublicAsync(s_exchangeInfo, null, ParseExchangeInfo, cancellationToken);

    private ExchangeInfo ParseExchangeInfo(byte[] body)
    {
        var info = ExchangeInfoParser.Parse(body);
        if (info.RateLimits.Count > 0)
        {
            RateLimits.SetRules(info.RateLimits);
            if (_logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information))
            {
                var limits = string.Join(", ", info.RateLimits.Select(r => $"{r.Type} {r.Limit}/{r.IntervalNum}{r.IntervalLetter}"));
                RestLog.RateLimitsLoaded(_logger, limits);
            }
        }

        return info;
    }

    /// <summary><c>GET /fapi/v1/ticker/24hr</c> for one symbol.</summary>
    public Task<RestResult<Ticker24h>> GetTicker24hAsync(string symbol, CancellationToken cancellationToken = default) =>
        SendPublicAsync(s_ticker24h, SymbolQuery(symbol), Json(RestJsonContext.Default.Ticker24h), cancellationToken);

    /// <summary><c>GET /fapi/v1/ticker/24hr</c> for every symbol (weight 40).</summary>
    public Task<RestResult<Ticker24h[]>> GetTickers24hAsync(CancellationToken cancellationToken = default) =>
        SendPublicAsync(s_ticker24h.WithWeight(40), null, Json(RestJsonContext.Default.Ticker24hArray), cancellationToken);

    /// <summary><c>GET /fapi/v1/klines</c>, oldest first; the last one may still be open.</summary>
    /// <param name="symbol">e.g. BTCUSDT.</param>
    /// <param name="interval">Binance spelling: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M.</param>
    /// <param name="startTime">Unix ms of the first open time wanted.</param>
    /// <param name="endTime">Unix ms of the last open time wanted.</param>
    /// <param name="limit">1..1500; the venue's default is 500.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<RestResult<Kline[]>> GetKlinesAsync(string symbol, string interval, long? startTime = null, long? endTime = null, int? limit = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit ?? 1, 1, nameof(limit));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit ?? 1, 1500, nameof(limit));
        var query = new StringBuilder(SymbolQuery(symbol)).Append("&interval=").Append(Uri.EscapeDataString(interval));
        AppendOptional(query, "startTime", startTime);
        AppendOptional(query, "endTime", endTime);
        AppendOptional(query, "limit", limit);
        var weight = (limit ?? 500) switch { < 100 => 1, < 500 => 2, <= 1000 => 5, _ => 10 };
        return SendPublicAsync(s_klines.WithWeight(weight), query.ToString(), Json(RestJsonContext.Default.KlineArray), cancellationToken);
    }

    /// <summary><c>GET /fapi/v1/depth</c>; <paramref name="limit"/> is one of 5, 10, 20, 50, 100, 500, 1000.</summary>
    public Task<RestResult<OrderBookSnapshot>> GetDepthAsync(string symbol, int limit = 1000, CancellationToken cancellationToken = default)
    {
        var weight = limit switch
        {
            5 or 10 or 20 or 50 => 2,
            100 => 5,
            500 => 10,
            1000 => 20,
            _ => throw new ArgumentOutOfRangeException(nameof(limit), limit, "The venue accepts 5, 10, 20, 50, 100, 500 or 1000."),
        };
        return SendPublicAsync(s_depth.WithWeight(weight), string.Create(CultureInfo.InvariantCulture, $"{SymbolQuery(symbol)}&limit={limit}"),
            Json(RestJsonContext.Default.OrderBookSnapshot), cancellationToken);
    }

    /// <summary><c>GET /fapi/v1/ticker/bookTicker</c> for one symbol.</summary>
    public Task<RestResult<BookTicker>> GetBookTickerAsync(string symbol, CancellationToken cancellationToken = default) =>
        SendPublicAsync(s_bookTicker, SymbolQuery(symbol), Json(RestJsonContext.Default.BookTicker), cancellationToken);

    /// <summary><c>GET /fapi/v1/ticker/bookTicker</c> for every symbol (weight 5).</summary>
    public Task<RestResult<BookTicker[]>> GetBookTickersAsync(CancellationToken cancellationToken = default) =>
        SendPublicAsync(s_bookTicker.WithWeight(5), null, Json(RestJsonContext.Default.BookTickerArray), cancellationToken);

    /// <summary><c>GET /fapi/v1/premiumIndex</c> (mark price, funding) for one symbol.</summary>
    public Task<RestResult<PremiumIndex>> GetPremiumIndexAsync(string symbol, CancellationToken cancellationToken = default) =>
        SendPublicAsync(s_premiumIndex, SymbolQuery(symbol), Json(RestJsonContext.Default.PremiumIndex), cancellationToken);

    /// <summary><c>GET /fapi/v1/premiumIndex</c> for every symbol (weight 10).</summary>
    public Task<RestResult<PremiumIndex[]>> GetPremiumIndexesAsync(CancellationToken cancellationToken = default) =>
        SendPublicAsync(s_premiumIndex.WithWeight(10), null, Json(RestJsonContext.Default.PremiumIndexArray), cancellationToken);

    // ---- orders (TRADE / USER_DATA) ----

    /// <summary>
    /// Sends an order query the caller has already built and signed (parameters, <c>recvWindow</c>, <c>timestamp</c>
    /// from <see cref="Clock"/>, then <c>&amp;signature=</c>): POST as a form body, DELETE/GET in the query string.
    /// The bytes must stay untouched until the task completes. A -1021 is returned, not retried: only the signer can
    /// stamp a new timestamp (the clock has been resynchronised by the time the caller sees it, if it was due).
    /// </summary>
    public Task<RestResult<OrderResponse>> SendSignedOrderAsync(OrderCall call, ReadOnlyMemory<byte> signedQuery, CancellationToken cancellationToken = default) =>
        SendStampedOrderAsync(call, signedQuery, null, cancellationToken);

    /// <summary>
    /// <see cref="SendSignedOrderAsync"/>, and <paramref name="written"/>, when given, receives the time the request's
    /// first write into the connection's socket began (it stays 0 if none did).
    /// </summary>
    public async Task<RestResult<OrderResponse>> SendStampedOrderAsync(
        OrderCall call, ReadOnlyMemory<byte> signedQuery, SocketWriteStamp? written, CancellationToken cancellationToken = default)
    {
        // Set inside this async method, so the stamp applies to this request's writes only and never leaks to the caller.
        SocketWriteStamp.Attach(written);
        var endpoint = call switch
        {
            OrderCall.New => s_newOrder,
            OrderCall.Cancel => s_cancelOrder,
            OrderCall.Query => s_queryOrder,
            _ => throw new ArgumentOutOfRangeException(nameof(call), call, null),
        };
        var startedUnixMs = Clock.LocalUnixMs;
        var result = await SendBytesAsync(endpoint, signedQuery, s_order, cancellationToken).ConfigureAwait(false);
        return await ResyncOnClockError(endpoint, result, startedUnixMs, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a pre-signed algo-order query (see <see cref="SendSignedOrderAsync"/> for the contract).</summary>
    public async Task<RestResult<AlgoOrderResponse>> SendSignedAlgoOrderAsync(AlgoOrderCall call, ReadOnlyMemory<byte> signedQuery, CancellationToken cancellationToken = default)
    {
        var endpoint = call switch
        {
            AlgoOrderCall.New => s_newAlgoOrder,
            AlgoOrderCall.Query => s_queryAlgoOrder,
            _ => throw new ArgumentOutOfRangeException(nameof(call), call, null),
        };
        var startedUnixMs = Clock.LocalUnixMs;
        var result = await SendBytesAsync(endpoint, signedQuery, s_algoOrder, cancellationToken).ConfigureAwait(false);
        return await ResyncOnClockError(endpoint, result, startedUnixMs, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RestResult<T>> ResyncOnClockError<T>(Endpoint endpoint, RestResult<T> result, long startedUnixMs, CancellationToken cancellationToken)
    {
        if (result.Error is { Category: VenueErrorCategory.Clock } error)
        {
            RestLog.ClockRejected(_logger, endpoint.Method.Method, endpoint.Path, error.Code);
            await ResyncAfterRejectAsync(startedUnixMs, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary><c>POST /fapi/v1/order</c>, built and signed here. A timeout or lost connection is <see cref="VenueErrorCategory.UnknownOutcome"/>.</summary>
    public Task<RestResult<OrderResponse>> PlaceOrderAsync(NewOrderRequest order, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        return order.Validate() is { } problem
            ? Task.FromResult(Refuse<OrderResponse>(s_newOrder, VenueErrorCategory.Rejected, problem))
            : SendSignedAsync(s_newOrder, order, static (ref QueryWriter w, NewOrderRequest o) => o.Write(ref w), s_order, cancellationToken);
    }

    /// <summary><c>DELETE /fapi/v1/order</c>.</summary>
    public Task<RestResult<OrderResponse>> CancelOrderAsync(OrderReference order, CancellationToken cancellationToken = default) =>
        order.Validate() is { } problem
            ? Task.FromResult(Refuse<OrderResponse>(s_cancelOrder, VenueErrorCategory.Rejected, problem))
            : SendSignedAsync(s_cancelOrder, order, static (ref QueryWriter w, OrderReference o) => o.Write(ref w, "origClientOrderId"u8), s_order, cancellationToken);

    /// <summary><c>GET /fapi/v1/order</c>: the reconciliation query after an unknown outcome (by client order id).</summary>
    public Task<RestResult<OrderResponse>> QueryOrderAsync(OrderReference order, CancellationToken cancellationToken = default) =>
        order.Validate() is { } problem
            ? Task.FromResult(Refuse<OrderResponse>(s_queryOrder, VenueErrorCategory.Rejected, problem))
            : SendSignedAsync(s_queryOrder, order, static (ref QueryWriter w, OrderReference o) => o.Write(ref w, "origClientOrderId"u8), s_order, cancellationToken);

    /// <summary><c>POST /fapi/v1/batchOrders</c> (1–5 orders). Each element succeeds or fails on its own, in the order sent.</summary>
    public Task<RestResult<BatchOrderResult[]>> PlaceBatchOrdersAsync(IReadOnlyList<NewOrderRequest> orders, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(orders);
        string? problem = orders.Count is < 1 or > 5 ? $"a batch holds 1 to 5 orders (got {orders.Count})" : null;
        for (var i = 0; problem is null && i < orders.Count; i++)
        {
            problem = orders[i].Validate() is { } p ? $"order {i}: {p}" : null;
        }

        if (problem is not null)
        {
            return Task.FromResult(Refuse<BatchOrderResult[]>(s_batchOrders, VenueErrorCategory.Rejected, problem));
        }

        var json = BatchJson(orders);
        return SendSignedAsync(s_batchOrders, json, static (ref QueryWriter w, byte[] j) => w.Add("batchOrders"u8, j), ParseBatch, cancellationToken);
    }

    /// <summary><c>DELETE /fapi/v1/allOpenOrders</c> for a symbol.</summary>
    public Task<RestResult<VenueAck>> CancelAllOpenOrdersAsync(string symbol, CancellationToken cancellationToken = default) =>
        SendSignedAsync(s_cancelAll, symbol, WriteSymbol, s_ack, cancellationToken);

    /// <summary><c>GET /fapi/v1/openOrders</c>, for one symbol or (weight 40) all.</summary>
    public Task<RestResult<OrderResponse[]>> GetOpenOrdersAsync(string? symbol = null, CancellationToken cancellationToken = default) =>
        SendSignedAsync(symbol is null ? s_openOrders.WithWeight(40) : s_openOrders, symbol, WriteOptionalSymbol,
            Json(RestJsonContext.Default.OrderResponseArray), cancellationToken);

    // ---- account (USER_DATA / TRADE) ----

    /// <summary><c>GET /fapi/v3/positionRisk</c> (only symbols with a position or open orders), or v2 (every symbol, with leverage and margin type).</summary>
    public Task<RestResult<PositionRisk[]>> GetPositionRiskAsync(string? symbol = null, bool v2 = false, CancellationToken cancellationToken = default) =>
        SendSignedAsync(v2 ? s_positionRiskV2 : s_positionRiskV3, symbol, WriteOptionalSymbol, Json(RestJsonContext.Default.PositionRiskArray), cancellationToken);

    /// <summary><c>GET /fapi/v3/account</c>, or v2 (all symbols, more fields).</summary>
    public Task<RestResult<AccountInfo>> GetAccountAsync(bool v2 = false, CancellationToken cancellationToken = default) =>
        SendSignedAsync<string?, AccountInfo>(v2 ? s_accountV2 : s_accountV3, null, WriteOptionalSymbol, Json(RestJsonContext.Default.AccountInfo), cancellationToken);

    /// <summary><c>GET /fapi/v2/balance</c>.</summary>
    public Task<RestResult<AccountBalance[]>> GetBalancesAsync(CancellationToken cancellationToken = default) =>
        SendSignedAsync<string?, AccountBalance[]>(s_balance, null, WriteOptionalSymbol, Json(RestJsonContext.Default.AccountBalanceArray), cancellationToken);

    /// <summary><c>POST /fapi/v1/leverage</c> (1–125).</summary>
    public Task<RestResult<LeverageResponse>> SetLeverageAsync(string symbol, int leverage, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(leverage, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(leverage, 125);
        return SendSignedAsync(s_leverage, (symbol, leverage), static (ref QueryWriter w, (string Symbol, int Leverage) s) =>
        {
            w.Add("symbol"u8, s.Symbol);
            w.Add("leverage"u8, s.Leverage);
        }, Json(RestJsonContext.Default.LeverageResponse), cancellationToken);
    }

    /// <summary>
    /// <c>POST /fapi/v1/marginType</c> (<paramref name="isolated"/> → ISOLATED, else CROSSED). The venue's -4046
    /// ("No need to change margin type") means it is already set; it is returned as success with that code.
    /// </summary>
    public async Task<RestResult<VenueAck>> SetMarginTypeAsync(string symbol, bool isolated, CancellationToken cancellationToken = default)
    {
        var result = await SendSignedAsync(s_marginType, (symbol, isolated), static (ref QueryWriter w, (string Symbol, bool Isolated) s) =>
        {
            w.Add("symbol"u8, s.Symbol);
            w.Add("marginType"u8, s.Isolated ? "ISOLATED"u8 : "CROSSED"u8);
        }, s_ack, cancellationToken).ConfigureAwait(false);
        return result.Error is { Code: -4046 } already
            ? RestResult.Success(new VenueAck { Code = already.Code, Msg = already.Message })
            : result;
    }

    /// <summary><c>GET /fapi/v1/userTrades</c> (without times: the last 7 days; a window is at most 7 days; <paramref name="fromId"/> excludes times).</summary>
    public Task<RestResult<UserTrade[]>> GetUserTradesAsync(string symbol, long? orderId = null, long? startTime = null, long? endTime = null,
        long? fromId = null, int? limit = null, CancellationToken cancellationToken = default) =>
        SendSignedAsync(s_userTrades, (symbol, orderId, startTime, endTime, fromId, limit),
            static (ref QueryWriter w, (string Symbol, long? OrderId, long? Start, long? End, long? FromId, int? Limit) s) =>
            {
                w.Add("symbol"u8, s.Symbol);
                AddOptional(ref w, "orderId"u8, s.OrderId);
                AddOptional(ref w, "startTime"u8, s.Start);
                AddOptional(ref w, "endTime"u8, s.End);
                AddOptional(ref w, "fromId"u8, s.FromId);
                AddOptional(ref w, "limit"u8, s.Limit);
            }, Json(RestJsonContext.Default.UserTradeArray), cancellationToken);

    // ---- user-data stream (USER_STREAM) ----

    /// <summary><c>POST /fapi/v1/listenKey</c>: a new key, or the active one extended by 60 minutes.</summary>
    public Task<RestResult<string>> CreateListenKeyAsync(CancellationToken cancellationToken = default) =>
        SendKeyedAsync(s_listenKeyCreate, ParseListenKey, cancellationToken);

    /// <summary><c>PUT /fapi/v1/listenKey</c>: extends the active key by 60 minutes (send every 30). -1125 means it is gone: create a new one.</summary>
    public Task<RestResult<VenueAck>> KeepAliveListenKeyAsync(CancellationToken cancellationToken = default) =>
        SendKeyedAsync(s_listenKeyKeepAlive, static _ => new VenueAck { Code = 200, Msg = "kept alive" }, cancellationToken);

    /// <summary><c>DELETE /fapi/v1/listenKey</c>.</summary>
    public Task<RestResult<VenueAck>> CloseListenKeyAsync(CancellationToken cancellationToken = default) =>
        SendKeyedAsync(s_listenKeyClose, static _ => new VenueAck { Code = 200, Msg = "closed" }, cancellationToken);

    private static string ParseListenKey(byte[] body) =>
        JsonSerializer.Deserialize(body, RestJsonContext.Default.ListenKeyResponse)?.ListenKey is { Length: > 0 } key
            ? key
            : throw new JsonException("The answer has no listenKey.");

    // ---- algo orders (conditional: STOP, TAKE_PROFIT, TRAILING) ----

    /// <summary><c>POST /fapi/v1/algoOrder</c> (<c>algoType=CONDITIONAL</c>), built and signed here.</summary>
    public Task<RestResult<AlgoOrderResponse>> PlaceAlgoOrderAsync(NewAlgoOrderRequest order, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        return order.Validate() is { } problem
            ? Task.FromResult(Refuse<AlgoOrderResponse>(s_newAlgoOrder, VenueErrorCategory.Rejected, problem))
            : SendSignedAsync(s_newAlgoOrder, order, static (ref QueryWriter w, NewAlgoOrderRequest o) => o.Write(ref w), s_algoOrder, cancellationToken);
    }

    /// <summary><c>DELETE /fapi/v1/algoOrder</c> by <paramref name="algoId"/> or <paramref name="clientAlgoId"/> (exactly one).</summary>
    public Task<RestResult<AlgoCancelResponse>> CancelAlgoOrderAsync(long? algoId = null, string? clientAlgoId = null, CancellationToken cancellationToken = default) =>
        (algoId is null) == string.IsNullOrEmpty(clientAlgoId)
            ? Task.FromResult(Refuse<AlgoCancelResponse>(s_cancelAlgoOrder, VenueErrorCategory.Rejected, "exactly one of algoId and clientAlgoId must be given"))
            : SendSignedAsync(s_cancelAlgoOrder, (algoId, clientAlgoId), WriteAlgoId, Json(RestJsonContext.Default.AlgoCancelResponse), cancellationToken);

    /// <summary><c>GET /fapi/v1/algoOrder</c> by <paramref name="algoId"/> or <paramref name="clientAlgoId"/> (exactly one).</summary>
    public Task<RestResult<AlgoOrderResponse>> QueryAlgoOrderAsync(long? algoId = null, string? clientAlgoId = null, CancellationToken cancellationToken = default) =>
        (algoId is null) == string.IsNullOrEmpty(clientAlgoId)
            ? Task.FromResult(Refuse<AlgoOrderResponse>(s_queryAlgoOrder, VenueErrorCategory.Rejected, "exactly one of algoId and clientAlgoId must be given"))
            : SendSignedAsync(s_queryAlgoOrder, (algoId, clientAlgoId), WriteAlgoId, s_algoOrder, cancellationToken);

    /// <summary><c>GET /fapi/v1/openAlgoOrders</c>, for one symbol or (weight 40) all.</summary>
    public Task<RestResult<AlgoOrderResponse[]>> GetOpenAlgoOrdersAsync(string? symbol = null, CancellationToken cancellationToken = default) =>
        SendSignedAsync(symbol is null ? s_openAlgoOrders.WithWeight(40) : s_openAlgoOrders, symbol, WriteOptionalSymbol,
            Json(RestJsonContext.Default.AlgoOrderResponseArray), cancellationToken);

    // ---- helpers ----

    private static void WriteSymbol(ref QueryWriter writer, string symbol) => writer.Add("symbol"u8, symbol);

    private static void WriteOptionalSymbol(ref QueryWriter writer, string? symbol)
    {
        if (symbol is not null)
        {
            writer.Add("symbol"u8, symbol);
        }
    }

    private static void WriteAlgoId(ref QueryWriter writer, (long? AlgoId, string? ClientAlgoId) id)
    {
        if (id.AlgoId is { } algoId)
        {
            writer.Add("algoId"u8, algoId);
        }
        else
        {
            writer.Add("clientAlgoId"u8, id.ClientAlgoId);
        }
    }

    private static void AddOptional(ref QueryWriter writer, ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } v)
        {
            writer.Add(name, v);
        }
    }

    private static string SymbolQuery(string symbol)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        return "symbol=" + Uri.EscapeDataString(symbol);
    }

    private static void AppendOptional(StringBuilder query, string name, long? value)
    {
        if (value is { } v)
        {
            query.Append('&').Append(name).Append('=').Append(v.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The batchOrders parameter: a JSON array of order objects, decimals as minimal exact strings (percent-encoded by the query writer).</summary>
    private static byte[] BatchJson(IReadOnlyList<NewOrderRequest> orders)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * orders.Count);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var order in orders)
            {
                json.WriteStartObject();
                json.WriteString("symbol"u8, order.Symbol);
                json.WriteString("side"u8, order.Side.WireName());
                json.WriteString("type"u8, order.Type.WireName());
                json.WriteString("quantity"u8, order.Quantity.ToString());
                if (order.Price is { } price)
                {
                    json.WriteString("price"u8, price.ToString());
                }

                if (order.TimeInForce is { } timeInForce)
                {
                    json.WriteString("timeInForce"u8, timeInForce.WireName());
                }

                if (order.ReduceOnly is { } reduceOnly)
                {
                    json.WriteString("reduceOnly"u8, reduceOnly ? "true"u8 : "false"u8);
                }

                if (order.PositionSide is not null)
                {
                    json.WriteString("positionSide"u8, order.PositionSide);
                }

                if (order.NewClientOrderId is not null)
                {
                    json.WriteString("newClientOrderId"u8, order.NewClientOrderId);
                }

                if (order.ResultResponse)
                {
                    json.WriteString("newOrderRespType"u8, "RESULT"u8);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A batch answer is an array whose elements are order objects or <c>{"code","msg"}</c> errors, in the order sent.</summary>
    private static BatchOrderResult[] ParseBatch(byte[] body)
    {
        var results = new List<BatchOrderResult>(5);
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("A batchOrders answer must be an array.");
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var element = body.AsSpan(start, (int)reader.BytesConsumed - start);
            if (TryReadErrorBody(element, out var code, out var message))
            {
                var category = VenueErrors.Classify(200, code, message, changesState: true);
                results.Add(new BatchOrderResult(new VenueError(category, code, message!, 200, sent: true)));
            }
            else
            {
                results.Add(new BatchOrderResult(JsonSerializer.Deserialize(element, RestJsonContext.Default.OrderResponse)
                    ?? throw new JsonException("A batchOrders element is null.")));
            }
        }

        return [.. results];
    }
}
