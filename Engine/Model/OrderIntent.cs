using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Model;

/// <summary>What an <see cref="OrderIntent"/> asks the execution stage to do.</summary>
public enum IntentAction : byte
{
    None = 0,

    /// <summary>Open a position: a new order on <see cref="OrderIntent.Side"/> for <see cref="OrderIntent.Quantity"/>.</summary>
    Enter,

    /// <summary>Close the whole position on the symbol: a reduce-only order on <see cref="OrderIntent.Side"/> for the position's size.</summary>
    Exit,
}

/// <summary>Why the brain decided an intent, so every order can be explained after the fact.</summary>
public enum IntentReason : byte
{
    None = 0,

    /// <summary>An entry signal with a free position slot.</summary>
    Signal,

    /// <summary>An entry that replaces the weakest position (the exit half carries <see cref="RotatedOut"/>).</summary>
    RotationEntry,

    /// <summary>The weakest position closed to make room for a stronger signal.</summary>
    RotatedOut,

    /// <summary>The indicators turned against the position.</summary>
    SignalReversed,

    /// <summary>The price crossed the position's stop (entry price minus/plus the stop distance).</summary>
    StopHit,

    /// <summary>The operator asked to flatten everything.</summary>
    Flatten,
}

/// <summary>Flags on an <see cref="OrderIntent"/>.</summary>
[Flags]
public enum IntentFlags : byte
{
    None = 0,

    /// <summary>The order may only reduce the position (every exit).</summary>
    ReduceOnly = 1,
}

/// <summary>
/// One order the brain wants, written into the ring slot it decided on for the execution stage to carry out.
/// Exactly 32 bytes so two fit the slot's decision line.
/// </summary>
/// <remarks>
/// The quantity is final: already rounded down to the symbol's step and checked against its minimum quantity and
/// notional, so execution never resizes an entry. An exit's quantity is the position size the brain knows; it is
/// reduce-only, so execution may send it as is even if a partial fill moved the position meanwhile.
/// Confidence is carried in basis points (0..10000) to fit the line; the brain keeps the full double.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct OrderIntent
{
    /// <summary>Bytes per intent.</summary>
    public const int Size = 32;

    /// <summary>Basis points of confidence that mean 1.0.</summary>
    public const int ConfidenceScale = 10_000;

    /// <summary>Quantity to trade, positive, on the symbol's step grid.</summary>
    [FieldOffset(0)]
    public Quantity Quantity;

    /// <summary>The last price the decision saw (a candle close or trade price): reference for a market order, or a limit price.</summary>
    [FieldOffset(8)]
    public Price ReferencePrice;

    /// <summary>Distance from the entry price to the protective stop (a tick-rounded ATR multiple); zero on exits.</summary>
    [FieldOffset(16)]
    public Price StopDistance;

    [FieldOffset(24)]
    public SymbolId Symbol;

    /// <summary>Confidence in basis points: 10000 = every indicator agrees.</summary>
    [FieldOffset(26)]
    public ushort ConfidenceBasisPoints;

    [FieldOffset(28)]
    public Side Side;

    [FieldOffset(29)]
    public IntentAction Action;

    [FieldOffset(30)]
    public IntentReason Reason;

    [FieldOffset(31)]
    public IntentFlags Flags;

    /// <summary>Confidence in [0, 1].</summary>
    public readonly double Confidence => ConfidenceBasisPoints / (double)ConfidenceScale;

    /// <summary>Whether the order may only reduce the position.</summary>
    public readonly bool ReduceOnly => (Flags & IntentFlags.ReduceOnly) != 0;

    /// <summary>Converts a confidence in [0, 1] to basis points, rounding to nearest (values outside are clamped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort ToBasisPoints(double confidence) =>
        (ushort)Math.Round(Math.Clamp(confidence, 0.0, 1.0) * ConfidenceScale, MidpointRounding.AwayFromZero);
}

/// <summary>
/// The brain's decision on one event: up to <see cref="Capacity"/> intents, in the order execution must act on
/// them (an exit that makes room always comes before the entry that takes it).
/// </summary>
[InlineArray(Capacity)]
public struct IntentPair
{
    /// <summary>Intents per slot.</summary>
    public const int Capacity = 2;

    private OrderIntent _first;
}

/// <summary>Things the brain noticed on an event, for the tail stage's metrics and logs (the counters hold the totals).</summary>
[Flags]
public enum BrainNotes : byte
{
    None = 0,

    /// <summary>A failed order put a symbol in cooldown on this event.</summary>
    CooldownStarted = 1,

    /// <summary>At least one symbol's cooldown ended on this event.</summary>
    CooldownEnded = 2,

    /// <summary>An entry signal was refused (sizing, cooldown, pause, no slot, rotation margin not met).</summary>
    EntryRefused = 4,

    /// <summary>A closed candle was evaluated by the strategy on this event.</summary>
    Evaluated = 8,

    /// <summary>An exchange kline disagreed with the candle built from trades.</summary>
    CandleMismatch = 16,
}
