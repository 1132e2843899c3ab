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

        ref var entry = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_entries, symbol, out _);
        var sign = side == Side.Buy ? 1L : -1L;
        var before = entry.Amount;
        var after = checked(before + (sign * quantity.Mantissa));
        var realized = Notional.Zero;
        if (before == 0 || Math.Sign(before) == sign)
        {
            // Average entry = (|before| × entry + qty × price) / |after|, rounded half-even once.
            var cost = (Int128)Math.Abs(before) * entry.EntryPrice + ((Int128)quantity.Mantissa * price.Mantissa);
            entry.EntryPrice = (long)RoundDivide(cost, Math.Abs(after));
        }
        else
        {
            var closed = Math.Min(Math.Abs(before), quantity.Mantissa);
            var perUnit = (price.Mantissa - entry.EntryPrice) * Math.Sign(before);
            realized = Notional.FromMantissa((long)RoundDivide((Int128)closed * perUnit, FixedPoint.One));
            entry.Realized += realized.Mantissa;
            if (after == 0)
            {
                entry.EntryPrice = 0;
            }
            else if (Math.Sign(after) != Math.Sign(before))
            {
                entry.EntryPrice = price.Mantissa;
            }
        }

        entry.Amount = after;
        return realized;
    }

    /// <summary>Replaces a symbol's position (a snapshot or a correction).</summary>
    public void Set(JournalPosition position) =>
        _entries[position.Symbol] = new Entry { Amount = position.Amount.Mantissa, EntryPrice = position.EntryPrice.Mantissa, Realized = position.RealizedPnl.Mantissa };

    public JournalPosition Get(string symbol) => _entries.TryGetValue(symbol, out var e)
        ? new JournalPosition(symbol, Quantity.FromMantissa(e.Amount), Price.FromMantissa(e.EntryPrice), Notional.FromMantissa(e.Realized))
        : new JournalPosition(symbol, Quantity.Zero, Price.Zero, Notional.Zero);

    /// <summary>Every symbol the fold has seen, sorted by name.</summary>
    public IReadOnlyList<JournalPosition> All()
    {
        var list = new List<JournalPosition>(_entries.Count);
        foreach (var (symbol, e) in _entries)
        {
            list.Add(new JournalPosition(symbol, Quantity.FromMantissa(e.Amount), Price.FromMantissa(e.EntryPrice), Notional.FromMantissa(e.Realized)));
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Symbol, b.Symbol));
        return list;
    }

    public void Clear() => _entries.Clear();

    private static Int128 RoundDivide(Int128 numerator, long denominator)
    {
        var quotient = Int128.DivRem(numerator, denominator);
        var remainder2 = Int128.Abs(quotient.Remainder) * 2;
        if (remainder2 > denominator || (remainder2 == denominator && (quotient.Quotient & 1) != 0))
        {
            return quotient.Quotient + (numerator < 0 ? -1 : 1);
        }

        return quotient.Quotient;
    }

    private struct Entry
    {
        public long Amount;
        public long EntryPrice;
        public long Realized;
    }
}
