using BenchmarkDotNet.Running;
using Benchmarks;

// "latency" runs the HdrHistogram round-trip harness, "throughput" the interleaved ring/channel rounds, "ringcmp" our ring
// beside Disruptor-net (usage in Ring/Comparison/RingCmpHarness.cs), "parking" the ring's parking lot's wake-up, futex vs
// monitor (Ring/ParkingWakeHarness.cs), "e2e" the end-to-end tick-to-order harness
// (the engine in each placement profile vs a Channel baseline; usage in EndToEnd/E2eSettings.cs), "hiccups" the machine's own stalls,
// "fuzz" the fuzzing run of the frame and user-data parsers (usage in Fuzz/FuzzHarness.cs);
// anything else goes to BenchmarkDotNet's switcher
// (for example: --filter '*PingPong*').
if (args.Length > 0 && args[0] == "latency")
{
    return LatencyHarness.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "throughput")
{
    return ThroughputHarness.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "simulator")
{
    return Benchmarks.Simulator.SimulatorHarness.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "e2e")
{
    return Benchmarks.EndToEnd.E2eHarness.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "hiccups")
{
    return Benchmarks.EndToEnd.HiccupHarness.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "ringcmp")
{
    return Benchmarks.Ring.Comparison.RingCmpHarness.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "parking")
{
    return Benchmarks.Ring.ParkingWakeHarness.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "fuzz")
{
    return Benchmarks.Fuzz.FuzzHarness.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "feedparser")
{
    return FeedParserHarness.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(PercentileConfig).Assembly).Run(args);
return 0;
