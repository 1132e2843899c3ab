using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using HdrHistogram;
using Simulator;

namespace Benchmarks.Simulator;

/// <summary>
/// What the simulator sustains on this machine, so an engine benchmark knows it is not measuring the venue:
/// (1) signed order round trips per second over loopback HTTP/1.1 keep-alive (place a resting LIMIT, cancel it;
/// both count), with a latency histogram; (2) market-data messages per second delivered to WebSocket clients
/// subscribed to every stream of every symbol at an accelerated clock.
/// Usage: <c>dotnet run -c Release --project Benchmarks -- simulator [seconds] [clients]</c>.
/// </summary>
public static class SimulatorHarness
{
    private static readonly string[] StreamKinds = ["aggTrade", "trade", "bookTicker", "kline_1m", "markPrice@1s", "depth@100ms", "depth20@100ms"];

    public static int Run(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
        var (orders, histogram) = OrdersAsync(seconds, clients).GetAwaiter().GetResult();
        var (messages, speed) = MarketDataAsync(seconds).GetAwaiter().GetResult();

        var text = ResultsFile.Begin("Simulator throughput", $"simulator {seconds} {clients}",
            "Orders: each client places a GTC LIMIT far from the touch and cancels it, signed with HMAC-SHA256, over one keep-alive connection; " +
            "both requests count as round trips. Market data: one WebSocket client per symbol on the combined stream of all its streams, " +
            "clock accelerated; messages counted at the client.");
        text.AppendLine("| measure | value |");
        text.AppendLine("| --- | --- |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| order round trips/s ({clients} clients) | {orders:F0} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| round trip p50 / p99 / p99.9 (µs) | {histogram.GetValueAtPercentile(50) / 1000.0:F0} / {histogram.GetValueAtPercentile(99) / 1000.0:F0} / {histogram.GetValueAtPercentile(99.9) / 1000.0:F0} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| market-data messages/s (speed x{speed}, 20 symbols) | {messages:F0} |");
        ResultsFile.Write("simulator-throughput.md", text);
        return 0;
    }

    private static SimulatorOptions Options(double speed) => new()
    {
        Speed = speed,
        BackfillMinutes = 0,
        WeightLimitPerMinute = int.MaxValue / 2,
        OrderLimitPerMinute = int.MaxValue / 2,
        OrderLimitPer10Seconds = int.MaxValue / 2,
        MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
    };

    private static async Task<(double PerSecond, LongHistogram Latency)> OrdersAsync(int seconds, int clients)
    {
        await using var host = await SimulatorHost.StartAsync(Options(1));
        var histogram = new LongHistogram(TimeStamp.Seconds(10), 3);
        var gate = new Lock();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        long total = 0;
        var tasks = Enumerable.Range(0, clients).Select(async i =>
        {
            using var http = new HttpClient { BaseAddress = host.RestBaseUri };
            var local = new LongHistogram(TimeStamp.Seconds(10), 3);
            var symbol = "ETHUSDT";
            long n = 0;
            while (!stop.IsCancellationRequested)
            {
                var t0 = Stopwatch.GetTimestamp();
                var placed = await SendAsync(http, host, HttpMethod.Post, "fapi/v1/order", $"symbol={symbol}&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=3000&newClientOrderId=b{i}-{n}");
                var t1 = Stopwatch.GetTimestamp();
                var id = placed[(placed.IndexOf("\"orderId\":", StringComparison.Ordinal) + 10)..].Split(',')[0];
                await SendAsync(http, host, HttpMethod.Delete, "fapi/v1/order", $"symbol={symbol}&orderId={id}");
                var t2 = Stopwatch.GetTimestamp();
                local.RecordValue(Stopwatch.GetElapsedTime(t0, t1).Ticks * 100);
                local.RecordValue(Stopwatch.GetElapsedTime(t1, t2).Ticks * 100);
                n += 2;
            }

            lock (gate)
            {
                histogram.Add(local);
            }

            Interlocked.Add(ref total, n);
        }).ToArray();
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(tasks);
        return (total / sw.Elapsed.TotalSeconds, histogram);
    }

    private static async Task<string> SendAsync(HttpClient http, SimulatorHost host, HttpMethod method, string path, string parameters)
    {
        var query = parameters + "&timestamp=" + host.ServerTimeMs.ToString(CultureInfo.InvariantCulture);
        var sig = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(host.ApiSecret), Encoding.UTF8.GetBytes(query)));
        using var req = new HttpRequestMessage(method, path + "?" + query + "&signature=" + sig);
        req.Headers.Add("X-MBX-APIKEY", host.ApiKey);
        using var resp = await http.SendAsync(req);
        var body = await resp.Content.ReadAsStringAsync();
        if (!resp.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)resp.StatusCode} {body}");
        }

        return body;
    }

    private static async Task<(double PerSecond, double Speed)> MarketDataAsync(int seconds)
    {
        const double speed = 20;
        await using var host = await SimulatorHost.StartAsync(Options(speed));
        var symbols = SymbolCatalog.All.Select(x => x.Symbol.ToLowerInvariant()).ToArray();
        long received = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var tasks = symbols.Select(async s =>
        {
            var streams = string.Join('/', StreamKinds.Select(k => s + "@" + k));
            using var ws = new ClientWebSocket();
            await ws.ConnectAsync(new Uri(host.WebSocketBaseUri, "stream?streams=" + streams), CancellationToken.None);
            var buffer = new byte[1 << 16];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var r = await ws.ReceiveAsync(buffer, stop.Token);
                    if (r.EndOfMessage)
                    {
                        Interlocked.Increment(ref received);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // time is up
            }
        }).ToArray();
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(tasks);
        return (received / sw.Elapsed.TotalSeconds, speed);
    }
}
