using System.Text;
using Engine.Feed.Parsing;
using Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tests.Feed.Parsing;

/// <summary>Frame shapes the captures do not hold: mark price, non-market trades, replies, field order, escapes, odd values.</summary>
public sealed class FrameShapeTests
{
    private const string MarkPrice =
        """{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","ap":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"-0.00038167","T":1562306400000}}""";

    private const string RawAggTrade =
        """{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","nq":"100","f":100,"l":105,"T":123456785,"m":true}""";

    private readonly SymbolTable _symbols = CapturedFrames.SymbolTable();
    private readonly FrameCounters _counters = new();
    private readonly StreamFrameParser _parser;
    private MarketEvent _evt;

    public FrameShapeTests() => _parser = new StreamFrameParser(_symbols, _counters, NullLogger.Instance);

    [Fact]
    public void Mark_price_update_becomes_a_mark_price_event_with_a_signed_funding_rate()
    {
        Assert.Equal(FrameOutcome.Event, Parse(MarkPrice));
        Assert.Equal(MarketEventKind.MarkPrice, _evt.Kind);
        Assert.Equal(1562305380000, _evt.ExchangeTimeMs);
        Assert.Equal(Price.Parse("11794.15"u8), _evt.MarkPrice.MarkPrice);
        Assert.Equal(Price.Parse("11784.62659091"u8), _evt.MarkPrice.IndexPrice);
        Assert.Equal(Price.Parse("11784.25641265"u8), _evt.MarkPrice.EstimatedSettlePrice);
        Assert.Equal(-38167, _evt.MarkPrice.FundingRate);
        Assert.Equal(1562306400000, _evt.MarkPrice.NextFundingTimeMs);
        Assert.Equal(1, _counters.Of(MarketEventKind.MarkPrice));
        AssertOracleAgrees(MarkPrice);
    }

    [Fact]
    public void A_delivery_contract_mark_price_without_funding_reads_as_zero_funding()
    {
        var frame = MarkPrice.Replace("\"r\":\"-0.00038167\"", "\"r\":\"\"", StringComparison.Ordinal);
        Assert.Equal(FrameOutcome.Event, Parse(frame));
        Assert.Equal(0, _evt.MarkPrice.FundingRate);
        AssertOracleAgrees(frame);
    }

    [Fact]
    public void Raw_payload_without_the_combined_envelope_parses_and_trades_carry_their_trade_time()
    {
        Assert.Equal(FrameOutcome.Event, Parse(RawAggTrade));
        Assert.Equal(MarketEventKind.Trade, _evt.Kind);
        Assert.Equal(123456785, _evt.ExchangeTimeMs);
        Assert.Equal(5933014, _evt.Trade.TradeId);
        Assert.Equal(100, _evt.Trade.FirstTradeId);
        Assert.Equal(105, _evt.Trade.LastTradeId);
        Assert.True(_evt.Trade.BuyerIsMaker);
        Assert.Equal(Price.Parse("0.001"u8), _evt.Trade.Price);
        Assert.Equal(Quantity.FromInteger(100), _evt.Trade.Quantity);
        AssertOracleAgrees(RawAggTrade);
    }

    [Fact]
    public void Field_order_does_not_matter()
    {
        Assert.Equal(FrameOutcome.Event, Parse(RawAggTrade));
        var expected = _evt;
        var reversed = """{"m":true,"T":123456785,"l":105,"f":100,"nq":"100","q":"100","p":"0.001","a":5933014,"s":"BTCUSDT","E":123456789,"e":"aggTrade"}""";
        Assert.Equal(FrameOutcome.Event, Parse(reversed));
        FrameOracle.AssertSame(expected, _evt, "reversed");

        var dataFirst = """{"data":{"e":"bookTicker","u":1,"s":"ETHUSDT","b":"1.5","B":"2","a":"1.6","A":"3","T":5,"E":6},"stream":"ethusdt@bookTicker"}""";
        Assert.Equal(FrameOutcome.Event, Parse(dataFirst));
        Assert.Equal(MarketEventKind.Quote, _evt.Kind);
        Assert.Equal(6, _evt.ExchangeTimeMs);
        AssertOracleAgrees(dataFirst);
    }

    [Theory]
    [InlineData("""{"result":null,"id":1}""", SkipReason.SubscriptionReply)]
    [InlineData("""{"result":["btcusdt@aggTrade"],"id":3}""", SkipReason.SubscriptionReply)]
    [InlineData("""{"code":2,"msg":"Invalid request: unknown method"}""", SkipReason.ErrorReply)]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","b":[],"a":[]}""", SkipReason.DepthUpdate)]
    [InlineData("""{"stream":"btcusdt@forceOrder","data":{"e":"forceOrder","E":1,"o":{"s":"BTCUSDT"}}}""", SkipReason.UnusedEvent)]
    [InlineData("""{"e":"trade","E":1,"T":1,"s":"ETHUSDT","t":1,"p":"10","q":"1","X":"INSURANCE_FUND","m":true}""", SkipReason.NonMarketTrade)]
    [InlineData("""{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":0,"i":"1s","o":"1","h":"1","l":"1","c":"1","v":"1","q":"1","n":1,"x":true}}""", SkipReason.UnsupportedInterval)]
    [InlineData("""{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":0,"i":"1M","o":"1","h":"1","l":"1","c":"1","v":"1","q":"1","n":1,"x":true}}""", SkipReason.UnsupportedInterval)]
    public void Known_frames_the_engine_does_not_use_are_skipped_by_reason(string frame, SkipReason reason)
    {
        Assert.Equal(FrameOutcome.Skipped, Parse(frame));
        Assert.Equal(1, _counters.Of(reason));
        AssertOracleAgrees(frame);
    }

    [Theory]
    [InlineData("1m", 1)]
    [InlineData("3m", 3)]
    [InlineData("15m", 15)]
    [InlineData("1h", 60)]
    [InlineData("4h", 240)]
    [InlineData("12h", 720)]
    [InlineData("1d", 1440)]
    [InlineData("3d", 4320)]
    [InlineData("1w", 10080)]
    public void Kline_intervals_become_minutes(string interval, int minutes)
    {
        var frame = """{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":60000,"i":"INTERVAL","o":"1","h":"2","l":"0.5","c":"1.5","v":"10","q":"15.25","n":7,"x":false}}"""
            .Replace("INTERVAL", interval, StringComparison.Ordinal);
        Assert.Equal(FrameOutcome.Event, Parse(frame));
        Assert.Equal(minutes, _evt.Candle.IntervalMinutes);
        Assert.Equal(7, _evt.Candle.TradeCount);
        Assert.Equal(Notional.Parse("15.25"u8), _evt.Candle.QuoteVolume);
        AssertOracleAgrees(frame);
    }

    [Theory]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":1.5,"q":"1","f":1,"l":1,"T":1,"m":true}""", FrameProblem.WrongType)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":"true"}""", FrameProblem.WrongType)]
    [InlineData("""{"e":"aggTrade","E":1.5,"s":"BTCUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true}""", FrameProblem.WrongType)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":99999999999999999999,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true}""", FrameProblem.WrongType)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"m":true}""", FrameProblem.MissingField)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1.000000001","q":"1","f":1,"l":1,"T":1,"m":true}""", FrameProblem.BadNumber)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1e5","q":"1","f":1,"l":1,"T":1,"m":true}""", FrameProblem.BadNumber)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"92233720369","q":"1","f":1,"l":1,"T":1,"m":true}""", FrameProblem.BadNumber)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1","p":"2","q":"1","f":1,"l":1,"T":1,"m":true}""", FrameProblem.DuplicateField)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true""", FrameProblem.InvalidJson)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true}x""", FrameProblem.InvalidJson)]
    [InlineData("", FrameProblem.InvalidJson)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true,}""", FrameProblem.InvalidJson)]
    [InlineData("""{"e":"aggTrade","E":01,"s":"BTCUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true}""", FrameProblem.InvalidJson)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTC	USDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true}""", FrameProblem.InvalidJson)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":tru}""", FrameProblem.InvalidJson)]
    [InlineData("""{"e":"aggTrade","E":1.,"s":"BTCUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true}""", FrameProblem.InvalidJson)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true}{}""", FrameProblem.InvalidJson)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true,"x":[1,]}""", FrameProblem.InvalidJson)]
    [InlineData("""{"e":"aggTrade","E":1e3,"s":"BTCUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true}""", FrameProblem.WrongType)]
    [InlineData("42", FrameProblem.NotAnObject)]
    [InlineData("""{"stream":"x","data":"y"}""", FrameProblem.NotAnObject)]
    [InlineData("""{"stream":5,"data":{"e":"aggTrade"}}""", FrameProblem.WrongType)]
    [InlineData("""{"e":"bookTicker","E":1,"s":"BTCUSDT","u":1,"b":"1","B":"1","a":"1"}""", FrameProblem.MissingField)]
    [InlineData("""{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":0,"i":"1m","o":"1","h":"1","l":"1","c":"1","v":"1","q":"1","n":-1,"x":true}}""", FrameProblem.NegativeValue)]
    [InlineData("""{"e":"kline","E":1,"s":"BTCUSDT","k":[]}""", FrameProblem.WrongType)]
    public void Malformed_frames_are_dropped_with_their_problem(string frame, FrameProblem problem)
    {
        Assert.Equal(FrameOutcome.Malformed, Parse(frame));
        Assert.Equal(1, _counters.Of(problem));
        AssertOracleAgrees(frame);
    }

    [Theory]
    [InlineData("""{"e":"aggTrade","E":1,"s":"DOGEUSDT","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true}""", FrameOutcome.UnknownSymbol, FrameProblem.UnknownSymbol)]
    [InlineData("""{"e":"aggTrade","E":1,"s":"btcusdt","a":1,"p":"1.5","q":"1","f":1,"l":1,"T":1,"m":true}""", FrameOutcome.UnknownSymbol, FrameProblem.UnknownSymbol)]
    [InlineData("""{"stream":"btcusdt@liquidation","data":{"e":"liquidation","E":1,"s":"BTCUSDT"}}""", FrameOutcome.UnknownStream, FrameProblem.UnknownEventType)]
    [InlineData("""{"lastUpdateId":1,"bids":[],"asks":[]}""", FrameOutcome.UnknownStream, FrameProblem.NoEventType)]
    [InlineData("""{}""", FrameOutcome.UnknownStream, FrameProblem.NoEventType)]
    [InlineData("""[{"e":"markPriceUpdate"}]""", FrameOutcome.UnknownStream, FrameProblem.ArrayPayload)]
    [InlineData("""{"stream":"!markPrice@arr","data":[{"e":"markPriceUpdate"}]}""", FrameOutcome.UnknownStream, FrameProblem.ArrayPayload)]
    public void Unknown_symbols_and_streams_are_counted(string frame, FrameOutcome outcome, FrameProblem problem)
    {
        Assert.Equal(outcome, Parse(frame));
        Assert.Equal(1, _counters.Of(problem));
        AssertOracleAgrees(frame);
    }

    [Fact]
    public void Whitespace_between_tokens_and_non_ascii_unknown_fields_change_nothing()
    {
        Assert.Equal(FrameOutcome.Event, Parse(RawAggTrade));
        var expected = _evt;
        var spaced = " \r\n{ \"e\" :\t\"aggTrade\" , \"E\":123456789,\n\"s\":\"BTCUSDT\",\"a\":5933014,\"p\":\"0.001\",\"q\":\"100\",\"note\":\"caf\u00e9 ☕\",\"f\":100,\"l\":105,\"T\":123456785,\"m\":true ,\"z\":[[1,{\"y\":null}],-0.5e-3] } \n";
        Assert.Equal(FrameOutcome.Event, Parse(spaced));
        FrameOracle.AssertSame(expected, _evt, "spaced");
        AssertOracleAgrees(spaced);
    }

    [Fact]
    public void Escaped_names_and_values_are_read_as_their_text()
    {
        var frame = """{"e":"aggTrade","\u0045":1,"s":"BTC\u0055SDT","a":1,"p":"1\u002e5","q":"1","f":1,"l":1,"T":7,"m":true}""";
        Assert.Equal(FrameOutcome.Event, Parse(frame));
        Assert.Equal(Price.Parse("1.5"u8), _evt.Trade.Price);
        Assert.Equal(7, _evt.ExchangeTimeMs);
        AssertOracleAgrees(frame);
    }

    [Fact]
    public void Extra_decimal_zeros_beyond_eight_are_exact_and_accepted()
    {
        var frame = """{"e":"bookTicker","E":1,"s":"BTCUSDT","u":1,"b":"1.123456780000","B":"2","a":"00.5","A":"3"}""";
        Assert.Equal(FrameOutcome.Event, Parse(frame));
        Assert.Equal(112345678, _evt.Quote.BidPrice.Mantissa);
        Assert.Equal(50000000, _evt.Quote.AskPrice.Mantissa);
        AssertOracleAgrees(frame);
    }

    [Fact]
    public void An_event_overwrites_every_payload_field_of_its_kind_in_a_reused_scratch_event()
    {
        // The scratch event held a back-filled candle and brain notes from an earlier use.
        _evt.Begin(MarketEventKind.Candle, new SymbolId(3), 9, 9);
        _evt.Candle.IsBackfilled = true;
        _evt.IntentCount = 2;
        _evt.Notes = BrainNotes.Evaluated;
        var frame = """{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":60000,"i":"1m","o":"1","h":"2","l":"0.5","c":"1.5","v":"10","q":"15.25","n":7,"x":true}}""";
        Assert.Equal(FrameOutcome.Event, Parse(frame));
        Assert.False(_evt.Candle.IsBackfilled);
        AssertOracleAgrees(frame);
    }

    private FrameOutcome Parse(string frame) => _parser.Parse(Encoding.UTF8.GetBytes(frame), 42, ref _evt);

    private void AssertOracleAgrees(string frame)
    {
        var bytes = Encoding.UTF8.GetBytes(frame);
        var expected = FrameOracle.Derive(bytes, _symbols, 42);
        var scratch = default(MarketEvent);
        var parser = new StreamFrameParser(_symbols, new FrameCounters(), NullLogger.Instance);
        var outcome = parser.Parse(bytes, 42, ref scratch);
        Assert.True(expected.Outcome == outcome, $"{outcome}, oracle {expected.Outcome} ({expected.Why})");
        if (outcome == FrameOutcome.Event)
        {
            FrameOracle.AssertSame(expected.Event, scratch, frame);
        }
    }
}
