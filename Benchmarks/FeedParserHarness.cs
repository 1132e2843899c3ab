using System.Diagnostics;
using System.Globalization;

namespace Benchmarks;

/// <summary>
/// The feed parser's cost per frame measured in many short rounds, parser and the bare Utf8JsonReader pass in
/// alternation, reporting the minimum and the median round: on a busy host the minimum is the uncontended cost
/// (a round the scheduler left alone), the median what the contention made of it.
/// Usage: <c>dotnet run -c Release --project Benchmarks -- feedparser [rounds]</c>.
/// </summary>
public static class FeedParserHarness
{
    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var text = ResultsFile.Begin(
            "Feed parser: ns per frame, rounds in alternation",
            $"feedparser {rounds}",
            $"Each round parses 1000 real captured frames of one kind (Tests/Data/BINANCE_FUTURES.ws.1.0: 91 aggTrade, 67 kline, 613 bookTicker frames in turn) with each method in turn; {rounds} rounds after 20 of warm-up. Cells are min / median ns per frame: the minimum is the uncontended cost (a round the scheduler left alone), the median what the host's contention made of it. Msgs/s is 10^9 / the minimum, on one thread.");
        text.AppendLine("| frames | parse | parse + publish | fast scan only | Utf8JsonReader tokens only | msgs/s (parse, min round) |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var kind in new[] { "aggTrade", "kline", "bookTicker" })
        {
            var bench = new FeedParserBenchmarks { Kind = kind };
            bench.Setup();
            var parse = new List<double>();
            var publish = new List<double>();
            var reader = new List<double>();
            var scan = new List<double>();
            for (var round = -20; round < rounds; round++)
            {
                var p = Time(() => bench.Parse());
                var q = Time(() => bench.ParseAndPublish());
                var r = Time(() => bench.ReaderOnly());
                var s = Time(() => bench.ScanOnly());
                if (round >= 0)
                {
                    scan.Add(s);
                    parse.Add(p);
                    publish.Add(q);
                    reader.Add(r);
                }
            }

            text.AppendLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {kind} | {parse.Min():F0} / {Median(parse):F0} | {publish.Min():F0} / {Median(publish):F0} | {scan.Min():F0} / {Median(scan):F0} | {reader.Min():F0} / {Median(reader):F0} | {1e9 / parse.Min():N0} |"));
        }

        ResultsFile.Write("feedparser-rounds.md", text);
        return 0;
    }

    private const int FeedParserBenchmarksFrames = 1000;

    private static double Time(Func<long> action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / FeedParserBenchmarksFrames;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
