using System.Diagnostics;
namespace Benchmarks;
public static class ColdProbe
{
    public static int Run()
    {
        Engine.Native.ThreadAffinity.PinCurrentThread(1);
        var b = new Exchange.OrderSigningBenchmarks();
        b.Setup();
        for (var i = 0; i < 100000; i++) { b.OursLibCrypto(); b.BuildOnly(); b.OursManaged(); }
        foreach (var (name, f) in new (string, Func<int>)[] { ("build+sign libcrypto", b.OursLibCrypto), ("build only", b.BuildOnly), ("build+sign managed", b.OursManaged) })
        {
            var samples = new List<double>();
            for (var i = 0; i < 200; i++)
            {
                var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 50;
                while (Stopwatch.GetTimestamp() < until) { Thread.SpinWait(10); }
                var t0 = Stopwatch.GetTimestamp();
                f();
                var t1 = Stopwatch.GetTimestamp();
                f();
                var t2 = Stopwatch.GetTimestamp();
                samples.Add((t1 - t0) * 1e6 / Stopwatch.Frequency);
                samples.Add(-(t2 - t1) * 1e6 / Stopwatch.Frequency);
            }
            var cold = samples.Where(x => x >= 0).Order().ToArray();
            var warm = samples.Where(x => x < 0).Select(x => -x).Order().ToArray();
            Console.WriteLine($"{name}: cold p50 {cold[cold.Length / 2]:0.00} µs p90 {cold[cold.Length * 9 / 10]:0.00}; warm p50 {warm[warm.Length / 2]:0.00} µs");
        }
        return 0;
    }
}
