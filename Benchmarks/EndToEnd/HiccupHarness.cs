using System.Globalization;

namespace Benchmarks.EndToEnd;

/// <summary>
/// <c>dotnet run -c Release --project Benchmarks -- hiccups [seconds]</c>: how much of each CPU's time the machine takes
/// from a thread pinned to it that only reads the clock (<see cref="MachineProbe.MeasureHiccups"/>), one CPU after the
/// other, nothing of the engine running. Writes <c>machine-hiccups.md</c>.
/// </summary>
public static class HiccupHarness
{
    public static int Run(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var text = ResultsFile.Begin(
            "Machine hiccups: time taken from a pinned thread that only reads the clock",
            string.Join(' ', ["hiccups", .. args]),
            $"One thread per CPU in turn, pinned, {seconds:0} s each, reading `Stopwatch.GetTimestamp()` in a loop; a gap over 5 µs between "
            + "two reads is time the CPU spent elsewhere (hypervisor, interrupts, kernel). Load average at start: " + E2eHarness.Load() + ".");
        text.AppendLine("| CPU | share of time taken | gaps > 5 µs /s | > 20 µs /s | > 100 µs /s | longest (µs) |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
        for (var cpu = 0; cpu < Environment.ProcessorCount; cpu++)
        {
            var h = MachineProbe.MeasureHiccups(cpu, TimeSpan.FromSeconds(seconds));
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {h.Cpu}{(h.Pinned ? "" : " (not pinned)")} | {h.StalledFraction:P2} | {h.Over5PerSecond:N0} | {h.Over20PerSecond:N0} | {h.Over100PerSecond:N0} | {h.MaxMicroseconds:N0} |");
        }

        ResultsFile.Write("machine-hiccups.md", text);
        return 0;
    }
}
