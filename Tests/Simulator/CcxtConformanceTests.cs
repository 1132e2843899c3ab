using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Simulator;
using Xunit.Abstractions;

namespace Tests.Simulator;

/// <summary>
/// The simulator driven by a real third-party Binance client: ccxt's <c>binanceusdm</c> (npm ccxt, pinned in
/// Tests/ThirdParty/ccxt/package-lock.json) runs Tests/ThirdParty/ccxt/conformance.mjs against a simulator started here.
/// Needs node and npm on the PATH; node_modules is installed with <c>npm ci</c> on first use.
/// </summary>
public sealed class CcxtConformanceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    // every step conformance.mjs prints, in order; each must report ok
    private static readonly string[] Steps =
    [
        "loadMarkets", "fetchTime", "fetchTicker", "fetchOrderBook", "fetchOHLCV", "fetchBalance", "setLeverage",
        "createOrder LIMIT", "fetchOrder", "fetchOpenOrders", "cancelOrder", "createOrder MARKET", "fetchPositions",
        "createOrder MARKET reduceOnly", "fetchMyTrades", "fetchBalance after", "AuthenticationError",
        "InvalidOrder MIN_NOTIONAL", "BadRequest PRICE_FILTER tick", "BadRequest LOT_SIZE min",
        "createOrderWs LIMIT", "cancelOrderWs", "createOrderWs MARKET", "createOrderWs MIN_NOTIONAL", "Ed25519 REST", "Ed25519 createOrderWs",
        "watchOrderBook", "watchTrades", "watchOrders", "done",
    ];

    [Fact]
    public async Task Ccxt_binanceusdm_trades_against_the_simulator_and_gets_the_errors_the_real_venue_gives()
    {
        var folder = Path.Combine(RepoRoot(), "Tests", "ThirdParty", "ccxt");
        var node = FindOnPath("node");
        var npm = FindOnPath("npm");
        await EnsureInstalledAsync(folder, npm);

        // an Ed25519 key besides the HMAC one, generated here (BouncyCastle) and registered by its public key
        var ed25519 = new Ed25519TestKey();
        const string edKey = "cceded25519key000000000000000000000000000000000000000000000000001";
        var options = new SimulatorOptions
        {
            Port = 0,
            Symbols = 3,
            Seed = 7,
            BackfillMinutes = 60,
            MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
        };
        options.Ed25519PublicKeys[edKey] = ed25519.PublicKeyPem;
        await using var host = await SimulatorHost.StartAsync(options);

        var watch = Stopwatch.StartNew();
        var rest = host.RestBaseUri.ToString().TrimEnd('/');
        var ws = host.WebSocketBaseUri.ToString().TrimEnd('/');
        var (exit, stdout, stderr) = await RunAsync(node, folder, RunTimeout, "conformance.mjs", rest, ws, host.ApiKey, host.ApiSecret, edKey, ed25519.PrivateKeyPem);
        output.WriteLine($"conformance.mjs: exit {exit} in {watch.ElapsedMilliseconds} ms");
        output.WriteLine(stdout);
        output.WriteLine(stderr);

        var reported = new Dictionary<string, JsonElement>();
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using var doc = JsonDocument.Parse(line);
            reported[doc.RootElement.GetProperty("step").GetString()!] = doc.RootElement.Clone();
        }

        var failed = reported.Values.FirstOrDefault(e => !e.GetProperty("ok").GetBoolean());
        Assert.True(failed.ValueKind == JsonValueKind.Undefined, $"ccxt step failed: {failed}\n{stderr}");
        Assert.True(exit == 0, $"conformance.mjs exited {exit}\n{stdout}\n{stderr}");
        Assert.Equal(Steps, reported.Keys.ToArray());
        Assert.All(reported.Values, e => Assert.True(e.GetProperty("ok").GetBoolean()));

        // a few facts ccxt read, checked against the venue itself
        Assert.Equal(-1022, Code(reported["AuthenticationError"]));
        Assert.Equal("InvalidOrder", reported["InvalidOrder MIN_NOTIONAL"].GetProperty("errorFromRealHost").GetString());
        Assert.Equal(-4164, Code(reported["InvalidOrder MIN_NOTIONAL"]));
        Assert.Equal(-4014, Code(reported["BadRequest PRICE_FILTER tick"]));
        Assert.Equal(-4003, Code(reported["BadRequest LOT_SIZE min"]));
        Assert.Equal(-4164, Code(reported["createOrderWs MIN_NOTIONAL"]));
    }

    private static int Code(JsonElement step)
    {
        using var body = JsonDocument.Parse(step.GetProperty("body").GetString()!);
        return body.RootElement.GetProperty("code").GetInt32();
    }

    private async Task EnsureInstalledAsync(string folder, string npm)
    {
        await InstallGate.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(folder, "node_modules", "ccxt", "package.json")))
            {
                return;
            }

            var (exit, stdout, stderr) = await RunAsync(npm, folder, InstallTimeout, "ci", "--no-audit", "--no-fund");
            output.WriteLine(stdout);
            Assert.True(exit == 0, $"npm ci in {folder} failed with exit code {exit}:\n{stdout}\n{stderr}");
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string file, string folder, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        using var p = Process.Start(start)!;
        var stdout = new ConcurrentQueue<string>();
        var stderr = new ConcurrentQueue<string>();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { stdout.Enqueue(e.Data); } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { stderr.Enqueue(e.Data); } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(file)} {string.Join(' ', args.Take(1))} did not finish within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s:\n{string.Join('\n', stdout)}\n{string.Join('\n', stderr)}");
        }

        p.WaitForExit(); // drains the asynchronous readers
        return (p.ExitCode, string.Join('\n', stdout), string.Join('\n', stderr));
    }

    private static string FindOnPath(string name)
    {
        var exts = OperatingSystem.IsWindows() ? new[] { ".exe", ".cmd" } : [""];
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var ext in exts)
            {
                var candidate = Path.Combine(dir, name + ext);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        Assert.Fail($"'{name}' is not on the PATH: the ccxt conformance test needs Node.js 18+ and npm (Debian: apt-get install nodejs npm; .ci/run installs them).");
        return name;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Engine.sln above {AppContext.BaseDirectory}");
    }
}
