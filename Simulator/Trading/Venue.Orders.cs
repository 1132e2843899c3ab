using System.Text.Json;

namespace Simulator;

internal sealed partial class Venue
{
    private const int MaxOpenOrdersPerSymbol = 200;

    /// <summary>History kept for queries; beyond it the oldest closed orders and trades are forgotten (as the real venue forgets old orders).</summary>
    internal const int MaxRemembered = 200_000;
    private const decimal PercentPriceUp = 1.05m;
    private const decimal PercentPriceDown = 0.95m;

    /// <summary>Result of a new order: the order and the JSON the REST answer carries (ACK = state before matching).</summary>
    public readonly record struct Placed(Order Order, byte[] Response);

    /// <summary>Applies the filters in the order of BINANCE_USDM.md §8, then matches. Throws <see cref="VenueException"/>.</summary>
    public Placed PlaceOrder(OrderRequest r)
    {
        lock (Gate)
        {
            var now = Now;
            var s = r.Symbol;
            var spec = s.Spec;
            var isMarket = r.Type == "MARKET";
            var qty = r.Quantity ?? 0m;
            var price = r.Price ?? 0m;

            if (Num.Scale(qty) > spec.QuantityPrecision || (!isMarket && Num.Scale(price) > spec.PricePrecision))
            {
                throw VenueException.Bad(-1111, "Precision is over the maximum defined for this asset.");
            }

            if (!isMarket)
            {
                CheckPriceFilter(spec, price);
            }

            CheckLot(spec, qty, isMarket ? spec.MarketMaxQty : spec.MaxQty);

            if (!isMarket)
            {
                var mark = s.MarkPrice;
                if (r.IsBuy && price > mark * PercentPriceUp)
                {
                    var cap = Math.Floor(mark * PercentPriceUp / spec.TickSize) * spec.TickSize;
                    throw VenueException.Bad(-4016, $"Limit price can't be higher than {Num.Price(spec, cap)}.");
                }

                if (!r.IsBuy && price < mark * PercentPriceDown)
                {
                    var floor = Math.Ceiling(mark * PercentPriceDown / spec.TickSize) * spec.TickSize;
                    throw VenueException.Bad(-4024, $"Limit price can't be lower than {Num.Price(spec, floor)}.");
                }
            }

            var notionalPrice = isMarket ? s.MarkPrice : price;
            if (!r.ReduceOnly && notionalPrice * qty < spec.MinNotional)
            {
                throw VenueException.Bad(-4164, $"Order's notional must be no smaller than {Num.Plain(spec.MinNotional)} (unless you choose reduce only).");
            }

            var clientId = r.ClientOrderId ?? NewClientId();
            if (_openOrders.Exists(o => string.Equals(o.ClientOrderId, clientId, StringComparison.Ordinal)))
            {
                throw VenueException.Bad(-4116, "clientOrderId is duplicated.");
            }

            if (_openOrders.Count(o => o.Symbol == s) + _openAlgos.Count(a => a.Symbol == s) >= MaxOpenOrdersPerSymbol)
            {
                throw VenueException.Bad(-2025, "Reach max open order limit.");
            }

            if (_rejectNextOrders > 0)
            {
                _rejectNextOrders--;
                throw VenueException.Bad(_rejectCode, _rejectCode == -2010 ? "NEW_ORDER_REJECTED" : "Order rejected by the simulator's fault switch.");
            }

            var marginPrice = isMarket ? (r.IsBuy ? s.BestAsk : s.BestBid) : price;
            var required = OrderMargin(s, r.IsBuy, qty, marginPrice, r.ReduceOnly);
            if (required > Available)
            {
                throw VenueException.Bad(-2019, "Margin is insufficient.");
            }

            var pos = PositionOf(s);
            if (r.ReduceOnly && (pos.Amount == 0 || (pos.Amount > 0) == r.IsBuy))
            {
                throw VenueException.Bad(-2022, "ReduceOnly Order is rejected.");
            }

            if (!isMarket)
            {
                var marketable = r.IsBuy ? price >= s.BestAsk : price <= s.BestBid;
                if (r.TimeInForce == "GTX" && marketable)
                {
                    throw VenueException.Bad(-5022, "Due to the order could not be executed as maker, the Post Only order will be rejected.");
                }

                if (r.TimeInForce == "FOK" && Fillable(s, r.IsBuy, price, qty) < qty)
                {
                    throw VenueException.Bad(-5021, "Due to the order could not be filled immediately, the FOK order has been rejected.");
                }
            }

            var order = new Order
            {
                OrderId = _nextOrderId++,
                ClientOrderId = clientId,
                Symbol = s,
                IsBuy = r.IsBuy,
                Type = r.Type,
                OrigType = r.Type,
                TimeInForce = r.TimeInForce,
                Price = isMarket ? 0m : price,
                OrigQty = qty,
                ReduceOnly = r.ReduceOnly,
                Time = now,
                UpdateTime = now,
                GoodTillDate = r.GoodTillDate,
                SelfTradePreventionMode = r.SelfTradePreventionMode,
            };
            _orders[order.OrderId] = order;
            ForgetOldHistory();
            OrderEvent(order, "NEW", now);
            var ack = r.ResultResponse ? null : OrderJson(order, forQuery: false);

            Take(order, now);
            if (order.Remaining > 0 && order.IsOpen)
            {
                if (isMarket || order.TimeInForce is "IOC" or "FOK")
                {
                    order.Status = "EXPIRED";
                    order.UpdateTime = now;
                    OrderEvent(order, "EXPIRED", now, expiryReason: isMarket ? 9 : 2);
                }
                else
                {
                    _openOrders.Add(order);
                }
            }

            return new Placed(order, ack ?? OrderJson(order, forQuery: false));
        }
    }

    public Order CancelOrder(MarketSymbol s, long? orderId, string? clientId)
    {
        lock (Gate)
        {
            var o = Find(s, orderId, clientId);
            if (o is null || !o.IsOpen)
            {
                throw VenueException.Bad(-2011, "Unknown order sent.");
            }

            Cancel(o, Now);
            return o;
        }
    }

    public Order QueryOrder(MarketSymbol s, long? orderId, string? clientId)
    {
        lock (Gate)
        {
            return Find(s, orderId, clientId) ?? throw VenueException.Bad(-2013, "Order does not exist.");
        }
    }

    public int CancelAll(MarketSymbol s)
    {
        lock (Gate)
        {
            var now = Now;
            var victims = _openOrders.FindAll(o => o.Symbol == s);
            foreach (var o in victims)
            {
                Cancel(o, now);
            }

            return victims.Count;
        }
    }

    /// <summary>Keeps a long soak run's memory bounded: drops the oldest half of the closed orders and trades past the cap.</summary>
    private void ForgetOldHistory()
    {
        if (_orders.Count > MaxRemembered)
        {
            foreach (var id in _orders.Values.Where(o => !o.IsOpen).Select(o => o.OrderId).Order().Take(MaxRemembered / 2).ToList())
            {
                _orders.Remove(id);
            }
        }

        if (_trades.Count > MaxRemembered)
        {
            _trades.RemoveRange(0, MaxRemembered / 2);
        }
    }

    public IEnumerable<Order> AllOrders(MarketSymbol s) => _orders.Values.Where(o => o.Symbol == s).OrderBy(o => o.OrderId);

    private Order? Find(MarketSymbol s, long? orderId, string? clientId)
    {
        if (orderId is { } id)
        {
            return _orders.TryGetValue(id, out var o) && o.Symbol == s ? o : null;
        }

        Order? found = null;
        foreach (var o in _orders.Values)
        {
            if (o.Symbol == s && string.Equals(o.ClientOrderId, clientId, StringComparison.Ordinal) && (found is null || o.OrderId > found.OrderId))
            {
                found = o;
            }
        }

        return found;
    }

    private void Cancel(Order o, long now)
    {
        o.Status = "CANCELED";
        o.UpdateTime = now;
        _openOrders.Remove(o);
        OrderEvent(o, "CANCELED", now);
    }

    private static void CheckPriceFilter(SymbolSpec spec, decimal price)
    {
        if (price <= 0)
        {
            throw VenueException.Bad(-4001, "Price less than 0.");
        }

        if (price < spec.MinPrice)
        {
            throw VenueException.Bad(-4013, "Price less than min price.");
        }

        if (price > spec.MaxPrice)
        {
            throw VenueException.Bad(-4002, "Price greater than max price.");
        }

        if ((price - spec.MinPrice) % spec.TickSize != 0)
        {
            throw VenueException.Bad(-4014, "Price not increased by tick size.");
        }
    }

    private static void CheckLot(SymbolSpec spec, decimal qty, decimal maxQty)
    {
        if (qty <= 0)
        {
            throw VenueException.Bad(-4003, "Quantity less than or equal to zero.");
        }

        if (qty < spec.MinQty)
        {
            throw VenueException.Bad(-4004, "Quantity less than min quantity.");
        }

        if (qty > maxQty)
        {
            throw VenueException.Bad(-4005, "Quantity greater than max quantity.");
        }

        if ((qty - spec.MinQty) % spec.StepSize != 0)
        {
            throw VenueException.Bad(-4023, "Qty not increased by step size.");
        }
    }

    /// <summary>Book quantity an aggressive order could take up to its limit price (no limit for 0).</summary>
    private static decimal Fillable(MarketSymbol s, bool isBuy, decimal limit, decimal want)
    {
        var got = 0m;
        for (var i = 0; i < 1000 && got < want; i++)
        {
            var px = isBuy ? s.AskAt(i) : s.BidAt(i);
            if (px <= 0 || (limit > 0 && (isBuy ? px > limit : px < limit)))
            {
                break;
            }

            got += s.QuantityAt(px, bid: !isBuy);
        }

        return got;
    }

    /// <summary>The taker part: walks the synthetic book level by level (depth-based slippage), up to the limit price.</summary>
    private void Take(Order o, long now)
    {
        var s = o.Symbol;
        var limit = o.Type == "MARKET" ? 0m : o.Price;
        for (var i = 0; i < 1000 && o.Remaining > 0 && o.IsOpen; i++)
        {
            var px = o.IsBuy ? s.AskAt(i) : s.BidAt(i);
            if (px <= 0 || (limit > 0 && (o.IsBuy ? px > limit : px < limit)))
            {
                break;
            }

            var q = Math.Min(o.Remaining, s.QuantityAt(px, bid: !o.IsBuy));
            if (!Fill(o, px, q, maker: false, now))
            {
                break;
            }
        }
    }

    /// <summary>
    /// Resting limit orders fill at their own price as makers: by the step's traded volume when trades touch the price,
    /// by up to <see cref="MarketSymbol.ThroughVolume"/> per step while the book stands through it (so big orders fill in parts).
    /// </summary>
    private void MatchResting(MarketSymbol s, long now)
    {
        // the step's traded volume is shared by the resting orders in time priority, per side
        var usedByBuys = 0m;
        var usedBySells = 0m;
        for (var i = 0; i < _openOrders.Count; i++)
        {
            var o = _openOrders[i];
            if (o.Symbol != s)
            {
                continue;
            }

            if (o.TimeInForce == "GTD" && now >= o.GoodTillDate)
            {
                o.Status = "EXPIRED";
                o.UpdateTime = now;
                _openOrders.RemoveAt(i--);
                OrderEvent(o, "EXPIRED", now, expiryReason: 6);
                continue;
            }

            decimal qty;
            if (o.IsBuy ? s.BestAsk <= o.Price : s.BestBid >= o.Price)
            {
                qty = Math.Min(o.Remaining, s.ThroughVolume);
            }
            else
            {
                var touched = 0m;
                foreach (var t in _stepTrades)
                {
                    if (o.IsBuy ? t.Price <= o.Price : t.Price >= o.Price)
                    {
                        touched += t.Quantity;
                    }
                }

                qty = Math.Max(0m, Math.Min(o.Remaining, touched - (o.IsBuy ? usedByBuys : usedBySells)));
                if (o.IsBuy)
                {
                    usedByBuys += qty;
                }
                else
                {
                    usedBySells += qty;
                }
            }

            if (qty > 0)
            {
                Fill(o, o.Price, qty, maker: true, now);
                if (!o.IsOpen)
                {
                    // an expiring reduce-only order has already taken itself off the list
                    if (i < _openOrders.Count && ReferenceEquals(_openOrders[i], o))
                    {
                        _openOrders.RemoveAt(i);
                    }

                    i--;
                }
            }
        }
    }

    /// <summary>Books one execution: position, entry, realized PnL, commission, wallet, trade record and user events.</summary>
    private bool Fill(Order o, decimal price, decimal qty, bool maker, long now)
    {
        var s = o.Symbol;
        var pos = PositionOf(s);
        if (o.ReduceOnly)
        {
            var reducible = pos.Amount != 0 && (pos.Amount > 0) != o.IsBuy ? Math.Abs(pos.Amount) : 0m;
            qty = Math.Min(qty, reducible);
            if (qty <= 0)
            {
                o.Status = "EXPIRED";
                o.UpdateTime = now;
                _openOrders.Remove(o);
                OrderEvent(o, "EXPIRED", now, expiryReason: 4);
                return false;
            }
        }

        var signed = o.IsBuy ? qty : -qty;
        var realized = 0m;
        if (pos.Amount == 0 || Math.Sign(pos.Amount) == Math.Sign(signed))
        {
            var amount = pos.Amount + signed;
            pos.EntryPrice = ((Math.Abs(pos.Amount) * pos.EntryPrice) + (qty * price)) / Math.Abs(amount);
            pos.Amount = amount;
        }
        else
        {
            var closing = Math.Min(qty, Math.Abs(pos.Amount));
            realized = Math.Round(closing * (price - pos.EntryPrice) * Math.Sign(pos.Amount), 8);
            var amount = pos.Amount + signed;
            if (amount == 0)
            {
                pos.EntryPrice = 0m;
            }
            else if (Math.Sign(amount) != Math.Sign(pos.Amount))
            {
                pos.EntryPrice = price;
            }

            pos.Amount = amount;
        }

        var fee = Math.Round(price * qty * (maker ? Options.MakerCommission : Options.TakerCommission), 8);
        Wallet += realized - fee;
        pos.AccumulatedRealized += realized;
        pos.UpdateTime = now;
        _walletUpdateTime = now;

        o.ExecutedQty += qty;
        o.CumQuote += price * qty;
        o.Status = o.Remaining == 0 ? "FILLED" : "PARTIALLY_FILLED";
        o.UpdateTime = now;
        var trade = new UserTrade(_nextTradeId++, o.OrderId, s.Spec.Symbol, o.IsBuy, price, qty, fee, realized, maker, now);
        _trades.Add(trade);

        TradeLite(o, trade);
        OrderEvent(o, "TRADE", now, trade: trade);
        AccountUpdate(s, pos, now);
        return true;
    }

    private string NewClientId()
    {
        Span<char> chars = stackalloc char[22];
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var x = (ulong)++_generatedIds * 0x9E3779B97F4A7C15UL;
        for (var i = 0; i < chars.Length; i++)
        {
            x ^= x >> 29;
            x *= 0xBF58476D1CE4E5B9UL;
            chars[i] = alphabet[(int)(x % (ulong)alphabet.Length)];
        }

        return new string(chars);
    }

    // ---------------------------------------------------------------- JSON of orders and events

    public static byte[] OrderJson(Order o, bool forQuery) => JsonOut.Build(w => WriteOrder(w, o, forQuery));

    public static void WriteOrder(Utf8JsonWriter w, Order o, bool forQuery)
    {
        var spec = o.Symbol.Spec;
        w.WriteStartObject();
        w.WriteNumber("orderId", o.OrderId);
        w.WriteString("symbol", spec.Symbol);
        w.WriteString("status", o.Status);
        w.WriteString("clientOrderId", o.ClientOrderId);
        w.WriteString("price", o.Type == "MARKET" ? "0" : Num.Price(spec, o.Price));
        w.WriteString("avgPrice", Num.Bounded(o.AvgPrice, spec.PricePrecision));
        w.WriteString("origQty", Num.Qty(spec, o.OrigQty));
        w.WriteString("executedQty", Num.Qty(spec, o.ExecutedQty));
        if (!forQuery)
        {
            w.WriteString("cumQty", Num.Qty(spec, o.ExecutedQty));
        }

        w.WriteString("cumQuote", Num.Fixed(o.CumQuote, 5));
        w.WriteString("timeInForce", o.TimeInForce);
        w.WriteString("type", o.Type);
        w.WriteBoolean("reduceOnly", o.ReduceOnly);
        w.WriteBoolean("closePosition", o.ClosePosition);
        w.WriteString("side", o.Side);
        w.WriteString("positionSide", "BOTH");
        w.WriteString("stopPrice", Num.Price(spec, o.StopPrice));
        w.WriteString("workingType", o.WorkingType);
        w.WriteBoolean("priceProtect", o.PriceProtect);
        w.WriteString("origType", o.OrigType);
        w.WriteString("priceMatch", "NONE");
        w.WriteString("selfTradePreventionMode", o.SelfTradePreventionMode);
        w.WriteNumber("goodTillDate", o.GoodTillDate);
        if (forQuery)
        {
            w.WriteNumber("time", o.Time);
        }

        w.WriteNumber("updateTime", o.UpdateTime);
        w.WriteEndObject();
    }

    private void OrderEvent(Order o, string exec, long now, UserTrade? trade = null, int expiryReason = 0)
    {
        var spec = o.Symbol.Spec;
        Sink.OnUserEvent(JsonOut.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("e", "ORDER_TRADE_UPDATE");
            w.WriteNumber("E", now);
            w.WriteNumber("T", now);
            w.WritePropertyName("o");
            w.WriteStartObject();
            w.WriteString("s", spec.Symbol);
            w.WriteString("c", o.ClientOrderId);
            w.WriteString("S", o.Side);
            w.WriteString("o", o.Type);
            w.WriteString("f", o.TimeInForce);
            w.WriteString("q", Num.Qty(spec, o.OrigQty));
            w.WriteString("p", o.Type == "MARKET" ? "0" : Num.Price(spec, o.Price));
            w.WriteString("ap", Num.Bounded(o.AvgPrice, spec.PricePrecision));
            w.WriteString("sp", Num.Price(spec, o.StopPrice));
            w.WriteString("x", exec);
            w.WriteString("X", o.Status);
            w.WriteNumber("i", o.OrderId);
            w.WriteString("l", Num.Qty(spec, trade?.Qty ?? 0m));
            w.WriteString("z", Num.Qty(spec, o.ExecutedQty));
            w.WriteString("L", trade is null ? "0" : Num.Price(spec, trade.Price));
            w.WriteString("N", Asset);
            w.WriteString("n", Num.Bounded(trade?.Commission ?? 0m, 0));
            w.WriteNumber("T", now);
            w.WriteNumber("t", trade?.Id ?? 0);
            w.WriteString("b", "0");
            w.WriteString("a", "0");
            w.WriteBoolean("m", trade?.Maker ?? false);
            w.WriteBoolean("R", o.ReduceOnly);
            w.WriteString("wt", o.WorkingType);
            w.WriteString("ot", o.OrigType);
            w.WriteString("ps", "BOTH");
            w.WriteBoolean("cp", o.ClosePosition);
            w.WriteString("rp", Num.Bounded(trade?.RealizedPnl ?? 0m, 0));
            w.WriteBoolean("pP", o.PriceProtect);
            w.WriteNumber("si", 0);
            w.WriteNumber("ss", 0);
            w.WriteString("V", o.SelfTradePreventionMode);
            w.WriteString("pm", "NONE");
            w.WriteNumber("gtd", o.GoodTillDate);
            w.WriteString("er", expiryReason.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteEndObject();
        }));
    }

    private void TradeLite(Order o, UserTrade t)
    {
        var spec = o.Symbol.Spec;
        Sink.OnUserEvent(JsonOut.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("e", "TRADE_LITE");
            w.WriteNumber("E", t.Time);
            w.WriteNumber("T", t.Time);
            w.WriteString("s", spec.Symbol);
            w.WriteString("q", Num.Qty(spec, o.OrigQty));
            w.WriteString("p", o.Type == "MARKET" ? "0" : Num.Price(spec, o.Price));
            w.WriteBoolean("m", t.Maker);
            w.WriteString("c", o.ClientOrderId);
            w.WriteString("S", o.Side);
            w.WriteString("L", Num.Price(spec, t.Price));
            w.WriteString("l", Num.Qty(spec, t.Qty));
            w.WriteNumber("t", t.Id);
            w.WriteNumber("i", o.OrderId);
            w.WriteEndObject();
        }));
    }

    private void AccountUpdate(MarketSymbol s, Position p, long now)
    {
        var spec = s.Spec;
        var wallet = Wallet;
        Sink.OnUserEvent(JsonOut.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("e", "ACCOUNT_UPDATE");
            w.WriteNumber("E", now);
            w.WriteNumber("T", now);
            w.WritePropertyName("a");
            w.WriteStartObject();
            w.WriteString("m", "ORDER");
            w.WritePropertyName("B");
            w.WriteStartArray();
            w.WriteStartObject();
            w.WriteString("a", Asset);
            w.WriteString("wb", Num.Fixed(wallet, 8));
            w.WriteString("cw", Num.Fixed(wallet, 8));
            w.WriteString("bc", "0");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WritePropertyName("P");
            w.WriteStartArray();
            w.WriteStartObject();
            w.WriteString("s", spec.Symbol);
            w.WriteString("pa", Num.Qty(spec, p.Amount));
            w.WriteString("ep", Num.Bounded(p.EntryPrice, 1));
            w.WriteString("bep", Num.Bounded(BreakEven(p), 1));
            w.WriteString("cr", Num.Fixed(p.AccumulatedRealized, 8));
            w.WriteString("up", Num.Fixed(Unrealized(s, p), 8));
            w.WriteString("mt", p.Isolated ? "isolated" : "cross");
            w.WriteString("iw", "0");
            w.WriteString("ps", "BOTH");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }));
    }

    public decimal BreakEven(Position p) => p.Amount == 0 ? 0m : Math.Round(p.EntryPrice * (1 + (Math.Sign(p.Amount) * Options.TakerCommission)), 8);
}
