using Engine.Model;

namespace Engine.Hosting;

/// <summary>
/// The symbols this run trades and the venue's rules for each, indexed by <see cref="SymbolId.Value"/>. Filled once
/// before the host starts (discovery in the modes with a venue), read by everything built after.
/// </summary>
public sealed class SymbolUniverse(SymbolTable table)
{
    public SymbolTable Table { get; } = table ?? throw new ArgumentNullException(nameof(table));

    /// <summary>The traded symbols, best first (empty until <see cref="Set"/>; the synthetic and replay sources register their own).</summary>
    public IReadOnlyList<SymbolId> Traded { get; private set; } = [];

    /// <summary>Venue rules by symbol id (index 0 unused); all-zero rules mean "unknown": the brain refuses entries there.</summary>
    public SymbolRules[] RulesById { get; private set; } = [];

    /// <summary>Where the list came from, for the start-up log and GetStatus.</summary>
    public string Origin { get; private set; } = "not discovered";

    public void Set(IReadOnlyList<SymbolId> traded, SymbolRules[] rulesById, string origin)
    {
        ArgumentNullException.ThrowIfNull(traded);
        ArgumentNullException.ThrowIfNull(rulesById);
        ArgumentException.ThrowIfNullOrWhiteSpace(origin);
        Traded = traded;
        RulesById = rulesById;
        Origin = origin;
    }
}
