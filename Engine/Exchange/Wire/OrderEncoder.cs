using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using Engine.Exchange.Signing;
using Engine.Model;

namespace Engine.Exchange.Wire;

/// <summary>Why an order could not be encoded; nothing was sent.</summary>
public enum OrderEncodeError : byte
{
    None = 0,

    /// <summary>The caller's buffer is too small for the request and its signature.</summary>
    BufferTooSmall,

    /// <summary>A price or quantity has more decimals than the symbol allows; round to the tick or step first.</summary>
    TooManyDecimals,

    /// <summary>
    /// The request cannot be made as described: a conditional type on <c>order.place</c> (the algo service takes
    /// those), a limit order without a time in force, a non-positive quantity or price, an unknown request kind.
    /// </summary>
    UnsupportedOrder,

    /// <summary>The symbol or API key holds a byte outside <c>[A-Za-z0-9_-]</c> (it would need escaping in one of the forms).</summary>
    UnsafeText,
}

/// <summary>
/// One order request, described once for both wire forms (<see cref="OrderEncoder"/>): what to do
/// (<see cref="Request"/>) to which order, with fixed-point numbers and the symbol's decimals. Everything is a span or
/// a value, so describing and encoding an order allocates nothing.
/// </summary>
public readonly ref struct OrderDescription
{
    /// <summary>place, cancel, status, algo place, algo cancel.</summary>
    public required OrderRequestKind Request { get; init; }

    /// <summary>The symbol's name as UTF-8 (from <see cref="SymbolTable.Utf8NameOf"/>); not sent for an algo cancel.</summary>
    public required ReadOnlySpan<byte> Symbol { get; init; }

    /// <summary>The engine's numeric client order id: <c>newClientOrderId</c>, <c>origClientOrderId</c> or <c>clientAlgoId</c> by request, and the WebSocket API request id.</summary>
    public required long ClientOrderId { get; init; }

    public Side Side { get; init; }

    /// <summary>LIMIT or MARKET for <c>order.place</c>; STOP_MARKET or TAKE_PROFIT_MARKET for an algo place.</summary>
    public OrderKind Kind { get; init; }

    /// <summary>Sent for LIMIT orders only (required there).</summary>
    public TimeInForce TimeInForce { get; init; }

    /// <summary>Already rounded to the symbol's step; a finer value is refused, never rounded here.</summary>
    public Quantity Quantity { get; init; }

    /// <summary>Limit price, on the tick grid; sent for LIMIT orders only.</summary>
    public Price Price { get; init; }

    /// <summary>The algo order's trigger price (<c>triggerPrice</c>), on the tick grid.</summary>
    public Price TriggerPrice { get; init; }

    public bool ReduceOnly { get; init; }

    /// <summary>Decimals the venue accepts for the symbol's prices and quantities (exchangeInfo precision).</summary>
    public int PriceDecimals { get; init; }

    public int QuantityDecimals { get; init; }

    public required long RecvWindowMs { get; init; }

    /// <summary>The venue's clock now, in milliseconds (local clock corrected by the measured offset).</summary>
    public required long TimestampMs { get; init; }
}

/// <summary>
/// The one encoder of the engine's order requests. From one <see cref="OrderDescription"/> it writes the REST form
/// (<c>symbol=…&amp;side=…&amp;…&amp;signature=…</c>, the body of <see cref="RestRoute"/>) or the WebSocket API form
/// (<c>{"id":"…","method":"order.place","params":{…}}</c>); both list the same parameters, emitted in one place
/// (<c>Emit</c>) in name order, which is the order the WebSocket API signs them in. Nothing is allocated.
/// </summary>
public static class OrderEncoder
{
    /// <summary>Room the WebSocket API form leaves unused at the front of its buffer for the frame header (<see cref="TryWriteWsApi"/>).</summary>
    public const int FrameHeadroom = 8;

    // Symbols (exchangeInfo), API keys, and the engine's client ids: nothing that needs escaping in a query or in JSON.
    private static readonly SearchValues<byte> s_safeText = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"u8);

    /// <summary>The REST method and path of a request kind (for the engine's own HTTP/1.1 writer).</summary>
    public static (string Method, string Path) RestRoute(OrderRequestKind request) => request switch
    {
        OrderRequestKind.Place => ("POST", "/fapi/v1/order"),
        OrderRequestKind.Cancel => ("DELETE", "/fapi/v1/order"),
        OrderRequestKind.Status => ("GET", "/fapi/v1/order"),
        OrderRequestKind.AlgoPlace => ("POST", "/fapi/v1/algoOrder"),
        OrderRequestKind.AlgoCancel => ("DELETE", "/fapi/v1/algoOrder"),
        _ => throw new ArgumentOutOfRangeException(nameof(request), request, "not an order request"),
    };

    /// <summary>The WebSocket API method of a request kind, as UTF-8.</summary>
    public static ReadOnlySpan<byte> WsApiMethod(OrderRequestKind request) => request switch
    {
        OrderRequestKind.Place => "order.place"u8,
        OrderRequestKind.Cancel => "order.cancel"u8,
        OrderRequestKind.Status => "order.status"u8,
        OrderRequestKind.AlgoPlace => "algoOrder.place"u8,
        OrderRequestKind.AlgoCancel => "algoOrder.cancel"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(request), request, "not an order request"),
    };

    /// <summary>
    /// Writes the signed REST parameter string of <paramref name="order"/> (query or form body; the API key goes in
    /// the <c>X-MBX-APIKEY</c> header, not here). Returns false with the reason; nothing useful is written then.
    /// </summary>
    public static bool TryWriteRest(in OrderDescription order, IRequestSigner signer, Span<byte> destination, out int length, out OrderEncodeError error) =>
        TryWriteRest(in order, signer, signNow: true, destination, out length, out error);

    /// <summary>
    /// As <see cref="TryWriteRest(in OrderDescription, IRequestSigner, Span{byte}, out int, out OrderEncodeError)"/>, the
    /// signature left for later: the same checks, and room kept for <see cref="SignRest"/> (the execution stage signs
    /// the REST form only when the order does not leave on a path that writes its own).
    /// </summary>
    public static bool TryWriteRestUnsigned(in OrderDescription order, IRequestSigner signer, Span<byte> destination, out int length, out OrderEncodeError error) =>
        TryWriteRest(in order, signer, signNow: false, destination, out length, out error);

    /// <summary>Signs a query written by <see cref="TryWriteRestUnsigned"/> in place; returns its signed length.</summary>
    public static int SignRest(Span<byte> query, int length, IRequestSigner signer) => QueryWriter.AppendSignature(query, length, signer);

    private static bool TryWriteRest(in OrderDescription order, IRequestSigner signer, bool signNow, Span<byte> destination, out int length, out OrderEncodeError error)
    {
        ArgumentNullException.ThrowIfNull(signer);
        length = 0;
        error = Check(order);
        if (error != OrderEncodeError.None)
        {
            return false;
        }

        var room = QueryWriter.SignatureRoom(signer);
        if (destination.Length < room)
        {
            error = OrderEncodeError.BufferTooSmall;
            return false;
        }

        Span<byte> scratch = stackalloc byte[32];
        var writer = new RestWriter(signNow ? destination : destination[..^room], scratch);
        Emit(order, ref writer);
        if (signNow)
        {
            writer.Query.AppendSignature(signer);
        }

        if (!writer.Query.TryComplete(out length, out var queryError))
        {
            error = queryError == QueryWriteError.TooManyDecimals ? OrderEncodeError.TooManyDecimals : OrderEncodeError.BufferTooSmall;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Writes the WebSocket API request of <paramref name="order"/> as JSON at
    /// <c>destination[<see cref="FrameHeadroom"/>..]</c> (so a frame header fits in front without a copy):
    /// <c>{"id":"&lt;request id&gt;","method":"…","params":{…}}</c>, parameters in name order, INT parameters as JSON
    /// numbers, DECIMAL ones as strings. With <paramref name="signer"/> the params carry <c>apiKey</c> and
    /// <c>signature</c> (signed over every other parameter, sorted, <c>k=v&amp;…</c>); with null (a session logged on
    /// with <c>session.logon</c>) they carry neither. The request id is <see cref="WsApiRequestId"/>.
    /// </summary>
    /// <remarks>The JSON's length comes back in <c>jsonLength</c>, counted from <see cref="FrameHeadroom"/>.</remarks>
    public static bool TryWriteWsApi(
        in OrderDescription order, ReadOnlySpan<byte> apiKey, IRequestSigner? signer, Span<byte> destination, out int jsonLength, out OrderEncodeError error)
    {
        jsonLength = 0;
        error = Check(order);
        if (error == OrderEncodeError.None && signer is not null && (apiKey.IsEmpty || apiKey.IndexOfAnyExcept(s_safeText) >= 0))
        {
            error = OrderEncodeError.UnsafeText;
        }

        if (error != OrderEncodeError.None)
        {
            return false;
        }

        if (destination.Length <= FrameHeadroom)
        {
            error = OrderEncodeError.BufferTooSmall;
            return false;
        }

        Span<byte> payload = stackalloc byte[512];
        Span<byte> scratch = stackalloc byte[32];
        var writer = new JsonWriter(destination[FrameHeadroom..], signer is null ? default : payload, signer is null ? default : apiKey, scratch);
        writer.Raw("{\"id\":\""u8);
        writer.RequestId(order.Request, order.ClientOrderId);
        writer.Raw("\",\"method\":\""u8);
        writer.Raw(WsApiMethod(order.Request));
        writer.Raw("\",\"params\":{"u8);
        Emit(order, ref writer);
        if (signer is not null)
        {
            writer.Signature(signer);
        }

        writer.Raw("}}"u8);
        if (writer.Error != OrderEncodeError.None)
        {
            error = writer.Error;
            return false;
        }

        jsonLength = writer.Length;
        return true;
    }

    /// <summary>
    /// The WebSocket API request id of a request: the client order id's wire form (<c>e123</c>) for
    /// <c>order.place</c>; prefixed by the kind for the others (<c>c:e123</c> cancel, <c>s:e123</c> status,
    /// <c>a:e123</c> algo place, <c>x:e123</c> algo cancel), so an answer says which request and which order it is
    /// about without the connection keeping any state. Returns the bytes written, 0 when it does not fit.
    /// </summary>
    public static int WsApiRequestId(OrderRequestKind request, long clientOrderId, Span<byte> destination)
    {
        var prefix = request switch
        {
            OrderRequestKind.Place => (byte)0,
            OrderRequestKind.Cancel => (byte)'c',
            OrderRequestKind.Status => (byte)'s',
            OrderRequestKind.AlgoPlace => (byte)'a',
            OrderRequestKind.AlgoCancel => (byte)'x',
            _ => throw new ArgumentOutOfRangeException(nameof(request), request, "not an order request"),
        };
        if (prefix == 0)
        {
            return Model.ClientOrderId.Format(clientOrderId, destination);
        }

        if (destination.Length < 3)
        {
            return 0;
        }

        destination[0] = prefix;
        destination[1] = (byte)':';
        var written = Model.ClientOrderId.Format(clientOrderId, destination[2..]);
        return written == 0 ? 0 : written + 2;
    }

    /// <summary>Reads a request id written by <see cref="WsApiRequestId"/>; false for any other id (the session's own requests).</summary>
    public static bool TryParseWsApiRequestId(ReadOnlySpan<byte> id, out OrderRequestKind request, out long clientOrderId)
    {
        request = OrderRequestKind.Place;
        if (id.Length > 2 && id[1] == (byte)':')
        {
            request = id[0] switch
            {
                (byte)'c' => OrderRequestKind.Cancel,
                (byte)'s' => OrderRequestKind.Status,
                (byte)'a' => OrderRequestKind.AlgoPlace,
                (byte)'x' => OrderRequestKind.AlgoCancel,
                _ => OrderRequestKind.None,
            };
            id = id[2..];
        }

        if (request != OrderRequestKind.None && Model.ClientOrderId.TryParse(id, out clientOrderId))
        {
            return true;
        }

        request = OrderRequestKind.None;
        clientOrderId = 0;
        return false;
    }

    private static OrderEncodeError Check(in OrderDescription order)
    {
        if (order.ClientOrderId <= 0)
        {
            return OrderEncodeError.UnsupportedOrder;
        }

        if (order.Request != OrderRequestKind.AlgoCancel && (order.Symbol.IsEmpty || order.Symbol.IndexOfAnyExcept(s_safeText) >= 0))
        {
            return OrderEncodeError.UnsafeText;
        }

        var supported = order.Request switch
        {
            OrderRequestKind.Place => order.Quantity.Mantissa > 0
                && (order.Kind == OrderKind.Market
                    || (order.Kind == OrderKind.Limit && order.Price.Mantissa > 0 && order.TimeInForce is >= TimeInForce.Gtc and <= TimeInForce.Gtx)),
            OrderRequestKind.AlgoPlace => order.Quantity.Mantissa > 0 && order.TriggerPrice.Mantissa > 0
                && order.Kind is OrderKind.StopMarket or OrderKind.TakeProfitMarket,
            OrderRequestKind.Cancel or OrderRequestKind.Status or OrderRequestKind.AlgoCancel => true,
            _ => false,
        };
        return supported ? OrderEncodeError.None : OrderEncodeError.UnsupportedOrder;
    }

    /// <summary>
    /// The parameters of every request, in name order (byte order: the WebSocket API signs them sorted, so this order
    /// is the signature's). <c>apiKey</c> has its sorted place; the REST form leaves it out (it is a header there).
    /// </summary>
    private static void Emit<TWriter>(in OrderDescription order, ref TWriter writer)
        where TWriter : IParamWriter, allows ref struct
    {
        switch (order.Request)
        {
            case OrderRequestKind.Place:
                writer.ApiKey();
                writer.ClientId("newClientOrderId"u8, order.ClientOrderId);
                writer.Text("newOrderRespType"u8, "RESULT"u8);
                if (order.Kind == OrderKind.Limit)
                {
                    writer.Decimal("price"u8, order.Price.Mantissa, order.PriceDecimals);
                }

                writer.Decimal("quantity"u8, order.Quantity.Mantissa, order.QuantityDecimals);
                writer.Integer("recvWindow"u8, order.RecvWindowMs);
                if (order.ReduceOnly)
                {
                    writer.Text("reduceOnly"u8, "true"u8);
                }

                writer.Text("side"u8, order.Side.WireName());
                writer.Text("symbol"u8, order.Symbol);
                if (order.Kind == OrderKind.Limit)
                {
                    writer.Text("timeInForce"u8, order.TimeInForce.WireName());
                }

                writer.Integer("timestamp"u8, order.TimestampMs);
                writer.Text("type"u8, order.Kind.WireName());
                break;

            case OrderRequestKind.Cancel or OrderRequestKind.Status:
                writer.ApiKey();
                writer.ClientId("origClientOrderId"u8, order.ClientOrderId);
                writer.Integer("recvWindow"u8, order.RecvWindowMs);
                writer.Text("symbol"u8, order.Symbol);
                writer.Integer("timestamp"u8, order.TimestampMs);
                break;

            case OrderRequestKind.AlgoPlace:
                writer.Text("algoType"u8, "CONDITIONAL"u8);
                writer.ApiKey();
                writer.ClientId("clientAlgoId"u8, order.ClientOrderId);
                writer.Decimal("quantity"u8, order.Quantity.Mantissa, order.QuantityDecimals);
                writer.Integer("recvWindow"u8, order.RecvWindowMs);
                if (order.ReduceOnly)
                {
                    writer.Text("reduceOnly"u8, "true"u8);
                }

                writer.Text("side"u8, order.Side.WireName());
                writer.Text("symbol"u8, order.Symbol);
                writer.Integer("timestamp"u8, order.TimestampMs);
                writer.Decimal("triggerPrice"u8, order.TriggerPrice.Mantissa, order.PriceDecimals);
                writer.Text("type"u8, order.Kind.WireName());
                break;

            case OrderRequestKind.AlgoCancel:
                writer.ApiKey();
                writer.ClientId("clientAlgoId"u8, order.ClientOrderId);
                writer.Integer("recvWindow"u8, order.RecvWindowMs);
                writer.Integer("timestamp"u8, order.TimestampMs);
                break;
        }
    }

    /// <summary>What <see cref="Emit"/> writes parameters to: the REST form or the WebSocket API form.</summary>
    private interface IParamWriter
    {
        void ApiKey();

        /// <summary>A value that needs no escaping in either form (checked by <see cref="Check"/> or a constant).</summary>
        void Text(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);

        void ClientId(ReadOnlySpan<byte> name, long clientOrderId);

        void Integer(ReadOnlySpan<byte> name, long value);

        void Decimal(ReadOnlySpan<byte> name, long mantissa, int decimals);
    }

    /// <remarks>Numbers are formatted into <c>scratch</c>, a buffer of the encoding call's frame, and copied on from there.</remarks>
    private ref struct RestWriter(Span<byte> destination, Span<byte> scratch) : IParamWriter
    {
        public QueryWriter Query = new(destination);
        private readonly Span<byte> _scratch = scratch;

        public readonly void ApiKey()
        {
        }

        public void Text(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Query.AddWireName(name, value);

        public void ClientId(ReadOnlySpan<byte> name, long clientOrderId) =>
            Query.AddWireName(name, _scratch[..Model.ClientOrderId.Format(clientOrderId, _scratch)]);

        public void Integer(ReadOnlySpan<byte> name, long value) => Query.Add(name, value);

        public void Decimal(ReadOnlySpan<byte> name, long mantissa, int decimals) => Query.Add(name, Price.FromMantissa(mantissa), decimals);
    }

    /// <summary>The JSON params and, when signing, the signature payload (<c>k=v&amp;…</c>) side by side.</summary>
    private ref struct JsonWriter(Span<byte> json, Span<byte> payload, ReadOnlySpan<byte> apiKey, Span<byte> scratch) : IParamWriter
    {
        private readonly Span<byte> _scratch = scratch;
        private readonly Span<byte> _json = json;
        private readonly Span<byte> _payload = payload;
        private readonly ReadOnlySpan<byte> _apiKey = apiKey;
        private int _length;
        private int _payloadLength;
        private bool _firstParam = true;

        public OrderEncodeError Error { get; private set; }

        public readonly int Length => _length;

        private readonly bool Signing => !_payload.IsEmpty;

        public void ApiKey()
        {
            if (Signing)
            {
                Text("apiKey"u8, _apiKey);
            }
        }

        public void Text(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            Name(name);
            Put((byte)'"');
            Raw(value);
            Put((byte)'"');
            PayloadValue(value);
        }

        public void ClientId(ReadOnlySpan<byte> name, long clientOrderId) =>
            Text(name, _scratch[..Model.ClientOrderId.Format(clientOrderId, _scratch)]);

        public void Integer(ReadOnlySpan<byte> name, long value)
        {
            Utf8Formatter.TryFormat(value, _scratch, out var written);
            Name(name);
            Raw(_scratch[..written]);
            PayloadValue(_scratch[..written]);
        }

        public void Decimal(ReadOnlySpan<byte> name, long mantissa, int decimals)
        {
            if (!FixedPoint.TryFormat(mantissa, _scratch, out var written, decimals))
            {
                Fail(OrderEncodeError.TooManyDecimals);
                return;
            }

            Text(name, _scratch[..written]);
        }

        public void RequestId(OrderRequestKind request, long clientOrderId) =>
            Raw(_scratch[..WsApiRequestId(request, clientOrderId, _scratch)]);

        public void Signature(IRequestSigner signer)
        {
            if (Error != OrderEncodeError.None)
            {
                return;
            }

            if (_json.Length - _length < 16 + signer.MaxJsonSignatureLength)
            {
                Fail(OrderEncodeError.BufferTooSmall);
                return;
            }

            Raw(",\"signature\":\""u8);
            _length += signer.SignForJson(_payload[.._payloadLength], _json[_length..]);
            Put((byte)'"');
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Raw(ReadOnlySpan<byte> bytes)
        {
            if (!bytes.TryCopyTo(_json[_length..]))
            {
                Fail(OrderEncodeError.BufferTooSmall);
                return;
            }

            _length += bytes.Length;
        }

        private void Name(ReadOnlySpan<byte> name)
        {
            if (!_firstParam)
            {
                Put((byte)',');
            }

            _firstParam = false;
            Put((byte)'"');
            Raw(name);
            Raw("\":"u8);
            if (Signing)
            {
                if (_payloadLength != 0)
                {
                    PayloadPut((byte)'&');
                }

                PayloadRaw(name);
                PayloadPut((byte)'=');
            }
        }

        private void PayloadValue(ReadOnlySpan<byte> value)
        {
            if (Signing)
            {
                PayloadRaw(value);
            }
        }

        private void PayloadRaw(ReadOnlySpan<byte> bytes)
        {
            if (!bytes.TryCopyTo(_payload[_payloadLength..]))
            {
                Fail(OrderEncodeError.BufferTooSmall);
                return;
            }

            _payloadLength += bytes.Length;
        }

        private void PayloadPut(byte b)
        {
            if (_payloadLength >= _payload.Length)
            {
                Fail(OrderEncodeError.BufferTooSmall);
                return;
            }

            _payload[_payloadLength++] = b;
        }

        private void Put(byte b)
        {
            if (_length >= _json.Length)
            {
                Fail(OrderEncodeError.BufferTooSmall);
                return;
            }

            _json[_length++] = b;
        }

        private void Fail(OrderEncodeError error)
        {
            if (Error == OrderEncodeError.None)
            {
                Error = error;
            }
        }
    }
}
