using System.Net;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Engine.Exchange;
using Engine.Exchange.Signing;
using Engine.Exchange.Wire;
using Engine.Exchange.WsApi;
using Engine.Model;

namespace Benchmarks.Exchange;

/// <summary>
/// What the execution stage does per order on the WebSocket API path: encode the <c>order.place</c> request
/// (HMAC-signed, or unsigned as on a logged-on Ed25519 session), frame and mask it in place, and put it on a
/// loopback socket with <see cref="WireConnection.TrySend"/>; a peer thread drains the socket. Beside it, the parse
/// of a documented answer on the reader thread. All variants must show 0 B allocated.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
[MedianColumn]
public class WsApiSendBenchmarks
{
    private static readonly byte[] Secret = Encoding.ASCII.GetBytes("2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9");
    private static readonly byte[] ApiKey = Encoding.ASCII.GetBytes("dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83");

    private static readonly byte[] Answer = Encoding.UTF8.GetBytes(
        """{"id":"e1001","status":200,"result":{"orderId":325078477,"symbol":"BTCUSDT","status":"NEW","clientOrderId":"e1001","price":"43187.00","avgPrice":"0.00","origQty":"0.100","executedQty":"0.000","cumQty":"0.000","cumQuote":"0.00000","timeInForce":"GTC","type":"LIMIT","reduceOnly":false,"closePosition":false,"side":"BUY","positionSide":"BOTH","stopPrice":"0.00","workingType":"CONTRACT_PRICE","priceProtect":false,"origType":"LIMIT","priceMatch":"NONE","selfTradePreventionMode":"NONE","goodTillDate":0,"updateTime":1702555534435},"rateLimits":[{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":300,"count":1},{"rateLimitType":"ORDERS","interval":"MINUTE","intervalNum":1,"limit":1200,"count":1},{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":2400,"count":1}]}""");

    private readonly byte[] _buffer = new byte[1024];
    private readonly byte[] _sessionId = new byte[WsApiAnswerParser.MaxSessionIdLength];
    private readonly RateLimitTracker _rateLimits = new();
    private HmacSha256Signer _signer = null!;
    private TcpListener _listener = null!;
    private Socket _peer = null!;
    private Thread _drain = null!;
    private WireConnection _connection = null!;
    private long _id;

    [GlobalSetup]
    public void Setup()
    {
        _signer = HmacSha256Signer.Create(Secret);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        var accept = _listener.AcceptSocketAsync();
        _connection = WireConnection.ConnectAsync(
            new WireEndpoint("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port, false), new Discard(), new WireConnectionOptions { ThreadName = "bench-wire" }, default)
            .GetAwaiter().GetResult();
        _peer = accept.GetAwaiter().GetResult();
        _drain = new Thread(() =>
        {
            var sink = new byte[1 << 20];
            try
            {
                while (_peer.Receive(sink) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }) { IsBackground = true, Name = "bench-drain" };
        _drain.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connection.Dispose();
        _peer.Dispose();
        _listener.Stop();
        _signer.Dispose();
    }

    [Benchmark(Baseline = true, Description = "encode (HMAC) + frame + TrySend, loopback")]
    public WireSendResult SignedPlace() => Place(_signer);

    [Benchmark(Description = "encode (logged on: unsigned) + frame + TrySend, loopback")]
    public WireSendResult LoggedOnPlace() => Place(null);

    [Benchmark(Description = "parse a documented order.place answer")]
    public long ParseAnswer()
    {
        var answer = default(OrderAnswer);
        WsApiAnswerParser.Parse(Answer, ref answer, _sessionId, out _, _rateLimits, 1702555534435);
        return answer.OrderId;
    }

    private WireSendResult Place(IRequestSigner? signer)
    {
        var order = new OrderDescription
        {
            Request = OrderRequestKind.Place,
            Symbol = "BTCUSDT"u8,
            ClientOrderId = ++_id,
            Side = Side.Buy,
            Kind = OrderKind.Limit,
            TimeInForce = TimeInForce.Gtc,
            Quantity = Quantity.FromMantissa(1_000_000),
            Price = Price.FromMantissa(4_318_700_000_000),
            PriceDecimals = 1,
            QuantityDecimals = 3,
            RecvWindowMs = 5000,
            TimestampMs = 1702555534435 + _id,
        };
        if (!OrderEncoder.TryWriteWsApi(order, ApiKey, signer, _buffer, out var length, out _))
        {
            throw new InvalidOperationException("encode failed");
        }

        var start = WebSocketFrames.FrameInPlace(_buffer, OrderEncoder.FrameHeadroom, length, WebSocketOpcode.Text, WebSocketFrames.NextMaskKey());
        WireSendResult result;
        while ((result = _connection.TrySend(_buffer.AsSpan(start, OrderEncoder.FrameHeadroom + length - start), out _)) == WireSendResult.WouldBlock)
        {
            Thread.SpinWait(1);
        }

        return result;
    }

    private sealed class Discard : IWireReceiver
    {
        public int OnReceived(ReadOnlySpan<byte> data) => data.Length;

        public void OnLost(string reason)
        {
        }
    }
}
