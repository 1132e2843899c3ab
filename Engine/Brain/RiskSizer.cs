using Engine.Model;

namespace Engine.Brain;

/// <summary>Why an entry was not sized (or not taken).</summary>
public enum RefusalReason : byte
{
    None = 0,
    /// <summary>The venue's rules for the symbol are unknown.</summary>
    NoSymbolRules,
    /// <summary>ATR gave no usable stop distance.</summary>
    NoStopDistance,
    /// <summary>The rounded quantity is below the symbol's minimum quantity (or zero).</summary>
    BelowMinQuantity,
    /// <summary>Price × quantity is below the symbol's minimum notional.</summary>
    BelowMinNotional,
    Paused,
    Cooldown,
    /// <summary>No free position slot and no position weaker than the signal by the rotation margin.</summary>
    RotationDeclined,
    /// <summary>The sizing arithmetic left the fixed-point range (a tick or a price no symbol has).</summary>
    OutOfRange,
}

/// <summary>
/// Sizes an entry: quantity = (equity × risk fraction) / stop distance, the stop distance an ATR multiple
/// rounded up to the tick; capped by leverage and the per-position notional cap; rounded down to the step;
/// refused below the symbol's minimum quantity or notional. All money arithmetic is exact fixed-point, and total: a
/// result past the range is refused (<see cref="RefusalReason.OutOfRange"/>) or, for a bound, saturates; never thrown.
/// </summary>
public sealed class RiskSizer
{
    private readonly long _riskMantissa;
    private readonly double _stopAtrMultiple;
    private readonly long _leverage;
    private readonly Notional _maxNotional;

    public RiskSizer(BrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _riskMantissa = ToMantissa(options.RiskPerTrade);
        _stopAtrMultiple = options.StopAtrMultiple;
        _leverage = options.Leverage;
        _maxNotional = Notional.FromMantissa(ToMantissa(options.MaxNotionalPerPosition));
    }

    /// <summary>Converts a configured decimal to a scale-8 mantissa, rounding toward zero past the eighth decimal.</summary>
    public static long ToMantissa(decimal value) => (long)decimal.Truncate(value * FixedPoint.One);

    /// <summary>Sizes an entry at <paramref name="price"/> with the given ATR.</summary>
    /// <returns><see cref="RefusalReason.None"/> with the quantity and stop distance, or why not.</returns>
    public RefusalReason Size(Notional equity, double atr, Price price, in SymbolRules rules, out Quantity quantity, out Price stopDistance)
    {
        quantity = Quantity.Zero;
        stopDistance = Price.Zero;
        var step = rules.MarketStepSize.IsZero ? rules.StepSize : rules.MarketStepSize;
        if (step.Mantissa <= 0 || rules.TickSize.Mantissa <= 0 || price.Mantissa <= 0)
        {
            return RefusalReason.NoSymbolRules;
        }

        var stop = atr * _stopAtrMultiple * FixedPoint.One;
        if (!(stop >= 1) || stop > long.MaxValue / 2)
        {
            return RefusalReason.NoStopDistance;
        }

        // Rounded up: a wider stop means a smaller position, never more risk than asked for.
        if (!FixedPointBounds.TryRoundUp((long)Math.Ceiling(stop), rules.TickSize.Mantissa, out var stopMantissa))
        {
            return RefusalReason.OutOfRange;
        }

        stopDistance = Price.FromMantissa(stopMantissa);

        // A quotient past the range is a bound that does not bind (a tiny stop, a tiny price, a huge equity): it
        // saturates, and the other bounds decide.
        var risk = FixedPointBounds.MultiplyDivideSaturating(equity.Mantissa, _riskMantissa, FixedPoint.One);
        var byRisk = Quantity.FromMantissa(FixedPointBounds.MultiplyDivideSaturating(risk, FixedPoint.One, stopDistance.Mantissa));
        var leverageCap = Notional.FromMantissa(FixedPointBounds.MultiplyDivideSaturating(equity.Mantissa, _leverage, 1));
        var cap = leverageCap < _maxNotional ? leverageCap : _maxNotional;
        var byCap = Quantity.FromMantissa(FixedPointBounds.MultiplyDivideSaturating(cap.Mantissa, FixedPoint.One, price.Mantissa));
        var raw = byRisk < byCap ? byRisk : byCap;
        var maxQuantity = rules.MarketStepSize.IsZero ? rules.MaxQuantity : rules.MarketMaxQuantity;
        if (maxQuantity.Mantissa > 0 && raw > maxQuantity)
        {
            raw = maxQuantity;
        }

        var sized = raw.Mantissa > 0 ? raw.RoundToIncrement(step, RoundingMode.TowardZero) : Quantity.Zero;
        var minQuantity = rules.MarketStepSize.IsZero ? rules.MinQuantity : rules.MarketMinQuantity;
        if (sized.Mantissa <= 0 || sized < minQuantity)
        {
            return RefusalReason.BelowMinQuantity;
        }

        if (!FixedPointBounds.TryMultiplyDivide(price.Mantissa, sized.Mantissa, FixedPoint.One, RoundingMode.TowardZero, out var notional))
        {
            return RefusalReason.OutOfRange;
        }

        if (!rules.MinNotional.IsZero && notional < rules.MinNotional.Mantissa)
        {
            return RefusalReason.BelowMinNotional;
        }

        quantity = sized;
        return RefusalReason.None;
    }
}
