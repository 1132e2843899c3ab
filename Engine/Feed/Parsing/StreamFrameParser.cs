using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Engine.Model;
using Microsoft.Extensions.Logging;

namespace Engine.Feed.Parsing;

/// <summary>
/// Turns one Binance USDⓈ-M market-stream WebSocket text frame into a <see cref="MarketEvent"/>, allocation-free.
/// </summary>
/// <remarks>
/// <para>
/// Accepts the combined form <c>{"stream":"btcusdt@aggTrade","data":{...}}</c> and bare payloads. The event type
/// comes from the payload's <c>e</c>: <c>aggTrade</c> and raw <c>trade</c> (type <c>X</c> = <c>MARKET</c> only) become
/// <see cref="MarketEventKind.Trade"/>, <c>kline</c> <see cref="MarketEventKind.Candle"/>, <c>bookTicker</c>
/// <see cref="MarketEventKind.Quote"/>, <c>markPriceUpdate</c> <see cref="MarketEventKind.MarkPrice"/>; depth,
/// request replies and other documented streams are skipped and counted.
/// </para>
/// <para>
/// One pass of <see cref="Utf8JsonReader"/> over the whole frame validates it and notes where each field the parser
/// reads lies (fields in any order; unknown fields ignored); the event is then built from those spans. Because the
/// whole frame is validated before anything is interpreted, a truncated or corrupted frame never yields an event.
/// Prices and quantities are parsed exactly with <see cref="FixedPoint.TryParse"/>; symbols are looked up by their
/// bytes. Trades carry their trade time <c>T</c> as <see cref="MarketEvent.ExchangeTimeMs"/> (the time Binance's
/// klines bucket a trade by, and the only time replayed CSV has); every other kind carries the event time <c>E</c>.
/// </para>
/// <para>
/// Not thread-safe: one parser per receiving thread. After the first frames (and the first escaped string, which
/// sizes a scratch buffer) parsing allocates nothing; a dropped frame costs an exception inside the JSON reader
/// when it is not valid JSON, and a log line the first time its problem is seen.
/// </para>
/// </remarks>
public sealed partial class StreamFrameParser
{
    /// <summary>How many leading bytes of a dropped frame are logged (escaped) as its sample.</summary>
    public const int SampleLength = 200;

    private const int TableSize = 128;
    private const int RootTable = 0;
    private const int DataTable = 1;
    private const int RootKlineTable = 2;
    private const int DataKlineTable = 3;

    // Slots of the multi-character envelope names; single-character names use their ASCII code as slot.
    private const byte StreamSlot = 1;
    private const byte DataSlot = 2;
    private const byte ResultSlot = 3;
    private const byte IdSlot = 4;
    private const byte CodeSlot = 5;
    private const byte MsgSlot = 6;

    // The longest raw (escaped) property name that can unescape to a known name: six characters as \uXXXX each.
    private const int MaxEscapedNameLength = 36;

    // Single-character fields read from a payload (any event kind) and from a kline's "k" object.
    private static readonly bool[] _payloadNames = NameSet("eETsapqflmtXubBAiPrk");
    private static readonly bool[] _klineNames = NameSet("tiochlvnxq");

    private readonly SymbolTable _symbols;
    private readonly FrameCounters _counters;
    private readonly ILogger _logger;
    private readonly Field[] _fields = new Field[4 * TableSize];
    private readonly bool[] _logged = new bool[(int)FrameProblem.UnknownSymbol + 1];
    private readonly bool[] _refusalLogged = new bool[FeedRefusals.ReasonCount];
    private readonly EventTimeWindow? _eventTimes;
    private readonly FeedRefusals? _refusals;
    private bool _errorReplyLogged;
    private byte[] _scratch = [];
    private int _scratchUsed;
    private int _generation;
    private bool _duplicate;
    private JsonTokenType _rootType;
    private byte _badField;
    private ReadKind _badKind;

    /// <summary>Creates a parser that resolves symbols with <paramref name="symbols"/> and counts into <paramref name="counters"/>.</summary>
    public StreamFrameParser(SymbolTable symbols, FrameCounters counters, ILogger logger)
        : this(symbols, counters, logger, null, null)
    {
    }

    /// <summary>
    /// As the other constructor, and refuses events whose time is outside <paramref name="eventTimes"/> (none: any
    /// time, as for recorded frames), also counting every refusal into <paramref name="refusals"/> when given.
    /// </summary>
    public StreamFrameParser(SymbolTable symbols, FrameCounters counters, ILogger logger, EventTimeWindow? eventTimes, FeedRefusals? refusals)
    {
        _symbols = symbols ?? throw new ArgumentNullException(nameof(symbols));
        _counters = counters ?? throw new ArgumentNullException(nameof(counters));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _eventTimes = eventTimes;
        _refusals = refusals;
    }

    /// <summary>The counters this parser writes.</summary>
    public FrameCounters Counters => _counters;

    private enum ReadKind : byte
    {
        None = 0,
        Envelope,
        AggTrade,
        Trade,
        Kline,
        BookTicker,
        MarkPrice,
    }

    /// <summary>
    /// Parses one complete WebSocket text frame into <paramref name="evt"/>. On <see cref="FrameOutcome.Event"/> the
    /// event's header (via <see cref="MarketEvent.Begin"/>) and its kind's payload are fully written; on any other
    /// outcome <paramref name="evt"/> holds nothing meaningful and must not be published. Never throws on bad input.
    /// </summary>
    public FrameOutcome Parse(ReadOnlySpan<byte> frame, long receivedTimestamp, ref MarketEvent evt)
    {
        _badField = 0;
        _badKind = ReadKind.Envelope;
        NewGeneration();
        if (FastScan(frame))
        {
            return Interpret(frame, receivedTimestamp, ref evt);
        }

        // Whatever the fast scanner does not take (escapes, non-ASCII, deep nesting, invalid JSON) is read again,
        // from scratch, by Utf8JsonReader, which also decides what is invalid.
        _counters.CountReaderPass();
        NewGeneration();
        bool valid;
        try
        {
            valid = Scan(frame);
        }
        catch (JsonException)
        {
            valid = false;
        }

        return valid ? Interpret(frame, receivedTimestamp, ref evt) : Drop(FrameOutcome.Malformed, FrameProblem.InvalidJson, frame);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NewGeneration()
    {
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_fields);
            _generation = 1;
        }

        _duplicate = false;
        _scratchUsed = 0;
    }

    private static bool[] NameSet(string names)
    {
        var set = new bool[TableSize];
        foreach (var c in names)
        {
            set[c] = true;
        }

        return set;
    }

    private bool Scan(ReadOnlySpan<byte> frame)
    {
        var reader = new Utf8JsonReader(frame, isFinalBlock: true, state: default);
        if (!reader.Read())
        {
            return false;
        }

        _rootType = reader.TokenType;
        if (_rootType == JsonTokenType.StartObject)
        {
            ScanObject(ref reader, frame, RootTable);
        }
        else if (_rootType == JsonTokenType.StartArray)
        {
            reader.Skip();
        }

        // Anything after the one top-level value (other than whitespace) makes the reader throw here.
        return !reader.Read();
    }

    private void ScanObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> frame, int table)
    {
        var payload = table < RootKlineTable;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var slot = NameSlot(ref reader, payload);
            reader.Read();
            var type = reader.TokenType;
            if (slot == 0)
            {
                if (type is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }

                continue;
            }

            ref var field = ref _fields[(table * TableSize) + slot];
            if (field.Generation == _generation)
            {
                _duplicate = true;
            }

            field.Generation = _generation;
            field.Type = type;
            field.InScratch = false;
            switch (type)
            {
                case JsonTokenType.String:
                    if (reader.ValueIsEscaped)
                    {
                        Unescape(ref reader, frame.Length, ref field);
                    }
                    else
                    {
                        SetSpan(frame, reader.ValueSpan, ref field);
                    }

                    break;
                case JsonTokenType.Number:
                    SetSpan(frame, reader.ValueSpan, ref field);
                    break;
                case JsonTokenType.StartObject:
                    if (table == RootTable && slot == DataSlot)
                    {
                        ScanObject(ref reader, frame, DataTable);
                    }
                    else if (slot == (byte)'k' && payload)
                    {
                        ScanObject(ref reader, frame, table == RootTable ? RootKlineTable : DataKlineTable);
                    }
                    else
                    {
                        reader.Skip();
                    }

                    break;
                case JsonTokenType.StartArray:
                    reader.Skip();
                    break;
                default:
                    break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetSpan(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> value, ref Field field)
    {
        field.Start = (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(frame), ref MemoryMarshal.GetReference(value));
        field.Length = value.Length;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Unescape(ref Utf8JsonReader reader, int frameLength, ref Field field)
    {
        // Unescaped text is never longer than the frame, so one frame-sized buffer holds every string of a frame.
        if (_scratch.Length < frameLength)
        {
            var size = Math.Min(Array.MaxLength, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)frameLength));
            _scratch = new byte[Math.Max(256, size)];
        }

        int written;
        try
        {
            written = reader.CopyString(_scratch.AsSpan(_scratchUsed));
        }
        catch (InvalidOperationException)
        {
            // Escapes that decode to no text (a lone surrogate): unreadable, which matters only if the field is read.
            field.Type = JsonTokenType.None;
            return;
        }

        field.Start = _scratchUsed;
        field.Length = written;
        field.InScratch = true;
        _scratchUsed += written;
    }

    private static byte NameSlot(ref Utf8JsonReader reader, bool payload)
    {
        if (!reader.ValueIsEscaped)
        {
            return Slot(reader.ValueSpan, payload);
        }

        if (reader.ValueSpan.Length > MaxEscapedNameLength)
        {
            return 0;
        }

        Span<byte> name = stackalloc byte[MaxEscapedNameLength];
        int written;
        try
        {
            written = reader.CopyString(name);
        }
        catch (InvalidOperationException)
        {
            // A name whose escapes decode to no text is no name the parser reads.
            return 0;
        }

        return Slot(name[..written], payload);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Slot(ReadOnlySpan<byte> name, bool payload)
    {
        if (name.Length == 1)
        {
            var c = name[0];
            return c < TableSize && (payload ? _payloadNames : _klineNames)[c] ? c : (byte)0;
        }

        return payload ? EnvelopeSlot(name) : (byte)0;
    }

    private static byte EnvelopeSlot(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when name.SequenceEqual("id"u8) => IdSlot,
        3 when name.SequenceEqual("msg"u8) => MsgSlot,
        4 when name.SequenceEqual("data"u8) => DataSlot,
        4 when name.SequenceEqual("code"u8) => CodeSlot,
        6 when name.SequenceEqual("stream"u8) => StreamSlot,
        6 when name.SequenceEqual("result"u8) => ResultSlot,
        _ => 0,
    };

    private FrameOutcome Interpret(ReadOnlySpan<byte> frame, long receivedTimestamp, ref MarketEvent evt)
    {
        if (_rootType == JsonTokenType.StartArray)
        {
            return Drop(FrameOutcome.UnknownStream, FrameProblem.ArrayPayload, frame);
        }

        if (_rootType != JsonTokenType.StartObject)
        {
            return Drop(FrameOutcome.Malformed, FrameProblem.NotAnObject, frame);
        }

        if (_duplicate)
        {
            return Drop(FrameOutcome.Malformed, FrameProblem.DuplicateField, frame);
        }

        var table = RootTable;
        ref var data = ref FieldOf(RootTable, DataSlot);
        if (data.Generation == _generation)
        {
            ref var stream = ref FieldOf(RootTable, StreamSlot);
            if (stream.Generation == _generation && stream.Type != JsonTokenType.String)
            {
                return Bad(FrameProblem.WrongType, StreamSlot, frame);
            }

            if (data.Type == JsonTokenType.StartArray)
            {
                return Drop(FrameOutcome.UnknownStream, FrameProblem.ArrayPayload, frame);
            }

            if (data.Type != JsonTokenType.StartObject)
            {
                return Drop(FrameOutcome.Malformed, FrameProblem.NotAnObject, frame);
            }

            table = DataTable;
        }
        else if (FieldOf(RootTable, (byte)'e').Generation != _generation)
        {
            if (FieldOf(RootTable, ResultSlot).Generation == _generation || FieldOf(RootTable, IdSlot).Generation == _generation)
            {
                return Skip(SkipReason.SubscriptionReply, frame);
            }

            if (FieldOf(RootTable, CodeSlot).Generation == _generation)
            {
                LogErrorReplyOnce(frame);
                return Skip(SkipReason.ErrorReply, frame);
            }
        }

        ref var type = ref FieldOf(table, (byte)'e');
        if (type.Generation != _generation)
        {
            return Drop(FrameOutcome.UnknownStream, FrameProblem.NoEventType, frame);
        }

        if (type.Type != JsonTokenType.String)
        {
            return Bad(FrameProblem.WrongType, (byte)'e', frame);
        }

        var name = ValueOf(in type, frame);
        ReadKind kind;
        if (name.SequenceEqual("aggTrade"u8))
        {
            kind = ReadKind.AggTrade;
        }
        else if (name.SequenceEqual("bookTicker"u8))
        {
            kind = ReadKind.BookTicker;
        }
        else if (name.SequenceEqual("depthUpdate"u8))
        {
            return Skip(SkipReason.DepthUpdate, frame);
        }
        else if (name.SequenceEqual("kline"u8))
        {
            kind = ReadKind.Kline;
        }
        else if (name.SequenceEqual("trade"u8))
        {
            kind = ReadKind.Trade;
        }
        else if (name.SequenceEqual("markPriceUpdate"u8))
        {
            kind = ReadKind.MarkPrice;
        }
        else if (IsUnusedEvent(name))
        {
            return Skip(SkipReason.UnusedEvent, frame);
        }
        else
        {
            return Drop(FrameOutcome.UnknownStream, FrameProblem.UnknownEventType, frame);
        }

        _badKind = kind;
        ref var s = ref FieldOf(table, (byte)'s');
        if (s.Generation != _generation)
        {
            return Bad(FrameProblem.MissingField, (byte)'s', frame);
        }

        if (s.Type != JsonTokenType.String)
        {
            return Bad(FrameProblem.WrongType, (byte)'s', frame);
        }

        if (!_symbols.TryGet(ValueOf(in s, frame), out var symbol))
        {
            _badField = (byte)'s';
            return Drop(FrameOutcome.UnknownSymbol, FrameProblem.UnknownSymbol, frame);
        }

        FrameProblem problem;
        if ((problem = ReadLong(table, (byte)'E', frame, out var eventTime)) != FrameProblem.None)
        {
            return Bad(problem, (byte)'E', frame);
        }

        return kind switch
        {
            ReadKind.AggTrade => AggTrade(table, frame, symbol, receivedTimestamp, ref evt),
            ReadKind.Trade => RawTrade(table, frame, symbol, receivedTimestamp, ref evt),
            ReadKind.Kline => Kline(table, frame, symbol, eventTime, receivedTimestamp, ref evt),
            ReadKind.BookTicker => BookTicker(table, frame, symbol, eventTime, receivedTimestamp, ref evt),
            _ => MarkPrice(table, frame, symbol, eventTime, receivedTimestamp, ref evt),
        };
    }

    private static bool IsUnusedEvent(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("24hrTicker"u8)
        || name.SequenceEqual("24hrMiniTicker"u8)
        || name.SequenceEqual("forceOrder"u8)
        || name.SequenceEqual("continuous_kline"u8)
        || name.SequenceEqual("compositeIndex"u8)
        || name.SequenceEqual("contractInfo"u8)
        || name.SequenceEqual("assetIndexUpdate"u8);

    private FrameOutcome AggTrade(int t, ReadOnlySpan<byte> frame, SymbolId symbol, long received, ref MarketEvent evt)
    {
        FrameProblem p;
        byte f;
        if ((p = ReadLong(t, f = (byte)'T', frame, out var time)) != 0
            || (p = ReadLong(t, f = (byte)'a', frame, out var id)) != 0
            || (p = ReadFixed(t, f = (byte)'p', frame, out var price)) != 0
            || (p = ReadFixed(t, f = (byte)'q', frame, out var quantity)) != 0
            || (p = ReadLong(t, f = (byte)'f', frame, out var first)) != 0
            || (p = ReadLong(t, f = (byte)'l', frame, out var last)) != 0
            || (p = ReadBool(t, f = (byte)'m', out var buyerIsMaker)) != 0)
        {
            return Bad(p, f, frame);
        }

        evt.Begin(MarketEventKind.Trade, symbol, time, received);
        evt.Trade.Price = Price.FromMantissa(price);
        evt.Trade.Quantity = Quantity.FromMantissa(quantity);
        evt.Trade.TradeId = id;
        evt.Trade.FirstTradeId = first;
        evt.Trade.LastTradeId = last;
        evt.Trade.BuyerIsMaker = buyerIsMaker;
        var refusal = id < 0 || first < 0 || first > last ? FrameRefusal.Id : TradeRefusal(price, quantity, time, received);
        return Conclude(MarketEventKind.Trade, refusal, symbol, frame);
    }

    private FrameOutcome RawTrade(int t, ReadOnlySpan<byte> frame, SymbolId symbol, long received, ref MarketEvent evt)
    {
        ref var type = ref FieldOf(t, (byte)'X');
        if (type.Generation != _generation)
        {
            return Bad(FrameProblem.MissingField, (byte)'X', frame);
        }

        if (type.Type != JsonTokenType.String)
        {
            return Bad(FrameProblem.WrongType, (byte)'X', frame);
        }

        if (!ValueOf(in type, frame).SequenceEqual("MARKET"u8))
        {
            return Skip(SkipReason.NonMarketTrade, frame);
        }

        FrameProblem p;
        byte f;
        if ((p = ReadLong(t, f = (byte)'T', frame, out var time)) != 0
            || (p = ReadLong(t, f = (byte)'t', frame, out var id)) != 0
            || (p = ReadFixed(t, f = (byte)'p', frame, out var price)) != 0
            || (p = ReadFixed(t, f = (byte)'q', frame, out var quantity)) != 0
            || (p = ReadBool(t, f = (byte)'m', out var buyerIsMaker)) != 0)
        {
            return Bad(p, f, frame);
        }

        evt.Begin(MarketEventKind.Trade, symbol, time, received);
        evt.Trade.Price = Price.FromMantissa(price);
        evt.Trade.Quantity = Quantity.FromMantissa(quantity);
        evt.Trade.TradeId = id;
        evt.Trade.FirstTradeId = id;
        evt.Trade.LastTradeId = id;
        evt.Trade.BuyerIsMaker = buyerIsMaker;
        var refusal = id < 0 ? FrameRefusal.Id : TradeRefusal(price, quantity, time, received);
        return Conclude(MarketEventKind.Trade, refusal, symbol, frame);
    }

    private FrameOutcome Kline(int t, ReadOnlySpan<byte> frame, SymbolId symbol, long eventTime, long received, ref MarketEvent evt)
    {
        ref var k = ref FieldOf(t, (byte)'k');
        if (k.Generation != _generation)
        {
            return Bad(FrameProblem.MissingField, (byte)'k', frame);
        }

        if (k.Type != JsonTokenType.StartObject)
        {
            return Bad(FrameProblem.WrongType, (byte)'k', frame);
        }

        var kt = t == RootTable ? RootKlineTable : DataKlineTable;
        ref var interval = ref FieldOf(kt, (byte)'i');
        if (interval.Generation != _generation)
        {
            return Bad(FrameProblem.MissingField, (byte)'i', frame);
        }

        if (interval.Type != JsonTokenType.String)
        {
            return Bad(FrameProblem.WrongType, (byte)'i', frame);
        }

        var minutes = IntervalMinutes(ValueOf(in interval, frame));
        if (minutes == 0)
        {
            return Skip(SkipReason.UnsupportedInterval, frame);
        }

        FrameProblem p;
        byte f;
        if ((p = ReadLong(kt, f = (byte)'t', frame, out var openTime)) != 0
            || (p = ReadFixed(kt, f = (byte)'o', frame, out var open)) != 0
            || (p = ReadFixed(kt, f = (byte)'h', frame, out var high)) != 0
            || (p = ReadFixed(kt, f = (byte)'l', frame, out var low)) != 0
            || (p = ReadFixed(kt, f = (byte)'c', frame, out var close)) != 0
            || (p = ReadFixed(kt, f = (byte)'v', frame, out var volume)) != 0
            || (p = ReadFixed(kt, f = (byte)'q', frame, out var quoteVolume)) != 0
            || (p = ReadCount(kt, f = (byte)'n', frame, out var count)) != 0
            || (p = ReadBool(kt, f = (byte)'x', out var closed)) != 0)
        {
            return Bad(p, f, frame);
        }

        evt.Begin(MarketEventKind.Candle, symbol, eventTime, received);
        evt.Candle.OpenTimeMs = openTime;
        evt.Candle.Open = Price.FromMantissa(open);
        evt.Candle.High = Price.FromMantissa(high);
        evt.Candle.Low = Price.FromMantissa(low);
        evt.Candle.Close = Price.FromMantissa(close);
        evt.Candle.Volume = Quantity.FromMantissa(volume);
        evt.Candle.QuoteVolume = Notional.FromMantissa(quoteVolume);
        evt.Candle.TradeCount = count;
        evt.Candle.IntervalMinutes = (ushort)minutes;
        evt.Candle.IsClosed = closed;
        evt.Candle.IsBackfilled = false;

        // A minute without trades is a legal kline (volume 0, all four prices the previous close), so volumes may be
        // zero; a price of zero or prices outside their own low..high may not.
        var refusal = open <= 0 || high <= 0 || low <= 0 || close <= 0 ? FrameRefusal.Price
            : volume < 0 || quoteVolume < 0 ? FrameRefusal.Quantity
            : low > Math.Min(open, close) || high < Math.Max(open, close) ? FrameRefusal.KlineRange
            : TimeRefusal(eventTime, received);
        return Conclude(MarketEventKind.Candle, refusal, symbol, frame);
    }

    private FrameOutcome BookTicker(int t, ReadOnlySpan<byte> frame, SymbolId symbol, long eventTime, long received, ref MarketEvent evt)
    {
        FrameProblem p;
        byte f;
        if ((p = ReadLong(t, f = (byte)'u', frame, out var updateId)) != 0
            || (p = ReadFixed(t, f = (byte)'b', frame, out var bid)) != 0
            || (p = ReadFixed(t, f = (byte)'B', frame, out var bidQuantity)) != 0
            || (p = ReadFixed(t, f = (byte)'a', frame, out var ask)) != 0
            || (p = ReadFixed(t, f = (byte)'A', frame, out var askQuantity)) != 0)
        {
            return Bad(p, f, frame);
        }

        evt.Begin(MarketEventKind.Quote, symbol, eventTime, received);
        evt.Quote.BidPrice = Price.FromMantissa(bid);
        evt.Quote.BidQuantity = Quantity.FromMantissa(bidQuantity);
        evt.Quote.AskPrice = Price.FromMantissa(ask);
        evt.Quote.AskQuantity = Quantity.FromMantissa(askQuantity);
        evt.Quote.UpdateId = updateId;

        // The best level of a book side exists only while it holds a quantity, so a zero quantity is as impossible as
        // a zero price (an empty side is not a state a perpetual's book ticker reports).
        var refusal = updateId < 0 ? FrameRefusal.Id
            : bid <= 0 || ask <= 0 ? FrameRefusal.Price
            : bidQuantity <= 0 || askQuantity <= 0 ? FrameRefusal.Quantity
            : TimeRefusal(eventTime, received);
        return Conclude(MarketEventKind.Quote, refusal, symbol, frame);
    }

    private FrameOutcome MarkPrice(int t, ReadOnlySpan<byte> frame, SymbolId symbol, long eventTime, long received, ref MarketEvent evt)
    {
        FrameProblem p;
        byte f;
        if ((p = ReadFixed(t, f = (byte)'p', frame, out var mark)) != 0
            || (p = ReadFixed(t, f = (byte)'i', frame, out var index)) != 0
            || (p = ReadFixed(t, f = (byte)'P', frame, out var settle)) != 0
            || (p = ReadFundingRate(t, frame, out var funding, out f)) != 0
            || (p = ReadLong(t, f = (byte)'T', frame, out var nextFunding)) != 0)
        {
            return Bad(p, f, frame);
        }

        evt.Begin(MarketEventKind.MarkPrice, symbol, eventTime, received);
        evt.MarkPrice.MarkPrice = Price.FromMantissa(mark);
        evt.MarkPrice.IndexPrice = Price.FromMantissa(index);
        evt.MarkPrice.EstimatedSettlePrice = Price.FromMantissa(settle);
        evt.MarkPrice.FundingRate = funding;
        evt.MarkPrice.NextFundingTimeMs = nextFunding;

        // Only the mark price must be positive: the index and the estimated settle price are informative and may be
        // zero for a contract without them; the funding rate may be negative.
        var refusal = mark <= 0 || index < 0 || settle < 0 ? FrameRefusal.Price : TimeRefusal(eventTime, received);
        return Conclude(MarketEventKind.MarkPrice, refusal, symbol, frame);
    }

    // Delivery contracts send "r":"" (no funding); read it as zero rather than drop their mark price.
    private FrameProblem ReadFundingRate(int table, ReadOnlySpan<byte> frame, out long rate, out byte name)
    {
        name = (byte)'r';
        ref var field = ref FieldOf(table, name);
        if (field.Generation == _generation && field.Type == JsonTokenType.String && field.Length == 0)
        {
            rate = 0;
            return FrameProblem.None;
        }

        return ReadFixed(table, name, frame, out rate);
    }

    /// <summary>Minutes of a kline interval such as "1m", "4h", "1d", "1w"; 0 for anything else ("1s", "1M", garbage).</summary>
    internal static int IntervalMinutes(ReadOnlySpan<byte> interval)
    {
        if (interval.Length is < 2 or > 6 || interval[0] == (byte)'0')
        {
            return 0;
        }

        var count = 0;
        for (var i = 0; i < interval.Length - 1; i++)
        {
            var digit = (uint)(interval[i] - '0');
            if (digit > 9)
            {
                return 0;
            }

            count = (count * 10) + (int)digit;
        }

        long unit = interval[^1] switch
        {
            (byte)'m' => 1,
            (byte)'h' => 60,
            (byte)'d' => 1440,
            (byte)'w' => 10080,
            _ => 0,
        };
        var minutes = count * unit;
        return minutes is >= 1 and <= ushort.MaxValue ? (int)minutes : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Field FieldOf(int table, byte name) => ref _fields[(table * TableSize) + name];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> ValueOf(in Field field, ReadOnlySpan<byte> frame) =>
        field.InScratch ? _scratch.AsSpan(field.Start, field.Length) : frame.Slice(field.Start, field.Length);

    private FrameProblem ReadLong(int table, byte name, ReadOnlySpan<byte> frame, out long value)
    {
        ref var field = ref FieldOf(table, name);
        if (field.Generation != _generation)
        {
            value = 0;
            return FrameProblem.MissingField;
        }

        // The same test as Utf8JsonReader.TryGetInt64: an integer in range, no fraction or exponent.
        if (field.Type != JsonTokenType.Number || !TryParseInt64(frame.Slice(field.Start, field.Length), out value))
        {
            value = 0;
            return FrameProblem.WrongType;
        }

        return FrameProblem.None;
    }

    // A JSON number token as a long, exactly as Utf8Parser (and so Utf8JsonReader.TryGetInt64) reads it. Up to 18
    // digits cannot overflow and are summed inline; longer ones, a fraction or an exponent go to Utf8Parser.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryParseInt64(ReadOnlySpan<byte> number, out long value)
    {
        var negative = !number.IsEmpty && number[0] == (byte)'-';
        var digits = negative ? number[1..] : number;
        if ((uint)(digits.Length - 1) < 18)
        {
            long sum = 0;
            foreach (var b in digits)
            {
                var digit = (uint)(b - '0');
                if (digit > 9)
                {
                    return TryParseInt64Slow(number, out value);
                }

                sum = (sum * 10) + digit;
            }

            value = negative ? -sum : sum;
            return true;
        }

        return TryParseInt64Slow(number, out value);
    }

    private static bool TryParseInt64Slow(ReadOnlySpan<byte> number, out long value) =>
        Utf8Parser.TryParse(number, out value, out var consumed) && consumed == number.Length;

    private FrameProblem ReadCount(int table, byte name, ReadOnlySpan<byte> frame, out int value)
    {
        ref var field = ref FieldOf(table, name);
        value = 0;
        if (field.Generation != _generation)
        {
            return FrameProblem.MissingField;
        }

        if (field.Type != JsonTokenType.Number
            || !Utf8Parser.TryParse(frame.Slice(field.Start, field.Length), out value, out var consumed)
            || consumed != field.Length)
        {
            return FrameProblem.WrongType;
        }

        return value < 0 ? FrameProblem.NegativeValue : FrameProblem.None;
    }

    // Any sign: whether a value may be negative (or zero) is the value checks' business, counted as a refusal.
    private FrameProblem ReadFixed(int table, byte name, ReadOnlySpan<byte> frame, out long mantissa)
    {
        ref var field = ref FieldOf(table, name);
        mantissa = 0;
        if (field.Generation != _generation)
        {
            return FrameProblem.MissingField;
        }

        if (field.Type != JsonTokenType.String)
        {
            return FrameProblem.WrongType;
        }

        return FixedPoint.TryParse(ValueOf(in field, frame), out mantissa, out _) ? FrameProblem.None : FrameProblem.BadNumber;
    }

    private FrameProblem ReadBool(int table, byte name, out bool value)
    {
        ref var field = ref FieldOf(table, name);
        value = field.Type == JsonTokenType.True;
        if (field.Generation != _generation)
        {
            return FrameProblem.MissingField;
        }

        return field.Type is JsonTokenType.True or JsonTokenType.False ? FrameProblem.None : FrameProblem.WrongType;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FrameRefusal TradeRefusal(long price, long quantity, long time, long received) =>
        price <= 0 ? FrameRefusal.Price : quantity <= 0 ? FrameRefusal.Quantity : TimeRefusal(time, received);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FrameRefusal TimeRefusal(long time, long received) =>
        _eventTimes is null || _eventTimes.Accepts(time, received) ? FrameRefusal.None : FrameRefusal.EventTime;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FrameOutcome Conclude(MarketEventKind kind, FrameRefusal refusal, SymbolId symbol, ReadOnlySpan<byte> frame) =>
        refusal == FrameRefusal.None ? Emit(kind, frame) : Refuse(refusal, symbol, frame);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private FrameOutcome Refuse(FrameRefusal reason, SymbolId symbol, ReadOnlySpan<byte> frame)
    {
        _counters.CountRefusal(reason, frame.Length);
        _refusals?.Count(reason, symbol);
        if (!_refusalLogged[(int)reason])
        {
            _refusalLogged[(int)reason] = true;
            FeedParserLog.EventRefused(_logger, reason, Describe(reason), KindName(_badKind), _symbols.NameOf(symbol),
                Math.Min(frame.Length, SampleLength), frame.Length, Sample(frame));
        }

        return FrameOutcome.Refused;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FrameOutcome Emit(MarketEventKind kind, ReadOnlySpan<byte> frame)
    {
        _counters.CountEvent(kind, frame.Length);
        return FrameOutcome.Event;
    }

    private FrameOutcome Skip(SkipReason reason, ReadOnlySpan<byte> frame)
    {
        _counters.CountSkip(reason, frame.Length);
        return FrameOutcome.Skipped;
    }

    private FrameOutcome Bad(FrameProblem problem, byte field, ReadOnlySpan<byte> frame)
    {
        _badField = field;
        return Drop(FrameOutcome.Malformed, problem, frame);
    }

    private FrameOutcome Drop(FrameOutcome outcome, FrameProblem problem, ReadOnlySpan<byte> frame)
    {
        _counters.CountProblem(outcome, problem, frame.Length);
        if (!_logged[(int)problem])
        {
            _logged[(int)problem] = true;
            LogDrop(outcome, problem, frame);
        }

        return outcome;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LogDrop(FrameOutcome outcome, FrameProblem problem, ReadOnlySpan<byte> frame)
    {
        var detail = _badField == 0
            ? Describe(problem)
            : string.Concat(Describe(problem), " (field '", FieldName(_badField), "'", _badKind > ReadKind.Envelope ? string.Concat(" of ", KindName(_badKind)) : "", ")");
        FeedParserLog.FrameDropped(_logger, outcome, problem, detail, Math.Min(frame.Length, SampleLength), frame.Length, Sample(frame));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LogErrorReplyOnce(ReadOnlySpan<byte> frame)
    {
        if (_errorReplyLogged)
        {
            return;
        }

        _errorReplyLogged = true;
        FeedParserLog.ErrorReply(_logger, Math.Min(frame.Length, SampleLength), frame.Length, Sample(frame));
    }

    private static string FieldName(byte slot) => slot switch
    {
        StreamSlot => "stream",
        DataSlot => "data",
        ResultSlot => "result",
        IdSlot => "id",
        CodeSlot => "code",
        MsgSlot => "msg",
        _ => ((char)slot).ToString(),
    };

    private static string KindName(ReadKind kind) => kind switch
    {
        ReadKind.AggTrade => "aggTrade",
        ReadKind.Trade => "trade",
        ReadKind.Kline => "kline",
        ReadKind.BookTicker => "bookTicker",
        ReadKind.MarkPrice => "markPriceUpdate",
        _ => "frame",
    };

    private static string Describe(FrameProblem problem) => problem switch
    {
        FrameProblem.InvalidJson => "not valid JSON (truncated, bad syntax, trailing bytes or nested deeper than 64)",
        FrameProblem.NotAnObject => "not a JSON object",
        FrameProblem.DuplicateField => "a field the parser reads appears twice in one object",
        FrameProblem.MissingField => "a required field is missing",
        FrameProblem.WrongType => "a field has the wrong JSON type",
        FrameProblem.BadNumber => "a decimal string is not an exact fixed-point number (8 decimals at most, no exponent)",
        FrameProblem.NegativeValue => "a negative trade count",
        FrameProblem.NoEventType => "no event type 'e' and not a reply",
        FrameProblem.UnknownEventType => "an event type the parser does not know",
        FrameProblem.ArrayPayload => "an array payload (subscribe per symbol instead of to an all-market array stream)",
        FrameProblem.UnknownSymbol => "a symbol not in the symbol table",
        _ => problem.ToString(),
    };

    private string Describe(FrameRefusal reason) => reason switch
    {
        FrameRefusal.Price => "a price of zero or below",
        FrameRefusal.Quantity => "a quantity of zero or below (a kline volume below zero)",
        FrameRefusal.KlineRange => "an open or close outside the kline's low..high",
        FrameRefusal.EventTime => string.Create(CultureInfo.InvariantCulture, $"an event time more than {_eventTimes?.MaxSkewMs ?? 0} ms from the venue's clock"),
        FrameRefusal.Id => "a negative id (or an aggregate trade's first id after its last)",
        _ => reason.ToString(),
    };

    /// <summary>The first <see cref="SampleLength"/> bytes, printable ASCII as is and every other byte (and '\') escaped, so a log line shows exactly what arrived.</summary>
    internal static string Sample(ReadOnlySpan<byte> frame)
    {
        var shown = frame[..Math.Min(frame.Length, SampleLength)];
        var builder = new StringBuilder(shown.Length + 16);
        foreach (var b in shown)
        {
            if (b is >= 0x20 and < 0x7F and not (byte)'\\')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append("\\x").Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        if (frame.Length > SampleLength)
        {
            builder.Append("...");
        }

        return builder.ToString();
    }

    private struct Field
    {
        public int Generation;
        public int Start;
        public int Length;
        public JsonTokenType Type;
        public bool InScratch;
    }
}
