using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Engine.Feed.Replay;
using Engine.Model;
using Microsoft.Extensions.Logging;
using Tests.Exchange.Rest;

namespace Tests.Feed.Replay;

/// <summary>Replay of the real Binance public-data CSV files in Tests/Data into a real ring.</summary>
public sealed class ReplayTests : IDisposable
{
    private static readonly string[] _klineFiles =
        [ReplayDriver.DataFile("BTCUSDT-1m-2020-01-01.csv"), ReplayDriver.DataFile("BTCUSDT-1m-2020-01-02.csv"), ReplayDriver.DataFile("BTCUSDT-1m-2020-01-03.csv")];

    private static readonly string _aggTrades = ReplayDriver.DataFile("BTCUSD_PERP-aggTrades-2026-05-08.csv");

    private readonly string _temp = Directory.CreateTempSubdirectory("replay-tests-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void Every_row_of_merged_files_is_published_once_in_time_order_with_its_exact_values()
    {
        // Listed out of date order: the merge orders by time, not by the order of the list.
        string[] files = [_klineFiles[2], _aggTrades, _klineFiles[0], _klineFiles[1]];
        var (events, source, symbols) = ReplayDriver.Run(new ReplayOptions { Files = [.. files] });

        var expected = ExpectedMerge(files);
        Assert.Equal(3 * 1440 + 105_280, expected.Count);
        Assert.Equal(expected.Count, events.Count);
        Assert.Equal(expected.Count, source.Published);
        Assert.True(source.ReachedEnd);
        Assert.Null(source.Error);
        Assert.True(source.Completion.IsCompletedSuccessfully);
        for (var i = 0; i < events.Count; i++)
        {
            AssertRow(expected[i], events[i], symbols, i);
        }

        Assert.Equal(
            [(files[0], ReplayLayout.Klines, false), (files[1], ReplayLayout.AggTrades, true), (files[2], ReplayLayout.Klines, false), (files[3], ReplayLayout.Klines, false)],
            source.Files);
    }

    [Fact]
    public void Two_runs_publish_identical_event_sequences()
    {
        var options = new ReplayOptions { Files = [_aggTrades, .. _klineFiles] };
        var first = Hash(ReplayDriver.Run(options).Events);
        var second = Hash(ReplayDriver.Run(options, ringSize: 64).Events);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Equal_times_go_in_the_order_the_files_are_listed()
    {
        // The same rows under two symbols: every time ties, so the listed order alone decides.
        var a = Copy(_klineFiles[0], "AAAUSDT-1m-2020-01-01.csv", 50);
        var b = Copy(_klineFiles[0], "BBBUSDT-1m-2020-01-01.csv", 50);
        var (events, _, symbols) = ReplayDriver.Run(new ReplayOptions { Files = [b, a] });
        Assert.Equal(100, events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            Assert.Equal(i % 2 == 0 ? "BBBUSDT" : "AAAUSDT", symbols.NameOf(events[i].Symbol));
        }
    }

    [Fact]
    public void Received_timestamps_are_taken_at_publication_and_never_go_back()
    {
        var before = Stopwatch.GetTimestamp();
        var (events, _, _) = ReplayDriver.Run(new ReplayOptions { Files = [_klineFiles[0]] });
        var after = Stopwatch.GetTimestamp();
        Assert.Equal(1440, events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            Assert.InRange(events[i].ReceivedTimestamp, before, after);
            Assert.True(i == 0 || events[i].ReceivedTimestamp >= events[i - 1].ReceivedTimestamp);
            Assert.True(events[i].Stamps[(int)StagePoint.Published] >= events[i].ReceivedTimestamp);
        }
    }

    [Fact]
    public void At_a_speed_multiple_events_are_spaced_by_the_recorded_gaps_divided_by_the_speed()
    {
        // Five real one-minute candles at x600: 100 ms apart, 400 ms from the first to the last.
        var file = Copy(_klineFiles[0], "BTCUSDT-1m-2020-01-01.csv", 5);
        var (events, _, _) = ReplayDriver.Run(new ReplayOptions { Files = [file], Speed = 600 });
        Assert.Equal(5, events.Count);
        for (var i = 1; i < events.Count; i++)
        {
            var gapMs = (events[i].ReceivedTimestamp - events[0].ReceivedTimestamp) * 1000.0 / Stopwatch.Frequency;
            Assert.InRange(gapMs, (i * 100) - 1, (i * 100) + 250);
        }
    }

    [Fact]
    public void Stop_ends_a_slow_replay_early_and_completes()
    {
        var symbols = new SymbolTable(4);
        var ring = Engine.Ring.RingBuffer.CreateSingleProducer<MarketEvent>(4096, new Engine.Ring.YieldingWaitStrategy());
        ring.AddGatingSequences(new Engine.Ring.Sequence(long.MaxValue - 1));
        using var source = new ReplayMarketSource(ring, symbols, new ReplayOptions { Files = [_klineFiles[0]], Speed = 1 }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        source.Start();
        Assert.True(SpinWait.SpinUntil(() => source.Published == 1, TimeSpan.FromSeconds(10)));
        Assert.True(source.IsRunning);
        Assert.True(source.Stop(TimeSpan.FromSeconds(5)));
        Assert.False(source.IsRunning);
        Assert.True(source.Completion.IsCompletedSuccessfully);
        Assert.False(source.ReachedEnd);
        Assert.Equal(1, source.Published);
    }

    [Fact]
    public void A_symbol_override_applies_to_every_file()
    {
        var (events, _, symbols) = ReplayDriver.Run(new ReplayOptions { Files = [_klineFiles[0]], Symbol = "ETHUSDT" });
        Assert.All(events, e => Assert.Equal("ETHUSDT", symbols.NameOf(e.Symbol)));
    }

    [Theory]
    [InlineData(3, "1577836800000,7195.24,7196.25,7183.14,7186.68,51.6,1577836859999,371233.5,493,19.5,140888.4", "11 columns where the klines layout has 12")]
    [InlineData(2, "1577836800000,7195.24,7196.25,7183.14,7186.68,51.6,1577836859999,371233.5,49x,19.5,140888.4,0", "count '49x' is not a non-negative whole number")]
    [InlineData(4, "1577836800000,7195.24,7196.25,7183.14,1e3,51.6,1577836859999,371233.5,493,19.5,140888.4,0", "close '1e3': ")]
    [InlineData(2, "1577836800000,7195.24,7196.25,7183.14,7186.68,51.6,1577836859998,371233.5,493,19.5,140888.4,0", "do not span a whole number of minutes")]
    [InlineData(3, "1577836800000,7195.24,7196.25,7183.14,7186.68,51.6,1577836859999,371233.5,493,19.5,140888.4,0", "is before the previous row's")]
    [InlineData(2, "1577836800000,7195.24,7100.25,7183.14,7186.68,51.6,1577836859999,371233.5,493,19.5,140888.4,0", "inconsistent")]
    public void An_unreadable_row_stops_the_replay_after_the_rows_before_it_with_file_and_line(int badLine, string row, string reason)
    {
        var lines = File.ReadLines(_klineFiles[0]).Take(5).ToList();
        lines[badLine - 1] = row;
        var file = Path.Combine(_temp, "BTCUSDT-1m-2020-01-01.csv");
        File.WriteAllLines(file, lines);

        using var provider = new CollectingLoggerProvider();
        using var factory = provider.CreateFactory();
        var (events, source, _) = ReplayDriver.Run(new ReplayOptions { Files = [file] }, factory.CreateLogger<ReplayMarketSource>());
        Assert.Equal(badLine - 1, events.Count);
        Assert.NotNull(source.Error);
        Assert.StartsWith($"{file}:{badLine}: ", source.Error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, source.Error.Message, StringComparison.Ordinal);
        Assert.Equal(badLine, source.Error.Line);
        Assert.True(source.Completion.IsFaulted);
        Assert.False(source.ReachedEnd);
        Assert.Contains(provider.Lines, l => l.Level == LogLevel.Error && l.Text.Contains($"{file}:{badLine}: ", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unreadable_first_row_or_header_fails_construction_with_file_and_line()
    {
        var header = Path.Combine(_temp, "BTCUSDT-aggTrades-2026-05-08.csv");
        File.WriteAllLines(header, ["agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time", "1,2,3,4,5,6"]);
        var error = Assert.Throws<ReplayFormatException>(() => ReplayDriver.Run(new ReplayOptions { Files = [header] }));
        Assert.StartsWith($"{header}:1: unknown header", error.Message, StringComparison.Ordinal);

        var firstRow = Path.Combine(_temp, "BTCUSDT-trades.csv");
        File.WriteAllLines(firstRow, ["agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker", "1,2,3,4,5,6,maybe"]);
        error = Assert.Throws<ReplayFormatException>(() => ReplayDriver.Run(new ReplayOptions { Files = [firstRow] }));
        Assert.Equal($"{firstRow}:2: is_buyer_maker 'maybe' is neither true nor false", error.Message);

        var columns = Path.Combine(_temp, "BTCUSDT-x.csv");
        File.WriteAllLines(columns, ["1,2,3"]);
        error = Assert.Throws<ReplayFormatException>(() => ReplayDriver.Run(new ReplayOptions { Files = [columns] }));
        Assert.Equal($"{columns}:1: 3 columns: neither the aggTrades layout (7) nor the klines layout (12)", error.Message);

        var empty = Path.Combine(_temp, "BTCUSDT-empty.csv");
        File.WriteAllText(empty, "\n\n");
        error = Assert.Throws<ReplayFormatException>(() => ReplayDriver.Run(new ReplayOptions { Files = [empty] }));
        Assert.Contains("the file is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Windows_line_ends_blank_lines_and_capitalised_booleans_are_read()
    {
        var file = Path.Combine(_temp, "BTCUSDT-aggTrades-2024-01-01.csv");
        File.WriteAllText(file, "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\r\n1,42000.5,0.001,10,12,1704067200000,True\r\n\r\n2,42000.6,0.002,13,13,1704067200001,false");
        var (events, _, _) = ReplayDriver.Run(new ReplayOptions { Files = [file] });
        Assert.Equal(2, events.Count);
        Assert.True(events[0].Trade.BuyerIsMaker);
        Assert.Equal(Price.Parse("42000.6"u8), events[1].Trade.Price);
        Assert.Equal(13, events[1].Trade.LastTradeId);
    }

    [Fact]
    public void Options_that_cannot_work_are_refused_with_every_reason()
    {
        Assert.Empty(new ReplayOptions { Files = [_aggTrades] }.Validate());
        var failures = new ReplayOptions { Files = [], Speed = -1, Symbol = "btc usdt" }.Validate();
        Assert.Contains(failures, f => f.StartsWith("Engine:Replay:Files must name", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Engine:Replay:Speed", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Engine:Replay:Symbol 'btc usdt'", StringComparison.Ordinal));
        Assert.Contains(new ReplayOptions { Files = [_aggTrades], Speed = double.NaN }.Validate(), f => f.Contains("Speed", StringComparison.Ordinal));
        Assert.Contains(new ReplayOptions { Files = ["/nonexistent/BTCUSDT-1m.csv"] }.Validate(), f => f.Contains("does not exist", StringComparison.Ordinal));

        var noSymbol = Path.Combine(_temp, "klines.csv");
        File.Copy(_klineFiles[0], noSymbol);
        Assert.Contains(new ReplayOptions { Files = [noSymbol] }.Validate(), f => f.Contains("cannot take a symbol", StringComparison.Ordinal));
        Assert.Empty(new ReplayOptions { Files = [noSymbol], Symbol = "BTCUSDT" }.Validate());
        var result = new ReplayOptionsValidator().Validate(null, new ReplayOptions());
        Assert.True(result.Failed);
        Assert.Throws<ArgumentException>(() => ReplayDriver.Run(new ReplayOptions()));
    }

    [Fact]
    public void Reading_rows_allocates_nothing_after_warm_up()
    {
        var symbols = new SymbolTable(4);
        using var trades = new CsvReplayFile(_aggTrades, symbols.Add("BTCUSD_PERP"));
        using var klines = new CsvReplayFile(_klineFiles[0], symbols.Add("BTCUSDT"));
        var evt = default(MarketEvent);
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(trades.TryRead(ref evt));
            Assert.True(klines.TryRead(ref evt));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        long rows = 0;
        while (trades.TryRead(ref evt))
        {
            rows++;
        }

        while (klines.TryRead(ref evt))
        {
            rows++;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(105_280 - 1000 + 440, rows);
    }

    private string Copy(string source, string name, int rows)
    {
        var path = Path.Combine(_temp, name);
        File.WriteAllLines(path, File.ReadLines(source).Take(rows));
        return path;
    }

    private static string Hash(List<MarketEvent> events)
    {
        // Everything but the wall-clock stamps, which differ between runs by design.
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in events)
        {
            var copy = e;
            copy.ReceivedTimestamp = 0;
            copy.Stamps = default;
            sha.AppendData(MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref copy, 1))[..128]);
        }

        return Convert.ToHexString(sha.GetHashAndReset()) + "/" + events.Count;
    }

    private sealed record Row(string Symbol, long Time, int File, int Index, string[] Fields);

    // The merge, derived independently: every row of every file, ordered by time, then file position, then row (stable sort).
    private static List<Row> ExpectedMerge(string[] files)
    {
        var rows = new List<Row>();
        for (var f = 0; f < files.Length; f++)
        {
            var symbol = Path.GetFileName(files[f]).Split('-')[0];
            var index = 0;
            foreach (var line in File.ReadLines(files[f]))
            {
                var fields = line.Split(',');
                if (!char.IsAsciiDigit(fields[0][0]))
                {
                    continue;
                }

                var time = long.Parse(fields.Length == 7 ? fields[5] : fields[6], CultureInfo.InvariantCulture);
                rows.Add(new Row(symbol, time, f, index++, fields));
            }
        }

        return [.. rows.OrderBy(r => r.Time).ThenBy(r => r.File).ThenBy(r => r.Index)];
    }

    private static long Mantissa(string text) => (long)(decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) * 100_000_000m);

    private static void AssertRow(Row row, MarketEvent e, SymbolTable symbols, int i)
    {
        var f = row.Fields;
        Assert.True(symbols.NameOf(e.Symbol) == row.Symbol, $"event {i}: symbol");
        Assert.True(e.ExchangeTimeMs == row.Time, $"event {i}: time {e.ExchangeTimeMs}, expected {row.Time}");
        if (f.Length == 7)
        {
            Assert.Equal(MarketEventKind.Trade, e.Kind);
            Assert.True(
                e.Trade.TradeId == long.Parse(f[0], CultureInfo.InvariantCulture) && e.Trade.Price.Mantissa == Mantissa(f[1])
                && e.Trade.Quantity.Mantissa == Mantissa(f[2]) && e.Trade.FirstTradeId == long.Parse(f[3], CultureInfo.InvariantCulture)
                && e.Trade.LastTradeId == long.Parse(f[4], CultureInfo.InvariantCulture) && e.Trade.BuyerIsMaker == bool.Parse(f[6]),
                $"event {i}: trade row {string.Join(',', f)}");
        }
        else
        {
            Assert.Equal(MarketEventKind.Candle, e.Kind);
            var c = e.Candle;
            Assert.True(
                c.OpenTimeMs == long.Parse(f[0], CultureInfo.InvariantCulture) && c.Open.Mantissa == Mantissa(f[1]) && c.High.Mantissa == Mantissa(f[2])
                && c.Low.Mantissa == Mantissa(f[3]) && c.Close.Mantissa == Mantissa(f[4]) && c.Volume.Mantissa == Mantissa(f[5])
                && c.QuoteVolume.Mantissa == Mantissa(f[7]) && c.TradeCount == int.Parse(f[8], CultureInfo.InvariantCulture)
                && c.IntervalMinutes == 1 && c.IsClosed && !c.IsBackfilled,
                $"event {i}: kline row {string.Join(',', f)}");
        }
    }
}
