using Engine.Model;

namespace Engine.Brain;

/// <summary>Everything the brain knows about one symbol; touched only by the brain's thread.</summary>
internal sealed class SymbolState
{
    public SymbolState(SymbolId id, BrainOptions options, in SymbolRules rules)
    {
        Id = id;
        Rules = rules;
        Rollup = new CandleRollup(options.SignalIntervalMinutes);
        Indicators = new IndicatorSet(options);
    }

    public SymbolId Id { get; }

    public SymbolRules Rules { get; }

    public MinuteCandleBuilder Minutes;

    public CandleRollup Rollup;

    public IndicatorSet Indicators { get; }

    public Reading Reading;

    public bool HasReading;

    public Price LastPrice;

    /// <summary>Signed position (one-way mode): positive long, negative short, as a quantity mantissa.</summary>
    public long Position;

    /// <summary>Cost of the open position at its entry prices (for the average entry price).</summary>
    public Notional EntryCost;

    /// <summary>Distance from the average entry to the stop, fixed when the entry was decided.</summary>
    public Price StopDistance;

    /// <summary>Price at which the position is stopped out (0 when it has no stop).</summary>
    public Price StopPrice;

    /// <summary>Exchange time the position opened (its first fill), for the minimum hold.</summary>
    public long OpenedAtMs;

    /// <summary>The position's current score: the confidence the indicators give its side at the last reading.</summary>
    public double Score;

    /// <summary>Confidence of the entry that is pending or led to the position.</summary>
    public double EntryConfidence;

    /// <summary>An entry intent was sent and its order has not finished.</summary>
    public bool PendingEntry;

    public long PendingSinceMs;

    /// <summary>An exit intent was sent and its order has not finished.</summary>
    public bool ExitInFlight;

    /// <summary>After a failed exit, stop and reversal exits wait until this market time, so a venue that refuses
    /// everything (a 429 back-off, a ban) is not asked again on every trade.</summary>
    public long ExitRetryNotBeforeMs;

    public bool QueuedForExit;

    public IntentReason QueuedExitReason;

    /// <summary>In the brain's list of symbols with a position, a pending entry or an exit in flight.</summary>
    public bool Active;

    /// <summary>Exchange time the cooldown ends; 0 when not in cooldown.</summary>
    public long CooldownUntilMs;

    public bool HoldsSlot => PendingEntry || (Position != 0 && !ExitInFlight);

    public bool NeedsActive => PendingEntry || Position != 0 || ExitInFlight;
}
