using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Simulator;
using Tests.Simulator;

namespace Tests.Execution;

/// <summary>
/// Real processes (Tests/CrashHost) running execution and its journal against the simulator, ended at exact points
/// by Execution:CrashAfter (the process calls _exit there: a kill -9 at that instruction), then restarted on the same
/// journal. No order may be lost or sent twice, and the positions rebuilt must equal the venue's.
/// </summary>
public sealed class CrashSafetyTests
{
    private static readonly string s_host = Path.GetFullPath(Path.Combine(
        AppContext.BaseDirectory.Replace($"{Path.DirectorySeparatorChar}Tests{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}",
            $"{Path.DirectorySeparatorChar}Tests{Path.DirectorySeparatorChar}CrashHost{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal),
        "CrashHost.dll"));

    [Fact]
    public async Task Crashes_between_journaled_and_acknowledged_lose_and_duplicate_nothing()
    {
        Assert.True(File.Exists(s_host), $"CrashHost not built at {s_host}");
        await using var sim = await SimulatorHost.StartAsync(SimClient.Options(symbols: 3));
        using var venue = new SimClient(sim);
        var journal = ExecutionHarness.NewJournalDirectory();

        // 1. Journaled, never sent: the restart queries it, the venue never saw it (-2013 after its recvWindow), it is sent once.
        var (code, _, err) = await Run(sim, journal, "JournaledBeforeSend", "BTCUSDT:BUY:0.005");
        Assert.True(code == 86, $"exit {code}: {err}");
        var (code2, out2, err2) = await Run(sim, journal, "None", "-");
        Assert.True(code2 == 0, $"exit {code2}: {err2}");
        var recovery1 = JsonDocument.Parse(out2).RootElement;
        Assert.True(recovery1.GetProperty("recoveredOpen").GetArrayLength() == 1, out2);
        var first = recovery1.GetProperty("recoveredOpen")[0].GetInt64();
        Assert.True(recovery1.GetProperty("resends").GetInt64() == 1, out2);

        // 2. Sent and filled at the venue, the answer never processed: the restart finds it and sends nothing.
        var (code3, _, err3) = await Run(sim, journal, "SentBeforeAck", "ETHUSDT:SELL:0.05");
        Assert.True(code3 == 86, $"exit {code3}: {err3}");
        var (code4, out4, err4) = await Run(sim, journal, "None", "-");
        Assert.True(code4 == 0, $"exit {code4}: {err4}");
        var recovery2 = JsonDocument.Parse(out4).RootElement;
        Assert.Equal(1, recovery2.GetProperty("recoveredOpen").GetArrayLength());
        var second = recovery2.GetProperty("recoveredOpen")[0].GetInt64();
        Assert.Equal(0, recovery2.GetProperty("resends").GetInt64());
        Assert.Contains(recovery2.GetProperty("updates").EnumerateArray(), u => u.GetProperty("id").GetInt64() == second && u.GetProperty("status").GetString() == "Filled");

        // Each order exists exactly once at the venue, and the journal's positions are the venue's.
        Assert.Equal(1, await Count(venue, "BTCUSDT", first));
        Assert.Equal(1, await Count(venue, "ETHUSDT", second));
        var risk = await venue.SignedAsync(HttpMethod.Get, "fapi/v3/positionRisk");
        var exchange = risk.Json.EnumerateArray().ToDictionary(p => p.GetProperty("symbol").GetString()!, p => decimal.Parse(p.GetProperty("positionAmt").GetString()!, CultureInfo.InvariantCulture));
        var local = recovery2.GetProperty("positions").EnumerateObject().ToDictionary(p => p.Name, p => decimal.Parse(p.Value.GetString()!, CultureInfo.InvariantCulture));
        Assert.Equal(0.005m, exchange["BTCUSDT"]);
        Assert.Equal(-0.05m, exchange["ETHUSDT"]);
        Assert.Equal(exchange["BTCUSDT"], local["BTCUSDT"]);
        Assert.Equal(exchange["ETHUSDT"], local["ETHUSDT"]);
        Directory.Delete(journal, recursive: true);
    }

    private static async Task<int> Count(SimClient venue, string symbol, long clientOrderId)
    {
        var wire = "e" + clientOrderId.ToString(CultureInfo.InvariantCulture);
        var all = await venue.SignedAsync(HttpMethod.Get, "fapi/v1/allOrders", "symbol=" + symbol);
        return all.Json.EnumerateArray().Count(o => o.GetProperty("clientOrderId").GetString() == wire);
    }

    private static async Task<(int Code, string Out, string Err)> Run(SimulatorHost sim, string journal, string crash, string orders)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { s_host, sim.RestBaseUri.ToString(), sim.ApiKey, sim.ApiSecret, journal, crash, orders })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout).Trim(), await stderr);
    }
}
