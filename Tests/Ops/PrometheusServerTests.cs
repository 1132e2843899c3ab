using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Engine.Control.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Tests.Hosting;

namespace Tests.Ops;

/// <summary>
/// The rules and the dashboard on real data: a real Prometheus server (Debian's prometheus package, as promtool)
/// scrapes a real sim-mode engine with ops/prometheus's config and rules. On the healthy engine no alert fires and
/// every dashboard query answers; then the embedded simulator answers 429 and drops every WebSocket three times, and
/// EngineRateLimited and EngineFeedReconnectStorm fire, and nothing else.
/// </summary>
public sealed partial class PrometheusServerTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Families whose series appear only after an event, as docs/METRICS.md says: a symbol's signals after its first
    /// signal, exposure per open position; and the dashboard's restart annotation (a change of the start time).
    /// </summary>
    private static readonly string[] s_afterEvent = ["engine_signals_total", "engine_exposure_notional", "changes(engine_start_time_seconds"];

    [Fact]
    public async Task A_real_prometheus_with_the_ops_rules_fires_the_right_alerts_on_a_real_engines_faults()
    {
        OpsFiles.Promtool();
        var prometheusBinary = OpsFiles.OnPath("prometheus");
        Assert.True(prometheusBinary is not null, "the prometheus server is not on the PATH: it comes with promtool in Debian's 'prometheus' package (apt-get install prometheus)");

        using var engine = new EngineProcess([], [("Engine__Control__Port", "0"), ("Engine__Metrics__Port", "0"), ("Engine__Feed__MaxSymbols", "5")]);
        var metricsPort = engine.WaitForPort("Metrics", TimeSpan.FromSeconds(60));
        var controlPort = engine.WaitForPort("Control plane", TimeSpan.FromSeconds(60));
        Assert.True(engine.WaitForOutput("All stages running", TimeSpan.FromSeconds(60)), engine.Output);
        var simulator = SimulatorAddress().Match(engine.Output);
        Assert.True(simulator.Success, engine.Output);

        var dir = Directory.CreateTempSubdirectory("ops-prometheus-server-");
        using var prometheus = StartPrometheus(prometheusBinary, dir.FullName, metricsPort, out var apiPort);
        try
        {
            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}"), Timeout = TimeSpan.FromSeconds(10) };

            // Healthy: the target is up, a few evaluations pass without any alert, every rule evaluates without error.
            await Until(async () => (await Query(api, "up{job=\"trading-engine\"} == 1")).GetArrayLength() == 1, "the engine is never up in Prometheus", prometheus);
            await Until(async () => (await Query(api, "count_over_time(engine_health_serving{job=\"trading-engine\"}[1m]) >= 5")).GetArrayLength() == 1, "Prometheus never scraped the engine five times", prometheus);
            Assert.Empty(await Firing(api));
            await AssertRulesHealthy(api);

            // Every dashboard query is valid against the server, and each one has data but the per-event ones
            // (control-plane commands appear once one is sent, just below).
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{controlPort}");
            var control = new EngineControl.EngineControlClient(channel);
            await control.ReconcileAsync(new ReconcileRequest { DryRun = true }, deadline: DateTime.UtcNow.AddSeconds(30));
            await Task.Delay(3000);
            var empty = new List<string>();
            foreach (var expr in OpsFiles.DashboardExpressions().Where(e => !e.StartsWith("label_values(", StringComparison.Ordinal)))
            {
                if ((await Query(api, OpsFiles.WithoutGrafanaVariables(expr))).GetArrayLength() == 0)
                {
                    empty.Add(expr);
                }
            }

            Assert.True(empty.All(e => s_afterEvent.Any(f => e.Contains(f, StringComparison.Ordinal))), $"dashboard queries without data:\n{string.Join('\n', empty)}");

            // Faults: the next two REST requests answer 429 (a reconciliation makes some), and three drops of every
            // WebSocket, each after the feed is back.
            using var sim = new HttpClient { BaseAddress = new Uri(simulator.Groups["address"].Value), Timeout = TimeSpan.FromSeconds(10) };
            (await sim.PostAsync(new Uri("/_sim/fail?count=2&status=429", UriKind.Relative), null)).EnsureSuccessStatusCode();
            try
            {
                await control.ReconcileAsync(new ReconcileRequest { DryRun = true }, deadline: DateTime.UtcNow.AddSeconds(30));
            }
            catch (RpcException)
            {
                // A reconciliation that met the 429 may fail; the 429 is what this test is after.
            }

            for (var drop = 1; drop <= 3; drop++)
            {
                var connected = $"(connection #{drop + 1})";
                (await sim.PostAsync(new Uri("/_sim/drop-websockets", UriKind.Relative), null)).EnsureSuccessStatusCode();
                Assert.True(WaitForLine(engine, "Feed connection market-0 up", connected), engine.Output);
            }

            string[] expected = ["EngineFeedReconnectStorm", "EngineRateLimited"];
            await Until(async () => (await Firing(api)).Distinct().Order(StringComparer.Ordinal).SequenceEqual(expected), "the alerts for the faults did not fire", prometheus, api);
            Assert.Equal(expected, (await Firing(api)).Distinct().Order(StringComparer.Ordinal));
            await AssertRulesHealthy(api);
        }
        finally
        {
            if (!prometheus.HasExited)
            {
                prometheus.Kill();
                prometheus.WaitForExit();
            }

            dir.Delete(recursive: true);
        }

        engine.Terminate();
        Assert.Equal(0, engine.WaitForExit(TimeSpan.FromSeconds(30)));
    }

    private static Process StartPrometheus(string binary, string dir, int metricsPort, out int apiPort)
    {
        // The shipped config with the engine's ephemeral port and a 1 s scrape and evaluation, so the test takes
        // seconds; the rules file is the shipped one, unchanged.
        var config = OpsFiles.Read("ops", "prometheus", "prometheus.yml")
            .Replace("127.0.0.1:9464", $"127.0.0.1:{metricsPort}", StringComparison.Ordinal)
            .Replace("scrape_interval: 15s", "scrape_interval: 1s", StringComparison.Ordinal)
            .Replace("evaluation_interval: 15s", "evaluation_interval: 1s", StringComparison.Ordinal);
        Assert.Contains("scrape_interval: 1s", config, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(dir, "prometheus.yml"), config);
        File.Copy(OpsFiles.PathOf("ops", "prometheus", "alerts.yml"), Path.Combine(dir, "alerts.yml"));

        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            apiPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo(binary,
        [
            "--config.file=" + Path.Combine(dir, "prometheus.yml"),
            "--storage.tsdb.path=" + Path.Combine(dir, "data"),
            "--web.listen-address=127.0.0.1:" + apiPort.ToString(CultureInfo.InvariantCulture),
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static bool WaitForLine(EngineProcess engine, string line, string suffix)
    {
        var deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (engine.Output.Split('\n').Any(l => l.Contains(line, StringComparison.Ordinal) && l.TrimEnd().EndsWith(suffix, StringComparison.Ordinal)))
            {
                return true;
            }

            Thread.Sleep(100);
        }

        return false;
    }

    private static async Task<JsonElement> Query(HttpClient api, string query)
    {
        var response = await api.GetStringAsync(new Uri("/api/v1/query?query=" + Uri.EscapeDataString(query), UriKind.Relative));
        using var document = JsonDocument.Parse(response);
        Assert.Equal("success", document.RootElement.GetProperty("status").GetString());
        return document.RootElement.GetProperty("data").GetProperty("result").Clone();
    }

    private static async Task<List<string>> Firing(HttpClient api)
    {
        using var document = JsonDocument.Parse(await api.GetStringAsync(new Uri("/api/v1/alerts", UriKind.Relative)));
        return [.. document.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Where(a => a.GetProperty("state").GetString() == "firing")
            .Select(a => a.GetProperty("labels").GetProperty("alertname").GetString()!)];
    }

    private static async Task AssertRulesHealthy(HttpClient api)
    {
        using var document = JsonDocument.Parse(await api.GetStringAsync(new Uri("/api/v1/rules", UriKind.Relative)));
        var rules = document.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
        Assert.Equal(OpsFiles.AlertExpressions().Count, rules.Count);
        Assert.All(rules, r => Assert.True(r.GetProperty("health").GetString() is "ok" or "unknown", $"{r.GetProperty("name")}: {r}"));
    }

    private static async Task Until(Func<Task<bool>> condition, string failure, Process prometheus, HttpClient? api = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(s_deadline.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            Assert.False(prometheus.HasExited, "prometheus exited");
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(500);
        }

        Assert.Fail(failure + (api is null ? "" : "; firing: " + string.Join(", ", await Firing(api))));
    }

    [GeneratedRegex(@"embedded simulator on (?<address>http://127\.0\.0\.1:[0-9]+)/")]
    private static partial Regex SimulatorAddress();
}
