namespace Engine.Model;

/// <summary>
/// The trading rules the venue imposes on one symbol (its exchangeInfo filters), as exact values. Stages size
/// and price orders with these; the protocol layer fills them in from exchangeInfo and validates orders
/// against them before anything is sent. A bound of zero means the venue does not enforce it.
/// </summary>
public readonly struct SymbolRules
{
    /// <summary>PRICE_FILTER tickSize: a price must be minPrice plus a whole number of ticks.</summary>
    public Price TickSize { get; init; }

    /// <summary>PRICE_FILTER minPrice.</summary>
    public Price MinPrice { get; init; }

    /// <summary>PRICE_FILTER maxPrice.</summary>
    public Price MaxPrice { get; init; }

    /// <summary>LOT_SIZE stepSize, for orders that carry a price.</summary>
    public Quantity StepSize { get; init; }

    /// <summary>LOT_SIZE minQty.</summary>
    public Quantity MinQuantity { get; init; }

    /// <summary>LOT_SIZE maxQty.</summary>
    public Quantity MaxQuantity { get; init; }

    /// <summary>MARKET_LOT_SIZE stepSize, for MARKET orders (the LOT_SIZE value when the venue sends none).</summary>
    public Quantity MarketStepSize { get; init; }

    /// <summary>MARKET_LOT_SIZE minQty.</summary>
    public Quantity MarketMinQuantity { get; init; }

    /// <summary>MARKET_LOT_SIZE maxQty.</summary>
    public Quantity MarketMaxQuantity { get; init; }

    /// <summary>MIN_NOTIONAL notional: price × quantity of an opening order must reach it.</summary>
    public Notional MinNotional { get; init; }

    /// <summary>PERCENT_PRICE multiplierUp, as a fixed-point mantissa (scale <see cref="FixedPoint.Scale"/>): a BUY may not be priced above mark × this.</summary>
    public long PercentPriceUpMantissa { get; init; }

    /// <summary>PERCENT_PRICE multiplierDown, as a fixed-point mantissa: a SELL may not be priced below mark × this.</summary>
    public long PercentPriceDownMantissa { get; init; }

    /// <summary>MAX_NUM_ORDERS limit: open orders allowed on the symbol (0 = no limit given).</summary>
    public int MaxOpenOrders { get; init; }

    /// <summary>Decimals the venue accepts in a price (pricePrecision).</summary>
    public int PricePrecision { get; init; }

    /// <summary>Decimals the venue accepts in a quantity (quantityPrecision).</summary>
    public int QuantityPrecision { get; init; }
}
