using System.Diagnostics;
using System.Text;
using Engine.Model;
using Engine.Ring;

namespace Engine.Feed.Synthetic;

/// <summary>
/// Invents a market for a few symbols and publishes it into the ring at a steady rate: a seeded random walk in
/// whole ticks with trades of whole steps, and a best bid/offer around every fourth trade. Same seed, same
/// sequence of events. Runs on its own thread, as a network feed would run on its I/O thread.
/// </summary>
public sealed class SyntheticMarketSource
{
    private readonly RingBuffer<MarketEvent> _ring;
    private readonly Instrument[] _instruments;
    private readonly int _eventsPerSecond;
    private readonly long _maxEvents;
    private ulong _random;
    private long _tradeId;
    private volatile bool _stopping;
    private Thread? _thread;

    public SyntheticMarketSource(RingBuffer<MarketEvent> ring, SymbolTable symbols, SyntheticMarketOptions options)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(options);
        _ring = ring ?? throw new ArgumentNullException(nameof(ring));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.EventsPerSecond, 1);
        _eventsPerSecond = options.EventsPerSecond;
        _maxEvents = options.MaxEvents > 0 ? options.MaxEvents : long.MaxValue;
        _random = options.Seed == 0 ? 0x9E3779B97F4A7C15UL : options.Seed;
        var configured = options.Symbols.Count > 0 ? options.Symbols : SyntheticMarketOptions.DefaultSymbols;
        _instruments = new Instrument[configured.Count];
        for (var i = 0; i < configured.Count; i++)
        {
            var symbol = configured[i];
            _instruments[i] = new Instrument(
                symbols.Add(symbol.Name),
                Price.Parse(Encoding.UTF8.GetBytes(symbol.StartPrice)),
                Price.Parse(Encoding.UTF8.GetBytes(symbol.TickSize)),
                Quantity.Parse(Encoding.UTF8.GetBytes(symbol.StepSize)));
        }
    }

    /// <summary>Events published so far.</summary>
    public long Published { get; private set; }

    /// <summary>True while the source thread runs (false before start, after stop, and once it has published its maximum).</summary>
    public bool IsRunning => _thread is { IsAlive: true };

    public int SymbolCount => _instruments.Length;

    public void Start()
    {
        _thread = new Thread(Run) { Name = "feed-synthetic", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Stops publishing and waits for the thread; nothing is published after this returns.</summary>
    public bool Stop(TimeSpan timeout)
    {
        _stopping = true;
        return _thread is null || _thread.Join(timeout);
    }

    /// <summary>Publishes the next event into the ring (waiting if it is full). The thread calls it at the configured pace.</summary>
    public void PublishNext()
    {
        var index = (int)(NextRandom() % (ulong)_instruments.Length);
        ref var instrument = ref _instruments[index];
        var sequence = _ring.Next();
        ref var slot = ref _ring[sequence];
        var now = Stopwatch.GetTimestamp();
        var exchangeTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (instrument.TradesSinceQuote >= 4)
        {
            instrument.TradesSinceQuote = 0;
            slot.Begin(MarketEventKind.Quote, instrument.Symbol, exchangeTime, now);
            slot.Quote.BidPrice = Price.FromMantissa(instrument.Last.Mantissa - instrument.Tick.Mantissa);
            slot.Quote.AskPrice = instrument.Last;
            slot.Quote.BidQuantity = Quantity.FromMantissa(instrument.Step.Mantissa * (long)(1 + (NextRandom() % 200)));
            slot.Quote.AskQuantity = Quantity.FromMantissa(instrument.Step.Mantissa * (long)(1 + (NextRandom() % 200)));
            slot.Quote.UpdateId = ++instrument.UpdateId;
        }
        else
        {
            instrument.TradesSinceQuote++;
            // A walk of -2..+2 ticks that never goes below 100 ticks, so prices stay positive forever.
            var ticks = (long)(NextRandom() % 5) - 2;
            var next = instrument.Last.Mantissa + (ticks * instrument.Tick.Mantissa);
            if (next < 100 * instrument.Tick.Mantissa)
            {
                next = instrument.Last.Mantissa + (2 * instrument.Tick.Mantissa);
            }

            instrument.Last = Price.FromMantissa(next);
            slot.Begin(MarketEventKind.Trade, instrument.Symbol, exchangeTime, now);
            slot.Trade.Price = instrument.Last;
            slot.Trade.Quantity = Quantity.FromMantissa(instrument.Step.Mantissa * (long)(1 + (NextRandom() % 50)));
            slot.Trade.TradeId = slot.Trade.FirstTradeId = slot.Trade.LastTradeId = ++_tradeId;
            slot.Trade.BuyerIsMaker = ticks < 0;
        }

        slot.Stamps[(int)StagePoint.Published] = Stopwatch.GetTimestamp();
        _ring.Publish(sequence);
        Published++;
    }

    private void Run()
    {
        // Publish whatever is due every millisecond: a steady rate without spinning a core.
        var started = Stopwatch.GetTimestamp();
        while (!_stopping)
        {
            var due = Math.Min(_maxEvents, (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * _eventsPerSecond));
            if (Published >= _maxEvents)
            {
                return;
            }

            while (Published < due && !_stopping)
            {
                PublishNext();
            }

            Thread.Sleep(1);
        }
    }

    // xorshift64*: tiny, fast and good enough to make a market look busy; not for anything that needs secrecy.
    private ulong NextRandom()
    {
        var x = _random;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        _random = x;
        return x * 0x2545F4914F6CDD1DUL;
    }

    private struct Instrument(SymbolId symbol, Price start, Price tick, Quantity step)
    {
        public readonly SymbolId Symbol = symbol;
        public readonly Price Tick = tick;
        public readonly Quantity Step = step;
        public Price Last = start;
        public long UpdateId;
        public int TradesSinceQuote;
    }
}
