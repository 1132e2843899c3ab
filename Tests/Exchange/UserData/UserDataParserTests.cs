using System.Net;
using System.Net.WebSockets;
using System.Text;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.UserData;
using Engine.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Tests.Exchange.UserData;

public sealed class UserDataParserTests
{
    // BINANCE_USDM.md §11, with our client id and a symbol the table holds.
    internal const string OrderTradeUpdate =
        """{"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{"s":"BTCUSDT","c":"e17000000042","S":"SELL","o":"LIMIT","f":"GTC","q":"0.003","p":"60000.1","ap":"60000.10000","sp":"0","x":"TRADE","X":"PARTIALLY_FILLED","i":8886774,"l":"0.001","z":"0.002","L":"60000.1","N":"USDT","n":"0.012","T":1568879465650,"t":77,"b":"0","a":"9.91","m":true,"R":true,"wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"BOTH","cp":false,"rp":"1.5","pP":false,"si":0,"ss":0,"V":"EXPIRE_TAKER","pm":"NONE","gtd":0,"er":"0"}}""";

    internal const string AccountUpdate =
        """{"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,"a":{"m":"ORDER","B":[{"a":"BNB","wb":"5","cw":"5","bc":"0"},{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"50.12345678"}],"P":[{"s":"BTCUSDT","pa":"20","ep":"6563.66500","bep":"0","cr":"0","up":"2850.21200","mt":"isolated","iw":"13200.70726908","ps":"BOTH"},{"s":"ETHUSDT","pa":"-1","ep":"2000","bep":"0","cr":"0","up":"-10.5","mt":"cross","iw":"0","ps":"BOTH"}]}}""";

    private static SymbolTable Table()
    {
        var t = new SymbolTable(8);
        t.Add("BTCUSDT");
        t.Add("ETHUSDT");
        return t;
    }

    [Fact]
    public void Order_trade_update_becomes_an_order_update_event()
    {
        var parser = new UserDataParser(Table());
        var evt = default(MarketEvent);
        Assert.Equal(UserDataFrameKind.OrderUpdate, parser.Parse(Encoding.UTF8.GetBytes(OrderTradeUpdate), ref evt, 99));
        Assert.Equal(MarketEventKind.OrderUpdate, evt.Kind);
        Assert.Equal(new SymbolId(1), evt.Symbol);
        Assert.Equal(1568879465651, evt.ExchangeTimeMs);
        Assert.Equal(99, evt.ReceivedTimestamp);
        var u = evt.OrderUpdate;
        Assert.Equal(17000000042, u.ClientOrderId);
        Assert.Equal(8886774, u.OrderId);
        Assert.Equal(Side.Sell, u.Side);
        Assert.Equal(OrderKind.Limit, u.OrderKind);
        Assert.Equal(OrderStatus.PartiallyFilled, u.Status);
        Assert.Equal(Quantity.FromMantissa(300000), u.Quantity);
        Assert.Equal(Price.FromMantissa(6000010000000), u.Price);
        Assert.Equal(Quantity.FromMantissa(100000), u.LastFillQuantity);
        Assert.Equal(Quantity.FromMantissa(200000), u.FilledQuantity);
        Assert.Equal(Price.FromMantissa(6000010000000), u.LastFillPrice);
        Assert.True(u.ReduceOnly);
    }

    [Fact]
    public void Another_programs_client_id_reads_as_zero_and_trailing_stop_type_as_unset()
    {
        // The protocol document's own example: "c":"TEST", a TRAILING_STOP_MARKET, hedge side.
        var frame = OrderTradeUpdate.Replace("\"c\":\"e17000000042\"", "\"c\":\"TEST\"", StringComparison.Ordinal)
            .Replace("\"o\":\"LIMIT\"", "\"o\":\"TRAILING_STOP_MARKET\"", StringComparison.Ordinal);
        var parser = new UserDataParser(Table());
        var evt = default(MarketEvent);
        Assert.Equal(UserDataFrameKind.OrderUpdate, parser.Parse(Encoding.UTF8.GetBytes(frame), ref evt, 0));
        Assert.Equal(0, evt.OrderUpdate.ClientOrderId);
        Assert.Equal(default, evt.OrderUpdate.OrderKind);
    }

    [Fact]
    public void Account_update_keeps_unrealized_per_symbol_so_equity_is_wallet_plus_all_of_it()
    {
        var parser = new UserDataParser(Table());
        var evt = default(MarketEvent);
        Assert.Equal(UserDataFrameKind.AccountUpdate, parser.Parse(Encoding.UTF8.GetBytes(AccountUpdate), ref evt, 0));
        Assert.Equal(MarketEventKind.Account, evt.Kind);
        Assert.Equal(Notional.Parse("122624.12345678"u8), evt.Account.WalletBalance);
        Assert.Equal(Notional.Parse("125463.83545678"u8), evt.Account.Equity);

        // A later update for BTC only: ETH's last unrealized still counts; a balance-less update keeps the wallet.
        const string btcOnly = """{"e":"ACCOUNT_UPDATE","E":2,"T":2,"a":{"m":"FUNDING_FEE","B":[],"P":[{"s":"BTCUSDT","pa":"20","ep":"6563.665","up":"100","ps":"BOTH"}]}}""";
        Assert.Equal(UserDataFrameKind.AccountUpdate, parser.Parse(Encoding.UTF8.GetBytes(btcOnly), ref evt, 0));
        Assert.Equal(Notional.Parse("122624.12345678"u8), evt.Account.WalletBalance);
        Assert.Equal(Notional.Parse("122713.62345678"u8), evt.Account.Equity);
    }

    [Theory]
    [InlineData("not json", "invalid JSON")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("{}", "no event type")]
    [InlineData("""{"e":"ORDER_TRADE_UPDATE","E":1}""", "without its order object")]
    [InlineData("""{"e":"ORDER_TRADE_UPDATE","E":1,"o":{"s":"BTCUSDT","S":"BUY","i":1,"l":"0","z":"0","L":"0"}}""", "lacks one of")]
    [InlineData("""{"e":"ORDER_TRADE_UPDATE","E":1,"o":{"s":"BTCUSDT","S":"BUY","X":"NEW","i":1,"l":"1e5","z":"0","L":"0"}}""", "o.l is not a decimal")]
    [InlineData("""{"e":"ORDER_TRADE_UPDATE","E":1,"o":{"s":"BTCUSDT","S":"BUY","X":"WEIRD","i":1,"l":"0","z":"0","L":"0"}}""", "known order status")]
    [InlineData("""{"e":"ORDER_TRADE_UPDATE","E":"soon","o":{}}""", "E is not an integer")]
    [InlineData("""{"e":"ORDER_TRADE_UPDATE","E":1,"o":{"s":"BTCUSDT",""", "invalid JSON")]
    [InlineData("""{"e":"ACCOUNT_UPDATE","E":1,"a":{"B":[{"a":"USDT","wb":12}]}}""", "a.B.wb is not a decimal")]
    public void Malformed_frames_are_refused_with_a_reason(string frame, string reason)
    {
        var parser = new UserDataParser(Table());
        var evt = default(MarketEvent);
        Assert.Equal(UserDataFrameKind.Malformed, parser.Parse(Encoding.UTF8.GetBytes(frame), ref evt, 0));
        Assert.Contains(reason, parser.LastError, StringComparison.Ordinal);
        Assert.Equal(MarketEventKind.None, evt.Kind);
    }

    [Fact]
    public void Other_events_are_told_apart()
    {
        var parser = new UserDataParser(Table());
        var evt = default(MarketEvent);
        Assert.Equal(UserDataFrameKind.ListenKeyExpired, parser.Parse("""{"e":"listenKeyExpired","E":1736996475556,"listenKey":"WsCMN0a4"}"""u8, ref evt, 0));
        Assert.Equal(UserDataFrameKind.Ignored, parser.Parse("""{"e":"TRADE_LITE","E":1,"T":1,"s":"BTCUSDT","q":"0.001","p":"0","m":false,"c":"z8","S":"BUY","L":"64089.20","l":"0.040","t":1,"i":1}"""u8, ref evt, 0));
        Assert.Equal(UserDataFrameKind.Ignored, parser.Parse("""{"e":"ACCOUNT_CONFIG_UPDATE","E":1,"T":1,"ac":{"s":"BTCUSDT","l":25}}"""u8, ref evt, 0));
        Assert.Equal(UserDataFrameKind.UnknownSymbol, parser.Parse(Encoding.UTF8.GetBytes(OrderTradeUpdate.Replace("BTCUSDT", "XYZUSDT", StringComparison.Ordinal)), ref evt, 0));

        // A balance update before any wallet of the margin asset is known cannot give an equity.
        Assert.Equal(UserDataFrameKind.Ignored, parser.Parse("""{"e":"ACCOUNT_UPDATE","E":1,"a":{"m":"ORDER","B":[{"a":"BNB","wb":"1"}],"P":[]}}"""u8, ref evt, 0));
        Assert.Equal(MarketEventKind.None, evt.Kind);
    }

    [Fact]
    public void Parsing_allocates_nothing_after_warm_up()
    {
        var parser = new UserDataParser(Table());
        var order = Encoding.UTF8.GetBytes(OrderTradeUpdate);
        var account = Encoding.UTF8.GetBytes(AccountUpdate);
        var evt = default(MarketEvent);
        for (var i = 0; i < 1000; i++)
        {
            parser.Parse(order, ref evt, i);
            parser.Parse(account, ref evt, i);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100_000; i++)
        {
            parser.Parse(order, ref evt, i);
            parser.Parse(account, ref evt, i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Bad_frames_on_the_wire_are_counted_and_the_stream_goes_on()
    {
        string[] script =
        [
            OrderTradeUpdate,
            "not json",
            "{}",
            """{"e":"ORDER_TRADE_UPDATE","E":1,"o":{"s":"BTCUSDT","S":"BUY","X":"WEIRD","i":1,"l":"0","z":"0","L":"0"}}""",
            """{"e":"ORDER_TRADE_UPDATE","E":1,"o":{"s":"BTCUSDT",""",
            """{"e":"TRADE_LITE","E":1}""",
            OrderTradeUpdate.Replace("BTCUSDT", "XYZUSDT", StringComparison.Ordinal),
            new string('x', 40_000),
            AccountUpdate,
            OrderTradeUpdate.Replace("\"z\":\"0.002\"", "\"z\":\"0.003\"", StringComparison.Ordinal),
        ];
        await using var server = await FrameServer.StartAsync(script);
        var sink = new CountingSink();
        var rest = new BinanceRestClient(
            Options.Create(new BinanceRestOptions { BaseAddress = server.HttpBase }),
            NullLogger<BinanceRestClient>.Instance, new ServerClock(), new RateLimitTracker(), new ApiCredentials("k", "s"));
        await using var stream = new UserDataStream(
            rest, Table(), sink, Options.Create(new UserDataStreamOptions { WebSocketBaseAddress = server.WsBase, ReceiveBufferBytes = 1024 }),
            NullLogger<UserDataStream>.Instance);
        await stream.StartAsync(CancellationToken.None);
        await Tests.State.StateHarness.WaitUntilAsync(() => stream.Counters.Frames == script.Length, "every scripted frame");

        Assert.Equal(2, stream.Counters.OrderUpdates);
        Assert.Equal(1, stream.Counters.AccountUpdates);
        Assert.Equal(5, stream.Counters.Malformed);
        Assert.Equal(1, stream.Counters.Ignored);
        Assert.Equal(1, stream.Counters.UnknownSymbol);
        Assert.Equal(1, stream.Counters.Connects);
        Assert.True(stream.Counters.Connected);
        Assert.Equal([200000L, 300000L], sink.Filled);
        Assert.Equal(1, sink.Ups);
        await stream.StopAsync(CancellationToken.None);
        Assert.Equal(1, sink.Downs);
        Assert.Equal(1, server.Deletes);
        rest.Dispose();
    }

    private sealed class CountingSink : IUserDataSink
    {
        public List<long> Filled { get; } = [];

        public int Ups { get; private set; }

        public int Downs { get; private set; }

        public void OnOrderUpdate(in MarketEvent evt) => Filled.Add(evt.OrderUpdate.FilledQuantity.Mantissa);

        public void OnAccountUpdate(in MarketEvent evt)
        {
        }

        public void OnStreamDown() => Downs++;

        public void OnStreamUp(bool recovered) => Ups++;
    }

    /// <summary>A loopback listenKey endpoint and user-data socket that sends a fixed script of text frames.</summary>
    private sealed class FrameServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _deletes;

        private FrameServer(WebApplication app) => _app = app;

        public string HttpBase { get; private set; } = string.Empty;

        public string WsBase => "ws" + HttpBase[4..];

        public int Deletes => Volatile.Read(ref _deletes);

        public static async Task<FrameServer> StartAsync(string[] script)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var server = new FrameServer(app);
            app.UseWebSockets();
            const string key = "Key0000000000000000000000000000000000000000000000000000000000001";
            app.MapPost("/fapi/v1/listenKey", () => Results.Text("{\"listenKey\":\"" + key + "\"}", "application/json"));
            app.MapPut("/fapi/v1/listenKey", () => Results.Text("{\"listenKey\":\"" + key + "\"}", "application/json"));
            app.MapDelete("/fapi/v1/listenKey", () =>
            {
                Interlocked.Increment(ref server._deletes);
                return Results.Text("{}", "application/json");
            });
            app.Map("/private/ws/" + key, async (HttpContext context) =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                foreach (var frame in script)
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, context.RequestAborted);
                }

                var buffer = new byte[256];
                try
                {
                    while (socket.State == WebSocketState.Open)
                    {
                        var r = await socket.ReceiveAsync(buffer, context.RequestAborted);
                        if (r.MessageType == WebSocketMessageType.Close)
                        {
                            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                        }
                    }
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
                {
                    // The client went away.
                }
            });
            await app.StartAsync();
            server.HttpBase = app.Urls.Single().TrimEnd('/');
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
