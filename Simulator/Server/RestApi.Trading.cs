using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Simulator;

internal sealed partial class RestApi
{
    private static readonly HashSet<string> Conditional = new(StringComparer.Ordinal) { "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET" };
    private static readonly HashSet<string> TimeInForces = new(StringComparer.Ordinal) { "GTC", "IOC", "FOK", "GTX", "GTD" };
    private static readonly HashSet<string> StpModes = new(StringComparer.Ordinal) { "NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH" };

    private void RegisterTrading()
    {
        Add("POST", "/fapi/v1/order", Security.Signed, 0, OrderParams, p => PlaceOrder(p, test: false), isOrder: true);
        Add("POST", "/fapi/v1/order/test", Security.Signed, 0, OrderParams, p => PlaceOrder(p, test: true));
        Add("DELETE", "/fapi/v1/order", Security.Signed, 1, ["symbol", "orderId", "origClientOrderId"], CancelOrder);
        Add("GET", "/fapi/v1/order", Security.Signed, 1, ["symbol", "orderId", "origClientOrderId"], QueryOrder);
        Add("POST", "/fapi/v1/batchOrders", Security.Signed, 5, ["batchOrders"], BatchOrders, isOrder: true);
        Add("DELETE", "/fapi/v1/allOpenOrders", Security.Signed, 1, ["symbol"], CancelAll);
        Add("GET", "/fapi/v1/openOrders", Security.Signed, p => p.Has("symbol") ? 1 : 40, ["symbol"], OpenOrders);
        Add("GET", "/fapi/v1/allOrders", Security.Signed, 5, ["symbol", "orderId", "startTime", "endTime", "limit"], AllOrders);
        Add("GET", "/fapi/v1/userTrades", Security.Signed, 5, ["symbol", "orderId", "startTime", "endTime", "fromId", "limit"], UserTrades);
        Add("POST", "/fapi/v1/leverage", Security.Signed, 1, ["symbol", "leverage"], Leverage);
        Add("POST", "/fapi/v1/marginType", Security.Signed, 1, ["symbol", "marginType"], MarginType);
        Add("POST", "/fapi/v1/listenKey", Security.UserStream, 1, [], _ => ListenKeyReply(_venue.CreateListenKey()));
        Add("PUT", "/fapi/v1/listenKey", Security.UserStream, 1, ["listenKey"], _ => ListenKeyReply(_venue.KeepAliveListenKey()));
        Add("DELETE", "/fapi/v1/listenKey", Security.UserStream, 1, ["listenKey"], _ =>
        {
            _venue.DeleteListenKey();
            return Reply.Ok("{}"u8.ToArray());
        });
        Add("POST", "/fapi/v1/algoOrder", Security.Signed, 0,
            ["algoType", "symbol", "side", "positionSide", "type", "timeInForce", "quantity", "price", "triggerPrice", "workingType", "priceMatch",
             "closePosition", "priceProtect", "reduceOnly", "activatePrice", "callbackRate", "clientAlgoId", "newOrderRespType", "selfTradePreventionMode", "goodTillDate"],
            PlaceAlgo, isOrder: true);
        Add("DELETE", "/fapi/v1/algoOrder", Security.Signed, 1, ["algoId", "clientAlgoId"], p => AlgoReply(_venue.CancelAlgo(p.Long("algoId"), AlgoKey(p))));
        Add("GET", "/fapi/v1/algoOrder", Security.Signed, 1, ["algoId", "clientAlgoId"], p => AlgoReply(_venue.QueryAlgo(p.Long("algoId"), AlgoKey(p))));
        Add("GET", "/fapi/v1/openAlgoOrders", Security.Signed, p => p.Has("symbol") ? 1 : 40, ["symbol", "algoType"], OpenAlgos);
        Add("DELETE", "/fapi/v1/algoOpenOrders", Security.Signed, 1, ["symbol"], p =>
        {
            _venue.CancelAllAlgos(Symbol(p));
            return CodeMsg(200, "The operation of cancel all open order is done.");
        });
    }

    /// <summary>algoOrder.cancel's answer on the WebSocket API: the ids and a code/msg pair, not the algo order.</summary>
    internal Reply CancelAlgoAck(RequestParams p)
    {
        var a = _venue.CancelAlgo(p.Long("algoId"), AlgoKey(p));
        long id;
        string clientId;
        lock (_venue.Gate)
        {
            id = a.AlgoId;
            clientId = a.ClientAlgoId;
        }

        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("algoId", id);
            w.WriteString("clientAlgoId", clientId);
            w.WriteString("code", "200");
            w.WriteString("msg", "success");
            w.WriteEndObject();
        });
    }

    private Reply AlgoReply(AlgoOrder a)
    {
        lock (_venue.Gate)
        {
            return Reply.Ok(Venue.AlgoJson(a));
        }
    }

    private static string? AlgoKey(RequestParams p) =>
        p.Long("algoId") is null ? p.Get("clientAlgoId") ?? throw VenueException.Bad(-1102, "Param 'algoId' or 'clientAlgoId' must be sent, but both were empty/null!") : null;

    private static Reply ListenKeyReply(string key) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("listenKey", key);
        w.WriteEndObject();
    });

    /// <summary>Mandatory parameters and enums in the order of §8: -1102, -1116/-4120, -1117, -1115, -1121, -1106.</summary>
    internal OrderRequest ParseOrder(RequestParams p)
    {
        var symbolName = p.Required("symbol");
        var side = p.Required("side");
        var type = p.Required("type");
        if (Conditional.Contains(type))
        {
            throw VenueException.Bad(-4120, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.");
        }

        if (type is not ("LIMIT" or "MARKET"))
        {
            throw VenueException.Bad(-1116, "Invalid orderType.");
        }

        if (side is not ("BUY" or "SELL"))
        {
            throw VenueException.Bad(-1117, "Invalid side.");
        }

        var isLimit = type == "LIMIT";
        var tif = p.Get("timeInForce");
        if (isLimit)
        {
            if (tif is null)
            {
                throw VenueException.Mandatory("timeInForce");
            }

            if (!TimeInForces.Contains(tif))
            {
                throw VenueException.Bad(-1115, "Invalid timeInForce.");
            }
        }

        var s = Symbol(symbolName);
        var quantity = p.Decimal("quantity") ?? throw VenueException.Mandatory("quantity");
        decimal? price = null;
        if (isLimit)
        {
            if (p.Get("priceMatch") is { } pm && pm != "NONE")
            {
                throw VenueException.Bad(-1130, "Data sent for parameter 'priceMatch' is not valid.");
            }

            price = p.Decimal("price") ?? throw VenueException.Mandatory("price");
        }
        else if (p.Get("price") is not null)
        {
            throw VenueException.NotRequired("price");
        }

        foreach (var legacy in (string[])["stopPrice", "activationPrice", "callbackRate", "workingType", "priceProtect"])
        {
            if (p.Get(legacy) is not null)
            {
                throw VenueException.NotRequired(legacy);
            }
        }

        if (p.Bool("closePosition"))
        {
            throw VenueException.NotRequired("closePosition");
        }

        if (p.Get("positionSide") is { } ps && ps != "BOTH")
        {
            throw VenueException.Bad(-4061, "Order's position side does not match user's setting.");
        }

        var clientId = p.Get("newClientOrderId");
        if (clientId is not null)
        {
            if (clientId.Length > 36)
            {
                throw VenueException.Bad(-4015, "Client order id length should not be more than 36 chars");
            }

            if (!ClientIdPattern().IsMatch(clientId))
            {
                throw VenueException.Bad(-1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.");
            }
        }

        var respType = p.Get("newOrderRespType") ?? "ACK";
        if (respType is not ("ACK" or "RESULT"))
        {
            throw VenueException.Bad(-1130, "Data sent for parameter 'newOrderRespType' is not valid.");
        }

        var stp = p.Get("selfTradePreventionMode") ?? "EXPIRE_MAKER";
        if (!StpModes.Contains(stp))
        {
            throw VenueException.Bad(-1130, "Data sent for parameter 'selfTradePreventionMode' is not valid.");
        }

        long gtd = 0;
        if (tif == "GTD")
        {
            gtd = p.Long("goodTillDate") ?? throw VenueException.Mandatory("goodTillDate");
            if (gtd <= _venue.Now + 600_000 || gtd >= 253402300799000)
            {
                throw VenueException.Bad(-5040, "The goodTillDate timestamp must be greater than the current time plus 600 seconds and smaller than 253402300799000 (UTC 9999-12-31 23:59:59)");
            }
        }

        return new OrderRequest
        {
            Symbol = s,
            IsBuy = side == "BUY",
            Type = type,
            TimeInForce = isLimit ? tif! : "GTC",
            Price = price,
            Quantity = quantity,
            ReduceOnly = p.Bool("reduceOnly"),
            ClientOrderId = clientId,
            ResultResponse = respType == "RESULT",
            GoodTillDate = gtd,
            SelfTradePreventionMode = stp,
        };
    }

    private Reply PlaceOrder(RequestParams p, bool test)
    {
        var r = ParseOrder(p);
        if (test)
        {
            return Reply.Ok("{}"u8.ToArray());
        }

        return Reply.Ok(_venue.PlaceOrder(r).Response);
    }

    private static (long? Id, string? ClientId) OrderKey(RequestParams p)
    {
        var id = p.Long("orderId");
        var client = p.Get("origClientOrderId");
        if (id is null && client is null)
        {
            throw VenueException.Bad(-1102, "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!");
        }

        return (id, client);
    }

    private Reply CancelOrder(RequestParams p)
    {
        var s = Symbol(p);
        var (id, client) = OrderKey(p);
        var o = _venue.CancelOrder(s, id, client);
        lock (_venue.Gate)
        {
            return Reply.Ok(Venue.OrderJson(o, forQuery: false));
        }
    }

    private Reply QueryOrder(RequestParams p)
    {
        var s = Symbol(p);
        var (id, client) = OrderKey(p);
        var o = _venue.QueryOrder(s, id, client);
        lock (_venue.Gate)
        {
            return Reply.Ok(Venue.OrderJson(o, forQuery: true));
        }
    }

    private Reply CancelAll(RequestParams p)
    {
        _venue.CancelAll(Symbol(p));
        return CodeMsg(200, "The operation of cancel all open order is done.");
    }

    private Reply OpenOrders(RequestParams p)
    {
        var s = OptionalSymbol(p);
        lock (_venue.Gate)
        {
            return Json(w =>
            {
                w.WriteStartArray();
                foreach (var o in _venue.OpenOrders)
                {
                    if (s is null || o.Symbol == s)
                    {
                        Venue.WriteOrder(w, o, forQuery: true);
                    }
                }

                w.WriteEndArray();
            });
        }
    }

    private Reply AllOrders(RequestParams p)
    {
        var s = Symbol(p);
        var fromId = p.Long("orderId");
        var start = p.Long("startTime");
        var end = p.Long("endTime");
        var limit = (int)(p.Long("limit") ?? 500);
        if (limit is < 1 or > 1000)
        {
            throw VenueException.Bad(-1130, "Data sent for parameter 'limit' is not valid.");
        }

        lock (_venue.Gate)
        {
            var list = _venue.AllOrders(s).Where(o => (fromId is null || o.OrderId >= fromId) && (start is null || o.Time >= start) && (end is null || o.Time <= end)).Take(limit).ToList();
            return Json(w =>
            {
                w.WriteStartArray();
                foreach (var o in list)
                {
                    Venue.WriteOrder(w, o, forQuery: true);
                }

                w.WriteEndArray();
            });
        }
    }

    private Reply BatchOrders(RequestParams p)
    {
        var raw = p.Required("batchOrders");
        List<RequestParams> items;
        try
        {
            using var doc = JsonDocument.Parse(raw);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw VenueException.Bad(-1130, "Data sent for parameter 'batchOrders' is not valid.");
            }

            items = [];
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Object)
                {
                    throw VenueException.Bad(-1130, "Data sent for parameter 'batchOrders' is not valid.");
                }

                var q = new StringBuilder();
                foreach (var prop in e.EnumerateObject())
                {
                    var v = prop.Value.ValueKind switch
                    {
                        JsonValueKind.String => prop.Value.GetString()!,
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        _ => prop.Value.GetRawText(),
                    };
                    q.Append(q.Length == 0 ? "" : "&").Append(Uri.EscapeDataString(prop.Name)).Append('=').Append(Uri.EscapeDataString(v));
                }

                items.Add(new RequestParams(q.ToString(), ""));
            }
        }
        catch (JsonException)
        {
            throw VenueException.Bad(-1130, "Data sent for parameter 'batchOrders' is not valid.");
        }

        if (items.Count is < 1 or > 5)
        {
            throw VenueException.Bad(-4082, $"Invalid number of batch place orders: {items.Count.ToString(CultureInfo.InvariantCulture)}");
        }

        var results = new List<byte[]>(items.Count);
        foreach (var item in items)
        {
            try
            {
                var unknown = item.Names.FirstOrDefault(n => !OrderParams.Contains(n, StringComparer.Ordinal));
                if (unknown is not null)
                {
                    throw VenueException.Bad(-1104, $"Not all sent parameters were read; read '{item.Names.Count() - 1}' parameter(s) but was sent '{item.Names.Count()}'.");
                }

                results.Add(_venue.PlaceOrder(ParseOrder(item)).Response);
            }
            catch (VenueException e)
            {
                results.Add(JsonOut.Error(e.Code, e.Message));
            }
        }

        return Json(w =>
        {
            w.WriteStartArray();
            foreach (var r in results)
            {
                w.WriteRawValue(r, skipInputValidation: true);
            }

            w.WriteEndArray();
        });
    }

    private Reply UserTrades(RequestParams p)
    {
        var s = Symbol(p);
        var orderId = p.Long("orderId");
        var start = p.Long("startTime");
        var end = p.Long("endTime");
        var fromId = p.Long("fromId");
        var limit = (int)(p.Long("limit") ?? 500);
        if (limit is < 1 or > 1000)
        {
            throw VenueException.Bad(-1130, "Data sent for parameter 'limit' is not valid.");
        }

        if (fromId is not null && (start is not null || end is not null))
        {
            throw VenueException.Bad(-1128, "Combination of optional parameters invalid.");
        }

        if (start is not null && end is not null && (end - start > 7 * 86_400_000L || end < start))
        {
            throw VenueException.Bad(-1127, "More than 7 days between startTime and endTime.");
        }

        lock (_venue.Gate)
        {
            var list = _venue.Trades.Where(t => t.Symbol == s.Spec.Symbol && (orderId is null || t.OrderId == orderId)
                && (fromId is null || t.Id >= fromId) && (start is null || t.Time >= start) && (end is null || t.Time <= end)).ToList();
            if (fromId is null && start is null)
            {
                list = list.Skip(Math.Max(0, list.Count - limit)).ToList();
            }
            else
            {
                list = list.Take(limit).ToList();
            }

            var spec = s.Spec;
            return Json(w =>
            {
                w.WriteStartArray();
                foreach (var t in list)
                {
                    w.WriteStartObject();
                    w.WriteBoolean("buyer", t.IsBuy);
                    w.WriteString("commission", Num.Fixed(t.Commission, 8));
                    w.WriteString("commissionAsset", Venue.Asset);
                    w.WriteNumber("id", t.Id);
                    w.WriteBoolean("maker", t.Maker);
                    w.WriteNumber("orderId", t.OrderId);
                    w.WriteString("price", Num.Price(spec, t.Price));
                    w.WriteString("qty", Num.Qty(spec, t.Qty));
                    w.WriteString("quoteQty", Num.Bounded(t.Price * t.Qty, 5));
                    w.WriteString("realizedPnl", Num.Fixed(t.RealizedPnl, 8));
                    w.WriteString("side", t.IsBuy ? "BUY" : "SELL");
                    w.WriteString("positionSide", "BOTH");
                    w.WriteString("symbol", t.Symbol);
                    w.WriteNumber("time", t.Time);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            });
        }
    }

    private Reply Leverage(RequestParams p)
    {
        var s = Symbol(p);
        var raw = p.Required("leverage");
        if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var lev) || lev is < 1 or > 125)
        {
            throw VenueException.Bad(-4028, $"Leverage {raw} is not valid");
        }

        var set = _venue.SetLeverage(s, lev);
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("leverage", set);
            w.WriteString("maxNotionalValue", MaxNotional(set));
            w.WriteString("symbol", s.Spec.Symbol);
            w.WriteEndObject();
        });
    }

    internal static string MaxNotional(int leverage) => leverage switch
    {
        > 100 => "50000",
        > 50 => "250000",
        > 20 => "1000000",
        > 10 => "5000000",
        _ => "20000000",
    };

    private Reply MarginType(RequestParams p)
    {
        var s = Symbol(p);
        var type = p.Required("marginType");
        if (type is not ("ISOLATED" or "CROSSED"))
        {
            throw VenueException.Bad(-1130, "Data sent for parameter 'marginType' is not valid.");
        }

        _venue.SetMarginType(s, type == "ISOLATED");
        return CodeMsg(200, "success");
    }

    private Reply PlaceAlgo(RequestParams p)
    {
        var algoType = p.Required("algoType");
        var symbolName = p.Required("symbol");
        var side = p.Required("side");
        var type = p.Required("type");
        if (algoType != "CONDITIONAL")
        {
            throw VenueException.Bad(-1130, "Data sent for parameter 'algoType' is not valid.");
        }

        if (type is not ("STOP_MARKET" or "TAKE_PROFIT_MARKET" or "STOP" or "TAKE_PROFIT"))
        {
            throw VenueException.Bad(-1116, "Invalid orderType.");
        }

        if (side is not ("BUY" or "SELL"))
        {
            throw VenueException.Bad(-1117, "Invalid side.");
        }

        var isLimit = type is "STOP" or "TAKE_PROFIT";
        var tif = p.Get("timeInForce") ?? "GTC";
        if (!TimeInForces.Contains(tif))
        {
            throw VenueException.Bad(-1115, "Invalid timeInForce.");
        }

        var s = Symbol(symbolName);
        var closePosition = p.Bool("closePosition");
        var trigger = p.Decimal("triggerPrice") ?? throw VenueException.Mandatory("triggerPrice");
        var quantity = p.Decimal("quantity");
        if (quantity is null && !closePosition)
        {
            throw VenueException.Mandatory("quantity");
        }

        var price = p.Decimal("price");
        if (isLimit && price is null)
        {
            throw VenueException.Mandatory("price");
        }

        if (!isLimit && price is not null)
        {
            throw VenueException.NotRequired("price");
        }

        if (closePosition && isLimit)
        {
            throw VenueException.NotRequired("closePosition");
        }

        if (p.Get("positionSide") is { } ps && ps != "BOTH")
        {
            throw VenueException.Bad(-4061, "Order's position side does not match user's setting.");
        }

        if (p.Get("activatePrice") is not null || p.Get("callbackRate") is not null)
        {
            throw VenueException.NotRequired(p.Get("activatePrice") is not null ? "activatePrice" : "callbackRate");
        }

        var working = p.Get("workingType") ?? "CONTRACT_PRICE";
        if (working is not ("CONTRACT_PRICE" or "MARK_PRICE"))
        {
            throw VenueException.Bad(-1130, "Data sent for parameter 'workingType' is not valid.");
        }

        var clientId = p.Get("clientAlgoId");
        if (clientId is not null && !ClientIdPattern().IsMatch(clientId))
        {
            throw VenueException.Bad(-1100, "Illegal characters found in parameter 'clientAlgoId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.");
        }

        var algo = _venue.PlaceAlgo(new AlgoRequest
        {
            Symbol = s,
            IsBuy = side == "BUY",
            Type = type,
            Quantity = quantity,
            Price = price,
            TriggerPrice = trigger,
            WorkingType = working,
            TimeInForce = tif,
            ClosePosition = closePosition,
            ReduceOnly = p.Bool("reduceOnly"),
            PriceProtect = p.Bool("priceProtect"),
            ClientAlgoId = clientId,
        });
        lock (_venue.Gate)
        {
            return Reply.Ok(Venue.AlgoJson(algo));
        }
    }

    private Reply OpenAlgos(RequestParams p)
    {
        var s = OptionalSymbol(p);
        lock (_venue.Gate)
        {
            return Json(w =>
            {
                w.WriteStartArray();
                foreach (var a in _venue.OpenAlgos)
                {
                    if (s is null || a.Symbol == s)
                    {
                        Venue.WriteAlgo(w, a);
                    }
                }

                w.WriteEndArray();
            });
        }
    }
}
