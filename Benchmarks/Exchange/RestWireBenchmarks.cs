using System.Net;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.Rules;
using Engine.Exchange.Signing;
using Engine.Exchange.Wire;
using Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Benchmarks.Exchange;

/// <summary>
/// One pre-signed REST order's round trip on loopback, in one run: the engine's own keep-alive connection
/// (<see cref="RestOrderPool.TrySend"/>, HTTP/1.1 request writer, answer parsed on the connection's reader thread)
/// against <see cref="BinanceRestClient.SendSignedOrderAsync"/> (HttpClient), both to the same minimal HTTP/1.1 server:
/// a thread per connection that answers each request with the same chunked order JSON and allocates nothing, so the
/// allocation column is the client's own. Server and client share this machine's two cores: compare the rows, do not
/// read them as the venue's latency.
/// </summary>
[MemoryDiagnoser]
public class RestWireBenchmarks
{
    private const string Secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
    private const string ApiKey = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";

    private readonly byte[] _signed = new byte[512];
    private readonly AnswerCounter _answers = new();
    private int _signedLength;
    private CannedOrderServer _server = null!;
    private BinanceRestClient _client = null!;
    private RestOrderPool _pool = null!;
    private HmacSha256Signer _signer = null!;
    private byte[] _request = null!;
    private RestRequestHead _head = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = new CannedOrderServer();
        var baseAddress = $"http://127.0.0.1:{_server.Port}/";
        var limits = new RateLimitTracker();
        limits.SetRules([
            new(RateLimitType.RequestWeight, TimeSpan.FromMinutes(1), 1, 'M', int.MaxValue),
            new(RateLimitType.Orders, TimeSpan.FromSeconds(10), 10, 'S', int.MaxValue),
        ]);
        var credentials = new ApiCredentials(ApiKey, Secret);
        var clock = new ServerClock();
        _client = new BinanceRestClient(Options.Create(new BinanceRestOptions { BaseAddress = baseAddress.TrimEnd('/') }),
            NullLogger<BinanceRestClient>.Instance, clock, limits, credentials);
        _pool = new RestOrderPool(Options.Create(new RestOrderPoolOptions { BaseAddress = baseAddress, Connections = 1, KeepWarmInterval = TimeSpan.Zero }),
            credentials, clock, limits, _answers, NullLogger<RestOrderPool>.Instance);
        if (_pool.StartAsync().GetAwaiter().GetResult() != 1)
        {
            throw new InvalidOperationException("The REST order pool did not connect to the loopback server.");
        }

        _signer = HmacSha256Signer.Create(Encoding.UTF8.GetBytes(Secret));
        var query = new OrderQuery
        {
            Symbol = "BTCUSDT"u8, Side = Side.Buy, Kind = OrderKind.Limit, TimeInForce = TimeInForce.Gtc,
            Quantity = Quantity.Parse("0.100"u8), Price = Price.Parse("42088"u8), ClientOrderId = "e1"u8,
            PriceDecimals = 2, QuantityDecimals = 3, RecvWindowMs = 5000, TimestampMs = clock.NowUnixMs,
        };
        if (!query.TryWriteSigned(_signed, _signer, out _signedLength, out var error))
        {
            throw new InvalidOperationException(error.ToString());
        }

        _head = _pool.Head;
        _request = new byte[HttpRequestWriter.MaxLength(_head, _signedLength)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.Dispose();
        _client.Dispose();
        _signer.Dispose();
        _server.Dispose();
    }

    [Benchmark(Description = "write HTTP/1.1 order request (no send)")]
    public int WriteRequest()
    {
        var writer = new HttpRequestWriter(_request);
        writer.WriteOrder(OrderRequestKind.Place, _head, _signed.AsSpan(0, _signedLength));
        writer.TryComplete(out var length);
        return length;
    }

    [Benchmark(Description = "engine pool: TrySend → loopback → answer parsed", Baseline = true)]
    public long PoolRoundTrip()
    {
        var before = _answers.Count;
        WireSendResult result;
        while ((result = _pool.TrySend(OrderRequestKind.Place, 1, _signed.AsSpan(0, _signedLength), out _, out _)) == WireSendResult.WouldBlock)
        {
            // The previous answer was delivered a moment before its connection became free.
            Thread.SpinWait(20);
        }

        if (result != WireSendResult.Sent)
        {
            throw new InvalidOperationException("The REST order pool is " + result);
        }

        var spinner = default(SpinWait);
        while (_answers.Count == before)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        return _answers.LastOrderId;
    }

    [Benchmark(Description = "HttpClient: SendSignedOrderAsync → loopback → parsed")]
    public async Task<long> HttpClientRoundTrip() =>
        (await _client.SendSignedOrderAsync(OrderCall.New, _signed.AsMemory(0, _signedLength))).Value!.OrderId;

    private sealed class AnswerCounter : IOrderAnswerSink
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public long LastOrderId { get; private set; }

        public void OnAnswer(in OrderAnswer answer)
        {
            LastOrderId = answer.OrderId;
            Volatile.Write(ref _count, _count + 1);
        }

        public void OnConnectionLost(WirePath path, int connectionId, string reason)
        {
        }

        public void OnConnectionReady(WirePath path, int connectionId)
        {
        }
    }

    /// <summary>
    /// A keep-alive HTTP/1.1 server that answers every request with the same chunked order answer, one thread per
    /// connection, no allocation per request. It reads a request's head to its blank line and skips
    /// <c>Content-Length</c> bytes of body.
    /// </summary>
    private sealed class CannedOrderServer : IDisposable
    {
        private static readonly byte[] Answer = BuildAnswer();
        private readonly Socket _listener;
        private readonly Thread _acceptor;
        private readonly List<Socket> _connections = [];
        private volatile bool _stopped;

        public CannedOrderServer()
        {
            _listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
            Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
            _acceptor = new Thread(Accept) { IsBackground = true, Name = "canned-order-server" };
            _acceptor.Start();
        }

        public int Port { get; }

        public void Dispose()
        {
            _stopped = true;
            _listener.Dispose();
            lock (_connections)
            {
                foreach (var connection in _connections)
                {
                    connection.Dispose();
                }
            }
        }

        private static byte[] BuildAnswer()
        {
            const string json = """{"orderId":336829446,"symbol":"BTCUSDT","status":"NEW","clientOrderId":"e1","price":"42088.00","avgPrice":"0.00","origQty":"0.100","executedQty":"0.000","cumQty":"0.000","cumQuote":"0.00000","timeInForce":"GTC","type":"LIMIT","reduceOnly":false,"closePosition":false,"side":"BUY","positionSide":"BOTH","stopPrice":"0.00","workingType":"CONTRACT_PRICE","priceProtect":false,"origType":"LIMIT","priceMatch":"NONE","selfTradePreventionMode":"NONE","goodTillDate":0,"updateTime":1705385954229}""";
            return Encoding.ASCII.GetBytes(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: 1\r\nX-MBX-ORDER-COUNT-10S: 1\r\nX-MBX-ORDER-COUNT-1M: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + $"{json.Length:x}\r\n{json}\r\n0\r\n\r\n");
        }

        private void Accept()
        {
            while (!_stopped)
            {
                Socket connection;
                try
                {
                    connection = _listener.Accept();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                connection.NoDelay = true;
                lock (_connections)
                {
                    _connections.Add(connection);
                }

                new Thread(() => Serve(connection)) { IsBackground = true, Name = "canned-order-connection" }.Start();
            }
        }

        private static void Serve(Socket connection)
        {
            var buffer = new byte[64 * 1024];
            var filled = 0;
            try
            {
                while (true)
                {
                    var read = connection.Receive(buffer.AsSpan(filled));
                    if (read == 0)
                    {
                        return;
                    }

                    filled += read;
                    while (TryTakeRequest(buffer.AsSpan(0, filled), out var length))
                    {
                        connection.Send(Answer);
                        buffer.AsSpan(length, filled - length).CopyTo(buffer);
                        filled -= length;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The benchmark ended.
            }
        }

        private static bool TryTakeRequest(ReadOnlySpan<byte> data, out int length)
        {
            length = 0;
            var headEnd = data.IndexOf("\r\n\r\n"u8);
            if (headEnd < 0)
            {
                return false;
            }

            var head = data[..headEnd];
            var bodyLength = 0;
            var at = IndexOfIgnoreCase(head, "\r\nContent-Length:"u8);
            if (at >= 0)
            {
                var value = head[(at + 17)..];
                var end = value.IndexOf("\r\n"u8);
                value = (end < 0 ? value : value[..end]).Trim((byte)' ');
                bodyLength = int.Parse(value, provider: System.Globalization.CultureInfo.InvariantCulture);
            }

            length = headEnd + 4 + bodyLength;
            return data.Length >= length;
        }

        private static int IndexOfIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> value)
        {
            for (var i = 0; i + value.Length <= text.Length; i++)
            {
                if (Ascii.EqualsIgnoreCase(text.Slice(i, value.Length), value))
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
