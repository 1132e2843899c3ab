using System.Runtime.CompilerServices;
using Engine.Model;

namespace Engine.State.Positions;

/// <summary>One symbol's position as other threads see it: a consistent copy taken from the <see cref="PositionBook"/>.</summary>
/// <param name="Symbol">The symbol.</param>
/// <param name="Amount">Signed size: positive long, negative short, zero flat.</param>
/// <param name="EntryPrice">Average entry price rounded half-even to 8 decimals (zero when flat).</param>
/// <param name="RealizedPnl">Realized PnL of the fills applied so far, before commission.</param>
/// <param name="MarkPrice">The last mark price seen (zero until one arrives).</param>
/// <param name="UnrealizedPnl">Amount × (mark − entry) rounded half-even to 8 decimals; zero while no mark is known.</param>
/// <param name="Fills">Fills applied to this symbol since start.</param>
public readonly record struct PositionSnapshot(
    SymbolId Symbol,
    Quantity Amount,
    Price EntryPrice,
    Notional RealizedPnl,
    Price MarkPrice,
    Notional UnrealizedPnl,
    long Fills)
{
    /// <summary>Whether the symbol holds a position.</summary>
    public bool IsOpen => !Amount.IsZero;
}

/// <summary>
/// Positions per symbol from fills, with entry price, mark price and realized/unrealized PnL, all in fixed point.
/// </summary>
/// <remarks>
/// <para>
/// <b>One writer.</b> Only the tail stage's thread calls <see cref="ApplyFill"/>, <see cref="Mark"/> and
/// <see cref="Set"/>. Any other thread reads through <see cref="TryRead"/>, <see cref="CopyOpen"/> and the totals:
/// each symbol's published copy is guarded by a sequence lock (the writer makes the version odd, writes, makes it
/// even; a reader retries when the version was odd or moved), so a reader never sees half of an update and the
/// writer never waits for or allocates for a reader.
/// </para>
/// <para>
/// <b>Binance's rules (one-way mode).</b> A fill that opens or adds to a position moves the entry price to the
/// quantity-weighted average of the old entry and the fill price; a fill that reduces leaves it unchanged and
/// realizes <c>closed × (fill − entry) × sign</c>; a fill that crosses zero closes the old position (realizing as a
/// reduction) and opens the rest at the fill price; flat means entry 0.
/// </para>
/// <para>
/// <b>Rounding.</b> The entry price is carried internally with 18 decimals (a 128-bit mantissa), so averaging
/// over many fills does not drift; what is published is that value rounded half-even to 8 decimals, the form
/// the venue reports (the simulator keeps a 28-digit decimal and prints it rounded half-even to 8 decimals). Each
/// fill's realized PnL is rounded half-even to 8 decimals from the 18-decimal entry, as the venue rounds each
/// trade's <c>realizedPnl</c>; the position's realized PnL is the exact sum of those. Unrealized PnL is
/// <c>amount × (mark − entry)</c> rounded half-even to 8 decimals. Commission is not part of any of these (order
/// updates do not carry it); realized PnL is before fees, like the venue's accumulated realized (<c>cr</c>).
/// </para>
/// </remarks>
public sealed class PositionBook
{
    // 10^10: from the published 8-decimal scale to the internal 18-decimal entry scale.
    private const long ExtraScale = 10_000_000_000L;

    private readonly Slot[] _slots;
    private long _openPositions;
    private long _grossExposureMantissa;
    private long _realizedMantissa;
    private long _unrealizedMantissa;
    private long _fills;
    private long _sets;

    /// <summary>Creates a book for symbol ids 1..<paramref name="symbolCapacity"/> (a <see cref="SymbolTable"/>'s capacity).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="symbolCapacity"/> is outside 1..65535.</exception>
    public PositionBook(int symbolCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(symbolCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(symbolCapacity, SymbolTable.MaxCapacity);
        SymbolCapacity = symbolCapacity;
        _slots = new Slot[symbolCapacity + 1];
    }

    /// <summary>The highest symbol id the book holds.</summary>
    public int SymbolCapacity { get; }

    /// <summary>Symbols with a non-zero position.</summary>
    public int OpenPositions => (int)Volatile.Read(ref _openPositions);

    /// <summary>Σ |amount| × price over open positions, priced at the mark (at the entry while no mark is known).</summary>
    public Notional GrossExposure => Notional.FromMantissa(Volatile.Read(ref _grossExposureMantissa));

    /// <summary>Realized PnL summed over every symbol (before commission).</summary>
    public Notional TotalRealizedPnl => Notional.FromMantissa(Volatile.Read(ref _realizedMantissa));

    /// <summary>Unrealized PnL summed over every symbol at its last mark.</summary>
    public Notional TotalUnrealizedPnl => Notional.FromMantissa(Volatile.Read(ref _unrealizedMantissa));

    /// <summary>Fills applied since start.</summary>
    public long FillsApplied => Volatile.Read(ref _fills);

    /// <summary>Whole-position replacements (<see cref="Set"/>) since start.</summary>
    public long PositionsSet => Volatile.Read(ref _sets);

    /// <summary>
    /// Applies one fill of <paramref name="quantity"/> (positive) at <paramref name="price"/> on <paramref name="side"/>.
    /// Writer thread only. A zero quantity changes nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The symbol is none or beyond the capacity, the quantity is negative, the price not positive, or the side undefined.</exception>
    /// <exception cref="OverflowException">The position or its value leaves the fixed-point range.</exception>
    public void ApplyFill(SymbolId symbol, Side side, Quantity quantity, Price price)
    {
        ref var slot = ref SlotOf(symbol);
        if (quantity.Mantissa <= 0)
        {
            if (quantity.IsNegative)
            {
                ThrowNegativeQuantity(quantity);
            }

            return;
        }

        if (price.Mantissa <= 0)
        {
            ThrowNonPositivePrice(price);
        }

        var qty = quantity.Mantissa;
        var signed = side.Sign() > 0 ? qty : -qty;
        var old = slot.Amount;
        var entry18 = slot.Entry18;
        var realized = 0L;
        long amount;
        if (old == 0 || (old > 0) == (signed > 0))
        {
            // Opening or adding: the new entry is the quantity-weighted mean, |old|·entry + qty·price over |new|.
            amount = checked(old + signed);
            var value = checked((Int128)Math.Abs(old) * entry18 + (Int128)qty * price.Mantissa * ExtraScale);
            entry18 = DivideHalfEven(value, Math.Abs(amount));
        }
        else
        {
            var closing = Math.Min(qty, Math.Abs(old));
            var perUnit = ((Int128)price.Mantissa * ExtraScale) - entry18;
            realized = checked((long)DivideHalfEven(checked((Int128)closing * perUnit * (old > 0 ? 1 : -1)), (Int128)FixedPoint.One * ExtraScale));
            amount = checked(old + signed);
            if (amount == 0)
            {
                entry18 = 0;
            }
            else if ((amount > 0) != (old > 0))
            {
                entry18 = (Int128)price.Mantissa * ExtraScale;
            }
        }

        var fills = slot.Fills + 1;
        Publish(ref slot, amount, entry18, RoundEntry(amount, entry18), checked(slot.Realized + realized), slot.MarkPrice, fills);
        Volatile.Write(ref _fills, _fills + 1);
    }

    /// <summary>Records the mark price and revalues the symbol's unrealized PnL. Writer thread only.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The symbol is none or beyond the capacity, or the price is negative.</exception>
    public void Mark(SymbolId symbol, Price markPrice)
    {
        ref var slot = ref SlotOf(symbol);
        if (markPrice.IsNegative)
        {
            ThrowNegativeMark(markPrice);
        }

        if (slot.MarkPrice == markPrice.Mantissa)
        {
            return;
        }

        Publish(ref slot, slot.Amount, slot.Entry18, slot.EntryPrice, slot.Realized, markPrice.Mantissa, slot.Fills);
    }

    /// <summary>
    /// Replaces the symbol's whole position (journal rebuild, reconciliation correction): amount and entry price as
    /// given; realized PnL replaced only when <paramref name="position"/> carries a non-zero one (zero means unknown).
    /// The mark is kept. Writer thread only.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The symbol is none or beyond the capacity, or an open position has no positive entry price.</exception>
    public void Set(SymbolId symbol, in PositionData position)
    {
        ref var slot = ref SlotOf(symbol);
        var amount = position.Amount.Mantissa;
        if (amount != 0 && position.EntryPrice.Mantissa <= 0)
        {
            ThrowNonPositivePrice(position.EntryPrice);
        }

        var entry18 = amount == 0 ? 0 : (Int128)position.EntryPrice.Mantissa * ExtraScale;
        var realized = position.RealizedPnl.IsZero ? slot.Realized : position.RealizedPnl.Mantissa;
        Publish(ref slot, amount, entry18, RoundEntry(amount, entry18), realized, slot.MarkPrice, slot.Fills);
        Volatile.Write(ref _sets, _sets + 1);
    }

    /// <summary>The symbol's position as the writer holds it. Writer thread only (others use <see cref="TryRead"/>).</summary>
    public PositionSnapshot Get(SymbolId symbol)
    {
        ref var slot = ref SlotOf(symbol);
        return new PositionSnapshot(
            symbol,
            Quantity.FromMantissa(slot.Amount),
            Price.FromMantissa(slot.EntryPrice),
            Notional.FromMantissa(slot.Realized),
            Price.FromMantissa(slot.MarkPrice),
            Notional.FromMantissa(slot.Unrealized),
            slot.Fills);
    }

    /// <summary>A consistent copy of the symbol's position, from any thread. False when the id is outside the book.</summary>
    public bool TryRead(SymbolId symbol, out PositionSnapshot snapshot)
    {
        if (symbol.IsNone || symbol.Value > SymbolCapacity)
        {
            snapshot = default;
            return false;
        }

        snapshot = ReadConsistent(ref _slots[symbol.Value], symbol);
        return true;
    }

    /// <summary>
    /// Appends a consistent copy of every symbol that holds a position (or, with <paramref name="includeFlat"/>, that
    /// ever had a fill, a set or a mark) to <paramref name="into"/>, in symbol id order; returns how many. Any thread.
    /// </summary>
    public int CopyOpen(List<PositionSnapshot> into, bool includeFlat = false)
    {
        ArgumentNullException.ThrowIfNull(into);
        var added = 0;
        for (var i = 1; i < _slots.Length; i++)
        {
            ref var slot = ref _slots[i];
            if (Volatile.Read(ref slot.Version) == 0)
            {
                continue;
            }

            var snapshot = ReadConsistent(ref slot, new SymbolId((ushort)i));
            if (snapshot.IsOpen || includeFlat)
            {
                into.Add(snapshot);
                added++;
            }
        }

        return added;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Slot SlotOf(SymbolId symbol)
    {
        if (symbol.IsNone || symbol.Value > SymbolCapacity)
        {
            ThrowSymbolOutOfRange(symbol);
        }

        return ref _slots[symbol.Value];
    }

    private static PositionSnapshot ReadConsistent(ref Slot slot, SymbolId symbol)
    {
        var spin = new SpinWait();
        while (true)
        {
            var before = Volatile.Read(ref slot.Version);
            if ((before & 1) == 0)
            {
                var amount = slot.Amount;
                var entry = slot.EntryPrice;
                var realized = slot.Realized;
                var mark = slot.MarkPrice;
                var unrealized = slot.Unrealized;
                var fills = slot.Fills;

                // The field loads above must complete before the version is read again.
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref slot.Version) == before)
                {
                    return new PositionSnapshot(
                        symbol,
                        Quantity.FromMantissa(amount),
                        Price.FromMantissa(entry),
                        Notional.FromMantissa(realized),
                        Price.FromMantissa(mark),
                        Notional.FromMantissa(unrealized),
                        fills);
                }
            }

            spin.SpinOnce();
        }
    }

    // Computes the derived values, adjusts the book totals by the difference and publishes the slot under its seqlock.
    private static long RoundEntry(long amount, Int128 entry18) => amount == 0 ? 0 : checked((long)DivideHalfEven(entry18, ExtraScale));

    private void Publish(ref Slot slot, long amount, Int128 entry18, long entry, long realized, long mark, long fills)
    {
        var unrealized = 0L;
        if (amount != 0 && mark != 0)
        {
            var perUnit = ((Int128)mark * ExtraScale) - entry18;
            unrealized = checked((long)DivideHalfEven(checked((Int128)amount * perUnit), (Int128)FixedPoint.One * ExtraScale));
        }

        var oldExposure = slot.Exposure;
        var newExposure = Exposure(amount, mark, entry);
        var openDelta = (amount != 0 ? 1 : 0) - (slot.Amount != 0 ? 1 : 0);

        // Every sum first: a value past the range throws here, before anything is written, so the book stays whole.
        var grossExposure = checked(_grossExposureMantissa - oldExposure + newExposure);
        var totalRealized = checked(_realizedMantissa + (realized - slot.Realized));
        var totalUnrealized = checked(_unrealizedMantissa + (unrealized - slot.Unrealized));

        // Odd version first, with a full fence so no field store below can be seen before it.
        Interlocked.Exchange(ref slot.Version, slot.Version + 1);
        slot.Amount = amount;
        slot.Entry18 = entry18;
        slot.EntryPrice = entry;
        slot.Realized = realized;
        slot.MarkPrice = mark;
        slot.Unrealized = unrealized;
        slot.Fills = fills;
        slot.Exposure = newExposure;
        Volatile.Write(ref slot.Version, slot.Version + 1);

        if (openDelta != 0)
        {
            Volatile.Write(ref _openPositions, _openPositions + openDelta);
        }

        Volatile.Write(ref _grossExposureMantissa, grossExposure);
        Volatile.Write(ref _realizedMantissa, totalRealized);
        Volatile.Write(ref _unrealizedMantissa, totalUnrealized);
    }

    private static long Exposure(long amount, long mark, long entry)
    {
        if (amount == 0)
        {
            return 0;
        }

        var price = mark != 0 ? mark : entry;
        return FixedPoint.MultiplyDivide(Math.Abs(amount), price, FixedPoint.One, RoundingMode.HalfEven);
    }

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

    private static void ThrowSymbolOutOfRange(SymbolId symbol) =>
        throw new ArgumentOutOfRangeException(nameof(symbol), symbol, "The symbol is none or beyond the book's capacity.");

    private static void ThrowNegativeQuantity(Quantity quantity) =>
        throw new ArgumentOutOfRangeException(nameof(quantity), quantity, "A fill quantity cannot be negative.");

    private static void ThrowNonPositivePrice(Price price) =>
        throw new ArgumentOutOfRangeException(nameof(price), price, "A fill or entry price must be positive.");

    private static void ThrowNegativeMark(Price price) =>
        throw new ArgumentOutOfRangeException(nameof(price), price, "A mark price cannot be negative.");

    // Writer-owned state plus the published copy; the seqlock version guards the published fields.
    private struct Slot
    {
        public long Version;
        public long Amount;
        public long EntryPrice;
        public long Realized;
        public long MarkPrice;
        public long Unrealized;
        public long Fills;
        public long Exposure;
        public Int128 Entry18;
    }
}
