using System.Diagnostics;
using System.Runtime.CompilerServices;
using Engine.Exchange;
using Engine.Exchange.Signing;
using Engine.Model;
using Engine.Ring;

namespace Engine.Execution;

/// <summary>
/// The execution stage's work, on the stage thread: for each intent in a slot, a client order id, the signed
/// request bytes written into a pre-allocated queue slot, and the hand-off to the I/O loop. Quotes are kept for the
/// paper venue; Flatten and SetMode commands are forwarded. No I/O, no locks, no allocation, no publishing into the
/// ring (the stage is gated behind the tail: publishing from here could deadlock on a full ring).
/// </summary>
public sealed class ExecutionGateway
{
    private readonly OrderQueue _orders;
    private readonly OrderQueue _rejects;
    private readonly LoopSignal _signal;
    private readonly HmacSha256Signer _signer;
    private readonly ServerClock _clock;
    private readonly SymbolTable _symbols;
    private readonly SymbolRules[] _rules;
    private readonly QuoteBook _quotes;
    private readonly long _recvWindowMs;
    private readonly OrderKind _orderKind;
    private readonly long _runBase;
    private long _sequence;
    private long _queueFull;
    private long _built;
    private long _marketTimeMs;
    private int _refusedEntries;
    private OrderMessage _warmSlot;
    private long _warmUps;
    private bool _warmFailed;

    internal ExecutionGateway(
        OrderQueue orders, OrderQueue rejects, LoopSignal signal, HmacSha256Signer signer, ServerClock clock, SymbolTable symbols,
        IReadOnlyList<SymbolRules> rules, QuoteBook quotes, long recvWindowMs, OrderKind orderKind, long runId)
    {
        _orders = orders;
        _rejects = rejects;
        _signal = signal;
        _signer = signer;
        _clock = clock;
        _symbols = symbols;
        _rules = [.. rules];
        _quotes = quotes;
        _recvWindowMs = recvWindowMs;
        _orderKind = orderKind;
        RunId = runId;
        _runBase = runId << 32;
        _warmSlot.Buffer = new byte[orders.Slot(0).Buffer.Length];
    }

    /// <summary>Dummy orders signed by <see cref="KeepWarm"/> so far.</summary>
    public long WarmUps => Volatile.Read(ref _warmUps);

    /// <summary>
    /// Builds and signs a dummy order into a private buffer that goes nowhere, on the stage thread while it has nothing
    /// else to do. On this kind of machine code and data the thread has not touched for a few milliseconds are out of the
    /// caches, and the first order after a quiet spell took 13–20 µs to sign instead of 0.4 µs
    /// (<c>Benchmarks -- coldsign</c>, results in cold-signing.md); signing one now and then keeps that path warm. Changes nothing that is read
    /// elsewhere: no id is taken, nothing is queued or counted but <see cref="WarmUps"/>.
    /// </summary>
    public void KeepWarm()
    {
        if (_warmFailed)
        {
            return;
        }

        var count = Math.Min(_symbols.Count, _rules.Length - 1);
        for (var id = 1; id <= count; id++)
        {
            ref readonly var rules = ref _rules[id];
            if (rules.TickSize.IsZero)
            {
                continue;
            }

            var intent = default(OrderIntent);
            intent.Symbol = new SymbolId((ushort)id);
            intent.Side = Side.Buy;
            intent.Quantity = rules.MinQuantity;
            intent.ReferencePrice = rules.MinPrice;
            try
            {
                // The id the next real order will take (formatted, not taken).
                Fill(ref _warmSlot, in intent, _runBase | (_sequence + 1), 0);
                TrySign(ref _warmSlot, _symbols.Utf8NameOf(intent.Symbol), in rules);
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
            {
                // Warming is an optimisation: it must never take the stage down. Off for the rest of the run.
                _warmFailed = true;
                return;
            }

            Volatile.Write(ref _warmUps, _warmUps + 1);
            return;
        }
    }

    /// <summary>This run's id: the high half of every client order id it assigns.</summary>
    public long RunId { get; }

    /// <summary>Intents failed because the queue to the I/O loop was full.</summary>
    public long QueueFull => Volatile.Read(ref _queueFull);

    /// <summary>Orders built, signed and handed to the I/O loop.</summary>
    public long Built => Volatile.Read(ref _built);

    /// <summary>The client order id of a run's <paramref name="sequence"/>-th order: positive, unique across runs.</summary>
    public static long ClientOrderIdOf(long runId, long sequence) => (runId << 32) | sequence;

    /// <summary>
    /// The latest exchange time of the events the stage has seen: the market's clock. The paper venue stamps its fills
    /// with it, so a replay's fills carry the replayed time (wall-clock stamps would move the brain's clock years ahead).
    /// </summary>
    public long MarketTimeMs => Volatile.Read(ref _marketTimeMs);

    /// <summary>Whether entries are refused at the stage now (reduce-only mode, or the journal cannot be written).</summary>
    public bool RefusingEntries => Volatile.Read(ref _refusedEntries) != 0;

    /// <summary>From now on intents that are not reduce-only are failed at the stage with <paramref name="reason"/> (any thread).</summary>
    internal void RefuseEntries(RejectReason reason) => Interlocked.Or(ref _refusedEntries, 1 << (int)reason);

    /// <summary>Ends one cause of <see cref="RefuseEntries"/>; entries pass again once no cause is left (any thread).</summary>
    internal void AllowEntries(RejectReason reason) => Interlocked.And(ref _refusedEntries, ~(1 << (int)reason));

    /// <summary>Handles one ring slot (stage thread).</summary>
    public void OnEvent(ref MarketEvent data)
    {
        if (data.ExchangeTimeMs > _marketTimeMs)
        {
            Volatile.Write(ref _marketTimeMs, data.ExchangeTimeMs);
        }

        switch (data.Kind)
        {
            case MarketEventKind.Quote:
                _quotes.Write(data.Symbol, data.Quote.BidPrice, data.Quote.AskPrice);
                break;
            case MarketEventKind.Trade:
                _quotes.WriteLastPrice(data.Symbol, data.Trade.Price);
                break;
            case MarketEventKind.Candle:
                _quotes.WriteLastPrice(data.Symbol, data.Candle.Close);
                break;
            case MarketEventKind.Command when data.Command.Kind is CommandKind.Flatten or CommandKind.SetMode:
                // Before the slot's intents: on Flatten the brain's exits ride on this same slot and must not be cancelled.
                Forward(data.Command.Kind == CommandKind.Flatten ? OrderOp.CancelAll : OrderOp.SetMode, data.Command.Argument);
                break;
            default:
                break;
        }

        // Tick-to-order is traced for decisions on market data only: an order update's or a command's receive stamp is
        // when the engine made the event, not when a frame arrived.
        var received = data.Kind is MarketEventKind.Trade or MarketEventKind.Candle or MarketEventKind.Quote or MarketEventKind.MarkPrice
            ? data.ReceivedTimestamp : 0;
        var count = data.IntentCount;
        for (var i = 0; i < count; i++)
        {
            Submit(in data.Intents[i], received, data.Stamps[(int)StagePoint.Published], data.Stamps[(int)StagePoint.Brain]);
        }
    }

    /// <summary>Builds, signs and queues one intent; on any failure queues a rejection instead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Submit(in OrderIntent intent, long publishedTimestamp) => Submit(in intent, 0, publishedTimestamp, 0);

    /// <summary>
    /// As <see cref="Submit(in OrderIntent, long)"/>, carrying the causing event's stamps (Stopwatch; 0 = unknown) with
    /// the order; the slot is stamped again once signed, for the tick-to-order trace.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Submit(in OrderIntent intent, long receivedTimestamp, long publishedTimestamp, long brainTimestamp)
    {
        var id = _runBase | ++_sequence;
        var refused = Volatile.Read(ref _refusedEntries);
        if (refused != 0 && !intent.ReduceOnly)
        {
            Reject(in intent, id, (refused & (1 << (int)RejectReason.ReduceOnly)) != 0 ? RejectReason.ReduceOnly : RejectReason.JournalUnavailable);
            return;
        }

        if (!_orders.TryClaim(out var index))
        {
            _queueFull++;
            Reject(in intent, id, RejectReason.QueueFull);
            return;
        }

        ref var slot = ref _orders.Slot(index);
        Fill(ref slot, in intent, id, publishedTimestamp);
        var symbol = intent.Symbol;
        if (symbol.IsNone || symbol.Value > _symbols.Count || symbol.Value >= _rules.Length || _rules[symbol.Value].TickSize.IsZero)
        {
            slot.Op = OrderOp.Reject;
            slot.Reason = RejectReason.UnknownSymbol;
        }
        else if (!TrySign(ref slot, _symbols.Utf8NameOf(symbol), in _rules[symbol.Value]))
        {
            slot.Op = OrderOp.Reject;
            slot.Reason = RejectReason.InvalidOrder;
        }
        else
        {
            slot.ReceivedTimestamp = receivedTimestamp;
            slot.BrainTimestamp = brainTimestamp;
            slot.SignedTimestamp = Stopwatch.GetTimestamp();
        }

        _orders.Publish(index);
        _built++;
        _signal.Wake();
    }

    private bool TrySign(ref OrderMessage slot, ReadOnlySpan<byte> symbolName, in SymbolRules rules)
    {
        Span<byte> clientId = stackalloc byte[ClientOrderId.MaxLength];
        var idLength = ClientOrderId.Format(slot.ClientOrderId, clientId);
        var timestamp = _clock.NowUnixMs;
        slot.SignedTimestampMs = timestamp;
        var length = OrderRequestWriter.Write(slot.Buffer, symbolName, slot.Side, slot.Kind, slot.TimeInForce, slot.Quantity, slot.Price,
            slot.ReduceOnly, clientId[..idLength], rules.PricePrecision, rules.QuantityPrecision, _recvWindowMs, timestamp, _signer);
        slot.Length = Math.Max(length, 0);
        return length > 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Fill(ref OrderMessage slot, in OrderIntent intent, long id, long publishedTimestamp)
    {
        slot.Op = OrderOp.New;
        slot.Reason = RejectReason.None;
        slot.ClientOrderId = id;
        slot.Symbol = intent.Symbol;
        slot.Side = intent.Side;
        slot.Kind = _orderKind;
        slot.TimeInForce = _orderKind == OrderKind.Limit ? TimeInForce.Gtc : default;
        slot.Quantity = intent.Quantity;
        slot.Price = _orderKind == OrderKind.Limit ? intent.ReferencePrice : Price.Zero;
        slot.ReduceOnly = intent.ReduceOnly;
        slot.PublishedTimestamp = publishedTimestamp;
        slot.ReceivedTimestamp = 0;
        slot.BrainTimestamp = 0;
        slot.SignedTimestamp = 0;
        slot.Argument = 0;
        slot.Length = 0;
    }

    private void Reject(in OrderIntent intent, long id, RejectReason reason)
    {
        if (!_rejects.TryClaim(out var index))
        {
            // Both queues full: the I/O loop is stalled. The brain's pending timeout clears the entry; counted above.
            return;
        }

        ref var slot = ref _rejects.Slot(index);
        Fill(ref slot, in intent, id, 0);
        slot.Op = OrderOp.Reject;
        slot.Reason = reason;
        _rejects.Publish(index);
        _signal.Wake();
    }

    private void Forward(OrderOp op, long argument)
    {
        // Commands must not be lost to a full order queue: they take the rejection queue's path when needed.
        var queue = _orders.TryClaim(out var index) ? _orders : _rejects.TryClaim(out index) ? _rejects : null;
        if (queue is null)
        {
            return;
        }

        ref var slot = ref queue.Slot(index);
        slot.Op = op;
        slot.Argument = argument;
        slot.ClientOrderId = 0;
        slot.Length = 0;
        slot.PublishedTimestamp = Stopwatch.GetTimestamp();
        queue.Publish(index);
        _signal.Wake();
    }
}

/// <summary>
/// The new-order request the engine sends: <c>symbol, side, type, quantity[, price, timeInForce][, reduceOnly],
/// newClientOrderId, newOrderRespType=RESULT, recvWindow, timestamp, signature</c>. RESULT makes the venue answer
/// with the order's state after matching (a market order comes back FILLED with its fills), so the REST answer alone
/// carries fills even when the user-data stream is down; the ledger removes the duplicates the stream adds.
/// </summary>
public static class OrderRequestWriter
{
    /// <summary>Writes and signs; returns the length, or -1 when the buffer is too small or a number is finer than the symbol allows.</summary>
    public static int Write(
        Span<byte> destination, ReadOnlySpan<byte> symbol, Side side, OrderKind kind, TimeInForce timeInForce, Quantity quantity, Price price,
        bool reduceOnly, ReadOnlySpan<byte> clientOrderId, int priceDecimals, int quantityDecimals, long recvWindowMs, long timestampMs,
        HmacSha256Signer signer)
    {
        if (kind is not (OrderKind.Limit or OrderKind.Market) || quantity.Mantissa <= 0 || (kind == OrderKind.Limit && price.Mantissa <= 0))
        {
            return -1;
        }

        var writer = new QueryWriter(destination);
        writer.Add("symbol"u8, symbol);
        writer.Add("side"u8, side.WireName());
        writer.Add("type"u8, kind.WireName());
        writer.Add("quantity"u8, quantity, quantityDecimals);
        if (kind == OrderKind.Limit)
        {
            writer.Add("price"u8, price, priceDecimals);
            writer.Add("timeInForce"u8, (timeInForce == default ? TimeInForce.Gtc : timeInForce).WireName());
        }

        if (reduceOnly)
        {
            writer.Add("reduceOnly"u8, true);
        }

        writer.Add("newClientOrderId"u8, clientOrderId);
        writer.Add("newOrderRespType"u8, "RESULT"u8);
        writer.Add("recvWindow"u8, recvWindowMs);
        writer.Add("timestamp"u8, timestampMs);
        writer.AppendSignature(signer);
        return writer.TryComplete(out var length, out _) ? length : -1;
    }
}

/// <summary>
/// The execution position's ring stage: <see cref="ExecutionGateway"/> on the slot, then <typeparamref name="TNext"/>
/// (the host's <c>TimingStage(StagePoint.Execution)</c>, which stamps and times it) on the same thread.
/// </summary>
public struct ExecutionStage<TNext> : IEventHandler<MarketEvent>
    where TNext : struct, IEventHandler<MarketEvent>
{
    private readonly ExecutionGateway _gateway;
    private TNext _next;

    public ExecutionStage(ExecutionGateway gateway, TNext next)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        _gateway = gateway;
        _next = next;
    }

    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
    {
        _gateway.OnEvent(ref data);
        _next.OnEvent(ref data, sequence, endOfBatch);
    }
}
