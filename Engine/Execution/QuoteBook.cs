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
        e.FromBook = true;
        Store(ref e, bid.Mantissa, ask.Mantissa);
    }

    /// <summary>
    /// Stage thread only: a traded price (a trade, a candle's close) as the quote of a symbol no book quote has been
    /// seen for — a replay of aggTrades or klines has no book, and the paper venue then fills at the last price. Once a
    /// book quote has arrived, traded prices never overwrite it.
    /// </summary>
    public void WriteLastPrice(SymbolId symbol, Price price)
    {
        if (symbol.Value >= _entries.Length || price.Mantissa <= 0)
        {
            return;
        }

        ref var e = ref _entries[symbol.Value];
        if (!e.FromBook)
        {
            Store(ref e, price.Mantissa, price.Mantissa);
        }
    }

    private static void Store(ref Entry e, long bid, long ask)
    {
        // Odd version = write in progress; the full fence keeps the data stores after it.
        Interlocked.Increment(ref e.Version);
        e.Bid = bid;
        e.Ask = ask;
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

        /// <summary>Written by the stage only: a book quote has been seen.</summary>
        public bool FromBook;
    }
}
