using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Simulator;
using Tests.Simulator;

namespace Tests.Hosting;

/// <summary>
/// The simulator a sim-mode engine process embeds, reached from outside the engine over its REST port: the fault
/// switches (<c>/_sim/…</c>) and the account, with the simulator's default credentials (the engine trades with them).
/// </summary>
internal sealed partial class EmbeddedVenue : IDisposable
{
    private readonly HttpClient _http;

    private EmbeddedVenue(Uri restBase)
    {
        RestBase = restBase;
        _http = new HttpClient { BaseAddress = restBase, Timeout = TimeSpan.FromSeconds(20) };
    }

    public Uri RestBase { get; }

    /// <summary>Finds the simulator's address in the engine's start-up line "Venue: embedded simulator on http://127.0.0.1:PORT/ (…)".</summary>
    public static EmbeddedVenue FromStartupLines(string output)
    {
        var match = VenueLine().Match(output);
        Assert.True(match.Success, "no 'Venue: embedded simulator on …' line; output:\n" + output);
        return new EmbeddedVenue(new Uri(match.Groups[1].Value));
    }

    /// <summary>A fault switch (<c>stall?seconds=5</c>, <c>drop-websockets</c>, <c>fail?count=…</c>, <c>reset</c>); asserts it was taken.</summary>
    public async Task<SimResponse> FaultAsync(string actionAndQuery)
    {
        var response = await SendAsync(new HttpRequestMessage(HttpMethod.Post, "_sim/" + actionAndQuery));
        Assert.True(response.Status == HttpStatusCode.OK, $"{actionAndQuery}: {(int)response.Status} {response.Body}");
        return response;
    }

    /// <summary>A signed call as the account's owner (not the engine): timestamped by the venue's clock.</summary>
    public async Task<SimResponse> SignedAsync(HttpMethod method, string path, string parameters = "")
    {
        var time = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "fapi/v1/time"));
        var query = (parameters.Length > 0 ? parameters + "&" : "") + "timestamp="
            + time.Json.GetProperty("serverTime").GetInt64().ToString(CultureInfo.InvariantCulture);
        var signed = query + "&signature=" + SimClient.Sign(SimulatorOptions.DefaultApiSecret, query);
        var inBody = method == HttpMethod.Post || method == HttpMethod.Put;
        var request = new HttpRequestMessage(method, path + (inBody ? "" : "?" + signed));
        if (inBody)
        {
            request.Content = new StringContent(signed, Encoding.UTF8, "application/x-www-form-urlencoded");
        }

        request.Headers.Add("X-MBX-APIKEY", SimulatorOptions.DefaultApiKey);
        return await SendAsync(request);
    }

    /// <summary>The account's non-zero positions at the venue, by symbol.</summary>
    public async Task<Dictionary<string, decimal>> PositionsAsync()
    {
        var risk = await SignedAsync(HttpMethod.Get, "fapi/v3/positionRisk");
        Assert.True(risk.Status == HttpStatusCode.OK, risk.Body);
        return risk.Json.EnumerateArray()
            .Select(p => (Symbol: p.GetProperty("symbol").GetString()!, Amount: decimal.Parse(p.GetProperty("positionAmt").GetString()!, CultureInfo.InvariantCulture)))
            .Where(p => p.Amount != 0)
            .ToDictionary(p => p.Symbol, p => p.Amount);
    }

    public void Dispose() => _http.Dispose();

    private async Task<SimResponse> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await _http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var json = body.Length > 0 && (body[0] == '{' || body[0] == '[') ? JsonDocument.Parse(body).RootElement.Clone() : default;
            return new SimResponse(response.StatusCode, json, response.Headers, body);
        }
    }

    [GeneratedRegex(@"Venue: embedded simulator on (http://127\.0\.0\.1:\d+/)", RegexOptions.CultureInvariant)]
    private static partial Regex VenueLine();
}
