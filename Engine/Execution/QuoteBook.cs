using Engine.Model;

namespace Engine.Execution;

/// <summary>
/// The latest best bid and ask per symbol, written by the execution stage as Quote events pass it and read by the
/// I/O loop's paper venue. A sequence lock per symbol: one writer, readers retry a torn read; nothing blocks.
/// </summary>
public sealed class QuoteBook
{
    private readonly Entry[] _entries;

    public QuoteBook(int symbolCapacity) => _entries = new Entry[symbolCapacity + 1];

    /// <summary>Stage thread only.</summary>
    public void Write(SymbolId symbol, Price bid, Price ask)
    {
        if (symbol.Value >= _entries.Length)
        {
            return;
        }

        ref var e = ref _entries[symbol.Value];

        // Odd version = write in progress; the full fence keeps the data stores after it.
        Interlocked.Increment(ref e.Version);
        e.Bid = bid.Mantissa;
        e.Ask = ask.Mantissa;
        Volatile.Write(ref e.Version, e.Version + 1);
    }

    /// <summary>Any thread: the latest quote, false when none was seen.</summary>
    public bool TryRead(SymbolId symbol, out Price bid, out Price ask)
    {
        bid = ask = Price.Zero;
        if (symbol.Value >= _entries.Length)
        {
            return false;
        }

        ref var e = ref _entries[symbol.Value];
        while (true)
        {
            var before = Volatile.Read(ref e.Version);
            if ((before & 1) != 0)
            {
                Thread.SpinWait(1);
                continue;
            }

            var b = e.Bid;
            var a = e.Ask;
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref e.Version) == before)
            {
                if (before == 0 || b <= 0 || a <= 0)
                {
                    return false;
                }

                bid = Price.FromMantissa(b);
                ask = Price.FromMantissa(a);
                return true;
            }
        }
    }

    private struct Entry
    {
        public long Version;
        public long Bid;
        public long Ask;
    }
}
