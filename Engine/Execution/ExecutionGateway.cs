using System.Diagnostics;
using System.Runtime.CompilerServices;
using Engine.Exchange;
using Engine.Exchange.Signing;
using Engine.Exchange.Wire;
using Engine.Model;
using Engine.State.Journal;

namespace Engine.Execution;

/// <summary>
/// The execution stage's work, on the stage thread: for each intent in a slot, a client order id, the signed
/// request bytes written into a pre-allocated queue slot, and the hand-off to the I/O loop. When a wire is attached
/// and the loop allows it (live venue, an fsync policy that does not make each intent wait for the disk), the stage
/// appends the intent to the intent log and puts the request on the wire itself, non-blocking; whatever it does not
/// send the I/O loop sends. Quotes are kept for the paper venue; Flatten and SetMode commands are forwarded. No
/// blocking I/O, no locks, no allocation, no publishing into the ring (the stage is gated behind the tail: publishing
/// from here could deadlock on a full ring).
/// </summary>
public sealed class ExecutionGateway
{
    private readonly OrderQueue _orders;
    private readonly OrderQueue _rejects;
    private readonly LoopSignal _signal;
    private readonly IRequestSigner _signer;
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
    private readonly JournalOrder _intent = new();
    private IOrderWire? _wire;

    // Test-only crash injection (Execution:CrashAfter=JournaledBeforeSend): the process ends with the intent logged and nothing sent.
    private Action? _crashBeforeSend;
    private IStageIntentLog? _intents;
    private int _stageSends;
    private long _stageSent;
    private long _stageNotSent;
    private OrderMessage _warmSlot;
    private long _warmUps;
    private bool _warmFailed;

    internal ExecutionGateway(
        OrderQueue orders, OrderQueue rejects, LoopSignal signal, IRequestSigner signer, ServerClock clock, SymbolTable symbols,
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
    /// (<c>Benchmarks -- coldsign</c>, results in cold-signing.md); signing one now and then keeps that path warm. While the
    /// stage sends orders itself, the rest of its send is rehearsed too: the intent log's append (20 µs cold, 0.4 µs warm)
    /// and the wire's own request form (12 µs cold, 0.9 µs warm, measured in the e2e harness). Changes nothing that is read
    /// elsewhere: no id is taken, nothing is queued, appended or sent, nothing counted but <see cref="WarmUps"/>.
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
                // As Submit would: the REST form left unsigned while the stage's wire writes its own.
                var wire = Volatile.Read(ref _stageSends) != 0 && _intents is not null ? _wire : null;
                if (TrySign(ref _warmSlot, _symbols.Utf8NameOf(intent.Symbol), in rules, signNow: wire is not { SendsRestForm: false })
                    && wire is not null && _intents is { } intents)
                {
                    // The rest of the stage's send, short of the send: the intent's encoding and the wire's own form.
                    intents.KeepWarm(IntentOf(ref _warmSlot));
                    var order = WireOrderOf(ref _warmSlot);
                    wire.KeepWarm(in order);
                }
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

    /// <summary>Orders the stage put on the wire itself.</summary>
    public long StageSent => Volatile.Read(ref _stageSent);

    /// <summary>Orders the stage tried to send and handed to the I/O loop's path instead (the wire could not take them, or the intent log had no room).</summary>
    public long StageNotSent => Volatile.Read(ref _stageNotSent);

    /// <summary>Whether the stage sends orders itself now.</summary>
    public bool StageSends => Volatile.Read(ref _stageSends) != 0 && _wire is not null;

    /// <summary>The wire the stage sends on and the intent log it appends to first; set before the stage runs.</summary>
    internal void Attach(IOrderWire wire, IStageIntentLog intents, Action? crashBeforeSend = null)
    {
        _wire = wire;
        _intents = intents;
        _crashBeforeSend = crashBeforeSend;
    }

    /// <summary>Turns the stage's own sends on or off (the I/O loop: on while new orders go to the live venue).</summary>
    internal void SetStageSends(bool on) => Volatile.Write(ref _stageSends, on ? 1 : 0);

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
        else
        {
            // With the stage sending on a path that writes its own form (the WebSocket API), the REST form is checked and
            // written but not signed: signing it is work the order does not need unless it falls back (an Ed25519 key
            // takes ~50 µs). Everything that reaches the I/O loop unsent is signed first.
            var wire = Volatile.Read(ref _stageSends) != 0 && _intents is not null ? _wire : null;
            if (!TrySign(ref slot, _symbols.Utf8NameOf(symbol), in _rules[symbol.Value], signNow: wire is not { SendsRestForm: false }))
            {
                slot.Op = OrderOp.Reject;
                slot.Reason = RejectReason.InvalidOrder;
            }
            else
            {
                slot.ReceivedTimestamp = receivedTimestamp;
                slot.BrainTimestamp = brainTimestamp;
                slot.SignedTimestamp = Stopwatch.GetTimestamp();
                if (wire is not null)
                {
                    Send(ref slot, wire, _intents!);
                }
            }
        }

        // An order already on the wire wakes nobody: its answer wakes the loop from the connection's reader thread, and
        // the loop's bounded sleep books it regardless. Waking a sleeping loop costs the stage a futex call and a
        // cross-CPU interrupt (tens of µs here) that the next order in a burst would wait behind.
        var sent = slot.StageSend == StageSend.Sent;
        _orders.Publish(index);
        _built++;
        if (!sent)
        {
            _signal.Wake();
        }
    }

    /// <summary>
    /// The intent first (the write-ahead rule: no request leaves that a restart would not know of), then the
    /// non-blocking send; the outcome is recorded in the slot for the I/O loop, which sends what did not leave.
    /// </summary>
    private void Send(ref OrderMessage slot, IOrderWire wire, IStageIntentLog intents)
    {
        if (!intents.TryAppend(IntentOf(ref slot), out var sequence))
        {
            SignRest(ref slot);
            slot.StageSend = StageSend.NotLogged;
            _stageNotSent++;
            return;
        }

        slot.IntentSequence = sequence;
        _crashBeforeSend?.Invoke();
        var order = WireOrderOf(ref slot);
        var result = wire.TrySend(in order, out var path, out var connectionId, out var writeStamp);
        if (result != WireSendResult.Sent && !slot.RestSigned)
        {
            // The path that needed no REST form did not take it: signed now, the paths that send it get their turn.
            SignRest(ref slot);
            var signed = WireOrderOf(ref slot);
            result = wire.TrySend(in signed, out path, out connectionId, out writeStamp);
        }

        slot.Path = path;
        if (result == WireSendResult.Sent)
        {
            slot.StageSend = StageSend.Sent;
            slot.ConnectionId = connectionId;
            slot.WriteStamp = writeStamp;
            _stageSent++;
            return;
        }

        slot.StageSend = result == WireSendResult.WouldBlock ? StageSend.WouldBlock : StageSend.Down;
        _stageNotSent++;
    }

    /// <summary>Signs the slot's REST form if the stage left it unsigned (room for the signature was kept).</summary>
    private void SignRest(ref OrderMessage slot)
    {
        if (!slot.RestSigned)
        {
            slot.Length = OrderEncoder.SignRest(slot.Buffer, slot.Length, _signer);
            slot.RestSigned = true;
        }
    }

    /// <summary>The stage's one intent record, filled from <paramref name="slot"/>: what the intent log appends.</summary>
    private JournalOrder IntentOf(ref OrderMessage slot)
    {
        var intent = _intent;
        intent.ClientOrderId = slot.ClientOrderId;
        intent.Symbol = _symbols.NameOf(slot.Symbol);
        intent.Side = slot.Side;
        intent.Kind = slot.Kind;
        intent.TimeInForce = slot.TimeInForce;
        intent.Price = slot.Price;
        intent.Quantity = slot.Quantity;
        intent.ReduceOnly = slot.ReduceOnly;
        intent.SignedTimestampMs = slot.SignedTimestampMs;
        return intent;
    }

    private WireOrder WireOrderOf(ref OrderMessage slot)
    {
        ref readonly var rules = ref _rules[slot.Symbol.Value];
        return new WireOrder
        {
            ClientOrderId = slot.ClientOrderId,
            Symbol = _symbols.Utf8NameOf(slot.Symbol),
            Side = slot.Side,
            Kind = slot.Kind,
            TimeInForce = slot.TimeInForce,
            Quantity = slot.Quantity,
            Price = slot.Price,
            ReduceOnly = slot.ReduceOnly,
            PriceDecimals = rules.PricePrecision,
            QuantityDecimals = rules.QuantityPrecision,
            RecvWindowMs = _recvWindowMs,
            TimestampMs = slot.SignedTimestampMs,
            SignedRestParameters = slot.RestSigned ? slot.Buffer.AsSpan(0, slot.Length) : default,
        };
    }

    /// <summary>
    /// The REST form of the new order (<see cref="OrderEncoder"/>: the engine's one order encoder, with
    /// <c>newOrderRespType=RESULT</c> so the answer carries the fills) into the slot's buffer, signed now or, with
    /// <paramref name="signNow"/> false, with room kept for <see cref="SignRest"/>: what the REST pool and the I/O loop
    /// send as it is, and what the WebSocket API path writes in its own form from the same facts and timestamp.
    /// </summary>
    private bool TrySign(ref OrderMessage slot, ReadOnlySpan<byte> symbolName, in SymbolRules rules, bool signNow = true)
    {
        var timestamp = _clock.NowUnixMs;
        slot.SignedTimestampMs = timestamp;
        var order = NewOrders.Describe(symbolName, slot.ClientOrderId, slot.Side, slot.Kind, slot.TimeInForce, slot.Quantity, slot.Price, slot.ReduceOnly,
            in rules, _recvWindowMs, timestamp);
        var written = signNow
            ? OrderEncoder.TryWriteRest(in order, _signer, slot.Buffer, out var length, out _)
            : OrderEncoder.TryWriteRestUnsigned(in order, _signer, slot.Buffer, out length, out _);
        slot.Length = written ? length : 0;
        slot.RestSigned = written && signNow;
        return written;
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
        slot.RestSigned = false;
        slot.StageSend = StageSend.None;
        slot.Path = WirePath.None;
        slot.ConnectionId = 0;
        slot.WriteStamp = 0;
        slot.IntentSequence = 0;
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
