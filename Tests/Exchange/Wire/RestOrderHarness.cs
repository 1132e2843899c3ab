using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Engine.Exchange;
using Engine.Exchange.Signing;
using Engine.Exchange.Wire;
using Engine.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Tests.Exchange.Wire;

/// <summary>
/// The sink a REST order pool reports to, keeping every answer with the reader thread's allocation count at that moment,
/// and every loss and readiness. Allocation-free on the answer path, so it does not disturb what it measures.
/// </summary>
internal sealed class RecordingSink : IOrderAnswerSink
{
    private readonly Lock _gate = new();
    private readonly OrderAnswer[] _answers = new OrderAnswer[8192];
    private readonly long[] _allocatedAt = new long[8192];
    private readonly int[] _threadOf = new int[8192];
    private int _count;

    public ConcurrentQueue<(int ConnectionId, string Reason)> Lost { get; } = new();

    public ConcurrentQueue<int> Ready { get; } = new();

    public int Count => Volatile.Read(ref _count);

    public void OnAnswer(in OrderAnswer answer)
    {
        lock (_gate)
        {
            _answers[_count] = answer;
            _allocatedAt[_count] = GC.GetAllocatedBytesForCurrentThread();
            _threadOf[_count] = Environment.CurrentManagedThreadId;
            Volatile.Write(ref _count, _count + 1);
        }
    }

    public void OnConnectionLost(WirePath path, int connectionId, string reason)
    {
        Assert.Equal(WirePath.Rest, path);
        Lost.Enqueue((connectionId, reason));
    }

    public void OnConnectionReady(WirePath path, int connectionId)
    {
        Assert.Equal(WirePath.Rest, path);
        Ready.Enqueue(connectionId);
    }

    /// <summary>The <paramref name="index"/>-th answer (0-based), waiting up to ten seconds for it.</summary>
    public OrderAnswer Answer(int index)
    {
        Assert.True(SpinWait.SpinUntil(() => Count > index, TimeSpan.FromSeconds(10)), $"no answer #{index + 1} within 10 s");
        lock (_gate)
        {
            return _answers[index];
        }
    }

    /// <summary>Bytes the reader thread allocated between answer <paramref name="from"/> and answer <paramref name="to"/> (same thread required).</summary>
    public long AllocatedBetween(int from, int to)
    {
        lock (_gate)
        {
            Assert.Equal(_threadOf[from], _threadOf[to]);
            return _allocatedAt[to] - _allocatedAt[from];
        }
    }

    public static bool WaitUntil(Func<bool> condition, double seconds = 10) => SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(seconds));
}

/// <summary>Builds pools and signed order parameters the way the execution stage will: OrderQuery and QueryWriter, HMAC over the exact bytes.</summary>
internal sealed class RestOrderHarness : IDisposable
{
    private readonly HmacSha256Signer _signer;
    private readonly byte[] _parameters = new byte[1024];

    public RestOrderHarness(string apiKey, string apiSecret)
    {
        Credentials = new ApiCredentials(apiKey, apiSecret);
        _signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(apiSecret));
    }

    public ApiCredentials Credentials { get; }

    public RecordingSink Sink { get; } = new();

    public RateLimitTracker RateLimits { get; } = new();

    public ServerClock Clock { get; } = new();

    public RestOrderPool Pool(string baseAddress, int connections = 1, Action<RestOrderPoolOptions>? configure = null, ILoggerFactory? logs = null)
    {
        var options = new RestOrderPoolOptions { BaseAddress = baseAddress, Connections = connections, ConnectTimeout = TimeSpan.FromSeconds(5), ReconnectDelay = TimeSpan.FromMilliseconds(50), MaxReconnectDelay = TimeSpan.FromMilliseconds(400) };
        configure?.Invoke(options);
        return new RestOrderPool(Options.Create(options), Credentials, Clock, RateLimits, Sink, (logs ?? NullLoggerFactory.Instance).CreateLogger<RestOrderPool>());
    }

    /// <summary>
    /// A signed new order (BTCUSDT: 2 price, 3 quantity decimals) asking for the full result, so a market order's answer
    /// carries its fill; the span is valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> Order(long clientOrderId, OrderKind kind, Side side, string quantity, string price = "0", long? timestampMs = null, IRequestSigner? signer = null)
    {
        var id = new byte[ClientOrderId.MaxLength];
        var idLength = ClientOrderId.Format(clientOrderId, id);
        var writer = new QueryWriter(_parameters);
        writer.Add("symbol"u8, "BTCUSDT"u8);
        writer.Add("side"u8, side.WireName());
        writer.Add("type"u8, kind.WireName());
        writer.Add("quantity"u8, Quantity.Parse(Encoding.ASCII.GetBytes(quantity)), 3);
        if (kind == OrderKind.Limit)
        {
            writer.Add("price"u8, Price.Parse(Encoding.ASCII.GetBytes(price)), 2);
            writer.Add("timeInForce"u8, "GTC"u8);
        }

        writer.Add("newClientOrderId"u8, id.AsSpan(0, idLength));
        writer.Add("newOrderRespType"u8, "RESULT"u8);
        writer.Add("recvWindow"u8, 5000);
        writer.Add("timestamp"u8, timestampMs ?? Clock.NowUnixMs);
        writer.AppendSignature(signer ?? _signer);
        Assert.True(writer.TryComplete(out var length, out var error), error.ToString());
        return _parameters.AsSpan(0, length);
    }

    /// <summary>Signed parameters for a cancel or a query of the engine's order <paramref name="clientOrderId"/>.</summary>
    public ReadOnlySpan<byte> ByClientId(long clientOrderId)
    {
        var id = new byte[ClientOrderId.MaxLength];
        var idLength = ClientOrderId.Format(clientOrderId, id);
        var writer = new QueryWriter(_parameters);
        writer.Add("symbol"u8, "BTCUSDT"u8);
        writer.Add("origClientOrderId"u8, id.AsSpan(0, idLength));
        writer.Add("recvWindow"u8, 5000);
        writer.Add("timestamp"u8, Clock.NowUnixMs);
        writer.AppendSignature(_signer);
        Assert.True(writer.TryComplete(out var length, out var error), error.ToString());
        return _parameters.AsSpan(0, length);
    }

    /// <summary>Sends, retrying while every connection is busy, and returns the connection it went on.</summary>
    public static int Send(RestOrderPool pool, OrderRequestKind kind, long clientOrderId, ReadOnlySpan<byte> parameters)
    {
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (true)
        {
            var result = pool.TrySend(kind, clientOrderId, parameters, out var connectionId, out var stamp);
            if (result == WireSendResult.Sent)
            {
                Assert.NotEqual(0, stamp);
                return connectionId;
            }

            Assert.True(Stopwatch.GetTimestamp() < deadline, $"the pool answered {result} for 10 s");
            Thread.Sleep(1);
        }
    }

    public void Dispose() => _signer.Dispose();
}
