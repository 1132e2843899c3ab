using System.Globalization;
using System.Text;
using System.Text.Json;
using Engine.Brain;
using Engine.Model;

namespace Tests.Brain;

/// <summary>Reads the real market data files in Tests/Data into exact fixed-point values.</summary>
internal static class BrainData
{
    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "Data", file);

    /// <summary>A trade from XRP_ETH-trades.json: time, price, amount (raw JSON number text parsed exactly).</summary>
    public readonly record struct Trade(long TimeMs, Price Price, Quantity Amount, bool BuyerIsMaker);

    public static List<Trade> XrpEthTrades()
    {
        var trades = new List<Trade>();
        var reader = new Utf8JsonReader(File.ReadAllBytes(PathOf("XRP_ETH-trades.json")));
        Expect(reader.Read() && reader.TokenType == JsonTokenType.StartArray);
        while (reader.Read() && reader.TokenType == JsonTokenType.StartArray)
        {
            Expect(reader.Read());
            var time = reader.GetInt64();
            Expect(reader.Read()); // trade id
            Expect(reader.Read()); // null
            Expect(reader.Read());
            var buyerIsMaker = reader.GetString() == "sell";
            Expect(reader.Read());
            var price = Price.Parse(reader.ValueSpan);
            Expect(reader.Read());
            var amount = Quantity.Parse(reader.ValueSpan);
            Expect(reader.Read()); // cost
            Expect(reader.Read() && reader.TokenType == JsonTokenType.EndArray);
            trades.Add(new Trade(time, price, amount, buyerIsMaker));
        }

        return trades;
    }

    /// <summary>Klines from XRP_ETH-1m.json ([open_time, o, h, l, c, v]); no trade count in that file.</summary>
    public static List<Candle> XrpEthKlines()
    {
        var candles = new List<Candle>();
        var reader = new Utf8JsonReader(File.ReadAllBytes(PathOf("XRP_ETH-1m.json")));
        Expect(reader.Read() && reader.TokenType == JsonTokenType.StartArray);
        while (reader.Read() && reader.TokenType == JsonTokenType.StartArray)
        {
            Expect(reader.Read());
            var time = reader.GetInt64();
            var values = new long[5];
            for (var i = 0; i < 5; i++)
            {
                Expect(reader.Read());
                values[i] = FixedPoint.Parse(reader.ValueSpan);
            }

            Expect(reader.Read() && reader.TokenType == JsonTokenType.EndArray);
            candles.Add(new Candle(time, Price.FromMantissa(values[0]), Price.FromMantissa(values[1]), Price.FromMantissa(values[2]),
                Price.FromMantissa(values[3]), Quantity.FromMantissa(values[4]), 0));
        }

        return candles;
    }

    /// <summary>The three days of spot BTCUSDT 1-minute klines (data.binance.vision CSV layout), in time order.</summary>
    public static List<Candle> BtcUsdtKlines()
    {
        var candles = new List<Candle>();
        foreach (var day in new[] { "01", "02", "03" })
        {
            foreach (var line in File.ReadLines(PathOf($"BTCUSDT-1m-2020-01-{day}.csv")))
            {
                var f = line.Split(',');
                candles.Add(new Candle(
                    long.Parse(f[0], CultureInfo.InvariantCulture),
                    Price.Parse(Encoding.ASCII.GetBytes(f[1])),
                    Price.Parse(Encoding.ASCII.GetBytes(f[2])),
                    Price.Parse(Encoding.ASCII.GetBytes(f[3])),
                    Price.Parse(Encoding.ASCII.GetBytes(f[4])),
                    Quantity.Parse(Encoding.ASCII.GetBytes(f[5])),
                    int.Parse(f[8], CultureInfo.InvariantCulture)));
            }
        }

        return candles;
    }

    /// <summary>
    /// USD-M BTCUSDT's filters as fapi/v1/exchangeInfo gave them on 2021-07-21
    /// (shared/data/fapi_v1_exchangeInfo_2021-07-21.json): tick 0.01, step 0.001, qty 0.001..1000, min notional 5.
    /// </summary>
    public static SymbolRules BtcUsdtRules => new()
    {
        TickSize = P("0.01"),
        MinPrice = P("556.72"),
        MaxPrice = P("1000000"),
        StepSize = Q("0.001"),
        MinQuantity = Q("0.001"),
        MaxQuantity = Q("1000"),
        MarketStepSize = Q("0.001"),
        MarketMinQuantity = Q("0.001"),
        MarketMaxQuantity = Q("1000"),
        MinNotional = Notional.Parse("5"u8),
        PricePrecision = 2,
        QuantityPrecision = 3,
        MaxOpenOrders = 200,
    };

    public static Price P(string text) => Price.Parse(Encoding.ASCII.GetBytes(text));

    public static Quantity Q(string text) => Quantity.Parse(Encoding.ASCII.GetBytes(text));

    public static MarketEvent KlineEvent(SymbolId symbol, in Candle c)
    {
        var e = default(MarketEvent);
        e.Begin(MarketEventKind.Candle, symbol, c.OpenTimeMs + Candle.MinuteMs - 1, 0);
        e.Candle.OpenTimeMs = c.OpenTimeMs;
        e.Candle.Open = c.Open;
        e.Candle.High = c.High;
        e.Candle.Low = c.Low;
        e.Candle.Close = c.Close;
        e.Candle.Volume = c.Volume;
        e.Candle.TradeCount = c.TradeCount;
        e.Candle.IntervalMinutes = 1;
        e.Candle.IsClosed = true;
        return e;
    }

    public static MarketEvent TradeEvent(SymbolId symbol, long timeMs, Price price, Quantity quantity)
    {
        var e = default(MarketEvent);
        e.Begin(MarketEventKind.Trade, symbol, timeMs, 0);
        e.Trade.Price = price;
        e.Trade.Quantity = quantity;
        return e;
    }

    private static void Expect(bool condition)
    {
        if (!condition)
        {
            throw new InvalidDataException("Unexpected JSON layout in a test data file.");
        }
    }
}
