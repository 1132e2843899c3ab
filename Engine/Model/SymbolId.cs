using System.Globalization;
using System.Runtime.CompilerServices;

namespace Engine.Model;

/// <summary>
/// A symbol as a 2-byte handle into a <see cref="SymbolTable"/>, so hot-path events carry no strings.
/// </summary>
/// <remarks>
/// <see cref="Value"/> 0 is <see cref="None"/> and real symbols are numbered from 1, so a <c>default</c>
/// (never assigned) id can never alias a real symbol. Per-symbol arrays of length
/// <c>table.Capacity + 1</c> can be indexed by <see cref="Value"/> directly; slot 0 stays unused.
/// </remarks>
public readonly struct SymbolId : IEquatable<SymbolId>
{
    /// <summary>Wraps a raw id; normally obtained from <see cref="SymbolTable.Add"/> or <see cref="SymbolTable.TryGet"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SymbolId(ushort value) => Value = value;

    /// <summary>The "no symbol" sentinel (value 0), equal to <c>default</c>.</summary>
    public static SymbolId None => default;

    /// <summary>The 1-based index in the owning table, or 0 for <see cref="None"/>.</summary>
    public ushort Value { get; }

    /// <summary>Whether this is <see cref="None"/>.</summary>
    public bool IsNone => Value == 0;

    /// <summary>Same id.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool operator ==(SymbolId left, SymbolId right) => left.Value == right.Value;

    /// <summary>Different ids.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool operator !=(SymbolId left, SymbolId right) => left.Value != right.Value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(SymbolId other) => Value == other.Value;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SymbolId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Value;

    /// <summary>"SymbolId(3)" or "SymbolId(None)"; the table owns the name.</summary>
    public override string ToString() =>
        IsNone ? "SymbolId(None)" : "SymbolId(" + Value.ToString(CultureInfo.InvariantCulture) + ")";
}
