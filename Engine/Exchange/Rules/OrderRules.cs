using System.Globalization;
using Engine.Model;

namespace Engine.Exchange.Rules;

/// <summary>Which of the venue's rules an order broke.</summary>
public enum OrderFilter : byte
{
    None = 0,
    PricePrecision,
    QuantityPrecision,
    PriceFilter,
    LotSize,
    MarketLotSize,
    PercentPrice,
    MinNotional,
}

/// <summary>
/// The outcome of checking an order against its symbol's rules before sending: accepted, or the filter it
/// breaks, the offending value, the bound, and the error code the venue itself would answer with.
/// </summary>
public readonly record struct OrderCheck(int Code, OrderFilter Filter, string Field, long ValueMantissa, long LimitMantissa)
{
    public static OrderCheck Accepted => default;

    public bool IsAccepted => Code == 0;

    /// <summary>A message in the venue's words, naming the filter and the value (built only when an order is refused).</summary>
    public string Describe(string symbol)
    {
        if (IsAccepted)
        {
            return $"{symbol}: order passes every filter.";
        }

        var value = FixedPoint.FormatToString(ValueMantissa, default);
        var limit = FixedPoint.FormatToString(LimitMantissa, default);
        var venue = Code switch
        {
            -1111 => "Precision is over the maximum defined for this asset.",
            -4001 => "Price less than 0.",
            -4002 => "Price greater than max price.",
            -4003 => "Quantity less than or equal to zero.",
            -4004 => "Quantity less than min quantity.",
            -4005 => "Quantity greater than max quantity.",
            -4013 => "Price less than min price.",
            -4014 => "Price not increased by tick size.",
            -4016 => $"Limit price can't be higher than {limit}.",
            -4023 => "Qty not increased by step size.",
            -4024 => $"Limit price can't be lower than {limit}.",
            -4164 => $"Order's notional must be no smaller than {limit} (unless you choose reduce only).",
            _ => "Order rejected.",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{symbol}: {Filter} refuses {Field} {value} (bound {limit}); the venue would answer {Code} \"{venue}\"");
    }
}

/// <summary>
/// Rounds and validates orders against a symbol's <see cref="SymbolRules"/> in the order the venue checks them
/// (precision, PRICE_FILTER, LOT_SIZE or MARKET_LOT_SIZE, PERCENT_PRICE, MIN_NOTIONAL), so a refusal happens
/// here with the venue's own code instead of a round trip later. Allocation-free; no <c>double</c>.
/// </summary>
public static class OrderRules
{
    /// <summary>
    /// Rounds a price onto the tick grid (<c>minPrice + k × tickSize</c>). Use <see cref="RoundingMode.Floor"/> for
    /// a BUY (never pay more than asked) and <see cref="RoundingMode.Ceiling"/> for a SELL.
    /// </summary>
    public static Price RoundPrice(in SymbolRules rules, Price price, RoundingMode mode)
    {
        var tick = rules.TickSize.Mantissa;
        if (tick <= 0)
        {
            return price;
        }

        var offset = rules.MinPrice.Mantissa;
        return Price.FromMantissa(FixedPoint.RoundToIncrement(price.Mantissa - offset, tick, mode) + offset);
    }

    /// <summary>
    /// Rounds a quantity down onto the step grid of LOT_SIZE (or MARKET_LOT_SIZE for a market order): never up, so
    /// sizing can only shrink. Negative input is treated by magnitude and keeps its sign.
    /// </summary>
    public static Quantity RoundQuantity(in SymbolRules rules, Quantity quantity, OrderKind kind)
    {
        var (step, min) = kind == OrderKind.Market
            ? (rules.MarketStepSize.Mantissa, rules.MarketMinQuantity.Mantissa)
            : (rules.StepSize.Mantissa, rules.MinQuantity.Mantissa);
        if (step <= 0)
        {
            return quantity;
        }

        var magnitude = Math.Abs(quantity.Mantissa);
        var offset = magnitude >= min ? min : 0;
        var rounded = FixedPoint.RoundToIncrement(magnitude - offset, step, RoundingMode.TowardZero) + offset;
        return Quantity.FromMantissa(quantity.IsNegative ? -rounded : rounded);
    }

    /// <summary>
    /// Checks an order. <paramref name="price"/> is the limit price (ignored for MARKET); <paramref name="referencePrice"/>
    /// is the mark price for PERCENT_PRICE and for a MARKET order's notional (zero when unknown: those checks are skipped).
    /// </summary>
    public static OrderCheck Validate(
        in SymbolRules rules, OrderKind kind, Side side, Price price, Quantity quantity, bool reduceOnly, Price referencePrice)
    {
        var isMarket = kind == OrderKind.Market;
        if (HasPrecision(rules))
        {
            if (!isMarket && FixedPoint.DecimalsOf(price.Mantissa) > rules.PricePrecision)
            {
                return new OrderCheck(-1111, OrderFilter.PricePrecision, "price", price.Mantissa, FixedPoint.FromInteger(rules.PricePrecision));
            }

            if (FixedPoint.DecimalsOf(quantity.Mantissa) > rules.QuantityPrecision)
            {
                return new OrderCheck(-1111, OrderFilter.QuantityPrecision, "quantity", quantity.Mantissa, FixedPoint.FromInteger(rules.QuantityPrecision));
            }
        }

        if (!isMarket)
        {
            var check = CheckPrice(rules, price);
            if (!check.IsAccepted)
            {
                return check;
            }
        }

        var lot = CheckLot(rules, quantity, isMarket);
        if (!lot.IsAccepted)
        {
            return lot;
        }

        if (!isMarket && !referencePrice.IsZero)
        {
            var band = CheckPercentPrice(rules, side, price, referencePrice);
            if (!band.IsAccepted)
            {
                return band;
            }
        }

        var notionalPrice = isMarket ? referencePrice : price;
        if (!reduceOnly && !rules.MinNotional.IsZero && !notionalPrice.IsZero)
        {
            var notional = notionalPrice.Multiply(quantity, RoundingMode.TowardZero);
            if (notional < rules.MinNotional)
            {
                return new OrderCheck(-4164, OrderFilter.MinNotional, "notional", notional.Mantissa, rules.MinNotional.Mantissa);
            }
        }

        return OrderCheck.Accepted;
    }

    // A document without precision fields (zero for both) enforces none; otherwise quantityPrecision 0 means whole units.
    private static bool HasPrecision(in SymbolRules rules) => rules.PricePrecision > 0 || rules.QuantityPrecision > 0;

    private static OrderCheck CheckPrice(in SymbolRules rules, Price price)
    {
        if (price.Mantissa <= 0)
        {
            return new OrderCheck(-4001, OrderFilter.PriceFilter, "price", price.Mantissa, 0);
        }

        if (!rules.MinPrice.IsZero && price < rules.MinPrice)
        {
            return new OrderCheck(-4013, OrderFilter.PriceFilter, "price", price.Mantissa, rules.MinPrice.Mantissa);
        }

        if (!rules.MaxPrice.IsZero && price > rules.MaxPrice)
        {
            return new OrderCheck(-4002, OrderFilter.PriceFilter, "price", price.Mantissa, rules.MaxPrice.Mantissa);
        }

        if (!rules.TickSize.IsZero && (price.Mantissa - rules.MinPrice.Mantissa) % rules.TickSize.Mantissa != 0)
        {
            return new OrderCheck(-4014, OrderFilter.PriceFilter, "price", price.Mantissa, rules.TickSize.Mantissa);
        }

        return OrderCheck.Accepted;
    }

    private static OrderCheck CheckLot(in SymbolRules rules, Quantity quantity, bool isMarket)
    {
        var filter = isMarket ? OrderFilter.MarketLotSize : OrderFilter.LotSize;
        var (min, max, step) = isMarket
            ? (rules.MarketMinQuantity, rules.MarketMaxQuantity, rules.MarketStepSize)
            : (rules.MinQuantity, rules.MaxQuantity, rules.StepSize);
        if (quantity.Mantissa <= 0)
        {
            return new OrderCheck(-4003, filter, "quantity", quantity.Mantissa, 0);
        }

        if (!min.IsZero && quantity < min)
        {
            return new OrderCheck(-4004, filter, "quantity", quantity.Mantissa, min.Mantissa);
        }

        if (!max.IsZero && quantity > max)
        {
            return new OrderCheck(-4005, filter, "quantity", quantity.Mantissa, max.Mantissa);
        }

        if (!step.IsZero && (quantity.Mantissa - min.Mantissa) % step.Mantissa != 0)
        {
            return new OrderCheck(-4023, filter, "quantity", quantity.Mantissa, step.Mantissa);
        }

        return OrderCheck.Accepted;
    }

    private static OrderCheck CheckPercentPrice(in SymbolRules rules, Side side, Price price, Price mark)
    {
        if (side == Side.Buy && rules.PercentPriceUpMantissa > 0)
        {
            // The cap is shown the way the venue shows it: on the tick grid, rounded toward the allowed side.
            var cap = RoundPrice(rules, mark.MultiplyRatio(rules.PercentPriceUpMantissa, FixedPoint.One, RoundingMode.Floor), RoundingMode.Floor);
            if (price > cap)
            {
                return new OrderCheck(-4016, OrderFilter.PercentPrice, "price", price.Mantissa, cap.Mantissa);
            }
        }
        else if (side == Side.Sell && rules.PercentPriceDownMantissa > 0)
        {
            var floor = RoundPrice(rules, mark.MultiplyRatio(rules.PercentPriceDownMantissa, FixedPoint.One, RoundingMode.Ceiling), RoundingMode.Ceiling);
            if (price < floor)
            {
                return new OrderCheck(-4024, OrderFilter.PercentPrice, "price", price.Mantissa, floor.Mantissa);
            }
        }

        return OrderCheck.Accepted;
    }
}
