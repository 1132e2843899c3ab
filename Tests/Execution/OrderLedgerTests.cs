using Engine.Exchange.Rest;
using Engine.Execution;
using Engine.Model;
using Engine.State.Journal;

namespace Tests.Execution;

/// <summary>
/// The funnel's normalization, driven with the simulator's real answers for one partly filled order: its REST answers
/// (place, cancel) and its trades as the user-data stream reports them, fed in either order and twice.
/// </summary>
public sealed class OrderLedgerTests
{
    [Fact]
    public async Task Rest_and_stream_in_any_order_or_twice_publish_each_fill_once_and_statuses_only_forward()
    {
        await using var h = await ExecutionHarness.StartAsync();
        var client = h.Client!;
        OrderResponse? placed = null;
        for (var attempt = 0; attempt < 20 && placed is null; attempt++)
        {
            var book = (await client.GetDepthAsync("ETHUSDT", 5)).GetValueOrThrow();
            var ask = book.Asks[0];
            var answer = (await client.PlaceOrderAsync(new NewOrderRequest
            {
                Symbol = "ETHUSDT", Side = Side.Buy, Type = OrderKind.Limit, TimeInForce = TimeInForce.Gtc, Price = ask.Price,
                Quantity = Quantity.FromMantissa(ask.Quantity.Mantissa * 2), NewClientOrderId = "e" + (1000 + attempt), ResultResponse = true,
            })).GetValueOrThrow();
            if (answer.Status == OrderStatus.PartiallyFilled)
            {
                placed = answer;
            }
            else if (answer.Status == OrderStatus.New)
            {
                await client.CancelOrderAsync(OrderReference.ByClientOrderId("ETHUSDT", answer.ClientOrderId));
            }
        }

        Assert.NotNull(placed);
        // Cancel the rest; if the book filled it first (-2011), its final state is FILLED instead.
        var cancel = await client.CancelOrderAsync(OrderReference.ByClientOrderId("ETHUSDT", placed.ClientOrderId));
        var canceled = cancel.IsSuccess ? cancel.Value! : (await client.QueryOrderAsync(OrderReference.ByClientOrderId("ETHUSDT", placed.ClientOrderId))).GetValueOrThrow();
        Assert.True(canceled.Status is OrderStatus.Canceled or OrderStatus.Filled, canceled.Status.ToString());
        var trades = (await client.GetUserTradesAsync("ETHUSDT", placed.OrderId)).GetValueOrThrow();
        Assert.NotEmpty(trades);
        Assert.Equal(canceled.ExecutedQty.Mantissa, trades.Sum(t => t.Qty.Mantissa));

        OrderObservation Rest(OrderResponse r) => new(r.Status, r.OrderId, r.ExecutedQty, r.CumQuote, Quantity.Zero, Price.Zero, r.AvgPrice);
        var stream = new List<OrderObservation> { new(OrderStatus.New, placed.OrderId, Quantity.Zero, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero) };
        var cumulative = Quantity.Zero;
        foreach (var t in trades)
        {
            cumulative += t.Qty;
            stream.Add(new(OrderStatus.PartiallyFilled, placed.OrderId, cumulative, Notional.Zero, t.Qty, t.Price, Price.Zero));
        }

        if (canceled.Status == OrderStatus.Canceled)
        {
            stream.Add(new(OrderStatus.Canceled, placed.OrderId, cumulative, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero));
        }
        else
        {
            stream[^1] = stream[^1] with { Status = OrderStatus.Filled };
        }

        // Stream first (then REST answers late, then the stream replayed), and REST first (then the stream, then REST again).
        var streamFirst = stream.Concat([Rest(placed), Rest(canceled)]).Concat(stream).ToList();
        var restFirst = new[] { Rest(placed) }.Concat(stream).Concat([Rest(canceled), Rest(placed)]).Concat(stream).ToList();
        foreach (var sequence in new[] { streamFirst, restFirst })
        {
            var ledger = new OrderLedger();
            var record = ledger.Add(new JournalOrder
            {
                ClientOrderId = 1, Symbol = "ETHUSDT", Side = Side.Buy, Kind = OrderKind.Limit, Price = placed.Price, Quantity = placed.OrigQty,
            }, h.Id("ETHUSDT"), paper: false);
            var fills = new List<(Quantity Quantity, Price Price)>();
            var statuses = new List<OrderStatus>();
            foreach (var observation in sequence)
            {
                if (ledger.Apply(record, in observation, out var quantity, out var price))
                {
                    statuses.Add(record.Order.Status);
                    if (!quantity.IsZero)
                    {
                        fills.Add((quantity, price));
                    }
                }
            }

            Assert.Equal(canceled.ExecutedQty.Mantissa, fills.Sum(f => f.Quantity.Mantissa));
            var quote = fills.Sum(f => f.Price.Multiply(f.Quantity, RoundingMode.HalfEven).Mantissa);
            Assert.InRange(quote - canceled.CumQuote.Mantissa, -10, 10);
            Assert.Equal(canceled.Status, statuses[^1]);
            Assert.Equal(statuses.Select(OrderLedger.Rank).Order(), statuses.Select(OrderLedger.Rank));
            Assert.Equal(placed.OrderId, record.Order.OrderId);
            Assert.True(ledger.Duplicates >= stream.Count, $"{ledger.Duplicates} duplicates");
        }
    }
}
