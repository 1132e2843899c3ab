using System.Security.Cryptography;
using System.Text.Json;

namespace Simulator;

/// <summary>Receives what the venue publishes. Called under the venue's lock: implementations must not block.</summary>
internal interface IVenueSink
{
    void OnMarketStep(MarketSymbol symbol, List<PublicTrade> trades, long timeMs);

    void OnUserEvent(byte[] payload);

    void OnListenKeyExpired(string listenKey, byte[] payload);

    /// <summary>The key was deleted: its user-data connections close.</summary>
    void OnListenKeyClosed(string listenKey);
}

/// <summary>
/// The whole simulated exchange: the market (price paths, candles, synthetic books), one account (wallet, one-way
/// positions, orders, algo orders, trades) and its listen keys. One lock guards everything; it is a test venue.
/// </summary>
internal sealed partial class Venue
{
    public const int StepMs = 100;
    public const string Asset = "USDT";

    private readonly List<PublicTrade> _stepTrades = [];
    private readonly Dictionary<string, Position> _positions = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Order> _orders = [];
    private readonly List<Order> _openOrders = [];
    private readonly Dictionary<long, AlgoOrder> _algos = [];
    private readonly List<AlgoOrder> _openAlgos = [];
    private readonly List<UserTrade> _trades = [];
    private readonly ReplaySource? _replay;
    private readonly MarketSymbol? _replaySymbol;
    private long _nextStepTime;
    private long _nextOrderId = 8_389_765_000L;
    private long _nextAlgoId = 3_000_000L;
    private long _nextTradeId = 700_000L;
    private long _walletUpdateTime;
    private long _generatedIds;
    private string? _listenKey;
    private long _listenKeyExpiry;
    private int _rejectNextOrders;
    private int _rejectCode = -2010;

    public Venue(SimulatorOptions options, SimClock clock, IVenueSink sink, ReplaySource? replay = null, int backfillMinutes = 120)
    {
        Options = options;
        Clock = clock;
        Sink = sink;
        Wallet = options.Balance;
        for (var i = 0; i < options.Symbols; i++)
        {
            var s = new MarketSymbol(SymbolCatalog.All[i], i, options.Seed);
            Symbols.Add(s);
            BySymbol[s.Spec.Symbol] = s;
        }

        if (replay is not null)
        {
            var name = options.ReplaySymbol ?? (options.ReplayFile is null ? null : ReplaySource.SymbolFromFileName(options.ReplayFile));
            if (name is null || !BySymbol.TryGetValue(name, out var rs))
            {
                throw new ArgumentException($"replay file {options.ReplayFile}: symbol '{name}' is not one of the venue's symbols; pass ReplaySymbol");
            }

            replay.SkipBefore(clock.StartMs);
            _replay = replay;
            _replaySymbol = rs;
            if (replay.TryPeek(out var first))
            {
                rs.StartAt(first.Price);
            }
        }

        var start = clock.StartMs;
        _nextStepTime = start - (start % StepMs) + StepMs;
        Backfill(start, backfillMinutes);
    }

    public SimulatorOptions Options { get; }

    public SimClock Clock { get; }

    public IVenueSink Sink { get; }

    public Lock Gate { get; } = new();

    public List<MarketSymbol> Symbols { get; } = [];

    public Dictionary<string, MarketSymbol> BySymbol { get; } = new(StringComparer.Ordinal);

    public decimal Wallet { get; private set; }

    public IReadOnlyList<Order> OpenOrders => _openOrders;

    public IReadOnlyList<AlgoOrder> OpenAlgos => _openAlgos;

    public IReadOnlyList<UserTrade> Trades => _trades;

    public long NextStepTime => _nextStepTime;

    public long Now => Clock.MarketNowMs;

    public string? ListenKey => _listenKey;

    /// <summary>Steps the market up to <paramref name="targetMs"/> (at most <paramref name="maxSteps"/> steps per call).</summary>
    public void Advance(long targetMs, int maxSteps = 5000)
    {
        lock (Gate)
        {
            var steps = 0;
            while (_nextStepTime <= targetMs && steps++ < maxSteps)
            {
                var t = _nextStepTime;
                foreach (var s in Symbols)
                {
                    _stepTrades.Clear();
                    if (s == _replaySymbol && _replay is not null && !_replay.Finished)
                    {
                        while (_replay.TryNext(t, out var r))
                        {
                            s.ReplayTrade(t, r.Price, r.Quantity, r.BuyerMaker, _stepTrades);
                        }

                        s.AdvanceStep(t);
                    }
                    else
                    {
                        s.WalkStep(t, StepMs / 1000.0, _stepTrades);
                    }

                    MatchResting(s, t);
                    TriggerAlgos(s, t);
                    Sink.OnMarketStep(s, _stepTrades, t);
                }

                _nextStepTime += StepMs;
            }

            ExpireListenKey(targetMs);
        }
    }

    private void Backfill(long startMs, int minutes)
    {
        if (minutes <= 0)
        {
            return;
        }

        var scratch = new List<PublicTrade>();
        var from = startMs - (startMs % 60_000) - (minutes * 60_000L);
        foreach (var s in Symbols)
        {
            if (s == _replaySymbol)
            {
                continue;
            }

            for (var t = from; t < startMs; t += 1000)
            {
                s.BackfillStep(t, 1.0, scratch);
            }
        }
    }

    // ---------------------------------------------------------------- account arithmetic

    public Position PositionOf(MarketSymbol s)
    {
        if (!_positions.TryGetValue(s.Spec.Symbol, out var p))
        {
            p = new Position { Leverage = Options.DefaultLeverage };
            _positions[s.Spec.Symbol] = p;
        }

        return p;
    }

    public bool HasPosition(MarketSymbol s) => _positions.TryGetValue(s.Spec.Symbol, out var p) && p.Amount != 0;

    public static decimal Unrealized(MarketSymbol s, Position p) => p.Amount == 0 ? 0m : Math.Round(p.Amount * (s.MarkPrice - p.EntryPrice), 8);

    public static decimal PositionInitialMargin(MarketSymbol s, Position p) => Math.Round(Math.Abs(p.Amount) * s.MarkPrice / p.Leverage, 8);

    public static decimal MaintMargin(MarketSymbol s, Position p) => Math.Round(Math.Abs(p.Amount) * s.MarkPrice * s.Spec.MaintMarginRatio, 8);

    public decimal OpenOrderInitialMargin(MarketSymbol? only = null)
    {
        var sum = 0m;
        foreach (var o in _openOrders)
        {
            if (only is null || o.Symbol == only)
            {
                sum += OrderMargin(o.Symbol, o.IsBuy, o.Remaining, o.Price, o.ReduceOnly);
            }
        }

        return Math.Round(sum, 8);
    }

    private decimal OrderMargin(MarketSymbol s, bool isBuy, decimal qty, decimal price, bool reduceOnly)
    {
        if (reduceOnly)
        {
            return 0m;
        }

        var p = PositionOf(s);
        var opposite = p.Amount != 0 && (p.Amount > 0) != isBuy;
        var increasing = opposite ? Math.Max(0m, qty - Math.Abs(p.Amount)) : qty;
        return increasing * price / p.Leverage;
    }

    public decimal TotalUnrealized() => SumOverPositions(Unrealized);

    public decimal TotalPositionInitialMargin() => SumOverPositions(PositionInitialMargin);

    public decimal TotalMaintMargin() => SumOverPositions(MaintMargin);

    private decimal SumOverPositions(Func<MarketSymbol, Position, decimal> term)
    {
        var sum = 0m;
        foreach (var s in Symbols)
        {
            if (_positions.TryGetValue(s.Spec.Symbol, out var p))
            {
                sum += term(s, p);
            }
        }

        return sum;
    }

    public decimal Available => Math.Max(0m, Wallet + TotalUnrealized() - TotalPositionInitialMargin() - OpenOrderInitialMargin());

    public long WalletUpdateTime => _walletUpdateTime;

    /// <summary>Cross-margin liquidation price of a single position, holding the rest of the account constant.</summary>
    public decimal LiquidationPrice(MarketSymbol s, Position p)
    {
        if (p.Amount == 0)
        {
            return 0m;
        }

        var otherEquity = Wallet + TotalUnrealized() - Unrealized(s, p) - (TotalMaintMargin() - MaintMargin(s, p));
        var denominator = p.Amount - (Math.Abs(p.Amount) * s.Spec.MaintMarginRatio);
        if (denominator == 0)
        {
            return 0m;
        }

        var liq = ((p.Amount * p.EntryPrice) - otherEquity) / denominator;
        return liq > 0 ? Math.Round(liq, 8) : 0m;
    }

    // ---------------------------------------------------------------- settings

    public int SetLeverage(MarketSymbol s, int leverage)
    {
        lock (Gate)
        {
            var p = PositionOf(s);
            if (p.Amount != 0 && Math.Abs(p.Amount) * s.MarkPrice / leverage > Available + PositionInitialMargin(s, p))
            {
                throw VenueException.Bad(-2027, "Exceeded the maximum allowable position at current leverage.");
            }

            p.Leverage = leverage;
            var now = Now;
            Sink.OnUserEvent(JsonOut.Build(w =>
            {
                w.WriteStartObject();
                w.WriteString("e", "ACCOUNT_CONFIG_UPDATE");
                w.WriteNumber("E", now);
                w.WriteNumber("T", now);
                w.WritePropertyName("ac");
                w.WriteStartObject();
                w.WriteString("s", s.Spec.Symbol);
                w.WriteNumber("l", leverage);
                w.WriteEndObject();
                w.WriteEndObject();
            }));
            return leverage;
        }
    }

    /// <summary>Records the margin type; margin is computed on the cross model either way (documented limitation).</summary>
    public void SetMarginType(MarketSymbol s, bool isolated)
    {
        lock (Gate)
        {
            var p = PositionOf(s);
            if (p.Isolated == isolated)
            {
                throw VenueException.Bad(-4046, "No need to change margin type.");
            }

            if (_openOrders.Exists(o => o.Symbol == s))
            {
                throw VenueException.Bad(-4047, "Margin type cannot be changed if there exists open orders.");
            }

            if (p.Amount != 0)
            {
                throw VenueException.Bad(-4048, "Margin type cannot be changed if there exists position.");
            }

            p.Isolated = isolated;
        }
    }

    /// <summary>Makes the next <paramref name="count"/> orders fail with <paramref name="code"/> (a fault switch).</summary>
    public void RejectNextOrders(int count, int code)
    {
        lock (Gate)
        {
            _rejectNextOrders = count;
            _rejectCode = code;
        }
    }

    // ---------------------------------------------------------------- listen keys

    public string CreateListenKey()
    {
        lock (Gate)
        {
            var now = Now;
            ExpireListenKey(now);
            _listenKey ??= RandomKey();
            _listenKeyExpiry = now + (long)Options.ListenKeyLifetime.TotalMilliseconds;
            return _listenKey;
        }
    }

    public string KeepAliveListenKey()
    {
        lock (Gate)
        {
            var now = Now;
            ExpireListenKey(now);
            if (_listenKey is null)
            {
                throw VenueException.Bad(-1125, "This listenKey does not exist.");
            }

            _listenKeyExpiry = now + (long)Options.ListenKeyLifetime.TotalMilliseconds;
            return _listenKey;
        }
    }

    public void DeleteListenKey()
    {
        lock (Gate)
        {
            if (_listenKey is { } key)
            {
                _listenKey = null;
                Sink.OnListenKeyClosed(key);
            }
        }
    }

    public bool IsActiveListenKey(string key)
    {
        lock (Gate)
        {
            ExpireListenKey(Now);
            return _listenKey is not null && string.Equals(_listenKey, key, StringComparison.Ordinal);
        }
    }

    /// <summary>Expires the active key now (a fault switch); returns whether there was one.</summary>
    public bool ExpireListenKeyNow()
    {
        lock (Gate)
        {
            if (_listenKey is null)
            {
                return false;
            }

            _listenKeyExpiry = long.MinValue;
            ExpireListenKey(Now);
            return true;
        }
    }

    private void ExpireListenKey(long now)
    {
        if (_listenKey is null || now < _listenKeyExpiry)
        {
            return;
        }

        var key = _listenKey;
        _listenKey = null;
        Sink.OnListenKeyExpired(key, JsonOut.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("e", "listenKeyExpired");
            w.WriteNumber("E", now);
            w.WriteString("listenKey", key);
            w.WriteEndObject();
        }));
    }

    private static string RandomKey()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return RandomNumberGenerator.GetString(alphabet, 64);
    }

    internal static void WriteDecimalString(Utf8JsonWriter w, string name, decimal v) => w.WriteString(name, Num.Plain(v));
}
