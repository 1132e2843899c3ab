using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Simulator;

namespace Tests.Simulator;

/// <summary>One HTTP answer: status, parsed JSON and headers.</summary>
public sealed record SimResponse(HttpStatusCode Status, JsonElement Json, HttpResponseHeaders Headers, string Body)
{
    public int Code => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("code", out var c) ? c.GetInt32() : 0;

    public string Str(string name) => Json.GetProperty(name).GetString()!;

    public decimal Dec(string name) => decimal.Parse(Str(name), CultureInfo.InvariantCulture);
}

/// <summary>
/// A plain Binance client for the tests: HttpClient, its own HMAC-SHA256 (the BCL's), timestamps taken from the venue's
/// clock. Nothing of the engine is used.
/// </summary>
public sealed class SimClient : IDisposable
{
    private readonly HttpClient _http;

    public SimClient(SimulatorHost host)
    {
        Host = host;
        _http = new HttpClient { BaseAddress = host.RestBaseUri, Timeout = TimeSpan.FromSeconds(20) };
    }

    public SimulatorHost Host { get; }

    public static SimulatorOptions Options(int symbols = 3, double speed = 1, int seed = 1) => new()
    {
        Symbols = symbols,
        Speed = speed,
        Seed = seed,
        BackfillMinutes = 5,
        MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
    };

    public static async Task<(SimulatorHost Host, SimClient Client)> StartAsync(SimulatorOptions? options = null)
    {
        var host = await SimulatorHost.StartAsync(options ?? Options());
        return (host, new SimClient(host));
    }

    public static string Sign(string secret, string payload) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload)));

    public long Timestamp => Host.ServerTimeMs;

    public Task<SimResponse> GetAsync(string pathAndQuery) => SendAsync(new HttpRequestMessage(HttpMethod.Get, pathAndQuery.TrimStart('/')));

    /// <summary>A signed call: parameters plus timestamp, signed and sent in the query (GET/DELETE) or the form body (POST/PUT).</summary>
    public Task<SimResponse> SignedAsync(HttpMethod method, string path, string parameters = "", bool inBody = false, string? apiKey = null, string? secret = null)
    {
        // under accelerated time a round trip spans more venue milliseconds; widen the window like a clock-aware client would
        var window = Host.Options.Speed > 1 ? "recvWindow=" + ((long)(5000 * Host.Options.Speed)).ToString(CultureInfo.InvariantCulture) + "&" : "";
        var query = (parameters.Length > 0 ? parameters + "&" : "") + window + "timestamp=" + Timestamp.ToString(CultureInfo.InvariantCulture);
        var signed = query + "&signature=" + Sign(secret ?? Host.ApiSecret, query);
        return RawAsync(method, path, inBody ? "" : signed, inBody ? signed : null, apiKey ?? Host.ApiKey);
    }

    public Task<SimResponse> RawAsync(HttpMethod method, string path, string query, string? body, string? apiKey)
    {
        var req = new HttpRequestMessage(method, path.TrimStart('/') + (query.Length > 0 ? "?" + query : ""));
        if (body is not null)
        {
            req.Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");
        }

        if (apiKey is not null)
        {
            req.Headers.Add("X-MBX-APIKEY", apiKey);
        }

        return SendAsync(req);
    }

    public async Task<SimResponse> SendAsync(HttpRequestMessage req)
    {
        using (req)
        {
            using var resp = await _http.SendAsync(req);
            var body = await resp.Content.ReadAsStringAsync();
            var json = body.Length > 0 && (body[0] == '{' || body[0] == '[') ? JsonDocument.Parse(body).RootElement.Clone() : default;
            return new SimResponse(resp.StatusCode, json, resp.Headers, body);
        }
    }

    public Task<SimResponse> OrderAsync(string parameters) => SignedAsync(HttpMethod.Post, "fapi/v1/order", parameters, inBody: true);

    public Task<SimResponse> AdminAsync(string actionAndQuery) => SendAsync(new HttpRequestMessage(HttpMethod.Post, "_sim/" + actionAndQuery));

    public async Task<decimal> MarkAsync(string symbol)
    {
        var r = await GetAsync("fapi/v1/premiumIndex?symbol=" + symbol);
        return r.Dec("markPrice");
    }

    public async Task<(decimal Bid, decimal Ask)> BookAsync(string symbol)
    {
        var r = await GetAsync("fapi/v1/ticker/bookTicker?symbol=" + symbol);
        return (r.Dec("bidPrice"), r.Dec("askPrice"));
    }

    /// <summary>The account's non-zero positions (signed amounts) by symbol, from <c>/fapi/v3/positionRisk</c>.</summary>
    public async Task<Dictionary<string, decimal>> OpenPositionsAsync()
    {
        var risk = await SignedAsync(HttpMethod.Get, "fapi/v3/positionRisk");
        return risk.Json.EnumerateArray()
            .Select(p => (Symbol: p.GetProperty("symbol").GetString()!, Amount: decimal.Parse(p.GetProperty("positionAmt").GetString()!, CultureInfo.InvariantCulture)))
            .Where(p => p.Amount != 0)
            .ToDictionary(p => p.Symbol, p => p.Amount);
    }

    public async Task<JsonElement> PositionAsync(string symbol)
    {
        var r = await SignedAsync(HttpMethod.Get, "fapi/v2/positionRisk", "symbol=" + symbol);
        return r.Json[0];
    }

    public async Task<ClientWebSocket> ConnectAsync(string pathAndQuery)
    {
        var ws = new ClientWebSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ws.ConnectAsync(new Uri(Host.WebSocketBaseUri, pathAndQuery), cts.Token);
        return ws;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Reading JSON text frames with a deadline.</summary>
public static class WsExtensions
{
    public static async Task<JsonElement?> ReceiveJsonAsync(this ClientWebSocket ws, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[1 << 16];
        var ms = new MemoryStream();
        try
        {
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, cts.Token);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }

                ms.Write(buffer, 0, r.Count);
                if (r.EndOfMessage)
                {
                    return JsonDocument.Parse(ms.ToArray()).RootElement.Clone();
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Reads frames until one satisfies <paramref name="match"/>; fails the test at the deadline.</summary>
    public static async Task<JsonElement> WaitForAsync(this ClientWebSocket ws, Func<JsonElement, bool> match, TimeSpan timeout, List<JsonElement>? seen = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var m = await ws.ReceiveJsonAsync(deadline - DateTime.UtcNow);
            if (m is null)
            {
                break;
            }

            seen?.Add(m.Value);
            if (match(m.Value))
            {
                return m.Value;
            }
        }

        throw new TimeoutException("no matching message within " + timeout);
    }

    public static Task SendTextAsync(this ClientWebSocket ws, string text) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public static string E(this JsonElement e) => e.TryGetProperty("e", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
}
