namespace Engine.Brain;

/// <summary>The brain's settings, bound from "Engine:Brain": indicator periods, strategy thresholds, risk and rotation.</summary>
/// <remarks>Money is given as decimal so configuration text converts exactly to fixed-point.</remarks>
public sealed class BrainOptions
{
    /// <summary>Highest <see cref="Engine.Model.SymbolId"/> value the brain keeps state for; events of higher ids are counted and ignored.</summary>
    public int MaxSymbols { get; set; } = 1024;

    /// <summary>Candle interval the strategy evaluates, in minutes; 1-minute candles are rolled up to it. Must divide 1440.</summary>
    public int SignalIntervalMinutes { get; set; } = 1;

    public int EmaFastPeriod { get; set; } = 12;

    public int EmaSlowPeriod { get; set; } = 26;

    public int MacdSignalPeriod { get; set; } = 9;

    public int RsiPeriod { get; set; } = 14;

    public int AtrPeriod { get; set; } = 14;

    public int BollingerPeriod { get; set; } = 20;

    /// <summary>Band half-width in standard deviations.</summary>
    public double BollingerWidth { get; set; } = 2.0;

    /// <summary>Candles of history the volume z-score compares the current volume against.</summary>
    public int VolumePeriod { get; set; } = 20;

    /// <summary>RSI at which momentum counts fully bullish (and 100 minus it fully bearish).</summary>
    public double RsiFull { get; set; } = 70.0;

    /// <summary>Volume z-score at which the volume confirmation counts fully.</summary>
    public double VolumeZFull { get; set; } = 2.0;

    /// <summary>Minimum confidence for an entry signal.</summary>
    public double EntryConfidence { get; set; } = 0.7;

    /// <summary>An open position exits when the signed agreement turns this far against it.</summary>
    public double ExitAgreement { get; set; } = 0.5;

    /// <summary>No entries while ATR / close is below this (a dead market: the stop would sit inside the noise of fees).</summary>
    public double MinAtrFraction { get; set; } = 0.0002;

    /// <summary>No entries while ATR / close is above this (a disorderly market).</summary>
    public double MaxAtrFraction { get; set; } = 0.05;

    /// <summary>Account equity assumed until the first account event arrives.</summary>
    public decimal InitialEquity { get; set; } = 10_000m;

    /// <summary>Fraction of equity put at risk per trade (0.02 = 2 %).</summary>
    public decimal RiskPerTrade { get; set; } = 0.02m;

    /// <summary>The stop sits this many ATRs from the entry; quantity = risk / stop distance.</summary>
    public double StopAtrMultiple { get; set; } = 2.0;

    /// <summary>Leverage cap: a position's notional may not exceed equity × this.</summary>
    public int Leverage { get; set; } = 5;

    /// <summary>Cap on one position's notional, in the quote currency.</summary>
    public decimal MaxNotionalPerPosition { get; set; } = 50_000m;

    /// <summary>Positions plus pending entries held at once.</summary>
    public int MaxPositions { get; set; } = 3;

    /// <summary>A new signal must beat the weakest position's current score by more than this to rotate it out.</summary>
    public double RotationMargin { get; set; } = 0.1;

    /// <summary>A position younger than this cannot be rotated out.</summary>
    public TimeSpan MinHold { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>After a failed order the symbol takes no new entries for this long.</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// After a failed exit (rejected, or expired unfilled) a stop or reversal exit of that symbol is not sent again for
    /// this long (market time). Exits ignore the cooldown; without this a venue refusing every order would be asked on
    /// every trade. Flatten's exits are not delayed.
    /// </summary>
    public TimeSpan ExitRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// An entry that hears nothing back for this long is dropped (and counted), so a lost answer cannot hold a
    /// position slot forever. Execution normally answers within a second.
    /// </summary>
    public TimeSpan PendingTimeout { get; set; } = TimeSpan.FromSeconds(30);

    // The largest amount a fixed-point mantissa holds (92,233,720,368.54775807), kept whole.
    private const decimal MaxAmount = 92_233_720_368m;

    /// <summary>Every setting that cannot work, as "Engine:Brain:Name ..." messages; empty when all are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        void Require(bool ok, string message)
        {
            if (!ok)
            {
                failures.Add("Engine:Brain:" + message);
            }
        }

        Require(MaxSymbols is >= 1 and <= ushort.MaxValue, $"MaxSymbols must be 1..65535 (got {MaxSymbols}).");
        Require(SignalIntervalMinutes is >= 1 and <= 1440 && 1440 % SignalIntervalMinutes == 0, $"SignalIntervalMinutes must divide a day (1440) (got {SignalIntervalMinutes}).");
        Require(EmaFastPeriod >= 1 && EmaSlowPeriod > EmaFastPeriod, $"EmaFastPeriod must be at least 1 and below EmaSlowPeriod (got {EmaFastPeriod}, {EmaSlowPeriod}).");
        Require(MacdSignalPeriod >= 1, $"MacdSignalPeriod must be at least 1 (got {MacdSignalPeriod}).");
        Require(RsiPeriod >= 1, $"RsiPeriod must be at least 1 (got {RsiPeriod}).");
        Require(AtrPeriod >= 1, $"AtrPeriod must be at least 1 (got {AtrPeriod}).");
        Require(BollingerPeriod >= 2, $"BollingerPeriod must be at least 2 (got {BollingerPeriod}).");
        Require(VolumePeriod >= 2, $"VolumePeriod must be at least 2 (got {VolumePeriod}).");
        Require(BollingerWidth > 0, $"BollingerWidth must be positive (got {BollingerWidth}).");
        Require(RsiFull is > 50 and <= 100, $"RsiFull must be in (50, 100] (got {RsiFull}).");
        Require(VolumeZFull > 0, $"VolumeZFull must be positive (got {VolumeZFull}).");
        Require(EntryConfidence is > 0 and <= 1, $"EntryConfidence must be in (0, 1] (got {EntryConfidence}).");
        Require(ExitAgreement is > 0 and <= 1, $"ExitAgreement must be in (0, 1] (got {ExitAgreement}).");
        Require(MinAtrFraction >= 0 && MaxAtrFraction > MinAtrFraction, $"MinAtrFraction must be non-negative and below MaxAtrFraction (got {MinAtrFraction}, {MaxAtrFraction}).");
        Require(InitialEquity is > 0 and <= MaxAmount, $"InitialEquity must be positive and at most {MaxAmount} (the fixed-point range) (got {InitialEquity}).");
        Require(RiskPerTrade is > 0 and <= 1, $"RiskPerTrade must be in (0, 1] (got {RiskPerTrade}).");
        Require(StopAtrMultiple > 0, $"StopAtrMultiple must be positive (got {StopAtrMultiple}).");
        Require(Leverage is >= 1 and <= 125, $"Leverage must be 1..125 (got {Leverage}).");
        Require(MaxNotionalPerPosition is > 0 and <= MaxAmount, $"MaxNotionalPerPosition must be positive and at most {MaxAmount} (the fixed-point range) (got {MaxNotionalPerPosition}).");
        Require(MaxPositions >= 1, $"MaxPositions must be at least 1 (got {MaxPositions}).");
        Require(RotationMargin >= 0, $"RotationMargin must not be negative (got {RotationMargin}).");
        Require(MinHold >= TimeSpan.Zero, $"MinHold must not be negative (got {MinHold}).");
        Require(Cooldown >= TimeSpan.Zero, $"Cooldown must not be negative (got {Cooldown}).");
        Require(ExitRetryDelay >= TimeSpan.Zero, $"ExitRetryDelay must not be negative (got {ExitRetryDelay}).");
        Require(PendingTimeout > TimeSpan.Zero, $"PendingTimeout must be positive (got {PendingTimeout}).");
        return failures;
    }
}
