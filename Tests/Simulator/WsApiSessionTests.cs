using System.Globalization;
using System.Net;
using System.Text.Json;
using Simulator;
using static Tests.Simulator.WsApiClient;

namespace Tests.Simulator;

/// <summary>
/// Ed25519 API keys (verified by the venue with BouncyCastle) on REST and the WebSocket API, session.logon and orders
/// without a signature on a logged-on session, and the algo order methods.
/// </summary>
public sealed class WsApiSessionTests : IAsyncLifetime
{
    private const string EdKey = "edkey000000000000000000000000000000000000000000000000000000000001";
    private readonly Ed25519TestKey _ed = new();
    private SimulatorHost _host = null!;
    private SimClient _c = null!;

    public async Task InitializeAsync()
    {
        var o = SimClient.Options();
        o.Ed25519PublicKeys[EdKey] = _ed.PublicKeyPem;
        (_host, _c) = await SimClient.StartAsync(o);
    }

    public async Task DisposeAsync()
    {
        _c.Dispose();
        await _host.DisposeAsync();
    }

    private static (string, JsonElement)[] Market(string clientId) =>
        [("symbol", S("BTCUSDT")), ("side", S("BUY")), ("type", S("MARKET")), ("quantity", S("0.010")), ("newClientOrderId", S(clientId))];

    private Task<SimResponse> Ed25519RestAsync(HttpMethod method, string path, string parameters, bool inBody, Func<string, string>? encode = null)
    {
        var query = parameters + "&timestamp=" + _host.ServerTimeMs.ToString(CultureInfo.InvariantCulture);
        var signed = query + "&signature=" + (encode ?? Uri.EscapeDataString)(_ed.Sign(query));
        return _c.RawAsync(method, path, inBody ? "" : signed, inBody ? signed : null, EdKey);
    }

    [Fact]
    public async Task Ed25519_key_signs_rest_requests_in_query_and_body()
    {
        var placed = await Ed25519RestAsync(HttpMethod.Post, "fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=ed-rest-1", inBody: true);
        Assert.Equal(HttpStatusCode.OK, placed.Status);
        var queried = await Ed25519RestAsync(HttpMethod.Get, "fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=ed-rest-1", inBody: false);
        Assert.Equal(HttpStatusCode.OK, queried.Status);
        Assert.Equal("FILLED", queried.Str("status"));

        // a different key's signature, a tampered one, and an HMAC signature are all -1022 for an Ed25519 key
        var other = new Ed25519TestKey();
        var wrongKey = await Ed25519RestAsync(HttpMethod.Get, "fapi/v1/openOrders", "symbol=BTCUSDT", inBody: false, _ => Uri.EscapeDataString(other.Sign("symbol=BTCUSDT")));
        Assert.Equal(-1022, wrongKey.Code);
        var query = "symbol=BTCUSDT&timestamp=" + _host.ServerTimeMs.ToString(CultureInfo.InvariantCulture);
        var hmac = await _c.RawAsync(HttpMethod.Get, "fapi/v1/openOrders", query + "&signature=" + SimClient.Sign(_host.ApiSecret, query), null, EdKey);
        Assert.Equal(-1022, hmac.Code);

        // the HMAC key goes on working beside it
        Assert.Equal(HttpStatusCode.OK, (await _c.SignedAsync(HttpMethod.Get, "fapi/v1/openOrders", "symbol=BTCUSDT")).Status);
    }

    [Fact]
    public async Task Ed25519_signed_websocket_order_without_a_session()
    {
        await using var api = await WsApiClient.ConnectAsync(_host);
        var answer = await api.CallAsync("order.place", api.Params(Market("ed-ws-1"), apiKey: EdKey, ed25519: _ed));
        Assert.Equal(200, answer.Status());

        var tampered = api.Params(Market("ed-ws-2"), apiKey: EdKey, ed25519: _ed);
        tampered["quantity"] = S("0.020");
        Assert.Equal(-1022, (await api.CallAsync("order.place", tampered)).ErrorCode());
    }

    [Fact]
    public async Task Logged_on_session_places_orders_without_apikey_or_signature_until_logout()
    {
        await using var api = await WsApiClient.ConnectAsync(_host);
        var before = await api.CallAsync("session.status");
        Assert.Equal(JsonValueKind.Null, before.Result().GetProperty("apiKey").ValueKind);

        var logonParams = api.Params([], apiKey: EdKey, ed25519: _ed);
        var logon = await api.CallAsync("session.logon", logonParams);
        Assert.Equal(200, logon.Status());
        Assert.Equal(EdKey, logon.Result().GetProperty("apiKey").GetString());
        Assert.Equal(logonParams["timestamp"].GetInt64(), logon.Result().GetProperty("authorizedSince").GetInt64());
        Assert.True(logon.Result().GetProperty("connectedSince").GetInt64() <= logon.Result().GetProperty("serverTime").GetInt64());

        var placed = await api.CallAsync("order.place", api.Params(Market("session-1"), signed: false));
        Assert.Equal(200, placed.Status());
        Assert.Equal("session-1", placed.Result().GetProperty("clientOrderId").GetString());
        var status = await api.CallAsync("order.status", api.Params([("symbol", S("BTCUSDT")), ("origClientOrderId", S("session-1"))], signed: false));
        Assert.Equal("FILLED", status.Result().GetProperty("status").GetString());

        // the session removes the signature, not the timing rule
        var noTimestamp = api.Params(Market("session-2"), signed: false);
        noTimestamp.Remove("timestamp");
        Assert.Equal(-1102, (await api.CallAsync("order.place", noTimestamp)).ErrorCode());
        Assert.Equal(-1021, (await api.CallAsync("order.place", api.Params(Market("session-3"), signed: false, timestamp: _host.ServerTimeMs - 60_000))).ErrorCode());

        // an explicit apiKey+signature on a logged-on session authorizes that one request with that key
        Assert.Equal(200, (await api.CallAsync("order.place", api.Params(Market("session-4")))).Status());
        var forged = api.Params(Market("session-5"));
        forged["signature"] = S(new string('0', 64));
        Assert.Equal(-1022, (await api.CallAsync("order.place", forged)).ErrorCode());

        var status2 = await api.CallAsync("session.status");
        Assert.Equal(EdKey, status2.Result().GetProperty("apiKey").GetString());
        var logout = await api.CallAsync("session.logout");
        Assert.Equal(JsonValueKind.Null, logout.Result().GetProperty("apiKey").ValueKind);
        var after = await api.CallAsync("order.place", api.Params(Market("session-6"), signed: false));
        Assert.Equal(401, after.Status());
        Assert.Equal(-2015, after.ErrorCode());
    }

    [Fact]
    public async Task Logon_is_refused_for_an_hmac_key_and_for_a_bad_signature()
    {
        await using var api = await WsApiClient.ConnectAsync(_host);
        var hmac = await api.CallAsync("session.logon", api.Params([]));
        Assert.Equal(400, hmac.Status());
        Assert.Equal(-4056, hmac.ErrorCode());
        Assert.Equal("HMAC_SHA256 API key is not supported.", hmac.GetProperty("error").GetProperty("msg").GetString());

        var bad = api.Params([], apiKey: EdKey, ed25519: new Ed25519TestKey());
        Assert.Equal(-1022, (await api.CallAsync("session.logon", bad)).ErrorCode());
        Assert.Equal(JsonValueKind.Null, (await api.CallAsync("session.status")).Result().GetProperty("apiKey").ValueKind);
        Assert.Equal(-2015, (await api.CallAsync("order.place", api.Params(Market("nope"), signed: false))).ErrorCode());
    }

    [Fact]
    public async Task Algo_orders_are_placed_and_cancelled_over_the_websocket_api()
    {
        await using var api = await WsApiClient.ConnectAsync(_host);
        var (_, ask) = await _c.BookAsync("BTCUSDT");
        var trigger = Math.Round(ask * 1.2m, 1).ToString(CultureInfo.InvariantCulture);
        var placed = await api.CallAsync("algoOrder.place", api.Params([("algoType", S("CONDITIONAL")), ("symbol", S("BTCUSDT")), ("side", S("BUY")),
            ("type", S("STOP_MARKET")), ("quantity", S("0.010")), ("triggerPrice", S(trigger)), ("clientAlgoId", S("ws-stop-1"))]));
        Assert.Equal(200, placed.Status());
        Assert.Equal("NEW", placed.Result().GetProperty("algoStatus").GetString());
        Assert.Equal("STOP_MARKET", placed.Result().GetProperty("orderType").GetString());
        Assert.Equal(1, placed.RateLimitCount("ORDERS", "SECOND"));
        var algoId = placed.Result().GetProperty("algoId").GetInt64();

        var immediate = await api.CallAsync("algoOrder.place", api.Params([("algoType", S("CONDITIONAL")), ("symbol", S("BTCUSDT")), ("side", S("BUY")),
            ("type", S("STOP_MARKET")), ("quantity", S("0.010")), ("triggerPrice", S(Math.Round(ask * 0.8m, 1).ToString(CultureInfo.InvariantCulture)))]));
        Assert.Equal(-2021, immediate.ErrorCode());

        var cancelled = await api.CallAsync("algoOrder.cancel", api.Params([("algoId", N(algoId))]));
        Assert.Equal(200, cancelled.Status());
        Assert.Equal(algoId, cancelled.Result().GetProperty("algoId").GetInt64());
        Assert.Equal("ws-stop-1", cancelled.Result().GetProperty("clientAlgoId").GetString());
        Assert.Equal("200", cancelled.Result().GetProperty("code").GetString());
        Assert.Equal("success", cancelled.Result().GetProperty("msg").GetString());

        var again = await api.CallAsync("algoOrder.cancel", api.Params([("clientAlgoId", S("ws-stop-1"))]));
        Assert.Equal(-2011, again.ErrorCode());
        Assert.Equal(-1102, (await api.CallAsync("algoOrder.cancel", api.Params([]))).ErrorCode());
    }

    [Fact]
    public void Venue_verifies_the_rfc_8032_ed25519_test_vector()
    {
        // RFC 8032 §7.1 TEST 2 (one-byte message 0x72): a signature made outside BouncyCastle, so the venue's verifier is
        // checked against the standard and not only against the same library signing in these tests
        byte[] spkiPrefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        var publicKey = Convert.FromHexString("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
        var signature = Convert.FromHexString("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
        var o = new SimulatorOptions();
        o.Ed25519PublicKeys[EdKey] = System.Security.Cryptography.PemEncoding.WriteString("PUBLIC KEY", [.. spkiPrefix, .. publicKey]);
        o.Validate();
        var keys = new ApiKeys(o);
        Assert.Equal(KeyKind.Ed25519, keys.Find(EdKey));
        Assert.Equal(KeyKind.Hmac, keys.Find(o.ApiKey));
        Assert.Null(keys.Find("someoneelse"));
        Assert.True(keys.Verify(EdKey, "r", Convert.ToBase64String(signature)));
        Assert.False(keys.Verify(EdKey, "s", Convert.ToBase64String(signature)));
        signature[10] ^= 1;
        Assert.False(keys.Verify(EdKey, "r", Convert.ToBase64String(signature)));
        Assert.False(keys.Verify(EdKey, "r", "not base64!"));
        Assert.False(keys.Verify(EdKey, "r", Convert.ToBase64String(new byte[63])));
    }

    [Fact]
    public void Options_register_ed25519_keys_from_the_command_line_and_refuse_a_key_that_is_both()
    {
        var path = Path.Combine(Path.GetTempPath(), "sim-ed25519-" + Guid.NewGuid().ToString("N") + ".pem");
        File.WriteAllText(path, _ed.PublicKeyPem);
        try
        {
            var o = SimulatorOptions.FromArgs(["--api-key-ed25519", EdKey + "=" + path, "--ws-api-lifetime-seconds", "30"]);
            o.Validate();
            Assert.Equal(_ed.PublicKeyPem, o.Ed25519PublicKeys[EdKey]);
            Assert.Equal(TimeSpan.FromSeconds(30), o.WsApiConnectionLifetime);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Throws<ArgumentException>(() => SimulatorOptions.FromArgs(["--api-key-ed25519", EdKey + "=/nonexistent/key.pem"]));
        Assert.Throws<ArgumentException>(() => SimulatorOptions.FromArgs(["--api-key-ed25519", "no-equals-sign"]));

        var both = new SimulatorOptions();
        both.Ed25519PublicKeys[both.ApiKey] = _ed.PublicKeyPem;
        Assert.Contains("never both", Assert.Throws<ArgumentException>(both.Validate).Message, StringComparison.Ordinal);

        var privateKey = new SimulatorOptions();
        privateKey.Ed25519PublicKeys[EdKey] = _ed.PrivateKeyPem;
        Assert.Throws<ArgumentException>(privateKey.Validate);

        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var rsaKey = new SimulatorOptions();
        rsaKey.Ed25519PublicKeys[EdKey] = rsa.ExportSubjectPublicKeyInfoPem();
        Assert.Contains("not Ed25519", Assert.Throws<ArgumentException>(rsaKey.Validate).Message, StringComparison.Ordinal);
    }
}
