using System.Text;
using System.Text.Json;
using Engine.Exchange.Rules;
using Engine.Model;

namespace Tests.Exchange.Rules;

public sealed class ExchangeInfoParserTests
{
    private static readonly ExchangeInfo Real = ExchangeInfoParser.Parse(TestData.Read(TestData.ExchangeInfo2021));

    [Fact]
    public void The_real_122_symbol_response_parses_completely()
    {
        Assert.Equal(122, Real.Symbols.Count);
        Assert.Equal(121, Real.Symbols.Count(s => s.Status == SymbolStatus.Trading));
        Assert.Equal(1, Real.Symbols.Count(s => s.Status == SymbolStatus.PendingTrading));
        Assert.Equal(119, Real.Symbols.Count(s => s.ContractType == ContractType.Perpetual));
        Assert.Equal(2, Real.Symbols.Count(s => s.ContractType == ContractType.CurrentQuarter));
        Assert.All(Real.Symbols, s =>
        {
            Assert.True(s.Rules.TickSize.Mantissa > 0, s.Symbol);
            Assert.True(s.Rules.StepSize.Mantissa > 0, s.Symbol);
            Assert.True(s.Rules.MarketStepSize.Mantissa > 0, s.Symbol);
            Assert.True(s.Rules.MinNotional.Mantissa > 0, s.Symbol);
            Assert.True(s.Rules.PercentPriceUpMantissa > FixedPoint.One, s.Symbol);
            Assert.True(s.Rules.MaxOpenOrders > 0, s.Symbol);
            // MAX_NUM_ALGO_ORDERS is present in this vintage and deliberately not interpreted.
            Assert.Equal(["MAX_NUM_ALGO_ORDERS"], s.IgnoredFilters);
        });
    }

    [Fact]
    public void Every_value_matches_the_document_exactly()
    {
        // Independent oracle: System.Text.Json's decimal reading of the same file.
        using var document = JsonDocument.Parse(TestData.Read(TestData.ExchangeInfo2021));
        foreach (var symbol in document.RootElement.GetProperty("symbols").EnumerateArray())
        {
            Assert.True(Real.TryGetSymbol(symbol.GetProperty("symbol").GetString()!, out var parsed));
            Assert.Equal(symbol.GetProperty("pricePrecision").GetInt32(), parsed.Rules.PricePrecision);
            Assert.Equal(symbol.GetProperty("quantityPrecision").GetInt32(), parsed.Rules.QuantityPrecision);
            foreach (var filter in symbol.GetProperty("filters").EnumerateArray())
            {
                switch (filter.GetProperty("filterType").GetString())
                {
                    case "PRICE_FILTER":
                        Assert.Equal(Dec(filter, "tickSize"), ToDecimal(parsed.Rules.TickSize.Mantissa));
                        Assert.Equal(Dec(filter, "minPrice"), ToDecimal(parsed.Rules.MinPrice.Mantissa));
                        Assert.Equal(Dec(filter, "maxPrice"), ToDecimal(parsed.Rules.MaxPrice.Mantissa));
                        break;
                    case "LOT_SIZE":
                        Assert.Equal(Dec(filter, "stepSize"), ToDecimal(parsed.Rules.StepSize.Mantissa));
                        Assert.Equal(Dec(filter, "minQty"), ToDecimal(parsed.Rules.MinQuantity.Mantissa));
                        Assert.Equal(Dec(filter, "maxQty"), ToDecimal(parsed.Rules.MaxQuantity.Mantissa));
                        break;
                    case "MARKET_LOT_SIZE":
                        Assert.Equal(Dec(filter, "stepSize"), ToDecimal(parsed.Rules.MarketStepSize.Mantissa));
                        Assert.Equal(Dec(filter, "maxQty"), ToDecimal(parsed.Rules.MarketMaxQuantity.Mantissa));
                        break;
                    case "MIN_NOTIONAL":
                        Assert.Equal(Dec(filter, "notional"), ToDecimal(parsed.Rules.MinNotional.Mantissa));
                        break;
                    case "PERCENT_PRICE":
                        Assert.Equal(Dec(filter, "multiplierUp"), ToDecimal(parsed.Rules.PercentPriceUpMantissa));
                        Assert.Equal(Dec(filter, "multiplierDown"), ToDecimal(parsed.Rules.PercentPriceDownMantissa));
                        break;
                    case "MAX_NUM_ORDERS":
                        Assert.Equal(filter.GetProperty("limit").GetInt32(), parsed.Rules.MaxOpenOrders);
                        break;
                }
            }
        }
    }

    [Fact]
    public void BTCUSDT_and_the_rate_limits_as_published()
    {
        Assert.True(Real.TryGetSymbol("BTCUSDT", out var btc));
        Assert.True(btc.IsTradingUsdtPerpetual);
        Assert.Equal(Price.Parse("0.01"u8), btc.Rules.TickSize);
        Assert.Equal(Price.Parse("556.72"u8), btc.Rules.MinPrice);
        Assert.Equal(Quantity.Parse("0.001"u8), btc.Rules.StepSize);
        Assert.Equal(Notional.Parse("5"u8), btc.Rules.MinNotional);
        Assert.Equal(2, btc.Rules.PricePrecision);
        Assert.Equal(3, btc.Rules.QuantityPrecision);
        Assert.Contains("TRAILING_STOP_MARKET", btc.OrderTypes);
        Assert.Equal(1626858243909, Real.ServerTimeMs);

        Assert.Collection(
            Real.RateLimits,
            r => Assert.Equal((RateLimitType.RequestWeight, TimeSpan.FromMinutes(1), 2400, "X-MBX-USED-WEIGHT-1M"), (r.Type, r.Window, r.Limit, r.HeaderName)),
            r => Assert.Equal((RateLimitType.Orders, TimeSpan.FromMinutes(1), 1200, "X-MBX-ORDER-COUNT-1M"), (r.Type, r.Window, r.Limit, r.HeaderName)),
            r => Assert.Equal((RateLimitType.Orders, TimeSpan.FromSeconds(10), 300, "X-MBX-ORDER-COUNT-10S"), (r.Type, r.Window, r.Limit, r.HeaderName)));
    }

    [Fact]
    public void Quarterlies_the_pending_symbol_and_BUSD_margined_ones_are_not_tradable_USDT_perpetuals()
    {
        var notTradable = Real.Symbols.Where(s => !s.IsTradingUsdtPerpetual).Select(s => s.Symbol).ToArray();
        Assert.Equal(["BTCBUSD", "BTCSTUSDT", "ETHBUSD", "BTCUSDT_210924", "ETHUSDT_210924"], notTradable);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{\"code\":-1121,\"msg\":\"Invalid symbol.\"}", "code -1121")]
    [InlineData("{\"rateLimits\":[]}", "no \"symbols\" array")]
    [InlineData("{\"symbols\":[{\"filters\":[]}]}", "missing string \"symbol\"")]
    [InlineData("{\"symbols\":[{\"symbol\":\"X\",\"filters\":[{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"1\",\"maxPrice\":\"2\",\"tickSize\":\"0.000000001\"}]}]}", "symbol X PRICE_FILTER: \"tickSize\"")]
    [InlineData("{\"symbols\":[{\"symbol\":\"X\",\"filters\":[{\"filterType\":\"LOT_SIZE\",\"minQty\":\"1\",\"maxQty\":\"2\"}]}]}", "symbol X LOT_SIZE: missing \"stepSize\"")]
    [InlineData("{\"symbols\":[{\"symbol\":\"X\",\"filters\":[{\"filterType\":\"LOT_SIZE\",\"minQty\":\"-1\",\"maxQty\":\"2\",\"stepSize\":\"1\"}]}]}", "negative")]
    [InlineData("{\"symbols\":[{\"symbol\":\"X\",\"filters\":[]},{\"symbol\":\"X\",\"filters\":[]}]}", "twice")]
    public void Malformed_documents_fail_with_the_place_and_the_reason(string json, string expected)
    {
        var e = Assert.Throws<ExchangeInfoFormatException>(() => ExchangeInfoParser.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_filters_and_fields_are_tolerated_and_missing_market_lot_falls_back_to_lot_size()
    {
        const string json = """
            {"newField":{"x":[1]},"symbols":[{"symbol":"NEWUSDT","status":"SOMETHING_NEW","contractType":"PERPETUAL","marginAsset":"USDT","quoteAsset":"USDT",
              "filters":[{"filterType":"POSITION_RISK_CONTROL","positionControlSide":"NONE"},
                         {"filterType":"LOT_SIZE","minQty":"0.1","maxQty":"100","stepSize":"0.1"},
                         {"filterType":"PERCENT_PRICE","multiplierUp":"1.05","multiplierDown":"0.95","multiplierDecimal":4}]}]}
            """;
        var info = ExchangeInfoParser.Parse(Encoding.UTF8.GetBytes(json));
        var symbol = Assert.Single(info.Symbols);
        Assert.Equal(SymbolStatus.Unknown, symbol.Status);
        Assert.False(symbol.IsTradingUsdtPerpetual);
        Assert.Equal(["POSITION_RISK_CONTROL"], symbol.IgnoredFilters);
        Assert.Equal(symbol.Rules.StepSize, symbol.Rules.MarketStepSize);
        Assert.Equal(Quantity.Parse("100"u8), symbol.Rules.MarketMaxQuantity);
        Assert.True(symbol.Rules.TickSize.IsZero);
    }

    private static decimal Dec(JsonElement e, string name) => decimal.Parse(e.GetProperty(name).GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    private static decimal ToDecimal(long mantissa) => mantissa / (decimal)FixedPoint.One;
}
