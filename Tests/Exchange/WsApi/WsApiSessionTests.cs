using System.Globalization;
using System.Text;
using Engine.Exchange;
using Engine.Exchange.Signing;
using Engine.Exchange.Wire;
using Engine.Exchange.WsApi;
using Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Simulator;
using Tests.Simulator;

namespace Tests.Exchange.WsApi;

/// <summary>The engine's WebSocket API session against the simulator's <c>/ws-fapi/v1</c> over real loopback sockets.</summary>
public sealed class WsApiSessionTests : IAsyncLifetime
{
    private SimulatorHost _host = null!;
    private SimClient _client = null!;
    private HmacSha256Signer _sessionSigner = null!;
    private HmacSha256Signer _stageSigner = null!;
    private ServerClock _clock = null!;
    private RateLimitTracker _rateLimits = null!;
    private Sink _sink = null!;
    private WsApiSession _session = null!;

    public async Task InitializeAsync()
    {
        (_host, _client) = await SimClient.StartAsync(SimClient.Options(symbols: 3));
        _sessionSigner = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(_host.ApiSecret));
        _stageSigner = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(_host.ApiSecret));
        _clock = new ServerClock();
        _clock.Apply([new ClockSample(_clock.LocalUnixMs, _host.ServerTimeMs, 0)]);
        _rateLimits = new RateLimitTracker();
        _sink = new Sink();
        _session = new WsApiSession(
            new WsApiOptions { Endpoint = _host.WebSocketApiUri, ReconnectMinDelay = TimeSpan.FromMilliseconds(50), DrainTimeout = TimeSpan.FromSeconds(5) },
            _host.ApiKey, _sessionSigner, _rateLimits, _clock, _sink, NullLogger<WsApiSession>.Instance);
        await _session.StartAsync(default);
    }

    public async Task DisposeAsync()
    {
        await _session.DisposeAsync();
        _sessionSigner.Dispose();
        _stageSigner.Dispose();
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task An_order_is_placed_queried_and_cancelled_with_answers_mapped_to_its_client_id()
    {
        Assert.True(_session.IsReady);
        Assert.Equal([_session.CurrentConnectionId], _sink.Ready);
        var price = await PriceBelowBookAsync();

        var placed = await SendAsync(Order(OrderRequestKind.Place, 101, price));
        Assert.True(placed.IsSuccess, Message(placed));
        Assert.Equal((OrderRequestKind.Place, 101L, WirePath.WebSocketApi), (placed.Request, placed.ClientOrderId, placed.Path));
        Assert.Equal(OrderStatus.New, placed.OrderStatus);
        Assert.True(placed.OrderId > 0);
        Assert.Equal(_session.CurrentConnectionId, placed.ConnectionId);

        var status = await SendAsync(Order(OrderRequestKind.Status, 101, price));
        Assert.Equal((OrderRequestKind.Status, OrderStatus.New, placed.OrderId), (status.Request, status.OrderStatus, status.OrderId));

        var cancelled = await SendAsync(Order(OrderRequestKind.Cancel, 101, price));
        Assert.Equal((OrderRequestKind.Cancel, OrderStatus.Canceled), (cancelled.Request, cancelled.OrderStatus));

        // The answers' rateLimits reached the tracker REST uses.
        Assert.Contains(_rateLimits.Snapshot(_clock.NowUnixMs), u => u.Rule.Type == Engine.Exchange.Rules.RateLimitType.Orders && u.Used >= 1);
    }

    [Fact]
    public async Task Rejections_carry_the_venues_codes()
    {
        var price = await PriceBelowBookAsync();
        var unknown = await SendAsync(Order(OrderRequestKind.Status, 9999, price));
        Assert.Equal((400, -2013), (unknown.Status, unknown.ErrorCode));

        var stale = await SendAsync(Order(OrderRequestKind.Place, 202, price) with { TimestampMs = _clock.NowUnixMs - 60_000 });
        Assert.Equal(-1021, stale.ErrorCode);
        Assert.False(stale.IsSuccess);
        Assert.Contains("recvWindow", Message(stale), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_dropped_mid_order_is_reported_and_replaced_and_the_order_exists_once()
    {
        var price = await PriceBelowBookAsync();
        var first = _session.CurrentConnectionId;
        await _client.AdminAsync("ws-api-drop-after-order?count=1");

        Assert.Equal(WireSendResult.Sent, Send(Order(OrderRequestKind.Place, 303, price), out var connection));
        Assert.Equal(first, connection);

        // No answer: the connection is lost, the sink is told (the order's outcome is unknown), a new connection comes up.
        Assert.Equal(first, await _sink.Lost.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        await WaitUntil(() => _session.IsReady && _session.CurrentConnectionId != first);
        Assert.Contains(_session.CurrentConnectionId, _sink.Ready);
        Assert.Equal(1, _session.LostConnections);

        // The owner queries by client order id on the new connection: the venue has the order exactly once.
        var status = await SendAsync(Order(OrderRequestKind.Status, 303, price));
        Assert.True(status.IsSuccess, Message(status));
        Assert.Equal(OrderStatus.New, status.OrderStatus);
        var open = await _client.SignedAsync(HttpMethod.Get, "fapi/v1/openOrders", "symbol=BTCUSDT");
        Assert.Single(open.Json.EnumerateArray(), o => o.GetProperty("clientOrderId").GetString() == "e303");
    }

    [Fact]
    public async Task Make_before_break_loses_no_answer()
    {
        var price = await PriceBelowBookAsync();
        var old = _session.CurrentConnectionId;

        // Answers are slow: the order sent on the old connection is still unanswered when the new one takes over.
        await _client.AdminAsync("ws-api-delay?ms=400");
        Assert.Equal(WireSendResult.Sent, Send(Order(OrderRequestKind.Place, 404, price), out var sentOn));
        Assert.Equal(old, sentOn);
        await _session.ReplaceAsync(default);
        var fresh = _session.CurrentConnectionId;
        Assert.NotEqual(old, fresh);
        Assert.Equal([old, fresh], _sink.Ready);

        var answer = await _sink.NextAsync();
        Assert.Equal((404L, old), (answer.ClientOrderId, answer.ConnectionId));
        Assert.True(answer.IsSuccess, Message(answer));

        // Only then does the old connection close; sends go to the new one meanwhile.
        Assert.Equal(old, await _sink.Lost.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(_sink.AnswerBeforeLost(404, old));
        await _client.AdminAsync("ws-api-delay?ms=0");
        var status = await SendAsync(Order(OrderRequestKind.Status, 404, price));
        Assert.Equal(fresh, status.ConnectionId);
        Assert.Equal(1, _session.Replacements);
        Assert.Equal(0, _session.LostConnections);
    }

    [Fact]
    public async Task Encoding_and_sending_allocate_nothing()
    {
        var price = await PriceBelowBookAsync();
        var buffer = new byte[1024];
        var sent = 0;
        void SendMany()
        {
            for (var i = 0; i < 50; i++)
            {
                var order = Order(OrderRequestKind.Status, 1_000_000 + sent, price);
                Assert.True(_session.TryWriteOrder(order, _stageSigner, buffer, out var frame, out _));
                while (_session.TrySend(buffer.AsSpan(frame), out _, out _) == WireSendResult.WouldBlock)
                {
                    Thread.SpinWait(10);
                }

                sent++;
            }
        }

        SendMany();
        Assert.Equal(0, AllocationMeter.OnThisThread(SendMany));
        await WaitUntil(() => _sink.AnswerCount >= sent);
    }

    private async Task<Price> PriceBelowBookAsync()
    {
        var (bid, _) = await _client.BookAsync("BTCUSDT");
        return Price.Parse(Encoding.ASCII.GetBytes(Math.Round(bid * 0.9m, 1).ToString("0.0", CultureInfo.InvariantCulture)));
    }

    private OrderDescription Order(OrderRequestKind request, long id, Price price) => new()
    {
        Request = request,
        Symbol = "BTCUSDT"u8,
        ClientOrderId = id,
        Side = Side.Buy,
        Kind = OrderKind.Limit,
        TimeInForce = TimeInForce.Gtc,
        Quantity = Quantity.Parse("0.010"u8),
        Price = price,
        PriceDecimals = 1,
        QuantityDecimals = 3,
        RecvWindowMs = 5000,
        TimestampMs = _clock.NowUnixMs,
    };

    private WireSendResult Send(in OrderDescription order, out int connectionId)
    {
        var buffer = new byte[1024];
        Assert.True(_session.TryWriteOrder(order, _stageSigner, buffer, out var frame, out var error), error.ToString());
        WireSendResult result;
        while ((result = _session.TrySend(buffer.AsSpan(frame), out var stamp, out connectionId)) == WireSendResult.WouldBlock)
        {
            Thread.Yield();
        }

        return result;
    }

    private Task<OrderAnswer> SendAsync(in OrderDescription order)
    {
        Assert.Equal(WireSendResult.Sent, Send(order, out _));
        return _sink.NextAsync();
    }

    private static string Message(in OrderAnswer answer) => Encoding.UTF8.GetString(answer.Message[..answer.MessageLength]);

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    /// <summary>The sink as the execution service will be one: it records what the reader threads tell it.</summary>
    private sealed class Sink : IOrderAnswerSink
    {
        private readonly Lock _lock = new();
        private readonly List<string> _events = [];
        private readonly List<int> _ready = [];
        private long _answers;

        public System.Threading.Channels.Channel<OrderAnswer> Answers { get; } = System.Threading.Channels.Channel.CreateUnbounded<OrderAnswer>();

        public System.Threading.Channels.Channel<int> Lost { get; } = System.Threading.Channels.Channel.CreateUnbounded<int>();

        public long AnswerCount => Interlocked.Read(ref _answers);

        public int[] Ready
        {
            get
            {
                lock (_lock)
                {
                    return [.. _ready];
                }
            }
        }

        public void OnAnswer(in OrderAnswer answer)
        {
            Interlocked.Increment(ref _answers);
            lock (_lock)
            {
                _events.Add($"answer {answer.ClientOrderId}@{answer.ConnectionId}");
            }

            Answers.Writer.TryWrite(answer);
        }

        public void OnConnectionLost(WirePath path, int connectionId, string reason)
        {
            lock (_lock)
            {
                _events.Add($"lost {connectionId}");
            }

            Lost.Writer.TryWrite(connectionId);
        }

        public void OnConnectionReady(WirePath path, int connectionId)
        {
            lock (_lock)
            {
                _ready.Add(connectionId);
            }
        }

        public bool AnswerBeforeLost(long clientOrderId, int connectionId)
        {
            lock (_lock)
            {
                var answer = _events.IndexOf($"answer {clientOrderId}@{connectionId}");
                var lost = _events.IndexOf($"lost {connectionId}");
                return answer >= 0 && lost > answer;
            }
        }

        public Task<OrderAnswer> NextAsync() => Answers.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }
}
