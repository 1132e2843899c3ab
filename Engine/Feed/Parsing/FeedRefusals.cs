using System.Diagnostics;
using Engine.Model;

namespace Engine.Feed.Parsing;

/// <summary>
/// The feed's record of impossible values refused at the boundary: totals per <see cref="FrameRefusal"/>, and per
/// symbol the last refusal and whether its ids are being re-synced. Shared by every parser and session of a feed
/// and read by health and metrics.
/// </summary>
/// <remarks>
/// Refusals are rare, so each is counted with an interlocked increment from whichever thread refuses; nothing here
/// is on the path of an accepted event.
/// </remarks>
public sealed class FeedRefusals
{
    /// <summary>How many <see cref="FrameRefusal"/> values there are (None included).</summary>
    public const int ReasonCount = (int)FrameRefusal.Id + 1;

    private readonly long[] _totals = new long[ReasonCount];
    private readonly long[] _perSymbol;
    private readonly long[] _lastTimestamp;
    private readonly int[] _lastReason;
    private readonly int[] _resyncing;
    private readonly long[] _resyncs;
    private long _resyncTotal;

    /// <summary>Room for every symbol id of <paramref name="symbols"/>.</summary>
    public FeedRefusals(SymbolTable symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        var size = symbols.Capacity + 1;
        _perSymbol = new long[size];
        _lastTimestamp = new long[size];
        _lastReason = new int[size];
        _resyncing = new int[size];
        _resyncs = new long[size];
    }

    /// <summary>Events refused for this reason.</summary>
    public long Of(FrameRefusal reason) => Volatile.Read(ref _totals[(int)reason]);

    /// <summary>Events refused, all reasons.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            for (var i = 1; i < _totals.Length; i++)
            {
                total += Volatile.Read(ref _totals[i]);
            }

            return total;
        }
    }

    /// <summary>Symbols whose ids jumped to a new range that later frames confirmed, all symbols.</summary>
    public long Resyncs => Volatile.Read(ref _resyncTotal);

    /// <summary>Events of <paramref name="symbol"/> refused, all reasons.</summary>
    public long Of(SymbolId symbol) => Fits(symbol) ? Volatile.Read(ref _perSymbol[symbol.Value]) : 0;

    /// <summary>Times <paramref name="symbol"/>'s ids were re-synced to a confirmed new range.</summary>
    public long ResyncsOf(SymbolId symbol) => Fits(symbol) ? Volatile.Read(ref _resyncs[symbol.Value]) : 0;

    /// <summary>Whether <paramref name="symbol"/> has ids refused as far from its last one and not yet re-synced.</summary>
    public bool IsResyncing(SymbolId symbol) => Fits(symbol) && Volatile.Read(ref _resyncing[symbol.Value]) != 0;

    /// <summary>The last refusal of <paramref name="symbol"/>: its reason and Stopwatch timestamp, or (None, 0).</summary>
    public (FrameRefusal Reason, long Timestamp) LastOf(SymbolId symbol) =>
        Fits(symbol) ? ((FrameRefusal)Volatile.Read(ref _lastReason[symbol.Value]), Volatile.Read(ref _lastTimestamp[symbol.Value])) : (FrameRefusal.None, 0);

    internal void Count(FrameRefusal reason, SymbolId symbol)
    {
        Interlocked.Increment(ref _totals[(int)reason]);
        if (Fits(symbol))
        {
            Interlocked.Increment(ref _perSymbol[symbol.Value]);
            Volatile.Write(ref _lastReason[symbol.Value], (int)reason);
            Volatile.Write(ref _lastTimestamp[symbol.Value], Stopwatch.GetTimestamp());
        }
    }

    internal void SetResyncing(SymbolId symbol, bool resyncing)
    {
        if (Fits(symbol))
        {
            Volatile.Write(ref _resyncing[symbol.Value], resyncing ? 1 : 0);
        }
    }

    internal void Resynced(SymbolId symbol)
    {
        Interlocked.Increment(ref _resyncTotal);
        if (Fits(symbol))
        {
            Interlocked.Increment(ref _resyncs[symbol.Value]);
            Volatile.Write(ref _resyncing[symbol.Value], 0);
        }
    }

    private bool Fits(SymbolId symbol) => (uint)symbol.Value < (uint)_perSymbol.Length;
}
