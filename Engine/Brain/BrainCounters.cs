using Engine.Model;

namespace Engine.Brain;

/// <summary>What <see cref="BrainCounters"/> counts.</summary>
public enum BrainCounter
{
    TradesProcessed,
    /// <summary>A trade of a minute that had already closed (ignored).</summary>
    LateTrades,
    /// <summary>1-minute candles closed, empty minutes included.</summary>
    MinutesClosed,
    /// <summary>Candles of the signal interval the strategy read.</summary>
    Evaluations,
    /// <summary>Exchange klines taken (closed, 1-minute).</summary>
    KlinesApplied,
    /// <summary>Klines ignored: not closed, another interval, misaligned, or older than the last closed minute.</summary>
    KlinesIgnored,
    /// <summary>A kline disagreed with the minute built from trades (corrected if still open, counted if already closed).</summary>
    CandleMismatches,
    /// <summary>Entry signals (confidence over the threshold in an allowed regime) for a symbol with no position.</summary>
    EntrySignals,
    Entries,
    Exits,
    Rotations,
    /// <summary>Entry signals ignored because every slot was taken and no position was weaker by the margin.</summary>
    RotationsDeclined,
    RefusedPaused,
    RefusedCooldown,
    RefusedBelowMinQuantity,
    RefusedBelowMinNotional,
    RefusedNoRules,
    CooldownsStarted,
    CooldownsEnded,
    /// <summary>Symbols in cooldown now (a gauge).</summary>
    ActiveCooldowns,
    /// <summary>Pending entries dropped after hearing nothing for the pending timeout.</summary>
    PendingTimeouts,
    /// <summary>Pending entries dropped by a flatten command.</summary>
    EntriesDropped,
    FailedOrders,
    /// <summary>Events for a symbol id beyond the brain's capacity (ignored).</summary>
    UnknownSymbols,
    /// <summary>Order updates the brain could not use (no side on a fill).</summary>
    InvalidOrderUpdates,
    /// <summary>Position events (journal rebuild, reconciliation) that changed the position the brain held.</summary>
    PositionsReplaced,
    /// <summary>Back-filled candles taken into the history without a decision (their prices are minutes old).</summary>
    BackfilledCandles,
    /// <summary>
    /// Values that cannot be true, refused instead of thrown: a trade or kline with a price not above zero, a high under
    /// its low, a negative volume or a time out of range (ignored); a fill or position past the fixed-point range
    /// (ignored), or one whose entry cost cannot be held (taken without a stop).
    /// </summary>
    ImpossibleValues,
    /// <summary>Minutes of a silence longer than a day that were skipped rather than closed empty (the last day of it is closed).</summary>
    SkippedMinutes,
    /// <summary>Entry signals refused because sizing left the fixed-point range (a tick or a price no symbol has).</summary>
    RefusedOutOfRange,
}

/// <summary>
/// The brain's counters and gauges for health and metrics. One writer (the brain's thread) publishes with volatile
/// writes; any thread reads without locking and sees each value whole and recent.
/// </summary>
public sealed class BrainCounters
{
    private static readonly int s_count = Enum.GetValues<BrainCounter>().Length;

    // Spaced one cache line apart so a reader polling one counter does not pull the line the brain writes next.
    private const int Stride = 8;

    private readonly long[] _values = new long[(s_count + 1) * Stride];
    private readonly long[] _cooldownUntilMs;
    private long _equityMantissa;
    private int _paused;
    private int _flattening;

    // Entry signals per symbol and side: index symbol * 2 + (sell ? 1 : 0).
    private readonly long[] _signals;

    public BrainCounters(int maxSymbols)
    {
        _cooldownUntilMs = new long[maxSymbols + 1];
        _signals = new long[(maxSymbols + 1) * 2];
    }

    /// <summary>Symbol ids the per-symbol counters cover (1..this).</summary>
    public int MaxSymbols => _cooldownUntilMs.Length - 1;

    /// <summary>Entry signals on <paramref name="symbol"/> for <paramref name="side"/> so far (refused ones included).</summary>
    public long Signals(SymbolId symbol, Side side) =>
        symbol.Value < _cooldownUntilMs.Length ? Volatile.Read(ref _signals[SignalIndex(symbol, side)]) : 0;

    /// <summary>The current value of one counter.</summary>
    public long this[BrainCounter counter] => Volatile.Read(ref _values[Index(counter)]);

    /// <summary>The equity risk is sized on now.</summary>
    public Notional Equity => Notional.FromMantissa(Volatile.Read(ref _equityMantissa));

    /// <summary>New entries are paused (by command or by a flatten).</summary>
    public bool Paused => Volatile.Read(ref _paused) != 0;

    /// <summary>A flatten is in force: every position the brain learns of is closed, until a resume.</summary>
    public bool Flattening => Volatile.Read(ref _flattening) != 0;

    /// <summary>Exchange time (ms) the symbol's cooldown ends, or 0 when it is not in cooldown.</summary>
    public long CooldownUntilMs(SymbolId symbol) =>
        symbol.Value < _cooldownUntilMs.Length ? Volatile.Read(ref _cooldownUntilMs[symbol.Value]) : 0;

    /// <summary>Every counter by name, for a metrics endpoint or a log line.</summary>
    public IReadOnlyDictionary<string, long> Snapshot()
    {
        var snapshot = new Dictionary<string, long>(s_count);
        foreach (var counter in Enum.GetValues<BrainCounter>())
        {
            snapshot[counter.ToString()] = this[counter];
        }

        return snapshot;
    }

    internal void Increment(BrainCounter counter)
    {
        ref var slot = ref _values[Index(counter)];
        Volatile.Write(ref slot, slot + 1);
    }

    internal void Add(BrainCounter counter, long amount)
    {
        ref var slot = ref _values[Index(counter)];
        Volatile.Write(ref slot, slot + amount);
    }

    internal void Decrement(BrainCounter counter)
    {
        ref var slot = ref _values[Index(counter)];
        Volatile.Write(ref slot, slot - 1);
    }

    internal void CountSignal(SymbolId symbol, Side side)
    {
        ref var slot = ref _signals[SignalIndex(symbol, side)];
        Volatile.Write(ref slot, slot + 1);
    }

    internal void PublishEquity(Notional equity) => Volatile.Write(ref _equityMantissa, equity.Mantissa);

    internal void PublishMode(bool paused, bool flattening)
    {
        Volatile.Write(ref _paused, paused ? 1 : 0);
        Volatile.Write(ref _flattening, flattening ? 1 : 0);
    }

    internal void PublishCooldown(SymbolId symbol, long untilMs) => Volatile.Write(ref _cooldownUntilMs[symbol.Value], untilMs);

    private static int Index(BrainCounter counter) => ((int)counter + 1) * Stride;

    private static int SignalIndex(SymbolId symbol, Side side) => (symbol.Value * 2) + (side == Side.Sell ? 1 : 0);
}
