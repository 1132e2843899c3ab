using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Engine.Feed.Parsing;
using Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Benchmarks;

/// <summary>
/// Cost of one real captured frame through <see cref="StreamFrameParser"/> (combined-stream envelope included), by
/// kind: every aggTrade, kline and bookTicker frame of cryptofeed's fstream capture (Tests/Data/BINANCE_FUTURES.ws.1.0;
/// 91, 67 and 613 frames), parsed in turn so no single frame is learned by the branch predictor. "Parse + publish"
/// adds the copy into a ring slot the feed does for every event.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MessagesPerSecondConfig))]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class FeedParserBenchmarks
{
    private const int FramesPerInvoke = 1000;

    private byte[][] _frames = null!;
    private StreamFrameParser _parser = null!;
    private Engine.Ring.RingBuffer<MarketEvent> _ring = null!;
    private Engine.Ring.Sequence _consumer = null!;
    private MarketEvent _evt;

    [Params("aggTrade", "kline", "bookTicker")]
    public string Kind { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var symbols = new SymbolTable(16);
        foreach (var symbol in new[] { "SUSHIUSDT", "AKROUSDT", "KEEPUSDT", "CTKUSDT" })
        {
            symbols.Add(symbol);
        }

        _parser = new StreamFrameParser(symbols, new FrameCounters(), NullLogger.Instance);
        var marker = $"\"e\":\"{Kind}\"";
        _frames = [.. File.ReadLines(FindCapture()).Skip(1)
            .Select(line => line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..])
            .Where(json => json.Contains(marker, StringComparison.Ordinal))
            .Select(Encoding.UTF8.GetBytes)];
        _ring = Engine.Ring.RingBuffer.CreateMultiProducer<MarketEvent>(1024, new Engine.Ring.BusySpinWaitStrategy());
        _consumer = new Engine.Ring.Sequence();
        _ring.AddGatingSequences(_consumer);
        foreach (var frame in _frames)
        {
            if (_parser.Parse(frame, 0, ref _evt) != FrameOutcome.Event)
            {
                throw new InvalidOperationException($"A captured {Kind} frame did not parse: {Encoding.UTF8.GetString(frame)}");
            }
        }
    }

    [Benchmark(OperationsPerInvoke = FramesPerInvoke, Description = "parse")]
    public long Parse()
    {
        long sum = 0;
        var frames = _frames;
        for (int n = 0, i = 0; n < FramesPerInvoke; n++, i = i + 1 == frames.Length ? 0 : i + 1)
        {
            _parser.Parse(frames[i], n, ref _evt);
            sum += _evt.ExchangeTimeMs;
        }

        return sum;
    }

    /// <summary>The fast scanner's pass alone (validate and note the fields), without building the event.</summary>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke, Description = "scan only")]
    public long ScanOnly()
    {
        long valid = 0;
        var frames = _frames;
        for (int n = 0, i = 0; n < FramesPerInvoke; n++, i = i + 1 == frames.Length ? 0 : i + 1)
        {
            valid += _parser.ScanOnly(frames[i]) ? 1 : 0;
        }

        return valid;
    }

    /// <summary>The floor a reader-based parser cannot beat: every token of the frame read, nothing interpreted.</summary>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke, Description = "Utf8JsonReader tokens only")]
    public long ReaderOnly()
    {
        long tokens = 0;
        var frames = _frames;
        for (int n = 0, i = 0; n < FramesPerInvoke; n++, i = i + 1 == frames.Length ? 0 : i + 1)
        {
            var reader = new System.Text.Json.Utf8JsonReader(frames[i]);
            while (reader.Read())
            {
                tokens++;
            }
        }

        return tokens;
    }

    [Benchmark(OperationsPerInvoke = FramesPerInvoke, Description = "parse + publish")]
    public long ParseAndPublish()
    {
        var frames = _frames;
        for (int n = 0, i = 0; n < FramesPerInvoke; n++, i = i + 1 == frames.Length ? 0 : i + 1)
        {
            if (_parser.Parse(frames[i], n, ref _evt) == FrameOutcome.Event)
            {
                RingPublish.Publish(_ring, in _evt);
            }

            // The benchmark is its own consumer: release the slot at once so the ring never fills.
            _consumer.SetValue(_ring.Cursor);
        }

        return _ring.Cursor;
    }

    private static string FindCapture()
    {
        // BenchmarkDotNet runs from a generated folder under Benchmarks/bin: walk up to the repository's test data.
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "Tests", "Data", "BINANCE_FUTURES.ws.1.0");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("Tests/Data/BINANCE_FUTURES.ws.1.0 not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Adds messages per second (10^9 / mean ns per message) to the table.</summary>
public sealed class MessagesPerSecondConfig : ManualConfig
{
    public MessagesPerSecondConfig() => AddColumn(new MessagesPerSecondColumn());

    private sealed class MessagesPerSecondColumn : IColumn
    {
        public string Id => nameof(MessagesPerSecondColumn);

        public string ColumnName => "Msgs/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Messages per second on one thread: 10^9 / Mean (ns per message)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            var mean = report?.ResultStatistics?.Mean;
            return mean is > 0 ? (1e9 / mean.Value).ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "-";
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
