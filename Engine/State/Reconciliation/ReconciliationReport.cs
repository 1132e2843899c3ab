using Engine.Model;

namespace Engine.State.Reconciliation;

/// <summary>What kind of difference reconciliation found.</summary>
public enum MismatchKind : byte
{
    /// <summary>The engine's position (amount, or entry beyond the tolerance) differs from positionRisk's.</summary>
    Position,

    /// <summary>The venue holds a position on a symbol the engine does not trade: reported, left alone.</summary>
    PositionOnUnknownSymbol,

    /// <summary>An order the engine thinks open is not among the venue's open orders: queried, the answer handed to the ledger.</summary>
    OrderNotOpenAtVenue,

    /// <summary>An order the engine thinks open that the venue does not know at all (-2013): left to execution.</summary>
    OrderUnknownToVenue,

    /// <summary>An open order at both ends whose filled quantity differs: the venue's state handed to the ledger.</summary>
    OrderFilledDiffers,

    /// <summary>An open venue order with the engine's client-id form that the engine does not know: canceled.</summary>
    OrderUnknownToEngine,

    /// <summary>An open venue order placed by someone else (not the engine's id form): reported, left alone.</summary>
    ForeignOrder,
}

/// <summary>One difference, worded for operators; maps one-to-one onto the control API's <c>Mismatch</c>.</summary>
/// <param name="Kind">What kind of difference.</param>
/// <param name="What">What is compared, e.g. "position BTCUSDT" or "order BTCUSDT e17000000001".</param>
/// <param name="Engine">The engine's side before the run.</param>
/// <param name="Venue">The venue's side.</param>
/// <param name="Action">What was done (empty on a dry run, or when nothing is to be done).</param>
public sealed record ReconciliationMismatch(MismatchKind Kind, string What, string Engine, string Venue, string Action);

/// <summary>A position that differed: before (the engine's), the venue's, and the engine's after the correction.</summary>
/// <param name="Symbol">Symbol name.</param>
/// <param name="EngineAmount">The engine's amount before.</param>
/// <param name="EngineEntryPrice">The engine's entry before.</param>
/// <param name="VenueAmount">positionRisk's amount.</param>
/// <param name="VenueEntryPrice">positionRisk's entry.</param>
/// <param name="AfterAmount">The engine's amount once the correction was applied (null on a dry run or when it was not seen applied in time).</param>
/// <param name="AfterEntryPrice">The engine's entry once the correction was applied.</param>
public sealed record PositionDifference(
    string Symbol,
    Quantity EngineAmount,
    Price EngineEntryPrice,
    Quantity VenueAmount,
    Price VenueEntryPrice,
    Quantity? AfterAmount,
    Price? AfterEntryPrice);

/// <summary>The outcome of one reconciliation run.</summary>
public sealed class ReconciliationReport
{
    /// <summary>The run's id; Position events it published carry it as their correlation id.</summary>
    public required long RunId { get; init; }

    /// <summary>Whether the run only compared (changed nothing).</summary>
    public required bool DryRun { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset CompletedAt { get; init; }

    /// <summary>Whether every comparison ran (the venue answered); false with <see cref="Error"/> otherwise.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>Why the run could not complete.</summary>
    public string? Error { get; init; }

    /// <summary>Every difference found, positions first.</summary>
    public IReadOnlyList<ReconciliationMismatch> Mismatches { get; init; } = [];

    /// <summary>The positions that differed, with before/after.</summary>
    public IReadOnlyList<PositionDifference> Positions { get; init; } = [];

    /// <summary>Symbols compared (engine's open positions ∪ venue's).</summary>
    public int PositionsCompared { get; init; }

    /// <summary>Orders compared (engine's open orders ∪ venue's).</summary>
    public int OrdersCompared { get; init; }

    /// <summary>The margin asset's wallet balance from the account endpoint (null when unavailable).</summary>
    public Notional? WalletBalance { get; init; }

    /// <summary>The margin asset's margin balance (wallet + unrealized) from the account endpoint.</summary>
    public Notional? Equity { get; init; }

    /// <summary>Whether the run found nothing to correct.</summary>
    public bool Clean => Succeeded && Mismatches.Count == 0;
}
