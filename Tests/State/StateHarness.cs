using System.Diagnostics;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.UserData;
using Engine.Model;
using Engine.Ring;
using Engine.State;
using Engine.State.Positions;
using Engine.State.Reconciliation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Simulator;
using Tests.Simulator;

namespace Tests.State;

/// <summary>
/// The state parts wired the way the engine wires them, against a real simulator on loopback: the engine's REST client,
/// a multi-producer ring whose tail runs <see cref="PositionStage{TNext}"/> (then a recorder of Account events), the
/// user-data stream and the reconciler, with <see cref="TestLedger"/> as the sink (production: execution's ledger).
/// </summary>
internal sealed class StateHarness : IAsyncDisposable
{
    public static readonly string[] SymbolNames = ["BTCUSDT", "ETHUSDT", "BNBUSDT"];

    private readonly List<IAsyncDisposable> _owned = [];
    private long _nextClientId = 17_000_000_000;

    private StateHarness(SimulatorHost sim, ILoggerFactory logs)
    {
        Sim = sim;
        Logs = logs;
        Direct = new SimClient(sim);
        Symbols = new SymbolTable(16);
        foreach (var name in SymbolNames)
        {
            Symbols.Add(name);
        }

        Rest = new BinanceRestClient(
            Options.Create(new BinanceRestOptions { BaseAddress = sim.RestBaseUri.ToString().TrimEnd('/'), RequestTimeout = TimeSpan.FromSeconds(10), ClockSamples = 1 }),
            logs.CreateLogger<BinanceRestClient>(),
            new ServerClock(),
            new RateLimitTracker(),
            new ApiCredentials(sim.ApiKey, sim.ApiSecret));
        Ring = RingBuffer.CreateMultiProducer<MarketEvent>(1024, new BlockingWaitStrategy(TimeSpan.FromMilliseconds(2)));
        Book = new PositionBook(Symbols.Capacity);
        StageCounters = new PositionStageCounters(Book.SymbolCapacity);
        Accounts = new AccountRecorder();
        Tail = new BatchEventProcessor<MarketEvent, PositionStage<AccountRecorderStage>>(
            "tail", Ring, Ring.NewBarrier(), new PositionStage<AccountRecorderStage>(Book, StageCounters, new AccountRecorderStage(Accounts)));
        Ring.AddGatingSequences(Tail.Sequence);
        Tail.Start();
        Ledger = new TestLedger(Ring, Rest, Symbols);
    }

    public SimulatorHost Sim { get; }

    public ILoggerFactory Logs { get; }

    /// <summary>A client that is not the engine: orders "behind the engine's back".</summary>
    public SimClient Direct { get; }

    public SymbolTable Symbols { get; }

    public BinanceRestClient Rest { get; }

    public RingBuffer<MarketEvent> Ring { get; }

    public PositionBook Book { get; }

    public PositionStageCounters StageCounters { get; }

    public AccountRecorder Accounts { get; }

    public BatchEventProcessor<MarketEvent, PositionStage<AccountRecorderStage>> Tail { get; }

    public TestLedger Ledger { get; }

    public static async Task<StateHarness> StartAsync(Action<SimulatorOptions>? configure = null, ILoggerFactory? logs = null)
    {
        var options = SimClient.Options(symbols: 3);
        configure?.Invoke(options);
        var sim = await SimulatorHost.StartAsync(options);
        return new StateHarness(sim, logs ?? NullLoggerFactory.Instance);
    }

    public SymbolId Id(string name) => Symbols.TryGet(System.Text.Encoding.ASCII.GetBytes(name), out var id) ? id : throw new ArgumentException(name);

    public UserDataStream Stream(Action<UserDataStreamOptions>? configure = null)
    {
        var options = new UserDataStreamOptions
        {
            WebSocketBaseAddress = Sim.WebSocketBaseUri.ToString().TrimEnd('/'),
            ReconnectDelay = TimeSpan.FromMilliseconds(50),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        };
        configure?.Invoke(options);
        var stream = new UserDataStream(Rest, Symbols, Ledger, Options.Create(options), Logs.CreateLogger<UserDataStream>());
        _owned.Add(stream);
        return stream;
    }

    public Reconciler Reconciler(Action<ReconciliationOptions>? configure = null)
    {
        var options = new ReconciliationOptions { RunAtStart = false, ConfirmDelay = TimeSpan.FromMilliseconds(300) };
        configure?.Invoke(options);
        var reconciler = new Reconciler(Rest, Symbols, Book, Ledger, Ledger, Ring, Options.Create(options), Logs.CreateLogger<Reconciler>());
        _owned.Add(reconciler);
        return reconciler;
    }

    /// <summary>Places an order the way execution does: known to the ledger (journaled) first, then sent with our client id.</summary>
    public async Task<OrderResponse> PlaceAsync(string symbol, Side side, OrderKind type, string quantity, string? price = null)
    {
        var id = Interlocked.Increment(ref _nextClientId);
        var qty = Quantity.Parse(System.Text.Encoding.ASCII.GetBytes(quantity));
        Ledger.Register(Id(symbol), id, side, qty);
        var result = await Rest.PlaceOrderAsync(new NewOrderRequest
        {
            Symbol = symbol,
            Side = side,
            Type = type,
            Quantity = qty,
            Price = price is null ? null : Price.Parse(System.Text.Encoding.ASCII.GetBytes(price)),
            TimeInForce = type == OrderKind.Limit ? Engine.Model.TimeInForce.Gtc : null,
            NewClientOrderId = OrderRecovery.WireId(id),
            ResultResponse = true,
        });
        return result.GetValueOrThrow();
    }

    /// <summary>Waits until <paramref name="condition"/> holds or fails the test after <paramref name="seconds"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, double seconds = 15)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed.TotalSeconds > seconds)
            {
                Assert.Fail("Timed out waiting for " + what);
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        await Ledger.RecoveryDone();
        Tail.Halt();
        Tail.Join(TimeSpan.FromSeconds(5));
        Rest.Dispose();
        Direct.Dispose();
        await Sim.DisposeAsync();
    }
}

/// <summary>The last Account event that reached the tail, and how many did.</summary>
internal sealed class AccountRecorder
{
    private long _count;
    private long _wallet;
    private long _equity;

    public long Count => Volatile.Read(ref _count);

    public Notional Wallet => Notional.FromMantissa(Volatile.Read(ref _wallet));

    public Notional Equity => Notional.FromMantissa(Volatile.Read(ref _equity));

    public void Record(in AccountData account)
    {
        Volatile.Write(ref _wallet, account.WalletBalance.Mantissa);
        Volatile.Write(ref _equity, account.Equity.Mantissa);
        Volatile.Write(ref _count, _count + 1);
    }
}

internal readonly struct AccountRecorderStage(AccountRecorder recorder) : IEventHandler<MarketEvent>
{
    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
    {
        if (data.Kind == MarketEventKind.Account)
        {
            recorder.Record(in data.Account);
        }
    }
}

/// <summary>
/// The transport between the user-data stream and the ring for these tests, standing where execution's order ledger
/// stands in the engine: it keeps each of our orders' cumulative filled quantity, so a state it has seen (a repeat, a
/// query answer after the stream already told it) moves nothing, and publishes each new fill into the ring once. On a
/// recovered stream it queries the orders it thinks are open with <see cref="OrderRecovery"/>.
/// </summary>
internal sealed class TestLedger : IUserDataSink, IOpenOrderView
{
    private readonly object _lock = new();
    private readonly RingBuffer<MarketEvent> _ring;
    private readonly OrderRecovery _recovery;
    private readonly Dictionary<long, Entry> _orders = [];
    private readonly List<Task> _recoveries = [];

    public TestLedger(RingBuffer<MarketEvent> ring, BinanceRestClient rest, SymbolTable symbols)
    {
        _ring = ring;
        _recovery = new OrderRecovery(rest, symbols, this);
    }

    public int Ups { get; private set; }

    public int RecoveredUps { get; private set; }

    public int Downs { get; private set; }

    public int ForeignUpdates { get; private set; }

    public int RepeatedUpdates { get; private set; }

    public List<(long ClientOrderId, Quantity Quantity, Price Price, bool FromQuery)> Fills { get; } = [];

    public List<AccountData> Accounts { get; } = [];

    /// <summary>The account updates the stream has handed over so far and the last of them (read under the sink's lock).</summary>
    public (int Count, AccountData Last) LastAccount()
    {
        lock (_lock)
        {
            return (Accounts.Count, Accounts.Count > 0 ? Accounts[^1] : default);
        }
    }

    public void Register(SymbolId symbol, long clientOrderId, Side side, Quantity quantity)
    {
        lock (_lock)
        {
            _orders[clientOrderId] = new Entry { Symbol = symbol, Side = side, Quantity = quantity, Status = OrderStatus.New };
        }
    }

    public (Quantity Filled, OrderStatus Status) Of(long clientOrderId)
    {
        lock (_lock)
        {
            var e = _orders[clientOrderId];
            return (e.Filled, e.Status);
        }
    }

    public bool AllTerminal()
    {
        lock (_lock)
        {
            return _orders.Values.All(e => e.Status is OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Expired or OrderStatus.Rejected);
        }
    }

    public void OnOrderUpdate(in MarketEvent evt)
    {
        lock (_lock)
        {
            ref readonly var u = ref evt.OrderUpdate;
            if (u.ClientOrderId == 0 || !_orders.TryGetValue(u.ClientOrderId, out var e))
            {
                ForeignUpdates++;
                return;
            }

            if (u.Status is OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Expired or OrderStatus.Rejected || e.Status == OrderStatus.New)
            {
                e.Status = u.Status;
            }

            var missed = u.FilledQuantity - e.Filled;
            if (missed.Mantissa <= 0)
            {
                RepeatedUpdates++;
                return;
            }

            Price price;
            if (u.LastFillQuantity == missed)
            {
                price = u.LastFillPrice;
            }
            else
            {
                // A query answer (LastFillPrice = average): the missed part's price is what makes the average come out.
                var total = u.LastFillPrice.Multiply(u.FilledQuantity, RoundingMode.HalfEven);
                price = (total - e.KnownNotional).DivideBy(missed, RoundingMode.HalfEven);
            }

            e.Filled = u.FilledQuantity;
            e.KnownNotional += price.Multiply(missed, RoundingMode.HalfEven);
            Fills.Add((u.ClientOrderId, missed, price, u.LastFillQuantity.IsZero));
            var sequence = _ring.Next();
            ref var slot = ref _ring[sequence];
            slot = evt;
            slot.OrderUpdate.LastFillQuantity = missed;
            slot.OrderUpdate.LastFillPrice = price;
            _ring.Publish(sequence);
        }
    }

    public void OnAccountUpdate(in MarketEvent evt)
    {
        lock (_lock)
        {
            Accounts.Add(evt.Account);
            var sequence = _ring.Next();
            _ring[sequence] = evt;
            _ring.Publish(sequence);
        }
    }

    public void OnStreamDown()
    {
        lock (_lock)
        {
            Downs++;
        }
    }

    public void OnStreamUp(bool recovered)
    {
        lock (_lock)
        {
            Ups++;
            if (!recovered)
            {
                return;
            }

            RecoveredUps++;
            var open = new List<LocalOrder>();
            CopyOpenOrders(open);
            _recoveries.Add(Task.Run(() => _recovery.QueryAllAsync(open, CancellationToken.None)));
        }
    }

    public int CopyOpenOrders(List<LocalOrder> into)
    {
        lock (_lock)
        {
            var n = 0;
            foreach (var (id, e) in _orders)
            {
                if (e.Status is OrderStatus.New or OrderStatus.PartiallyFilled)
                {
                    into.Add(new LocalOrder(e.Symbol, id, e.Side, e.Quantity, e.Filled, e.Status));
                    n++;
                }
            }

            return n;
        }
    }

    public async Task RecoveryDone()
    {
        Task[] pending;
        lock (_lock)
        {
            pending = [.. _recoveries];
        }

        await Task.WhenAll(pending);
    }

    private sealed class Entry
    {
        public SymbolId Symbol;
        public Side Side;
        public Quantity Quantity;
        public Quantity Filled;
        public Notional KnownNotional;
        public OrderStatus Status;
    }
}
