using Engine.Model;
using Engine.Ring;

namespace Engine.State.Positions;

/// <summary>What the position stage did, written by the tail thread alone and read by metrics from any thread.</summary>
public sealed class PositionStageCounters
{
    private readonly long[] _fillsBySide;
    private long _fills;
    private long _marks;
    private long _sets;
    private long _ignored;

    /// <summary>Counters for symbols 1..<paramref name="symbolCapacity"/> (the position book's capacity).</summary>
    public PositionStageCounters(int symbolCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(symbolCapacity);
        SymbolCapacity = symbolCapacity;
        // Pre-allocated per symbol and side, so counting a fill on the tail never allocates.
        _fillsBySide = new long[(symbolCapacity + 1) * 2];
    }

    /// <summary>The highest symbol id counted one by one.</summary>
    public int SymbolCapacity { get; }

    /// <summary>Order updates whose fill moved a position.</summary>
    public long Fills => Volatile.Read(ref _fills);

    /// <summary>Mark prices applied.</summary>
    public long Marks => Volatile.Read(ref _marks);

    /// <summary>Whole positions replaced (journal rebuild, reconciliation).</summary>
    public long Sets => Volatile.Read(ref _sets);

    /// <summary>Events that could not apply (no symbol, a symbol beyond the book, a fill without a price or side, a value past the fixed-point range); counted, not thrown, so a bad event cannot stop the tail.</summary>
    public long Ignored => Volatile.Read(ref _ignored);

    /// <summary>Fills applied for <paramref name="symbol"/> on <paramref name="side"/>; 0 for a symbol beyond <see cref="SymbolCapacity"/>.</summary>
    public long FillsOf(SymbolId symbol, Side side) =>
        symbol.IsNone || symbol.Value > SymbolCapacity ? 0 : Volatile.Read(ref _fillsBySide[Index(symbol, side)]);

    /// <summary>Only for a symbol in 1..<see cref="SymbolCapacity"/> and a side of Buy or Sell (the stage checks both first).</summary>
    internal void CountFill(SymbolId symbol, Side side)
    {
        ref var slot = ref _fillsBySide[Index(symbol, side)];
        Volatile.Write(ref slot, slot + 1);
        Volatile.Write(ref _fills, _fills + 1);
    }

    internal void CountMark() => Volatile.Write(ref _marks, _marks + 1);

    internal void CountSet() => Volatile.Write(ref _sets, _sets + 1);

    internal void CountIgnored() => Volatile.Write(ref _ignored, _ignored + 1);

    private static int Index(SymbolId symbol, Side side) => (symbol.Value * 2) + (side == Side.Sell ? 1 : 0);
}

/// <summary>
/// Positions as a ring stage, in the tail: every <see cref="MarketEventKind.OrderUpdate"/>'s last fill is applied to
/// the <see cref="PositionBook"/> (the order ledger reports each fill exactly once), every
/// <see cref="MarketEventKind.MarkPrice"/> marks it, and every <see cref="MarketEventKind.Position"/> replaces the
/// symbol's position (journal rebuild, reconciliation). Then the slot goes on to <typeparamref name="TNext"/> on the
/// same thread. Allocates nothing.
/// </summary>
public struct PositionStage<TNext> : IEventHandler<MarketEvent>
    where TNext : struct, IEventHandler<MarketEvent>
{
    private readonly PositionBook _book;
    private readonly PositionStageCounters _counters;
    private TNext _next;

    public PositionStage(PositionBook book, PositionStageCounters counters, TNext next)
    {
        ArgumentNullException.ThrowIfNull(book);
        ArgumentNullException.ThrowIfNull(counters);
        if (counters.SymbolCapacity < book.SymbolCapacity)
        {
            throw new ArgumentException($"The counters cover {counters.SymbolCapacity} symbols, the book {book.SymbolCapacity}.", nameof(counters));
        }

        _book = book;
        _counters = counters;
        _next = next;
    }

    public readonly PositionBook Book => _book;

    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
    {
        switch (data.Kind)
        {
            case MarketEventKind.OrderUpdate:
                ApplyFill(ref data);
                break;
            case MarketEventKind.MarkPrice:
                if (InBook(data.Symbol) && !data.MarkPrice.MarkPrice.IsNegative && TryMark(data.Symbol, data.MarkPrice.MarkPrice))
                {
                    _counters.CountMark();
                }
                else
                {
                    _counters.CountIgnored();
                }

                break;
            case MarketEventKind.Position:
                if (InBook(data.Symbol) && (data.Position.Amount.IsZero || data.Position.EntryPrice.Mantissa > 0) && TrySet(data.Symbol, in data.Position))
                {
                    _counters.CountSet();
                }
                else
                {
                    _counters.CountIgnored();
                }

                break;
        }

        _next.OnEvent(ref data, sequence, endOfBatch);
    }

    private readonly void ApplyFill(ref MarketEvent data)
    {
        ref readonly var update = ref data.OrderUpdate;
        if (update.LastFillQuantity.Mantissa == 0)
        {
            return;
        }

        if (InBook(data.Symbol) && update.LastFillQuantity.Mantissa > 0 && update.LastFillPrice.Mantissa > 0
            && (update.Side == Side.Buy || update.Side == Side.Sell) && TryApplyFill(data.Symbol, update.Side, update.LastFillQuantity, update.LastFillPrice))
        {
            _counters.CountFill(data.Symbol, update.Side);
        }
        else
        {
            _counters.CountIgnored();
        }
    }

    private readonly bool InBook(SymbolId symbol) => !symbol.IsNone && symbol.Value <= _book.SymbolCapacity;

    // The book's arithmetic is checked: a value past the fixed-point range (a price or size no venue sends) throws
    // there before anything is written. Here it is one more event that could not apply, counted, so data never halts
    // the tail; the exception is made only for such a value, never on a true one.
    private readonly bool TryApplyFill(SymbolId symbol, Side side, Quantity quantity, Price price)
    {
        try
        {
            _book.ApplyFill(symbol, side, quantity, price);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private readonly bool TryMark(SymbolId symbol, Price mark)
    {
        try
        {
            _book.Mark(symbol, mark);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private readonly bool TrySet(SymbolId symbol, in PositionData position)
    {
        try
        {
            _book.Set(symbol, in position);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}
