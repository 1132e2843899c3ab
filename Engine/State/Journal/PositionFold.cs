using Engine.Model;

namespace Engine.State.Journal;

/// <summary>
/// Positions folded from fills, exact fixed-point, one-way mode: adding averages the entry price, reducing realizes
/// <c>closed × (fill − entry) × sign</c>, a flip reopens at the fill price (the venue's rules, SIMULATOR.md).
/// Keyed by symbol name so it survives restarts. Single-threaded.
/// </summary>
/// <remarks>State's <c>PositionBook</c> (issue 8, branch issue-state) is the engine's position keeper; this fold is what
/// the journal's replay and the paper venue need on the I/O side and follows the same rules.</remarks>
public sealed class PositionFold
{
    private const long ExtraScale = 10_000_000_000L;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Symbols with a position or realized PnL, by name.</summary>
    public int Count => _entries.Count;

    /// <summary>Applies one fill; returns the PnL it realized.</summary>
    public Notional Apply(string symbol, Side side, Quantity quantity, Price price)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        if (quantity.Mantissa <= 0)
        {
            return Notional.Zero;
        }

        // The entry is kept at 18 decimals, as PositionBook keeps it, so a long run of fills does not drift by rounding.
        ref var entry = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_entries, symbol, out _);
        var signed = side == Side.Buy ? quantity.Mantissa : -quantity.Mantissa;
        var before = entry.Amount;
        var after = checked(before + signed);
        var realized = 0L;
        if (before == 0 || (before > 0) == (signed > 0))
        {
            var value = checked(((Int128)Math.Abs(before) * entry.Entry18) + ((Int128)quantity.Mantissa * price.Mantissa * ExtraScale));
            entry.Entry18 = DivideHalfEven(value, Math.Abs(after));
        }
        else
        {
            var closed = Math.Min(Math.Abs(before), quantity.Mantissa);
            var perUnit = ((Int128)price.Mantissa * ExtraScale) - entry.Entry18;
            realized = checked((long)DivideHalfEven(checked((Int128)closed * perUnit * (before > 0 ? 1 : -1)), (Int128)FixedPoint.One * ExtraScale));
            entry.Realized += realized;
            if (after == 0)
            {
                entry.Entry18 = 0;
            }
            else if ((after > 0) != (before > 0))
            {
                entry.Entry18 = (Int128)price.Mantissa * ExtraScale;
            }
        }

        entry.Amount = after;
        return Notional.FromMantissa(realized);
    }

    /// <summary>Replaces a symbol's position (a snapshot or a correction).</summary>
    public void Set(JournalPosition position) =>
        _entries[position.Symbol] = new Entry { Amount = position.Amount.Mantissa, Entry18 = (Int128)position.EntryPrice.Mantissa * ExtraScale, Realized = position.RealizedPnl.Mantissa };

    public JournalPosition Get(string symbol) => _entries.TryGetValue(symbol, out var e)
        ? new JournalPosition(symbol, Quantity.FromMantissa(e.Amount), Price.FromMantissa((long)DivideHalfEven(e.Entry18, ExtraScale)), Notional.FromMantissa(e.Realized))
        : new JournalPosition(symbol, Quantity.Zero, Price.Zero, Notional.Zero);

    /// <summary>Every symbol the fold has seen, sorted by name.</summary>
    public IReadOnlyList<JournalPosition> All()
    {
        var list = new List<JournalPosition>(_entries.Count);
        foreach (var (symbol, e) in _entries)
        {
            list.Add(new JournalPosition(symbol, Quantity.FromMantissa(e.Amount), Price.FromMantissa((long)DivideHalfEven(e.Entry18, ExtraScale)), Notional.FromMantissa(e.Realized)));
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Symbol, b.Symbol));
        return list;
    }

    public void Clear() => _entries.Clear();

    private static Int128 DivideHalfEven(Int128 dividend, Int128 divisor)
    {
        var (quotient, remainder) = Int128.DivRem(dividend, divisor);
        if (remainder == 0)
        {
            return quotient;
        }

        var dropped = Int128.Abs(remainder);
        var kept = Int128.Abs(divisor) - dropped;
        if (dropped > kept || (dropped == kept && !Int128.IsEvenInteger(quotient)))
        {
            return (dividend < 0) != (divisor < 0) ? quotient - 1 : quotient + 1;
        }

        return quotient;
    }

    private struct Entry
    {
        public long Amount;
        public Int128 Entry18;
        public long Realized;
    }
}
