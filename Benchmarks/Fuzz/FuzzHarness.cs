using System.Globalization;

namespace Benchmarks.Fuzz;

/// <summary>
/// The fuzzing run of the frame parser and the user-data parser (<see cref="FrameFuzzer"/>), its figures written to
/// Benchmarks/results/fuzz.md. Exit code 1 when any input crashed a parser or published an impossible value.
/// Usage: <c>dotnet run -c Release --project Benchmarks -- fuzz [--inputs N] [--seed S]</c>.
/// </summary>
internal static class FuzzHarness
{
    public static int Run(string[] args)
    {
        long inputs = 1_000_000;
        var seed = 20_261_207;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--inputs":
                    inputs = long.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--seed":
                    seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}; usage: fuzz [--inputs N] [--seed S]");
                    return 2;
            }
        }

        var market = FrameFuzzer.LoadMarketCorpus(FindData());
        var report = FrameFuzzer.Run(market, FrameFuzzer.UserCorpus, inputs, seed);
        var text = ResultsFile.Begin(
            "Fuzzing the frame parser and the user-data parser",
            $"fuzz --inputs {inputs} --seed {seed}",
            $"Mutation-based (Benchmarks/Fuzz/FrameFuzzer.cs): each input is one of {market.Count} real captured frames (Tests/Data: cryptofeed's fstream capture, hftbacktest's BTCUSDT and ETHUSDT captures, and Binance's documented mark-price frame) or one of {FrameFuzzer.UserCorpus.Length} documented user-data frames, changed by one or two mutations (bit flips, byte insertions and deletions, truncation, splices, duplicated fields, nudged digits, a value replaced by a hostile one: 0, -0, 0.00000000, negative amounts, 9e18, ids at the long limits, event times at and beyond the skew, wrong JSON types, escapes). The market parser judges event times by the seed's arrival time with a {FrameFuzzer.MaxSkew.TotalMinutes:0} min skew; every event it publishes goes on through the feed's per-symbol id sequencing (jump 10^9, re-sync after 3 agreeing frames). Checked for every published event: price > 0, trade/bid/ask quantity > 0, kline prices > 0, volumes >= 0 and open/close within low..high, event time within the skew, ids >= 0 and within the jump of the symbol's last; for every order update: amounts >= 0, a fill at a price > 0, filled >= last fill.");
        text.AppendLine("| inputs | market | user data | crashes | impossible values published | elapsed | inputs/s |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| {report.Inputs:N0} | {report.MarketInputs:N0} | {report.UserInputs:N0} | {report.Crashes} | {report.Impossible} | {report.Elapsed.TotalSeconds:0.0} s | {report.Inputs / report.Elapsed.TotalSeconds:N0} |");
        text.AppendLine();
        text.AppendLine("Market frames by outcome: " + Join(report.MarketOutcomes) + $"; {report.ReaderPasses:N0} went to the reader pass.");
        text.AppendLine();
        text.AppendLine("Refused by reason: " + Join(report.Refusals.Where(r => r.Key != Engine.Feed.Parsing.FrameRefusal.None).ToDictionary()) + ".");
        text.AppendLine();
        text.AppendLine("Per-symbol sequencing of the published trades and quotes: " + Join(report.Sequencing) + ".");
        text.AppendLine();
        text.AppendLine("User-data frames by outcome: " + Join(report.UserOutcomes) + ".");
        if (report.Failures.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Failures (first 20):");
            foreach (var failure in report.Failures)
            {
                text.AppendLine("- `" + failure + "`");
            }
        }

        ResultsFile.Write("fuzz.md", text);
        return report.Crashes == 0 && report.Impossible == 0 ? 0 : 1;
    }

    private static string Join<TKey>(Dictionary<TKey, long> counts)
        where TKey : notnull =>
        string.Join(", ", counts.OrderBy(c => c.Key).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value:N0}")));

    private static string FindData()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "Tests", "Data");
            if (File.Exists(Path.Combine(candidate, "BINANCE_FUTURES.ws.1.0")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("Tests/Data not found above " + AppContext.BaseDirectory);
    }
}
