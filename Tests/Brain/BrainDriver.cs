using Engine.Brain;
using Engine.Model;

namespace Tests.Brain;

/// <summary>
/// Feeds a <see cref="TradingBrain"/> ring slots exactly as the ring would (one slot at a time, in order) and
/// plays the execution stage's side of the contract: order updates for the intents it chooses to fill or fail.
/// </summary>
internal sealed class BrainDriver
{
    public const double FlatLow = 10;
    public const double FlatHigh = 12;

    public BrainDriver(BrainOptions options, int symbols)
    {
        var rules = new SymbolRules[symbols + 1];
        for (var i = 1; i <= symbols; i++)
        {
            rules[i] = BrainData.BtcUsdtRules;
        }

        Brain = new TradingBrain(options, rules);
    }

    public TradingBrain Brain { get; }

    /// <summary>Options that make the tests' spikes the only entries: a flat history gives confidence 0.8–0.85.</summary>
    public static BrainOptions TestOptions(Action<BrainOptions>? change = null)
    {
        var options = new BrainOptions { MaxSymbols = 8, EntryConfidence = 0.9, VolumeZFull = 4, RotationMargin = 0.1 };
        change?.Invoke(options);
        return options;
    }

    public static SymbolId S(int id) => new((ushort)id);

    /// <summary>Exchange time of minute <paramref name="minute"/>'s kline event (its close).</summary>
    public static long CloseTime(int minute) => (minute * Candle.MinuteMs) + Candle.MinuteMs - 1;

    /// <summary>
    /// An accelerating uptrend: every directional vote is long, the volume alternates 10/12 (z-score ±1) unless
    /// <paramref name="volume"/> says otherwise.
    /// </summary>
    public static Candle TrendCandle(int minute, double? volume = null)
    {
        var close = 100 + (0.5 * minute) + (0.005 * minute * minute);
        var open = close - 0.25;
        var v = volume ?? (minute % 2 == 0 ? FlatLow : FlatHigh);
        return new Candle(minute * Candle.MinuteMs, Px(open), Px(close + 0.2), Px(open - 0.3), Px(close), Quantity.FromMantissa((long)(v * 1e8)), 10);
    }

    public static Price Px(double value) => Price.FromMantissa((long)Math.Round(value * 100) * 1_000_000);

    public MarketEvent Send(MarketEvent e)
    {
        Brain.OnEvent(ref e);
        return e;
    }

    public MarketEvent Kline(int symbol, int minute, double? volume = null) =>
        Send(BrainData.KlineEvent(S(symbol), TrendCandle(minute, volume)));

    /// <summary>Klines of minutes [from, to) for each symbol in turn, minute by minute; returns every intent written.</summary>
    public List<OrderIntent> Warm(int from, int to, params int[] symbols)
    {
        var intents = new List<OrderIntent>();
        for (var m = from; m < to; m++)
        {
            foreach (var s in symbols)
            {
                intents.AddRange(Intents(Kline(s, m)));
            }
        }

        return intents;
    }

    public MarketEvent Trade(int symbol, long timeMs, Price price) =>
        Send(BrainData.TradeEvent(S(symbol), timeMs, price, BrainData.Q("0.001")));

    public MarketEvent Command(CommandKind kind, long timeMs)
    {
        var e = default(MarketEvent);
        e.Begin(MarketEventKind.Command, SymbolId.None, timeMs, 0);
        e.Command.Kind = kind;
        return Send(e);
    }

    public MarketEvent Account(Notional equity, long timeMs)
    {
        var e = default(MarketEvent);
        e.Begin(MarketEventKind.Account, SymbolId.None, timeMs, 0);
        e.Account.WalletBalance = equity;
        e.Account.Equity = equity;
        return Send(e);
    }

    public MarketEvent Position(int symbol, Quantity amount, Price entryPrice, long timeMs, PositionSource source = PositionSource.Reconciliation)
    {
        var e = default(MarketEvent);
        e.Begin(MarketEventKind.Position, S(symbol), timeMs, 0);
        e.Position.Amount = amount;
        e.Position.EntryPrice = entryPrice;
        e.Position.Source = source;
        return Send(e);
    }

    public MarketEvent Update(in OrderIntent intent, OrderStatus status, long timeMs, bool fill)
    {
        var e = default(MarketEvent);
        e.Begin(MarketEventKind.OrderUpdate, intent.Symbol, timeMs, 0);
        e.OrderUpdate.Side = intent.Side;
        e.OrderUpdate.OrderKind = OrderKind.Market;
        e.OrderUpdate.Status = status;
        e.OrderUpdate.Quantity = intent.Quantity;
        e.OrderUpdate.ReduceOnly = intent.ReduceOnly;
        if (fill)
        {
            e.OrderUpdate.FilledQuantity = intent.Quantity;
            e.OrderUpdate.LastFillQuantity = intent.Quantity;
            e.OrderUpdate.LastFillPrice = intent.ReferencePrice;
        }

        return Send(e);
    }

    public MarketEvent Fill(in OrderIntent intent, long timeMs) => Update(intent, OrderStatus.Filled, timeMs, fill: true);

    public MarketEvent Reject(in OrderIntent intent, long timeMs) => Update(intent, OrderStatus.Rejected, timeMs, fill: false);

    public static List<OrderIntent> Intents(in MarketEvent e)
    {
        var list = new List<OrderIntent>(e.IntentCount);
        for (var i = 0; i < e.IntentCount; i++)
        {
            list.Add(e.Intents[i]);
        }

        return list;
    }
}
