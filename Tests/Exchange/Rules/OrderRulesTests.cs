using CsCheck;
using Engine.Exchange.Rules;
using Engine.Model;

namespace Tests.Exchange.Rules;

public sealed class OrderRulesTests
{
    private static readonly ExchangeInfo Real = ExchangeInfoParser.Parse(TestData.Read(TestData.ExchangeInfo2021));

    // BTCUSDT 2021-07-21: tick 0.01 from 556.72 to 1000000, step 0.001 from 0.001 to 1000 (market to 1000),
    // min notional 5, percent price 0.85..1.15, price precision 2, quantity precision 3.
    private static SymbolRules Btc => Real.TryGetSymbol("BTCUSDT", out var s) ? s.Rules : throw new InvalidOperationException();

    private static Price P(string s) => Price.Parse(System.Text.Encoding.ASCII.GetBytes(s));

    private static Quantity Q(string s) => Quantity.Parse(System.Text.Encoding.ASCII.GetBytes(s));

    [Theory]
    [InlineData("LIMIT", "BUY", "30000.00", "0.010", false, "30000", 0, OrderFilter.None)]
    [InlineData("LIMIT", "BUY", "30000.001", "0.010", false, "30000", -1111, OrderFilter.PricePrecision)]
    [InlineData("LIMIT", "BUY", "30000.00", "0.0101", false, "30000", -1111, OrderFilter.QuantityPrecision)]
    [InlineData("LIMIT", "BUY", "0", "0.010", false, "30000", -4001, OrderFilter.PriceFilter)]
    [InlineData("LIMIT", "BUY", "500.00", "0.010", false, "0", -4013, OrderFilter.PriceFilter)]
    [InlineData("LIMIT", "BUY", "1000000.01", "0.010", false, "0", -4002, OrderFilter.PriceFilter)]
    [InlineData("LIMIT", "BUY", "0", "0", false, "0", -4001, OrderFilter.PriceFilter)]
    [InlineData("LIMIT", "BUY", "30000.00", "0", false, "30000", -4003, OrderFilter.LotSize)]
    [InlineData("LIMIT", "SELL", "30000.00", "1000.001", false, "30000", -4005, OrderFilter.LotSize)]
    [InlineData("MARKET", "BUY", "0", "1000.001", false, "30000", -4005, OrderFilter.MarketLotSize)]
    [InlineData("LIMIT", "BUY", "34500.01", "0.010", false, "30000", -4016, OrderFilter.PercentPrice)]
    [InlineData("LIMIT", "BUY", "34500.00", "0.010", false, "30000", 0, OrderFilter.None)]
    [InlineData("LIMIT", "SELL", "25499.99", "0.010", false, "30000", -4024, OrderFilter.PercentPrice)]
    [InlineData("LIMIT", "SELL", "25500.00", "0.010", false, "30000", 0, OrderFilter.None)]
    [InlineData("LIMIT", "BUY", "30000.00", "0.001", false, "30000", 0, OrderFilter.None)]
    [InlineData("LIMIT", "BUY", "4000.00", "0.001", false, "4000", -4164, OrderFilter.MinNotional)]
    [InlineData("LIMIT", "BUY", "4000.00", "0.001", true, "4000", 0, OrderFilter.None)]
    [InlineData("MARKET", "SELL", "0", "0.001", false, "4000", -4164, OrderFilter.MinNotional)]
    [InlineData("MARKET", "SELL", "0", "0.001", false, "0", 0, OrderFilter.None)]
    public void Each_filter_refuses_with_the_venues_code(
        string kind, string side, string price, string quantity, bool reduceOnly, string mark, int code, OrderFilter filter)
    {
        Assert.True(OrderKindExtensions.TryParseWire(System.Text.Encoding.ASCII.GetBytes(kind), out var k));
        Assert.True(SideExtensions.TryParseWire(System.Text.Encoding.ASCII.GetBytes(side), out var s));
        var check = OrderRules.Validate(Btc, k, s, P(price), Q(quantity), reduceOnly, P(mark));
        Assert.Equal(code, check.Code);
        Assert.Equal(filter, check.Filter);
        Assert.Equal(code == 0, check.IsAccepted);
    }

    [Fact]
    public void Tick_and_step_misses_are_caught_on_a_symbol_whose_grid_is_coarser_than_its_precision()
    {
        // A rule set where tick (0.5) and step (0.1) are coarser than the decimals allowed, so precision passes.
        var rules = new SymbolRules
        {
            TickSize = P("0.5"), MinPrice = P("0.5"), MaxPrice = P("100000"),
            StepSize = Q("0.1"), MinQuantity = Q("0.1"), MaxQuantity = Q("1000"),
            MarketStepSize = Q("0.1"), MarketMinQuantity = Q("0.1"), MarketMaxQuantity = Q("10"),
            PricePrecision = 2, QuantityPrecision = 2,
        };
        Assert.Equal(-4014, OrderRules.Validate(rules, OrderKind.Limit, Side.Buy, P("100.25"), Q("1"), false, default).Code);
        Assert.Equal(-4023, OrderRules.Validate(rules, OrderKind.Limit, Side.Buy, P("100.5"), Q("1.05"), false, default).Code);
        Assert.Equal(-4004, OrderRules.Validate(rules, OrderKind.Market, Side.Buy, default, Q("0.05"), false, default).Code);
        Assert.Equal(0, OrderRules.Validate(rules, OrderKind.Limit, Side.Buy, P("100.5"), Q("1.1"), false, default).Code);
    }

    [Fact]
    public void A_refusal_names_the_filter_the_value_and_the_venue_message()
    {
        var check = OrderRules.Validate(Btc, OrderKind.Limit, Side.Buy, P("34500.01"), Q("0.010"), false, P("30000"));
        var text = check.Describe("BTCUSDT");
        Assert.Contains("PercentPrice", text, StringComparison.Ordinal);
        Assert.Contains("34500.01", text, StringComparison.Ordinal);
        Assert.Contains("-4016", text, StringComparison.Ordinal);
        Assert.Contains("Limit price can't be higher than 34500", text, StringComparison.Ordinal);

        var notional = OrderRules.Validate(Btc, OrderKind.Limit, Side.Buy, P("4000"), Q("0.001"), false, default).Describe("BTCUSDT");
        Assert.Contains("Order's notional must be no smaller than 5 (unless you choose reduce only)", notional, StringComparison.Ordinal);
    }

    [Fact]
    public void Rounding_puts_prices_on_the_tick_grid_and_never_rounds_quantity_up()
    {
        Assert.Equal(P("30000.12"), OrderRules.RoundPrice(Btc, P("30000.129"), RoundingMode.Floor));
        Assert.Equal(P("30000.13"), OrderRules.RoundPrice(Btc, P("30000.121"), RoundingMode.Ceiling));
        Assert.Equal(Q("0.012"), OrderRules.RoundQuantity(Btc, Q("0.01299999"), OrderKind.Limit));
        Assert.Equal(Q("-0.012"), OrderRules.RoundQuantity(Btc, Q("-0.0129"), OrderKind.Market));
        Assert.Equal(Q("0"), OrderRules.RoundQuantity(Btc, Q("0.0009"), OrderKind.Limit));

        // Grid anchored at minPrice: tick 0.5 from 0.3 means valid prices end in .3 or .8.
        var offsetGrid = new SymbolRules { TickSize = P("0.5"), MinPrice = P("0.3") };
        Assert.Equal(P("10.3"), OrderRules.RoundPrice(offsetGrid, P("10.7"), RoundingMode.Floor));
        Assert.Equal(P("10.8"), OrderRules.RoundPrice(offsetGrid, P("10.7"), RoundingMode.Ceiling));
    }

    [Fact]
    public void Rounded_orders_pass_the_grid_checks_for_every_real_symbol()
    {
        var symbols = Real.Symbols.ToArray();
        Gen.Select(Gen.Int[0, symbols.Length - 1], Gen.Long[1, 50_000_000_000_000], Gen.Long[1, 100_000_000_000])
            .Sample((index, rawPrice, rawQuantity) =>
            {
                var rules = symbols[index].Rules;
                var price = OrderRules.RoundPrice(rules, Price.FromMantissa(rawPrice), RoundingMode.Floor);
                var quantity = OrderRules.RoundQuantity(rules, Quantity.FromMantissa(rawQuantity), OrderKind.Limit);
                Assert.True(quantity.Mantissa <= rawQuantity);
                Assert.True(rawQuantity - quantity.Mantissa < Math.Max(rules.StepSize.Mantissa, rules.MinQuantity.Mantissa));
                var check = OrderRules.Validate(rules, OrderKind.Limit, Side.Buy, price, quantity, true, default);
                // Whatever is refused after rounding must be a bound (too small/large), never the grid or precision.
                Assert.True(
                    check.IsAccepted || check.Code is -4001 or -4013 or -4002 or -4003 or -4004 or -4005,
                    $"{symbols[index].Symbol} {price} {quantity}: {check.Describe(symbols[index].Symbol)}");
            }, iter: 20_000);
    }

    [Fact]
    public void Validation_and_rounding_allocate_nothing()
    {
        var rules = Btc;
        var price = P("30000.00");
        var mark = P("30010");
        var quantity = Q("0.0105");
        _ = OrderRules.Validate(rules, OrderKind.Limit, Side.Buy, price, OrderRules.RoundQuantity(rules, quantity, OrderKind.Limit), false, mark);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var accepted = 0;
        for (var i = 0; i < 10_000; i++)
        {
            var q = OrderRules.RoundQuantity(rules, quantity, OrderKind.Limit);
            var p = OrderRules.RoundPrice(rules, price, RoundingMode.Floor);
            accepted += OrderRules.Validate(rules, OrderKind.Limit, Side.Buy, p, q, false, mark).IsAccepted ? 1 : 0;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(10_000, accepted);
    }
}
