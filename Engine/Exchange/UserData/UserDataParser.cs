using System.Text.Json;
using Engine.Model;

namespace Engine.Exchange.UserData;

/// <summary>What one user-data frame turned out to be.</summary>
public enum UserDataFrameKind : byte
{
    /// <summary>Not JSON, not an object, a known event missing a required field, or a field that does not parse; <see cref="UserDataParser.LastError"/> says which.</summary>
    Malformed = 0,

    /// <summary>ORDER_TRADE_UPDATE: the event holds an <see cref="MarketEventKind.OrderUpdate"/>.</summary>
    OrderUpdate,

    /// <summary>ACCOUNT_UPDATE with the margin asset's balance: the event holds an <see cref="MarketEventKind.Account"/>.</summary>
    AccountUpdate,

    /// <summary>listenKeyExpired: the venue will send nothing more on this key.</summary>
    ListenKeyExpired,

    /// <summary>An event the engine does not act on (TRADE_LITE, which repeats ORDER_TRADE_UPDATE's fill; MARGIN_CALL; ACCOUNT_CONFIG_UPDATE; ALGO_UPDATE; an ACCOUNT_UPDATE without the margin asset before any balance is known; new types).</summary>
    Ignored,

    /// <summary>An ORDER_TRADE_UPDATE for a symbol the engine's table does not hold.</summary>
    UnknownSymbol,
}

/// <summary>
/// Reads Binance user-data frames (BINANCE_USDM.md §11) into ring-slot form with <see cref="Utf8JsonReader"/>,
/// allocating nothing for a well-formed frame. Keeps the account state ACCOUNT_UPDATE is a delta of: the margin
/// asset's wallet balance and each symbol's last reported unrealized PnL, so an Account event's equity is the
/// wallet plus the unrealized PnL of every position reported since the parser was created.
/// </summary>
/// <remarks>One thread at a time (the stream's receive loop).</remarks>
public sealed class UserDataParser
{
    private readonly SymbolTable _symbols;
    private readonly byte[] _marginAsset;
    private readonly long[] _unrealizedBySymbol;
    private (SymbolId Symbol, long Unrealized)[] _pendingUnrealized = new (SymbolId, long)[16];
    private long _unrealizedTotal;
    private long _wallet;
    private bool _walletKnown;

    /// <summary>Creates a parser resolving symbols through <paramref name="symbols"/> and reading balances of <paramref name="marginAsset"/>.</summary>
    public UserDataParser(SymbolTable symbols, string marginAsset = "USDT")
    {
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentException.ThrowIfNullOrWhiteSpace(marginAsset);
        _symbols = symbols;
        _marginAsset = System.Text.Encoding.ASCII.GetBytes(marginAsset);
        _unrealizedBySymbol = new long[symbols.Capacity + 1];
    }

    /// <summary>Why the last <see cref="UserDataFrameKind.Malformed"/> frame was refused (null before any).</summary>
    public string? LastError { get; private set; }

    /// <summary>The margin asset's wallet balance from the last ACCOUNT_UPDATE that carried it.</summary>
    public Notional? WalletBalance => _walletKnown ? Notional.FromMantissa(_wallet) : null;

    /// <summary>
    /// Parses one complete frame. For <see cref="UserDataFrameKind.OrderUpdate"/> and
    /// <see cref="UserDataFrameKind.AccountUpdate"/> the event is written into <paramref name="evt"/> (header included,
    /// with <paramref name="receivedTimestamp"/>); for other kinds <paramref name="evt"/> is left as it was.
    /// </summary>
    public UserDataFrameKind Parse(ReadOnlySpan<byte> frame, ref MarketEvent evt, long receivedTimestamp)
    {
        try
        {
            return ParseCore(frame, ref evt, receivedTimestamp);
        }
        catch (JsonException ex)
        {
            // Only broken JSON gets here; it allocates, which a bad frame may.
            return Malformed("invalid JSON: " + ex.Message);
        }
    }

    private UserDataFrameKind ParseCore(ReadOnlySpan<byte> frame, ref MarketEvent evt, long receivedTimestamp)
    {
        var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = 16 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return Malformed("the frame is not a JSON object");
        }

        var type = EventType.Missing;
        long eventTime = 0;
        var order = default(OrderFields);
        var account = default(AccountFields);
        var sawOrder = false;
        var sawAccount = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("e"u8))
            {
                reader.Read();
                type = reader.TokenType != JsonTokenType.String ? EventType.Other
                    : reader.ValueTextEquals("ORDER_TRADE_UPDATE"u8) ? EventType.Order
                    : reader.ValueTextEquals("ACCOUNT_UPDATE"u8) ? EventType.Account
                    : reader.ValueTextEquals("listenKeyExpired"u8) ? EventType.ListenKeyExpired
                    : EventType.Other;
            }
            else if (reader.ValueTextEquals("E"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out eventTime))
                {
                    return Malformed("E is not an integer");
                }
            }
            else if (reader.ValueTextEquals("o"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    if (!ReadOrder(ref reader, ref order))
                    {
                        return UserDataFrameKind.Malformed;
                    }

                    sawOrder = true;
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("a"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    if (!ReadAccount(ref reader, ref account))
                    {
                        return UserDataFrameKind.Malformed;
                    }

                    sawAccount = true;
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        switch (type)
        {
            case EventType.Order:
                if (!sawOrder)
                {
                    return Malformed("ORDER_TRADE_UPDATE without its order object");
                }

                return CompleteOrder(ref order, eventTime, ref evt, receivedTimestamp);
            case EventType.Account:
                if (!sawAccount)
                {
                    return Malformed("ACCOUNT_UPDATE without its account object");
                }

                return CompleteAccount(ref account, eventTime, ref evt, receivedTimestamp);
            case EventType.ListenKeyExpired:
                return UserDataFrameKind.ListenKeyExpired;
            case EventType.Missing:
                return Malformed("no event type (e)");
            default:
                return UserDataFrameKind.Ignored;
        }
    }

    private UserDataFrameKind CompleteOrder(ref OrderFields order, long eventTime, ref MarketEvent evt, long receivedTimestamp)
    {
        const Present required = Present.Symbol | Present.Side | Present.Status | Present.OrderId | Present.Filled | Present.LastQuantity | Present.LastPrice;
        if ((order.Present & required) != required)
        {
            return Malformed("ORDER_TRADE_UPDATE lacks one of s, S, X, i, z, l, L");
        }

        if (order.Symbol.IsNone)
        {
            return UserDataFrameKind.UnknownSymbol;
        }

        // Values no venue can report: they would move positions and PnL by what never happened.
        if (order.Quantity.Mantissa < 0 || order.Price.Mantissa < 0 || order.Filled.Mantissa < 0 || order.LastQuantity.Mantissa < 0 || order.LastPrice.Mantissa < 0)
        {
            return Malformed("ORDER_TRADE_UPDATE with a negative quantity or price");
        }

        if (order.LastQuantity.Mantissa > 0 && order.LastPrice.Mantissa == 0)
        {
            return Malformed("ORDER_TRADE_UPDATE with a fill at a price of 0");
        }

        if (order.Filled.Mantissa < order.LastQuantity.Mantissa)
        {
            return Malformed("ORDER_TRADE_UPDATE whose filled quantity (z) is below its last fill (l)");
        }

        evt.Begin(MarketEventKind.OrderUpdate, order.Symbol, eventTime, receivedTimestamp);
        ref var u = ref evt.OrderUpdate;
        u.OrderId = order.OrderId;
        u.ClientOrderId = order.ClientOrderId;
        u.Price = order.Price;
        u.Quantity = order.Quantity;
        u.FilledQuantity = order.Filled;
        u.LastFillPrice = order.LastPrice;
        u.LastFillQuantity = order.LastQuantity;
        u.Side = order.Side;
        u.OrderKind = order.Kind;
        u.Status = order.Status;
        u.ReduceOnly = order.ReduceOnly;
        return UserDataFrameKind.OrderUpdate;
    }

    private UserDataFrameKind CompleteAccount(ref AccountFields account, long eventTime, ref MarketEvent evt, long receivedTimestamp)
    {
        // The sums first, on the side and wide: amounts that overflow them are refused before any state changes.
        Int128 total = _unrealizedTotal;
        for (var i = 0; i < account.PendingCount; i++)
        {
            var (symbol, unrealized) = _pendingUnrealized[i];
            total += (Int128)unrealized - Previous(symbol, i);
        }

        var wallet = account.WalletFound ? account.Wallet : _wallet;
        if (total < long.MinValue || total > long.MaxValue || wallet + total < long.MinValue || wallet + total > long.MaxValue)
        {
            return Malformed("ACCOUNT_UPDATE with a balance or unrealized PnL beyond range");
        }

        for (var i = 0; i < account.PendingCount; i++)
        {
            var (symbol, unrealized) = _pendingUnrealized[i];
            _unrealizedBySymbol[symbol.Value] = unrealized;
        }

        _unrealizedTotal = (long)total;

        if (account.WalletFound)
        {
            _wallet = account.Wallet;
            _walletKnown = true;
        }

        if (!_walletKnown)
        {
            return UserDataFrameKind.Ignored;
        }

        evt.Begin(MarketEventKind.Account, SymbolId.None, eventTime, receivedTimestamp);
        evt.Account.WalletBalance = Notional.FromMantissa(_wallet);
        evt.Account.Equity = Notional.FromMantissa(_wallet + _unrealizedTotal); // within range: checked above
        return UserDataFrameKind.AccountUpdate;
    }

    // A symbol's unrealized PnL before the i-th entry of this update: an earlier entry of the same update, or the state.
    private long Previous(SymbolId symbol, int i)
    {
        for (var j = i - 1; j >= 0; j--)
        {
            if (_pendingUnrealized[j].Symbol == symbol)
            {
                return _pendingUnrealized[j].Unrealized;
            }
        }

        return _unrealizedBySymbol[symbol.Value];
    }

    private bool ReadOrder(ref Utf8JsonReader reader, ref OrderFields order)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // Binance's one-letter keys are case-sensitive: "o" (type) vs "ot", "T" vs "t", "L" vs "l", "S" vs "s".
            var name = reader.ValueSpan;
            reader.Read();
            if (reader.ValueIsEscaped && reader.TokenType == JsonTokenType.String)
            {
                // No field the engine reads is ever escaped; an escaped one can only be a client id or text it ignores.
                if (name.SequenceEqual("c"u8))
                {
                    order.ClientOrderId = 0;
                }

                continue;
            }

            if (name.Length == 1)
            {
                switch (name[0])
                {
                    case (byte)'s':
                        if (reader.TokenType != JsonTokenType.String)
                        {
                            return MalformedFalse("o.s is not a string");
                        }

                        order.Symbol = _symbols.TryGet(reader.ValueSpan, out var symbol) ? symbol : SymbolId.None;
                        order.Present |= Present.Symbol;
                        break;
                    case (byte)'c':
                        order.ClientOrderId = reader.TokenType == JsonTokenType.String && ClientOrderId.TryParse(reader.ValueSpan, out var id) ? id : 0;
                        break;
                    case (byte)'S':
                        if (reader.TokenType != JsonTokenType.String || !SideExtensions.TryParseWire(reader.ValueSpan, out order.Side))
                        {
                            return MalformedFalse("o.S is not BUY or SELL");
                        }

                        order.Present |= Present.Side;
                        break;
                    case (byte)'o':
                        order.Kind = reader.TokenType == JsonTokenType.String && OrderKindExtensions.TryParseWire(reader.ValueSpan, out var kind) ? kind : default;
                        break;
                    case (byte)'q':
                        if (!Decimal(ref reader, out order.Quantity, "o.q"))
                        {
                            return false;
                        }

                        break;
                    case (byte)'p':
                        if (!Decimal(ref reader, out order.Price, "o.p"))
                        {
                            return false;
                        }

                        break;
                    case (byte)'X':
                        if (reader.TokenType != JsonTokenType.String || !TryStatus(reader.ValueSpan, out order.Status))
                        {
                            return MalformedFalse("o.X is not a known order status");
                        }

                        order.Present |= Present.Status;
                        break;
                    case (byte)'i':
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out order.OrderId))
                        {
                            return MalformedFalse("o.i is not an integer");
                        }

                        order.Present |= Present.OrderId;
                        break;
                    case (byte)'l':
                        if (!Decimal(ref reader, out order.LastQuantity, "o.l"))
                        {
                            return false;
                        }

                        order.Present |= Present.LastQuantity;
                        break;
                    case (byte)'z':
                        if (!Decimal(ref reader, out order.Filled, "o.z"))
                        {
                            return false;
                        }

                        order.Present |= Present.Filled;
                        break;
                    case (byte)'L':
                        if (!Decimal(ref reader, out order.LastPrice, "o.L"))
                        {
                            return false;
                        }

                        order.Present |= Present.LastPrice;
                        break;
                    case (byte)'R':
                        order.ReduceOnly = reader.TokenType == JsonTokenType.True;
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return reader.TokenType == JsonTokenType.EndObject || MalformedFalse("o is not closed");
    }

    private bool ReadAccount(ref Utf8JsonReader reader, ref AccountFields account)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("B"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    return MalformedFalse("a.B is not an array");
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    var isMarginAsset = false;
                    var walletFound = false;
                    var wallet = Notional.Zero;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("a"u8))
                        {
                            reader.Read();
                            isMarginAsset = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(_marginAsset);
                        }
                        else if (reader.ValueTextEquals("wb"u8))
                        {
                            reader.Read();
                            if (!Decimal(ref reader, out wallet, "a.B.wb"))
                            {
                                return false;
                            }

                            walletFound = true;
                        }
                        else
                        {
                            reader.Read();
                            reader.Skip();
                        }
                    }

                    if (isMarginAsset && walletFound)
                    {
                        account.Wallet = wallet.Mantissa;
                        account.WalletFound = true;
                    }
                }
            }
            else if (reader.ValueTextEquals("P"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    return MalformedFalse("a.P is not an array");
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    var symbol = SymbolId.None;
                    var unrealized = Notional.Zero;
                    var found = false;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("s"u8))
                        {
                            reader.Read();
                            symbol = reader.TokenType == JsonTokenType.String && _symbols.TryGet(reader.ValueSpan, out var s) ? s : SymbolId.None;
                        }
                        else if (reader.ValueTextEquals("up"u8))
                        {
                            reader.Read();
                            if (!Decimal(ref reader, out unrealized, "a.P.up"))
                            {
                                return false;
                            }

                            found = true;
                        }
                        else
                        {
                            reader.Read();
                            reader.Skip();
                        }
                    }

                    if (found && !symbol.IsNone)
                    {
                        if (account.PendingCount == _pendingUnrealized.Length)
                        {
                            Array.Resize(ref _pendingUnrealized, _pendingUnrealized.Length * 2);
                        }

                        _pendingUnrealized[account.PendingCount++] = (symbol, unrealized.Mantissa);
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return reader.TokenType == JsonTokenType.EndObject || MalformedFalse("a is not closed");
    }

    private bool Decimal(ref Utf8JsonReader reader, out Quantity value, string field)
    {
        if (reader.TokenType == JsonTokenType.String && Quantity.TryParse(reader.ValueSpan, out value, out _))
        {
            return true;
        }

        value = default;
        return MalformedFalse(field + " is not a decimal string");
    }

    private bool Decimal(ref Utf8JsonReader reader, out Price value, string field)
    {
        if (reader.TokenType == JsonTokenType.String && Price.TryParse(reader.ValueSpan, out value, out _))
        {
            return true;
        }

        value = default;
        return MalformedFalse(field + " is not a decimal string");
    }

    private bool Decimal(ref Utf8JsonReader reader, out Notional value, string field)
    {
        if (reader.TokenType == JsonTokenType.String && Notional.TryParse(reader.ValueSpan, out value, out _))
        {
            return true;
        }

        value = default;
        return MalformedFalse(field + " is not a decimal string");
    }

    private static bool TryStatus(ReadOnlySpan<byte> text, out OrderStatus status)
    {
        status = text switch
        {
            _ when text.SequenceEqual("NEW"u8) => OrderStatus.New,
            _ when text.SequenceEqual("PARTIALLY_FILLED"u8) => OrderStatus.PartiallyFilled,
            _ when text.SequenceEqual("FILLED"u8) => OrderStatus.Filled,
            _ when text.SequenceEqual("CANCELED"u8) => OrderStatus.Canceled,
            _ when text.SequenceEqual("REJECTED"u8) => OrderStatus.Rejected,
            _ when text.SequenceEqual("EXPIRED"u8) || text.SequenceEqual("EXPIRED_IN_MATCH"u8) => OrderStatus.Expired,

            // Liquidation and ADL orders are new orders of a special origin.
            _ when text.SequenceEqual("NEW_INSURANCE"u8) || text.SequenceEqual("NEW_ADL"u8) => OrderStatus.New,
            _ => OrderStatus.None,
        };
        return status != OrderStatus.None;
    }

    private UserDataFrameKind Malformed(string reason)
    {
        LastError = reason;
        return UserDataFrameKind.Malformed;
    }

    private bool MalformedFalse(string reason)
    {
        LastError = reason;
        return false;
    }

    private enum EventType : byte
    {
        Missing,
        Order,
        Account,
        ListenKeyExpired,
        Other,
    }

    [Flags]
    private enum Present : byte
    {
        None = 0,
        Symbol = 1,
        Side = 2,
        Status = 4,
        OrderId = 8,
        Filled = 16,
        LastQuantity = 32,
        LastPrice = 64,
    }

    private struct OrderFields
    {
        public SymbolId Symbol;
        public long ClientOrderId;
        public Side Side;
        public OrderKind Kind;
        public Quantity Quantity;
        public Price Price;
        public OrderStatus Status;
        public long OrderId;
        public Quantity LastQuantity;
        public Quantity Filled;
        public Price LastPrice;
        public bool ReduceOnly;
        public Present Present;
    }

    private struct AccountFields
    {
        public long Wallet;
        public bool WalletFound;
        public int PendingCount;
    }
}
