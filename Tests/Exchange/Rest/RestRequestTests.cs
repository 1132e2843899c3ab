using System.Net;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.Signing;
using Engine.Model;

namespace Tests.Exchange.Rest;

/// <summary>The exact requests the client puts on the wire, checked at a real loopback HTTP server.</summary>
public sealed class RestRequestTests : IAsyncLifetime
{
    private LoopbackVenue _venue = null!;

    public async Task InitializeAsync() => _venue = await LoopbackVenue.StartAsync();

    public async Task DisposeAsync() => await _venue.DisposeAsync();

    [Fact]
    public async Task Limit_order_reproduces_Binance_documented_request_and_signature_byte_for_byte()
    {
        // BINANCE_USDM.md §3.2: the official example, timestamp 1591702613943, signature 3c66…4af9.
        var time = new FixedTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1591702613943));
        _venue.Route("POST /fapi/v1/order", _ => VenueReply.Json(OrderJson));
        using var client = RestHarness.Client(_venue, time: time);

        var result = await client.PlaceOrderAsync(new NewOrderRequest
        {
            Symbol = "BTCUSDT",
            Side = Side.Buy,
            Type = OrderKind.Limit,
            Quantity = Quantity.FromInteger(1),
            Price = Price.FromInteger(9000),
            TimeInForce = TimeInForce.Gtc,
        });

        Assert.True(result.IsSuccess, result.ToString());
        var request = Assert.Single(_venue.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/fapi/v1/order", request.Path);
        Assert.Equal(string.Empty, request.RawQuery);
        Assert.Equal("application/x-www-form-urlencoded", request.Header("Content-Type"));
        Assert.Equal(RestHarness.ApiKey, request.Header("X-MBX-APIKEY"));
        Assert.Equal(
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943"
            + "&signature=3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9",
            request.BodyText);
        Assert.True(RestHarness.SignatureValid(request));
    }

    [Fact]
    public async Task Order_answer_is_parsed_exactly_into_fixed_point()
    {
        _venue.Route("POST /fapi/v1/order", _ => VenueReply.Json(OrderJson));
        using var client = RestHarness.Client(_venue);

        var order = (await client.PlaceOrderAsync(new NewOrderRequest
        {
            Symbol = "BTCUSDT",
            Side = Side.Buy,
            Type = OrderKind.Limit,
            Quantity = Quantity.Parse("0.1"u8),
            Price = Price.Parse("42088"u8),
            TimeInForce = TimeInForce.Gtc,
            NewClientOrderId = "FqEw6cn0vDhrkmfiwLYPeo",
            ResultResponse = true,
        })).GetValueOrThrow();

        Assert.Equal(336829446, order.OrderId);
        Assert.Equal(OrderStatus.New, order.Status);
        Assert.Equal("FqEw6cn0vDhrkmfiwLYPeo", order.ClientOrderId);
        Assert.Equal(4_208_800_000_000L, order.Price.Mantissa);
        Assert.Equal(10_000_000L, order.OrigQty.Mantissa);
        Assert.Equal(0L, order.CumQuote.Mantissa);
        Assert.Equal(Side.Buy, order.Side);
        Assert.Equal(1705385954229, order.UpdateTime);

        var body = Assert.Single(_venue.Requests).BodyText;
        Assert.Equal(
            ["symbol", "side", "type", "quantity", "price", "timeInForce", "newClientOrderId", "newOrderRespType", "recvWindow", "timestamp", "signature"],
            RestHarness.Names(body));
        Assert.Equal("0.1", RestHarness.Param(body, "quantity"));
        Assert.Equal("RESULT", RestHarness.Param(body, "newOrderRespType"));
    }

    [Fact]
    public async Task Cancel_and_query_put_signed_parameters_in_the_query_string_with_no_body()
    {
        _venue.Route("DELETE /fapi/v1/order", _ => VenueReply.Json(OrderJson.Replace("\"NEW\"", "\"CANCELED\"", StringComparison.Ordinal)));
        _venue.Route("GET /fapi/v1/order", _ => VenueReply.Json(OrderJson));
        using var client = RestHarness.Client(_venue);

        var cancelled = await client.CancelOrderAsync(OrderReference.ByClientOrderId("BTCUSDT", "my:id/1"));
        var queried = await client.QueryOrderAsync(OrderReference.ByOrderId("BTCUSDT", 336829446));

        Assert.Equal(OrderStatus.Canceled, cancelled.GetValueOrThrow().Status);
        Assert.Equal(OrderStatus.New, queried.GetValueOrThrow().Status);
        var cancel = Assert.Single(_venue.RequestsTo("DELETE /fapi/v1/order"));
        Assert.Empty(cancel.Body);
        Assert.Equal(["symbol", "origClientOrderId", "recvWindow", "timestamp", "signature"], RestHarness.Names(cancel.RawQuery));
        Assert.Equal("my%3Aid%2F1", RestHarness.Param(cancel.RawQuery, "origClientOrderId"));
        Assert.True(RestHarness.SignatureValid(cancel));
        Assert.Equal(RestHarness.ApiKey, cancel.Header("X-MBX-APIKEY"));

        var query = Assert.Single(_venue.RequestsTo("GET /fapi/v1/order"));
        Assert.Equal(["symbol", "orderId", "recvWindow", "timestamp", "signature"], RestHarness.Names(query.RawQuery));
        Assert.True(RestHarness.SignatureValid(query));
    }

    [Fact]
    public async Task Pre_signed_order_bytes_go_out_unchanged_as_the_form_body()
    {
        _venue.Route("POST /fapi/v1/order", _ => VenueReply.Json(OrderJson));
        using var client = RestHarness.Client(_venue);
        using var signer = HmacSha256Signer.Create("2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"u8);
        var buffer = new byte[512];
        var query = new OrderQuery
        {
            Symbol = "ETHUSDT"u8,
            Side = Side.Sell,
            Kind = OrderKind.Limit,
            TimeInForce = TimeInForce.Gtx,
            Quantity = Quantity.Parse("0.250"u8),
            Price = Price.Parse("3012.5"u8),
            ClientOrderId = "exec-000001"u8,
            PriceDecimals = 2,
            QuantityDecimals = 3,
            RecvWindowMs = client.RecvWindowMs,
            TimestampMs = client.Clock.NowUnixMs,
        };
        Assert.True(query.TryWriteSigned(buffer, signer, out var length, out var error), error.ToString());

        var result = await client.SendSignedOrderAsync(OrderCall.New, buffer.AsMemory(0, length));

        Assert.True(result.IsSuccess, result.ToString());
        var request = Assert.Single(_venue.Requests);
        Assert.Equal("/fapi/v1/order", request.Path);
        Assert.Equal(buffer[..length], request.Body);
        Assert.Equal(RestHarness.ApiKey, request.Header("X-MBX-APIKEY"));
        Assert.True(RestHarness.SignatureValid(request));
    }

    [Fact]
    public async Task Pre_signed_cancel_goes_in_the_query_string()
    {
        _venue.Route("DELETE /fapi/v1/order", _ => VenueReply.Json(OrderJson));
        using var client = RestHarness.Client(_venue);
        var signed = "symbol=BTCUSDT&origClientOrderId=abc&recvWindow=5000&timestamp=1&signature=00"u8.ToArray();

        var result = await client.SendSignedOrderAsync(OrderCall.Cancel, signed);

        Assert.True(result.IsSuccess, result.ToString());
        var request = Assert.Single(_venue.Requests);
        Assert.Equal("symbol=BTCUSDT&origClientOrderId=abc&recvWindow=5000&timestamp=1&signature=00", request.RawQuery);
        Assert.Empty(request.Body);
    }

    [Fact]
    public async Task Batch_orders_send_percent_encoded_json_and_keep_per_order_errors_in_place()
    {
        _venue.Route("POST /fapi/v1/batchOrders", _ => VenueReply.Json($"[{OrderJson},{{\"code\":-2022,\"msg\":\"ReduceOnly Order is rejected.\"}}]"));
        using var client = RestHarness.Client(_venue);
        NewOrderRequest[] orders =
        [
            new() { Symbol = "BTCUSDT", Side = Side.Buy, Type = OrderKind.Limit, Quantity = Quantity.Parse("0.001"u8), Price = Price.Parse("42088.1"u8), TimeInForce = TimeInForce.Gtc, NewClientOrderId = "b1" },
            new() { Symbol = "BTCUSDT", Side = Side.Sell, Type = OrderKind.Market, Quantity = Quantity.Parse("0.002"u8), ReduceOnly = true, NewClientOrderId = "b2" },
        ];

        var results = (await client.PlaceBatchOrdersAsync(orders)).GetValueOrThrow();

        Assert.Equal(2, results.Length);
        Assert.Equal(336829446, results[0].Order!.OrderId);
        Assert.Equal(-2022, results[1].Error!.Code);
        Assert.Equal(VenueErrorCategory.Rejected, results[1].Error!.Category);

        var request = Assert.Single(_venue.Requests);
        Assert.Equal(["batchOrders", "recvWindow", "timestamp", "signature"], RestHarness.Names(request.BodyText));
        var json = WebUtility.UrlDecode(RestHarness.Param(request.BodyText, "batchOrders"))!;
        Assert.Equal(
            "[{\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"quantity\":\"0.001\",\"price\":\"42088.1\",\"timeInForce\":\"GTC\",\"newClientOrderId\":\"b1\"},"
            + "{\"symbol\":\"BTCUSDT\",\"side\":\"SELL\",\"type\":\"MARKET\",\"quantity\":\"0.002\",\"reduceOnly\":\"true\",\"newClientOrderId\":\"b2\"}]",
            json);
        Assert.DoesNotContain('{', RestHarness.Param(request.BodyText, "batchOrders")!);
        Assert.True(RestHarness.SignatureValid(request));
    }

    [Fact]
    public async Task Stop_orders_are_refused_locally_for_the_plain_order_endpoint()
    {
        using var client = RestHarness.Client(_venue);

        var result = await client.PlaceOrderAsync(new NewOrderRequest
        {
            Symbol = "BTCUSDT", Side = Side.Sell, Type = OrderKind.StopMarket, Quantity = Quantity.FromInteger(1),
        });

        Assert.Equal(VenueErrorCategory.Rejected, result.Error!.Category);
        Assert.False(result.Error.Sent);
        Assert.Contains("algo", result.Error.Message, StringComparison.Ordinal);
        Assert.Empty(_venue.Requests);
    }

    [Fact]
    public async Task Algo_order_place_query_cancel_and_list()
    {
        const string algo = """
            {"algoId":2146760,"clientAlgoId":"6B2I9XVcJpCjqPAJ4YoFX7","algoType":"CONDITIONAL","orderType":"TAKE_PROFIT",
             "symbol":"BNBUSDT","side":"SELL","positionSide":"BOTH","timeInForce":"GTC","quantity":"0.01","algoStatus":"NEW",
             "triggerPrice":"750.000","price":"750.000","icebergQuantity":null,"selfTradePreventionMode":"EXPIRE_MAKER",
             "workingType":"CONTRACT_PRICE","priceMatch":"NONE","closePosition":false,"priceProtect":false,"reduceOnly":false,
             "activatePrice":"","callbackRate":"","createTime":1750485492076,"updateTime":1750485492076,"triggerTime":0,"goodTillDate":0}
            """;
        _venue.Route("POST /fapi/v1/algoOrder", _ => VenueReply.Json(algo));
        _venue.Route("GET /fapi/v1/algoOrder", _ => VenueReply.Json(algo));
        _venue.Route("GET /fapi/v1/openAlgoOrders", _ => VenueReply.Json($"[{algo}]"));
        _venue.Route("DELETE /fapi/v1/algoOrder", _ => VenueReply.Json("""{"algoId":2146760,"clientAlgoId":"6B2I9XVcJpCjqPAJ4YoFX7","code":"200","msg":"success"}"""));
        using var client = RestHarness.Client(_venue);

        var placed = (await client.PlaceAlgoOrderAsync(new NewAlgoOrderRequest
        {
            Symbol = "BNBUSDT", Side = Side.Sell, Type = "TAKE_PROFIT", Quantity = Quantity.Parse("0.01"u8),
            Price = Price.Parse("750"u8), TriggerPrice = Price.Parse("750"u8), TimeInForce = TimeInForce.Gtc, ClientAlgoId = "6B2I9XVcJpCjqPAJ4YoFX7",
        })).GetValueOrThrow();
        var queried = (await client.QueryAlgoOrderAsync(clientAlgoId: "6B2I9XVcJpCjqPAJ4YoFX7")).GetValueOrThrow();
        var open = (await client.GetOpenAlgoOrdersAsync("BNBUSDT")).GetValueOrThrow();
        var cancelled = (await client.CancelAlgoOrderAsync(algoId: 2146760)).GetValueOrThrow();

        Assert.Equal(2146760, placed.AlgoId);
        Assert.Equal(AlgoOrderStatus.New, placed.AlgoStatus);
        Assert.Equal(75_000_000_000L, placed.TriggerPrice.Mantissa);
        Assert.Null(placed.ActivatePrice);
        Assert.Null(placed.CallbackRate);
        Assert.Equal(placed.AlgoId, queried.AlgoId);
        Assert.Single(open);
        Assert.Equal(200, cancelled.Code);

        var post = Assert.Single(_venue.RequestsTo("POST /fapi/v1/algoOrder"));
        Assert.Equal(
            ["algoType", "symbol", "side", "type", "quantity", "price", "triggerPrice", "timeInForce", "clientAlgoId", "recvWindow", "timestamp", "signature"],
            RestHarness.Names(post.BodyText));
        Assert.StartsWith("algoType=CONDITIONAL&symbol=BNBUSDT&side=SELL&type=TAKE_PROFIT&quantity=0.01&price=750&triggerPrice=750&timeInForce=GTC", post.BodyText, StringComparison.Ordinal);
        Assert.True(RestHarness.SignatureValid(post));
        var delete = Assert.Single(_venue.RequestsTo("DELETE /fapi/v1/algoOrder"));
        Assert.Equal("2146760", RestHarness.Param(delete.RawQuery, "algoId"));
        Assert.True(RestHarness.SignatureValid(delete));
    }

    [Fact]
    public async Task Listen_key_calls_carry_only_the_key_header_and_an_empty_form_body()
    {
        _venue.Route("POST /fapi/v1/listenKey", _ => VenueReply.Json("""{"listenKey":"pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"}"""));
        _venue.Route("PUT /fapi/v1/listenKey", _ => VenueReply.Json("""{"listenKey":"pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"}"""));
        _venue.Route("DELETE /fapi/v1/listenKey", _ => VenueReply.Json("{}"));
        using var client = RestHarness.Client(_venue);

        var key = (await client.CreateListenKeyAsync()).GetValueOrThrow();
        Assert.True((await client.KeepAliveListenKeyAsync()).IsSuccess);
        Assert.True((await client.CloseListenKeyAsync()).IsSuccess);

        Assert.Equal("pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1", key);
        Assert.Equal(["POST", "PUT", "DELETE"], _venue.Requests.Select(r => r.Method));
        Assert.All(_venue.Requests, r =>
        {
            Assert.Equal("/fapi/v1/listenKey", r.Path);
            Assert.Equal(RestHarness.ApiKey, r.Header("X-MBX-APIKEY"));
            Assert.Empty(r.RawQuery);
            Assert.Empty(r.Body);
        });
        Assert.Equal("application/x-www-form-urlencoded", _venue.Requests[0].Header("Content-Type"));
    }

    [Fact]
    public async Task An_expired_listen_key_is_reported_with_its_code()
    {
        _venue.Enqueue("PUT /fapi/v1/listenKey", VenueReply.Error(400, -1125, "This listenKey does not exist."));
        using var client = RestHarness.Client(_venue);

        var result = await client.KeepAliveListenKeyAsync();

        Assert.Equal(-1125, result.Error!.Code);
        Assert.Equal(VenueErrorCategory.Rejected, result.Error.Category);
    }

    [Fact]
    public async Task Public_endpoints_send_no_key_and_parse_market_data_exactly()
    {
        _venue.Route("GET /fapi/v1/klines", _ => VenueReply.Json(
            """[[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"]]"""));
        _venue.Route("GET /fapi/v1/depth", _ => VenueReply.Json(
            """{"lastUpdateId":1027024,"E":1589436922972,"T":1589436922959,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"""));
        _venue.Route("GET /fapi/v1/ticker/bookTicker", _ => VenueReply.Json(
            """{"symbol":"BTCUSDT","bidPrice":"4.00000000","bidQty":"431.00000000","askPrice":"4.00000200","askQty":"9.00000000","time":1589437530011}"""));
        _venue.Route("GET /fapi/v1/premiumIndex", _ => VenueReply.Json(
            """{"symbol":"BTCUSDT","markPrice":"11793.63104562","indexPrice":"11781.80495970","estimatedSettlePrice":"11781.16138815","lastFundingRate":"0.00038246","interestRate":"0.00010000","nextFundingTime":1597392000000,"time":1597370495002}"""));
        _venue.Route("GET /fapi/v1/ticker/24hr", _ => VenueReply.Json(
            """{"symbol":"BTCUSDT","priceChange":"-94.99999800","priceChangePercent":"-95.960","weightedAvgPrice":"0.29628482","lastPrice":"4.00000200","lastQty":"200.00000000","openPrice":"99.00000000","highPrice":"100.00000000","lowPrice":"0.10000000","volume":"8913.30000000","quoteVolume":"15.30000000","openTime":1499783499040,"closeTime":1499869899040,"firstId":28385,"lastId":28460,"count":76,"unknownNewField":{"a":[1,2]}}"""));
        using var client = RestHarness.Client(_venue, withCredentials: false);

        var klines = (await client.GetKlinesAsync("BTCUSDT", "1m", startTime: 1499040000000, limit: 3)).GetValueOrThrow();
        var depth = (await client.GetDepthAsync("BTCUSDT", 5)).GetValueOrThrow();
        var book = (await client.GetBookTickerAsync("BTCUSDT")).GetValueOrThrow();
        var premium = (await client.GetPremiumIndexAsync("BTCUSDT")).GetValueOrThrow();
        var ticker = (await client.GetTicker24hAsync("BTCUSDT")).GetValueOrThrow();

        var kline = Assert.Single(klines);
        Assert.Equal(1499040000000, kline.OpenTime);
        Assert.Equal(1_634_790L, kline.Open.Mantissa);
        Assert.Equal(80_000_000L, kline.High.Mantissa);
        Assert.Equal(14_897_611_427_815L, kline.Volume.Mantissa);
        Assert.Equal(308, kline.TradeCount);
        Assert.Equal(2_846_694_368L, kline.TakerBuyQuoteVolume.Mantissa);
        Assert.Equal(new BookLevel(Price.Parse("4"u8), Quantity.Parse("431"u8)), Assert.Single(depth.Bids));
        Assert.Equal(400_000_200L, Assert.Single(depth.Asks).Price.Mantissa);
        Assert.Equal(1589436922959, depth.TransactionTime);
        Assert.Equal(900_000_000L, book.AskQty.Mantissa);
        Assert.Equal(1_179_363_104_562L, premium.MarkPrice.Mantissa);
        Assert.Equal(38_246L, premium.LastFundingRate!.Value.Mantissa);
        Assert.Equal(-9_499_999_800L, ticker.PriceChange.Mantissa);
        Assert.Equal(76, ticker.Count);

        Assert.All(_venue.Requests, r => Assert.Null(r.Header("X-MBX-APIKEY")));
        Assert.Equal("symbol=BTCUSDT&interval=1m&startTime=1499040000000&limit=3", _venue.RequestsTo("GET /fapi/v1/klines")[0].RawQuery);
        Assert.Equal("symbol=BTCUSDT&limit=5", _venue.RequestsTo("GET /fapi/v1/depth")[0].RawQuery);
    }

    [Fact]
    public async Task All_symbol_answers_survive_delivery_contracts_and_huge_volumes()
    {
        _venue.Route("GET /fapi/v1/premiumIndex", _ => VenueReply.Json("""
            [{"symbol":"BTCUSDT","markPrice":"11793.63104562","indexPrice":"11781.80495970","estimatedSettlePrice":"11781.16138815","lastFundingRate":"0.00038246","interestRate":"0.00010000","nextFundingTime":1597392000000,"time":1597370495002},
             {"symbol":"BTCUSDT_250926","markPrice":"110000.10000000","indexPrice":"109000.00000000","estimatedSettlePrice":"109500.00000000","lastFundingRate":"","interestRate":"","nextFundingTime":0,"time":1597370495002}]
            """));
        _venue.Route("GET /fapi/v1/ticker/24hr", _ => VenueReply.Json("""
            [{"symbol":"1000PEPEUSDT","priceChange":"0.0000100","priceChangePercent":"0.100","weightedAvgPrice":"0.0100000","lastPrice":"0.0100100","lastQty":"100000","openPrice":"0.0100000","highPrice":"0.0110000","lowPrice":"0.0090000","volume":"123456789012","quoteVolume":"1234567890.12","openTime":1,"closeTime":2,"firstId":1,"lastId":2,"count":2}]
            """));
        using var client = RestHarness.Client(_venue, withCredentials: false);

        var indexes = (await client.GetPremiumIndexesAsync()).GetValueOrThrow();
        var tickers = (await client.GetTickers24hAsync()).GetValueOrThrow();

        Assert.Equal(2, indexes.Length);
        Assert.Null(indexes[1].LastFundingRate);
        Assert.Null(indexes[1].InterestRate);
        Assert.Equal(11_000_010_000_000L, indexes[1].MarkPrice.Mantissa);
        var pepe = Assert.Single(tickers);
        Assert.Null(pepe.Volume);
        Assert.Equal(123_456_789_012_000_000L, pepe.QuoteVolume!.Value.Mantissa);
        Assert.Equal(1_001_000L, pepe.LastPrice.Mantissa);
    }

    [Fact]
    public async Task Account_endpoints_parse_the_documented_shapes()
    {
        _venue.Route("GET /fapi/v3/account", _ => VenueReply.Json("""
            {"totalInitialMargin":"0.00000000","totalMaintMargin":"0.00000000","totalWalletBalance":"103.12345678",
             "totalUnrealizedProfit":"0.00000000","totalMarginBalance":"103.12345678","totalPositionInitialMargin":"0.00000000",
             "totalOpenOrderInitialMargin":"0.00000000","totalCrossWalletBalance":"103.12345678","totalCrossUnPnl":"0.00000000",
             "availableBalance":"103.12345678","maxWithdrawAmount":"103.12345678",
             "assets":[{"asset":"USDT","walletBalance":"23.72469206","unrealizedProfit":"0.00000000","marginBalance":"23.72469206",
               "maintMargin":"0.00000000","initialMargin":"0.00000000","positionInitialMargin":"0.00000000","openOrderInitialMargin":"0.00000000",
               "crossWalletBalance":"23.72469206","crossUnPnl":"0.00000000","availableBalance":"23.72469206","maxWithdrawAmount":"23.72469206","updateTime":1625474304765}],
             "positions":[{"symbol":"BTCUSDT","positionSide":"BOTH","positionAmt":"1.000","unrealizedProfit":"0.00000000","isolatedMargin":"0.00000000",
               "notional":"0","isolatedWallet":"0","initialMargin":"0","maintMargin":"0","updateTime":0}]}
            """));
        _venue.Route("GET /fapi/v2/positionRisk", _ => VenueReply.Json("""
            [{"entryPrice":"0.00000","breakEvenPrice":"0.0","marginType":"isolated","isAutoAddMargin":"false","isolatedMargin":"0.00000000",
              "leverage":"10","liquidationPrice":"0","markPrice":"6679.50671178","maxNotionalValue":"20000000","positionAmt":"-0.010",
              "notional":"0","isolatedWallet":"0","symbol":"BTCUSDT","unRealizedProfit":"0.00000000","positionSide":"BOTH","updateTime":0}]
            """));
        _venue.Route("GET /fapi/v2/balance", _ => VenueReply.Json("""
            [{"accountAlias":"SgsR","asset":"USDT","balance":"122607.35137903","crossWalletBalance":"23.72469206","crossUnPnl":"0.00000000","availableBalance":"23.72469206","maxWithdrawAmount":"23.72469206","marginAvailable":true,"updateTime":1617939110373}]
            """));
        _venue.Route("GET /fapi/v1/userTrades", _ => VenueReply.Json("""
            [{"buyer":false,"commission":"-0.07819010","commissionAsset":"USDT","id":698759,"maker":false,"orderId":25851813,"price":"7819.01","qty":"0.002","quoteQty":"15.63802","realizedPnl":"-0.91539999","side":"SELL","positionSide":"SHORT","symbol":"BTCUSDT","time":1569514978020}]
            """));
        _venue.Route("POST /fapi/v1/leverage", _ => VenueReply.Json("""{"leverage":21,"maxNotionalValue":"1000000","symbol":"BTCUSDT"}"""));
        _venue.Route("GET /fapi/v1/openOrders", _ => VenueReply.Json($"[{OrderJson}]"));
        _venue.Route("DELETE /fapi/v1/allOpenOrders", _ => VenueReply.Json("""{"code":200,"msg":"The operation of cancel all open order is done."}"""));
        using var client = RestHarness.Client(_venue);

        var account = (await client.GetAccountAsync()).GetValueOrThrow();
        var risk = Assert.Single((await client.GetPositionRiskAsync("BTCUSDT", v2: true)).GetValueOrThrow());
        var balance = Assert.Single((await client.GetBalancesAsync()).GetValueOrThrow());
        var trade = Assert.Single((await client.GetUserTradesAsync("BTCUSDT", orderId: 25851813, limit: 10)).GetValueOrThrow());
        var leverage = (await client.SetLeverageAsync("BTCUSDT", 21)).GetValueOrThrow();
        var open = (await client.GetOpenOrdersAsync("BTCUSDT")).GetValueOrThrow();
        var cancelAll = (await client.CancelAllOpenOrdersAsync("BTCUSDT")).GetValueOrThrow();

        Assert.Equal(10_312_345_678L, account.TotalWalletBalance.Mantissa);
        Assert.Equal("USDT", Assert.Single(account.Assets).Asset);
        Assert.Equal(100_000_000L, Assert.Single(account.Positions).PositionAmt.Mantissa);
        Assert.Equal(-1_000_000L, risk.PositionAmt.Mantissa);
        Assert.Equal(10, risk.Leverage);
        Assert.Equal("isolated", risk.MarginType);
        Assert.Equal(12_260_735_137_903L, balance.Balance.Mantissa);
        Assert.Equal(-91_539_999L, trade.RealizedPnl.Mantissa);
        Assert.Equal(Side.Sell, trade.Side);
        Assert.Equal(21, leverage.Leverage);
        Assert.Single(open);
        Assert.Equal(200, cancelAll.Code);

        Assert.Equal(["symbol", "orderId", "limit", "recvWindow", "timestamp", "signature"],
            RestHarness.Names(_venue.RequestsTo("GET /fapi/v1/userTrades")[0].RawQuery));
        Assert.Equal("symbol=BTCUSDT&leverage=21&recvWindow=5000", _venue.RequestsTo("POST /fapi/v1/leverage")[0].BodyText.Split("&timestamp")[0]);
        Assert.Equal(["recvWindow", "timestamp", "signature"], RestHarness.Names(_venue.RequestsTo("GET /fapi/v3/account")[0].RawQuery));
        Assert.All(_venue.Requests, r => Assert.True(RestHarness.SignatureValid(r), $"{r.Method} {r.Path}"));
    }

    [Fact]
    public async Task Margin_type_already_set_is_success()
    {
        _venue.Enqueue("POST /fapi/v1/marginType", VenueReply.Json("""{"code":200,"msg":"success"}"""));
        _venue.Enqueue("POST /fapi/v1/marginType", VenueReply.Error(400, -4046, "No need to change margin type."));
        using var client = RestHarness.Client(_venue);

        var first = await client.SetMarginTypeAsync("BTCUSDT", isolated: true);
        var second = await client.SetMarginTypeAsync("BTCUSDT", isolated: true);

        Assert.Equal(200, first.GetValueOrThrow().Code);
        Assert.Equal(-4046, second.GetValueOrThrow().Code);
        Assert.StartsWith("symbol=BTCUSDT&marginType=ISOLATED&recvWindow=", _venue.Requests[0].BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exchange_info_is_parsed_and_its_rate_limits_are_applied()
    {
        var body = File.ReadAllText(TestData.PathOf(TestData.ExchangeInfo2021));
        _venue.Route("GET /fapi/v1/exchangeInfo", _ => VenueReply.Json(body));
        var tracker = new RateLimitTracker();
        tracker.SetRules([new(Engine.Exchange.Rules.RateLimitType.RequestWeight, TimeSpan.FromMinutes(1), 1, 'M', 7)]);
        using var client = RestHarness.Client(_venue, rateLimits: tracker);

        var info = (await client.GetExchangeInfoAsync()).GetValueOrThrow();

        Assert.Equal(122, info.Symbols.Count);
        Assert.True(info.TryGetSymbol("BTCUSDT", out _));
        var limits = tracker.Snapshot(client.Clock.NowUnixMs).Select(u => (u.Rule.Type, u.Rule.IntervalNum, u.Rule.IntervalLetter, u.Rule.Limit)).ToArray();
        Assert.Contains((Engine.Exchange.Rules.RateLimitType.RequestWeight, 1, 'M', 2400), limits);
        Assert.Contains((Engine.Exchange.Rules.RateLimitType.Orders, 10, 'S', 300), limits);
        Assert.Contains((Engine.Exchange.Rules.RateLimitType.Orders, 1, 'M', 1200), limits);
    }

    [Fact]
    public async Task Concurrent_signed_requests_are_each_signed_correctly()
    {
        _venue.Route("GET /fapi/v1/order", _ => VenueReply.Json(OrderJson));
        using var client = RestHarness.Client(_venue, configure: o => o.MaxConnections = 8);

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => client.QueryOrderAsync(OrderReference.ByClientOrderId("BTCUSDT", $"concurrent-{i}")))));

        Assert.All(results, r => Assert.True(r.IsSuccess, r.ToString()));
        Assert.Equal(40, _venue.Requests.Count);
        Assert.All(_venue.Requests, r => Assert.True(RestHarness.SignatureValid(r), r.RawQuery));
        Assert.Equal(40, _venue.Requests.Select(r => RestHarness.Param(r.RawQuery, "origClientOrderId")).Distinct().Count());
    }

    [Fact]
    public async Task Requests_share_one_kept_alive_http_1_1_connection()
    {
        _venue.Route("POST /fapi/v1/order", _ => VenueReply.Json(OrderJson));
        using var client = RestHarness.Client(_venue);

        for (var i = 0; i < 5; i++)
        {
            Assert.True((await client.GetServerTimeAsync()).IsSuccess);
            Assert.True((await client.PlaceOrderAsync(new NewOrderRequest
            {
                Symbol = "BTCUSDT", Side = Side.Buy, Type = OrderKind.Market, Quantity = Quantity.Parse("0.001"u8), NewClientOrderId = $"k-{i}",
            })).IsSuccess);
        }

        Assert.Equal(10, _venue.Requests.Count);
        Assert.All(_venue.Requests, r => Assert.Equal("HTTP/1.1", r.Protocol));
        Assert.Single(_venue.Requests.Select(r => r.ConnectionId).Distinct());
        Assert.All(_venue.Requests, r => Assert.Null(r.Header("Expect")));
    }

    internal const string OrderJson = """
        {"orderId":336829446,"symbol":"BTCUSDT","status":"NEW","clientOrderId":"FqEw6cn0vDhrkmfiwLYPeo",
         "price":"42088.00","avgPrice":"0.00","origQty":"0.100","executedQty":"0.000","cumQty":"0.000",
         "cumQuote":"0.00000","timeInForce":"GTC","type":"LIMIT","reduceOnly":false,"closePosition":false,
         "side":"BUY","positionSide":"BOTH","stopPrice":"0.00","workingType":"CONTRACT_PRICE","priceProtect":false,
         "origType":"LIMIT","priceMatch":"NONE","selfTradePreventionMode":"NONE","goodTillDate":0,
         "updateTime":1705385954229}
        """;
}
