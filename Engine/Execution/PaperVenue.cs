using System.Diagnostics;
using System.Text;
using Engine.Model;
using Engine.State.Journal;

namespace Engine.Execution;

/// <summary>
/// The paper venue: orders execute here against the stage's latest quotes instead of being sent. A marketable order
/// fills at once at the touch (taker fee); a limit that does not cross rests and fills at its price when the market
/// reaches it (maker fee); a reduce-only order is cut to what reduces the position, and expires when nothing does.
/// Each fill goes through the ledger's funnel and moves a wallet of its own, published as an Account event. Runs on
/// the I/O loop's thread.
/// </summary>
internal sealed class PaperVenue : IOrderVenue
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(5);

    private readonly QuoteBook _quotes;
    private readonly PositionFold _positions;
    private readonly SymbolTable _symbols;
    private readonly IExecutionOutput _output;
    private readonly ExecutionCounters _counters;
    private readonly IOrderFunnel _funnel;
    private readonly Func<long> _eventTimeMs;
    private readonly long _takerRate;
    private readonly long _makerRate;
    private readonly List<OrderRecord> _resting = [];
    private long _orderIds;

    /// <param name="options">Fees and the initial wallet.</param>
    /// <param name="quotes">The stage's quotes.</param>
    /// <param name="positions">The loop's positions (reduce-only orders are cut to them; the account marks them).</param>
    /// <param name="symbols">This run's symbols.</param>
    /// <param name="output">Where the Account events go.</param>
    /// <param name="counters">Execution's counters (paper fills).</param>
    /// <param name="funnel">The ledger's funnel.</param>
    /// <param name="eventTimeMs">The time stamped on the events it publishes.</param>
    public PaperVenue(
        ExecutionOptions options, QuoteBook quotes, PositionFold positions, SymbolTable symbols, IExecutionOutput output, ExecutionCounters counters,
        IOrderFunnel funnel, Func<long> eventTimeMs)
    {
        _quotes = quotes;
        _positions = positions;
        _symbols = symbols;
        _output = output;
        _counters = counters;
        _funnel = funnel;
        _eventTimeMs = eventTimeMs;
        _takerRate = (long)(options.PaperTakerFee * FixedPoint.One);
        _makerRate = (long)(options.PaperMakerFee * FixedPoint.One);
        Wallet = Notional.FromMantissa((long)(options.PaperInitialWallet * FixedPoint.One));
    }

    public VenueMode Mode => VenueMode.Paper;

    /// <summary>The paper wallet: the initial one, or the live wallet last seen when the venue switched to paper.</summary>
    public Notional Wallet { get; set; }

    /// <summary>A venue order id of its own, negative so it never looks like the exchange's.</summary>
    public long NextOrderId() => -(++_orderIds);

    /// <summary>A limit order the journal left resting (a paper order never left the process): it rests again.</summary>
    public void Rest(OrderRecord record) => _resting.Add(record);

    public void Place(OrderRecord record, byte[] request, int length)
    {
        var order = record.Order;
        if (!_quotes.TryRead(record.Symbol, out var bid, out var ask))
        {
            _funnel.Fail(record, "paper: no quote for the symbol yet");
            return;
        }

        if (order.ReduceOnly)
        {
            var position = _positions.Get(order.Symbol).Amount.Mantissa;
            var reducible = order.Side == Side.Sell ? Math.Max(position, 0) : Math.Max(-position, 0);
            if (reducible == 0)
            {
                _funnel.Observe(record, new OrderObservation(OrderStatus.Expired, order.OrderId, Quantity.Zero, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero));
                return;
            }

            if (reducible < order.Quantity.Mantissa)
            {
                order.Quantity = Quantity.FromMantissa(reducible);
            }
        }

        var touch = order.Side == Side.Buy ? ask : bid;
        var crosses = order.Kind == OrderKind.Market || (order.Side == Side.Buy ? order.Price >= ask : order.Price <= bid);
        if (crosses)
        {
            Fill(record, touch, _takerRate);
            return;
        }

        _funnel.Observe(record, new OrderObservation(OrderStatus.New, order.OrderId, Quantity.Zero, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero));
        _resting.Add(record);
    }

    /// <summary>Nothing to ask: a paper order's state is always known here.</summary>
    public void Query(OrderRecord record)
    {
    }

    public void CancelAll(string symbol, bool entriesOnly)
    {
        for (var i = _resting.Count - 1; i >= 0; i--)
        {
            var record = _resting[i];
            if (record.Order.Symbol != symbol || (entriesOnly && record.Order.ReduceOnly))
            {
                continue;
            }

            _resting.RemoveAt(i);
            _funnel.Observe(record, new OrderObservation(OrderStatus.Canceled, 0, record.Order.Filled, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero));
        }
    }

    /// <summary>Fills the resting orders the market has reached; polled every few milliseconds while any rests.</summary>
    public TimeSpan? Poll()
    {
        if (_resting.Count == 0)
        {
            return null;
        }

        for (var i = _resting.Count - 1; i >= 0; i--)
        {
            var record = _resting[i];
            if (record.Order.IsFinal)
            {
                _resting.RemoveAt(i);
                continue;
            }

            if (_quotes.TryRead(record.Symbol, out var bid, out var ask)
                && (record.Order.Side == Side.Buy ? ask <= record.Order.Price : bid >= record.Order.Price))
            {
                _resting.RemoveAt(i);
                Fill(record, record.Order.Price, _makerRate);
            }
        }

        return s_poll;
    }

    private void Fill(OrderRecord record, Price price, long feeRate)
    {
        var order = record.Order;
        var quote = price.Multiply(order.Quantity, RoundingMode.HalfEven);
        var realized = _funnel.Observe(record, new OrderObservation(OrderStatus.Filled, order.OrderId, order.Quantity, quote, order.Quantity, price, price));
        _counters.CountPaperFill();
        var fee = Notional.FromMantissa(FixedPoint.MultiplyDivide(quote.Mantissa, feeRate, FixedPoint.One, RoundingMode.HalfEven));
        Wallet = Wallet + realized - fee;
        PublishAccount();
    }

    private void PublishAccount()
    {
        var unrealized = 0L;
        foreach (var position in _positions.All())
        {
            if (position.Amount.IsZero || !_symbols.TryGet(Encoding.ASCII.GetBytes(position.Symbol), out var id) || !_quotes.TryRead(id, out var bid, out var ask))
            {
                continue;
            }

            var mark = (bid.Mantissa + ask.Mantissa) / 2;
            unrealized += FixedPoint.MultiplyDivide(position.Amount.Mantissa, mark - position.EntryPrice.Mantissa, FixedPoint.One, RoundingMode.HalfEven);
        }

        var evt = default(MarketEvent);
        evt.Begin(MarketEventKind.Account, SymbolId.None, _eventTimeMs(), Stopwatch.GetTimestamp());
        evt.Account.WalletBalance = Wallet;
        evt.Account.Equity = Wallet + Notional.FromMantissa(unrealized);
        _output.Publish(in evt);
    }
}
