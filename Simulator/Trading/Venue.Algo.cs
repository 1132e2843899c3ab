using System.Text.Json;

namespace Simulator;

/// <summary>An algo (conditional) order as the REST layer parsed it.</summary>
internal sealed class AlgoRequest
{
    public required MarketSymbol Symbol;
    public bool IsBuy;
    public required string Type;
    public decimal? Quantity;
    public decimal? Price;
    public decimal TriggerPrice;
    public string WorkingType = "CONTRACT_PRICE";
    public string TimeInForce = "GTC";
    public bool ClosePosition;
    public bool ReduceOnly;
    public bool PriceProtect;
    public string? ClientAlgoId;
}

internal sealed partial class Venue
{
    private const int MaxAlgoOrders = 200;

    public AlgoOrder PlaceAlgo(AlgoRequest r)
    {
        lock (Gate)
        {
            var now = Now;
            var s = r.Symbol;
            var spec = s.Spec;
            var isLimit = r.Type is "STOP" or "TAKE_PROFIT";
            if (r.ClosePosition && (r.Quantity is not null))
            {
                throw VenueException.Bad(-4137, "Quantity must be zero with closePosition equals true.");
            }

            if (r.ClosePosition && r.ReduceOnly)
            {
                throw VenueException.Bad(-4138, "Reduce only must be true with closePosition equals true.");
            }

            if (Num.Scale(r.TriggerPrice) > spec.PricePrecision || (r.Quantity is { } q0 && Num.Scale(q0) > spec.QuantityPrecision)
                || (r.Price is { } p0 && Num.Scale(p0) > spec.PricePrecision))
            {
                throw VenueException.Bad(-1111, "Precision is over the maximum defined for this asset.");
            }

            if (r.TriggerPrice <= 0)
            {
                throw VenueException.Bad(-4006, "Stop price less than zero.");
            }

            if (r.TriggerPrice > spec.MaxPrice)
            {
                throw VenueException.Bad(-4007, "Stop price greater than max price.");
            }

            if ((r.TriggerPrice - spec.MinPrice) % spec.TickSize != 0)
            {
                throw VenueException.Bad(-4014, "Price not increased by tick size.");
            }

            if (isLimit)
            {
                CheckPriceFilter(spec, r.Price ?? 0m);
            }

            if (!r.ClosePosition)
            {
                CheckLot(spec, r.Quantity ?? 0m, isLimit ? spec.MaxQty : spec.MarketMaxQty);
            }

            var clientId = r.ClientAlgoId ?? NewClientId();
            if (_openAlgos.Exists(a => string.Equals(a.ClientAlgoId, clientId, StringComparison.Ordinal)))
            {
                throw VenueException.Bad(-4116, "clientOrderId is duplicated.");
            }

            if (_openAlgos.Count >= MaxAlgoOrders)
            {
                throw VenueException.Bad(-4045, "Reach max stop order limit.");
            }

            var algo = new AlgoOrder
            {
                AlgoId = _nextAlgoId++,
                ClientAlgoId = clientId,
                Symbol = s,
                IsBuy = r.IsBuy,
                OrderType = r.Type,
                TimeInForce = r.TimeInForce,
                Quantity = r.Quantity ?? 0m,
                Price = r.Price ?? 0m,
                TriggerPrice = r.TriggerPrice,
                WorkingType = r.WorkingType,
                ClosePosition = r.ClosePosition,
                ReduceOnly = r.ReduceOnly || r.ClosePosition,
                PriceProtect = r.PriceProtect,
                CreateTime = now,
                UpdateTime = now,
            };
            if (algo.Fires(TriggerReference(algo)))
            {
                throw VenueException.Bad(-2021, "Order would immediately trigger.");
            }

            _algos[algo.AlgoId] = algo;
            _openAlgos.Add(algo);
            AlgoEvent(algo, now);
            return algo;
        }
    }

    public AlgoOrder CancelAlgo(long? algoId, string? clientAlgoId)
    {
        lock (Gate)
        {
            var a = FindAlgo(algoId, clientAlgoId);
            if (a is null || !a.IsOpen)
            {
                throw VenueException.Bad(-2011, "Unknown order sent.");
            }

            var now = Now;
            a.Status = "CANCELED";
            a.UpdateTime = now;
            _openAlgos.Remove(a);
            AlgoEvent(a, now);
            return a;
        }
    }

    public AlgoOrder QueryAlgo(long? algoId, string? clientAlgoId)
    {
        lock (Gate)
        {
            return FindAlgo(algoId, clientAlgoId) ?? throw VenueException.Bad(-2013, "Order does not exist.");
        }
    }

    public int CancelAllAlgos(MarketSymbol s)
    {
        lock (Gate)
        {
            var now = Now;
            var victims = _openAlgos.FindAll(a => a.Symbol == s);
            foreach (var a in victims)
            {
                a.Status = "CANCELED";
                a.UpdateTime = now;
                _openAlgos.Remove(a);
                AlgoEvent(a, now);
            }

            return victims.Count;
        }
    }

    private AlgoOrder? FindAlgo(long? algoId, string? clientAlgoId)
    {
        if (algoId is { } id)
        {
            return _algos.GetValueOrDefault(id);
        }

        AlgoOrder? found = null;
        foreach (var a in _algos.Values)
        {
            if (string.Equals(a.ClientAlgoId, clientAlgoId, StringComparison.Ordinal) && (found is null || a.AlgoId > found.AlgoId))
            {
                found = a;
            }
        }

        return found;
    }

    private static decimal TriggerReference(AlgoOrder a) => a.WorkingType == "MARK_PRICE" ? a.Symbol.MarkPrice : a.Symbol.Last;

    /// <summary>Fires algo orders whose trigger the step's price reached; the resulting order goes through matching like any other.</summary>
    private void TriggerAlgos(MarketSymbol s, long now)
    {
        for (var i = 0; i < _openAlgos.Count; i++)
        {
            var a = _openAlgos[i];
            if (a.Symbol != s || !a.Fires(TriggerReference(a)))
            {
                continue;
            }

            _openAlgos.RemoveAt(i);
            i--;
            a.TriggerTime = now;
            a.UpdateTime = now;
            var pos = PositionOf(s);
            var qty = a.ClosePosition ? Math.Abs(pos.Amount) : a.Quantity;
            var isLimit = a.OrderType is "STOP" or "TAKE_PROFIT";
            if (qty <= 0 || ((a.ClosePosition || a.ReduceOnly) && (pos.Amount == 0 || (pos.Amount > 0) == a.IsBuy)))
            {
                a.Status = "REJECTED";
                a.RejectReason = "Reduce Only reject";
                AlgoEvent(a, now);
                continue;
            }

            var order = new Order
            {
                OrderId = _nextOrderId++,
                ClientOrderId = a.ClientAlgoId,
                Symbol = s,
                IsBuy = a.IsBuy,
                Type = isLimit ? "LIMIT" : "MARKET",
                OrigType = a.OrderType,
                TimeInForce = a.TimeInForce,
                Price = isLimit ? a.Price : 0m,
                OrigQty = qty,
                ReduceOnly = a.ReduceOnly,
                ClosePosition = a.ClosePosition,
                StopPrice = a.TriggerPrice,
                WorkingType = a.WorkingType,
                PriceProtect = a.PriceProtect,
                Time = now,
                UpdateTime = now,
            };
            _orders[order.OrderId] = order;
            a.ActualOrderId = order.OrderId;
            a.Status = "TRIGGERED";
            AlgoEvent(a, now);
            OrderEvent(order, "NEW", now);
            Take(order, now);
            if (order.Remaining > 0 && order.IsOpen)
            {
                if (isLimit && order.TimeInForce == "GTC")
                {
                    _openOrders.Add(order);
                }
                else
                {
                    order.Status = "EXPIRED";
                    OrderEvent(order, "EXPIRED", now, expiryReason: 9);
                }
            }

            a.Status = "FINISHED";
            a.UpdateTime = now;
            AlgoEvent(a, now);
        }
    }

    public static byte[] AlgoJson(AlgoOrder a) => JsonOut.Build(w => WriteAlgo(w, a));

    public static void WriteAlgo(Utf8JsonWriter w, AlgoOrder a)
    {
        var spec = a.Symbol.Spec;
        w.WriteStartObject();
        w.WriteNumber("algoId", a.AlgoId);
        w.WriteString("clientAlgoId", a.ClientAlgoId);
        w.WriteString("algoType", "CONDITIONAL");
        w.WriteString("orderType", a.OrderType);
        w.WriteString("symbol", spec.Symbol);
        w.WriteString("side", a.Side);
        w.WriteString("positionSide", "BOTH");
        w.WriteString("timeInForce", a.TimeInForce);
        w.WriteString("quantity", Num.Qty(spec, a.Quantity));
        w.WriteString("algoStatus", a.Status);
        w.WriteString("actualOrderId", a.ActualOrderId == 0 ? "" : a.ActualOrderId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("triggerPrice", Num.Price(spec, a.TriggerPrice));
        w.WriteString("price", Num.Price(spec, a.Price));
        w.WriteNull("icebergQuantity");
        w.WriteString("selfTradePreventionMode", "EXPIRE_MAKER");
        w.WriteString("workingType", a.WorkingType);
        w.WriteString("priceMatch", "NONE");
        w.WriteBoolean("closePosition", a.ClosePosition);
        w.WriteBoolean("priceProtect", a.PriceProtect);
        w.WriteBoolean("reduceOnly", a.ReduceOnly);
        w.WriteString("activatePrice", "");
        w.WriteString("callbackRate", "");
        w.WriteNumber("createTime", a.CreateTime);
        w.WriteNumber("updateTime", a.UpdateTime);
        w.WriteNumber("triggerTime", a.TriggerTime);
        w.WriteNumber("goodTillDate", 0);
        w.WriteEndObject();
    }

    private void AlgoEvent(AlgoOrder a, long now)
    {
        var spec = a.Symbol.Spec;
        var order = a.ActualOrderId != 0 ? _orders.GetValueOrDefault(a.ActualOrderId) : null;
        Sink.OnUserEvent(JsonOut.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("e", "ALGO_UPDATE");
            w.WriteNumber("T", now);
            w.WriteNumber("E", now);
            w.WritePropertyName("o");
            w.WriteStartObject();
            w.WriteString("caid", a.ClientAlgoId);
            w.WriteNumber("aid", a.AlgoId);
            w.WriteString("at", "CONDITIONAL");
            w.WriteString("o", a.OrderType);
            w.WriteString("s", spec.Symbol);
            w.WriteString("S", a.Side);
            w.WriteString("ps", "BOTH");
            w.WriteString("f", a.TimeInForce);
            w.WriteString("q", Num.Qty(spec, a.Quantity));
            w.WriteString("X", a.Status);
            w.WriteString("ai", a.ActualOrderId == 0 ? "" : a.ActualOrderId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("ap", Num.Bounded(order?.AvgPrice ?? 0m, 5));
            w.WriteString("aq", Num.Bounded(order?.ExecutedQty ?? 0m, 5));
            w.WriteString("act", order is null ? "0" : order.Type);
            w.WriteString("tp", Num.Plain(a.TriggerPrice));
            w.WriteString("p", Num.Plain(a.Price));
            w.WriteString("V", "EXPIRE_MAKER");
            w.WriteString("wt", a.WorkingType);
            w.WriteString("pm", "NONE");
            w.WriteBoolean("cp", a.ClosePosition);
            w.WriteBoolean("pP", a.PriceProtect);
            w.WriteBoolean("R", a.ReduceOnly);
            w.WriteNumber("tt", a.TriggerTime);
            w.WriteNumber("gtd", 0);
            w.WriteString("rm", a.RejectReason);
            w.WriteEndObject();
            w.WriteEndObject();
        }));
    }
}
