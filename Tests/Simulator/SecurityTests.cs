using System.Net;
using Simulator;

namespace Tests.Simulator;

/// <summary>§3: API key, timestamp/recvWindow, HMAC over the raw query plus raw body, parameter rules — in that order.</summary>
public sealed class SecurityTests : IAsyncLifetime
{
    private SimulatorHost _host = null!;
    private SimClient _c = null!;

    public async Task InitializeAsync() => (_host, _c) = await SimClient.StartAsync();

    public async Task DisposeAsync()
    {
        _c.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public void Signature_matches_the_official_vector_and_the_extra_vectors()
    {
        const string secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
        Assert.Equal("3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9",
            RequestParams.Sign(secret, "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943"));
        Assert.Equal("84901bbeed96ffa9adf9995c40fcadcb0a9ddad37c2605ce82491f2c771077a6", RequestParams.Sign(secret, "timestamp=1591702613943"));
        var mixed = new RequestParams("?symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC",
            "quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943&signature=30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4");
        Assert.True(RequestParams.Verify(secret, mixed.SignedPayload(), mixed.Signature!));
        Assert.True(RequestParams.Verify(secret, mixed.SignedPayload(), mixed.Signature!.ToUpperInvariant()));
        Assert.False(RequestParams.Verify(secret, mixed.SignedPayload(), "f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2"));
    }

    [Fact]
    public async Task Signed_request_is_accepted_in_query_in_body_and_mixed()
    {
        var inQuery = await _c.SignedAsync(HttpMethod.Get, "fapi/v2/balance");
        Assert.Equal(HttpStatusCode.OK, inQuery.Status);
        Assert.Equal("10000.00000000", inQuery.Json[0].GetProperty("balance").GetString());

        var inBody = await _c.SignedAsync(HttpMethod.Post, "fapi/v1/leverage", "symbol=BTCUSDT&leverage=7", inBody: true);
        Assert.Equal(HttpStatusCode.OK, inBody.Status);
        Assert.Equal(7, inBody.Json.GetProperty("leverage").GetInt32());

        var query = "symbol=BTCUSDT";
        var body = "leverage=9&timestamp=" + _c.Timestamp;
        var sig = SimClient.Sign(_host.ApiSecret, query + body);
        var mixed = await _c.RawAsync(HttpMethod.Post, "fapi/v1/leverage", query, body + "&signature=" + sig, _host.ApiKey);
        Assert.Equal(HttpStatusCode.OK, mixed.Status);
        Assert.Equal(9, mixed.Json.GetProperty("leverage").GetInt32());
    }

    [Fact]
    public async Task Signature_covers_the_raw_percent_encoded_bytes()
    {
        // the client id is sent percent-encoded; the signature is over those bytes, not the decoded value
        var query = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price=60000&newClientOrderId=a%3Ab&timestamp=" + _c.Timestamp;
        var ok = await _c.RawAsync(HttpMethod.Post, "fapi/v1/order", query + "&signature=" + SimClient.Sign(_host.ApiSecret, query), null, _host.ApiKey);
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal("a:b", ok.Str("clientOrderId"));

        var decodedSig = SimClient.Sign(_host.ApiSecret, query.Replace("a%3Ab", "a:b", StringComparison.Ordinal));
        var bad = await _c.RawAsync(HttpMethod.Post, "fapi/v1/order", query + "&signature=" + decodedSig, null, _host.ApiKey);
        Assert.Equal(-1022, bad.Code);
    }

    [Fact]
    public async Task Key_errors_answer_401_with_2015_or_2014()
    {
        var none = await _c.RawAsync(HttpMethod.Get, "fapi/v2/balance", "timestamp=" + _c.Timestamp, null, null);
        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        Assert.Equal(-2015, none.Code);

        var unknown = await _c.SignedAsync(HttpMethod.Get, "fapi/v2/balance", apiKey: new string('x', 64));
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.Status);
        Assert.Equal(-2015, unknown.Code);

        var malformed = await _c.SignedAsync(HttpMethod.Get, "fapi/v2/balance", apiKey: "not a key!");
        Assert.Equal(HttpStatusCode.Unauthorized, malformed.Status);
        Assert.Equal(-2014, malformed.Code);

        // the key is checked before anything else: a bad key with a bad signature is still -2015
        var both = await _c.SignedAsync(HttpMethod.Get, "fapi/v2/balance", apiKey: new string('y', 64), secret: "wrong");
        Assert.Equal(-2015, both.Code);
    }

    [Fact]
    public async Task Wrong_secret_or_tampered_parameters_answer_1022()
    {
        var wrong = await _c.SignedAsync(HttpMethod.Get, "fapi/v2/balance", secret: "not-the-secret");
        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.Equal(-1022, wrong.Code);

        var query = "symbol=BTCUSDT&leverage=5&timestamp=" + _c.Timestamp;
        var sig = SimClient.Sign(_host.ApiSecret, query);
        var tampered = await _c.RawAsync(HttpMethod.Post, "fapi/v1/leverage", query.Replace("leverage=5", "leverage=50", StringComparison.Ordinal) + "&signature=" + sig, null, _host.ApiKey);
        Assert.Equal(-1022, tampered.Code);
    }

    [Fact]
    public async Task Timestamp_rules_answer_1102_and_1021()
    {
        var noTs = await _c.RawAsync(HttpMethod.Get, "fapi/v2/balance", "recvWindow=5000&signature=" + SimClient.Sign(_host.ApiSecret, "recvWindow=5000"), null, _host.ApiKey);
        Assert.Equal(-1102, noTs.Code);
        Assert.Contains("'timestamp'", noTs.Str("msg"), StringComparison.Ordinal);

        async Task<SimResponse> At(long ts, string extra = "")
        {
            var q = extra + "timestamp=" + ts;
            return await _c.RawAsync(HttpMethod.Get, "fapi/v2/balance", q + "&signature=" + SimClient.Sign(_host.ApiSecret, q), null, _host.ApiKey);
        }

        var old = await At(_c.Timestamp - 6000);
        Assert.Equal(-1021, old.Code);
        Assert.Contains("outside of the recvWindow", old.Str("msg"), StringComparison.Ordinal);
        var oldButWide = await At(_c.Timestamp - 6000, "recvWindow=10000&");
        Assert.Equal(HttpStatusCode.OK, oldButWide.Status);
        var ahead = await At(_c.Timestamp + 2000);
        Assert.Equal(-1021, ahead.Code);
        Assert.Contains("ahead", ahead.Str("msg"), StringComparison.Ordinal);
        var malformed = await _c.RawAsync(HttpMethod.Get, "fapi/v2/balance", "timestamp=abc&signature=00", null, _host.ApiKey);
        Assert.Equal(-1102, malformed.Code);

        var noSig = await _c.RawAsync(HttpMethod.Get, "fapi/v2/balance", "timestamp=" + _c.Timestamp, null, _host.ApiKey);
        Assert.Equal(-1102, noSig.Code);
        Assert.Contains("'signature'", noSig.Str("msg"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duplicate_and_unknown_parameters_are_rejected()
    {
        var dup = await _c.SignedAsync(HttpMethod.Get, "fapi/v2/positionRisk", "symbol=BTCUSDT&symbol=ETHUSDT");
        Assert.Equal(-1101, dup.Code);
        var extra = await _c.SignedAsync(HttpMethod.Get, "fapi/v2/balance", "foo=1");
        Assert.Equal(-1104, extra.Code);
        var extraPublic = await _c.GetAsync("fapi/v1/depth?symbol=BTCUSDT&bar=2");
        Assert.Equal(-1104, extraPublic.Code);
    }

    [Fact]
    public async Task Public_endpoints_need_no_key_and_user_stream_needs_only_the_key()
    {
        Assert.Equal(HttpStatusCode.OK, (await _c.GetAsync("fapi/v1/ping")).Status);
        var lk = await _c.RawAsync(HttpMethod.Post, "fapi/v1/listenKey", "", "", _host.ApiKey);
        Assert.Equal(HttpStatusCode.OK, lk.Status);
        Assert.Equal(64, lk.Str("listenKey").Length);
        var noKey = await _c.RawAsync(HttpMethod.Post, "fapi/v1/listenKey", "", "", null);
        Assert.Equal(-2015, noKey.Code);
    }

    [Fact]
    public async Task Every_response_carries_the_weight_header_and_unknown_paths_are_404()
    {
        var r = await _c.GetAsync("fapi/v1/exchangeInfo");
        Assert.True(r.Headers.TryGetValues("X-MBX-USED-WEIGHT-1M", out var v));
        Assert.True(int.Parse(v.Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal(HttpStatusCode.NotFound, (await _c.GetAsync("fapi/v1/nothing")).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await _c.SendAsync(new HttpRequestMessage(HttpMethod.Put, "fapi/v1/ping"))).Status);
    }
}
