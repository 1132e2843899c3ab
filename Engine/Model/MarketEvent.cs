using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Model;

/// <summary>What a ring slot currently holds.</summary>
public enum MarketEventKind : byte
{
    None = 0,
    Trade,
    Quote,
    Candle,
    OrderUpdate,
    Command,

    /// <summary>The account's wallet balance and equity changed (<see cref="MarketEvent.Account"/>).</summary>
    Account,

    /// <summary>The venue's mark price, index price and funding rate (<see cref="MarketEvent.MarkPrice"/>).</summary>
    MarkPrice,

    /// <summary>
    /// A symbol's position as a whole replaces what the stages hold (<see cref="MarketEvent.Position"/>): the state
    /// rebuilt from the journal at start, or a correction by reconciliation. Not a fill.
    /// </summary>
    Position,
}

/// <summary>Facts about <see cref="MarketEventKind"/> that tables sized by kind need.</summary>
public static class MarketEventKinds
{
    /// <summary>How many kinds there are (<see cref="MarketEventKind.None"/> included): one past the highest value.</summary>
    public const int Count = (int)MarketEventKind.Position + 1;
}

/// <summary>
/// The ring slot: one fixed-size struct for every kind of event, so the ring is a single pre-allocated
/// array and a slot is reused every lap without allocation.
/// </summary>
/// <remarks>
/// Three cache lines: the first holds the header (kind, symbol, times and per-stage stamps), the second the
/// payload, a union of the event kinds laid over the same 64 bytes, the third the brain's decision (up to two
/// <see cref="OrderIntent"/>s) for the execution stage. Read the payload that <see cref="Kind"/> names; the
/// others hold whatever the slot carried on an earlier lap. The decision is valid for <see cref="IntentCount"/>
/// entries only, once the brain stage has passed the slot. Fields rather than properties so stages read and
/// write them in place through the slot reference.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct MarketEvent
{
    /// <summary>Bytes per slot.</summary>
    public const int Size = 192;

    private const int PayloadOffset = 64;

    private const int DecisionOffset = 128;

    [FieldOffset(0)]
    public MarketEventKind Kind;

    /// <summary>How many of <see cref="Intents"/> the brain wrote for this event (0..2).</summary>
    [FieldOffset(1)]
    public byte IntentCount;

    /// <summary>What the brain noticed on this event (cooldown started/ended, entry refused, ...).</summary>
    [FieldOffset(4)]
    public BrainNotes Notes;

    [FieldOffset(2)]
    public SymbolId Symbol;

    /// <summary>The venue's event time, milliseconds since the Unix epoch (0 when the event has none).</summary>
    [FieldOffset(8)]
    public long ExchangeTimeMs;

    /// <summary><see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> when the bytes arrived (or the source produced the event).</summary>
    [FieldOffset(16)]
    public long ReceivedTimestamp;

    /// <summary>Stopwatch timestamps written as the event passes each point of the pipeline.</summary>
    [FieldOffset(24)]
    public StageStamps Stamps;

    [FieldOffset(PayloadOffset)]
    public TradeData Trade;

    [FieldOffset(PayloadOffset)]
    public QuoteData Quote;

    [FieldOffset(PayloadOffset)]
    public CandleData Candle;

    [FieldOffset(PayloadOffset)]
    public OrderUpdateData OrderUpdate;

    [FieldOffset(PayloadOffset)]
    public CommandData Command;

    [FieldOffset(PayloadOffset)]
    public AccountData Account;

    [FieldOffset(PayloadOffset)]
    public MarkPriceData MarkPrice;

    [FieldOffset(PayloadOffset)]
    public PositionData Position;

    /// <summary>The brain's order intents for this event, first <see cref="IntentCount"/> valid, in execution order.</summary>
    [FieldOffset(DecisionOffset)]
    public IntentPair Intents;

    /// <summary>Resets the header for a new event of <paramref name="kind"/>; the payload is the writer's to fill.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Begin(MarketEventKind kind, SymbolId symbol, long exchangeTimeMs, long receivedTimestamp)
    {
        Kind = kind;
        IntentCount = 0;
        Notes = BrainNotes.None;
        Symbol = symbol;
        ExchangeTimeMs = exchangeTimeMs;
        ReceivedTimestamp = receivedTimestamp;
        Stamps = default;
    }
}

/// <summary>
/// Stopwatch timestamps of one event's trip through the pipeline, indexed by <see cref="StagePoint"/>.
/// </summary>
[InlineArray(Count)]
public struct StageStamps
{
    /// <summary>How many points are stamped.</summary>
    public const int Count = 5;

    private long _first;
}

/// <summary>The points at which an event is stamped.</summary>
public enum StagePoint
{
    /// <summary>The producer published the slot.</summary>
    Published = 0,

    /// <summary>The first stage (brain) finished with it.</summary>
    Brain = 1,

    /// <summary>The second stage (execution) finished with it.</summary>
    Execution = 2,

    /// <summary>The last stage (state and metrics tail) finished with it.</summary>
    Tail = 3,

    /// <summary>Request bytes for an order caused by this event were handed to the socket.</summary>
    Sent = 4,
}

/// <summary>One trade (Binance aggTrade or trade).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct TradeData
{
    public Price Price;
    public Quantity Quantity;
    /// <summary>The venue's (aggregate) trade id.</summary>
    public long TradeId;
    public long FirstTradeId;
    public long LastTradeId;
    /// <summary>True when the buyer was the maker, i.e. the aggressor sold.</summary>
    public bool BuyerIsMaker;
}

/// <summary>The best bid and offer (Binance bookTicker).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct QuoteData
{
    public Price BidPrice;
    public Quantity BidQuantity;
    public Price AskPrice;
    public Quantity AskQuantity;
    /// <summary>The book update id the quote belongs to.</summary>
    public long UpdateId;
}

/// <summary>One candle (Binance kline): open time, OHLC, volumes, trade count, and whether it has closed.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct CandleData
{
    public long OpenTimeMs;
    public Price Open;
    public Price High;
    public Price Low;
    public Price Close;
    /// <summary>Base-asset volume.</summary>
    public Quantity Volume;
    /// <summary>Quote-asset volume.</summary>
    public Notional QuoteVolume;
    public int TradeCount;
    public ushort IntervalMinutes;
    public bool IsClosed;

    /// <summary>The candle was fetched from REST to fill a gap in the stream, not received live.</summary>
    public bool IsBackfilled;
}

/// <summary>Where a <see cref="MarketEventKind.Position"/> event's position comes from.</summary>
public enum PositionSource : byte
{
    None = 0,

    /// <summary>Rebuilt from the write-ahead journal at start.</summary>
    Journal,

    /// <summary>The exchange's position (positionRisk) replacing a local one that differed.</summary>
    Reconciliation,
}

/// <summary>A symbol's whole position: signed size (positive long, negative short, zero flat) and entry price.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct PositionData
{
    /// <summary>Signed position size on the symbol's step grid: positive long, negative short.</summary>
    public Quantity Amount;
    /// <summary>Average entry price (zero when flat).</summary>
    public Price EntryPrice;
    /// <summary>Realized PnL carried with the position, in the margin asset (zero when unknown).</summary>
    public Notional RealizedPnl;
    /// <summary>Pairs the event with the reconciliation run (or 0) that produced it.</summary>
    public long CorrelationId;
    public PositionSource Source;
}

/// <summary>The mark price, index price and funding (Binance markPriceUpdate).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct MarkPriceData
{
    /// <summary>The price unrealized PnL and liquidation are computed on.</summary>
    public Price MarkPrice;
    public Price IndexPrice;
    /// <summary>Estimated settle price (only useful in the last hour before funding).</summary>
    public Price EstimatedSettlePrice;
    /// <summary>The current funding rate as a fixed-point mantissa (scale 1e8, like prices): 0.0001 is 10000.</summary>
    public long FundingRate;
    /// <summary>When the next funding happens, milliseconds since the Unix epoch.</summary>
    public long NextFundingTimeMs;
}

/// <summary>The life-cycle state of an order, as the venue reports it.</summary>
public enum OrderStatus : byte
{
    None = 0,
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    Rejected,
    Expired,
}

/// <summary>A change to one of our orders: an acknowledgement, a fill, a cancel or a rejection.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct OrderUpdateData
{
    /// <summary>The venue's order id (0 until acknowledged).</summary>
    public long OrderId;
    /// <summary>Our client order id in numeric form (run id and sequence).</summary>
    public long ClientOrderId;
    public Price Price;
    public Quantity Quantity;
    public Quantity FilledQuantity;
    public Price LastFillPrice;
    public Quantity LastFillQuantity;
    public Side Side;
    public OrderKind OrderKind;
    public OrderStatus Status;
    /// <summary>The order may only reduce the position: an exit. False for an entry.</summary>
    public bool ReduceOnly;
}

/// <summary>The account's balances (Binance ACCOUNT_UPDATE or a balance query), in the margin asset.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct AccountData
{
    /// <summary>Wallet balance: deposits plus realized PnL and fees.</summary>
    public Notional WalletBalance;
    /// <summary>Equity (margin balance): wallet balance plus unrealized PnL; what risk is sized on.</summary>
    public Notional Equity;
}

/// <summary>Operator and internal commands that travel through the ring so their owners handle them in order.</summary>
public enum CommandKind : byte
{
    None = 0,
    Pause,
    Resume,
    Flatten,
    Reconcile,
    SetMode,
    Shutdown,
}

/// <summary>A command and its argument; the correlation id pairs it with the reply the caller waits for.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct CommandData
{
    public long Argument;
    public long CorrelationId;
    public CommandKind Kind;
}
