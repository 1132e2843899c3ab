using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Simulator;

namespace Tests.Simulator;

/// <summary>An Ed25519 key pair made with BouncyCastle for the tests, and its public key as Binance's PEM.</summary>
public sealed class Ed25519TestKey
{
    private readonly Ed25519PrivateKeyParameters _private;

    public Ed25519TestKey()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        _private = (Ed25519PrivateKeyParameters)pair.Private;
        var spki = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetDerEncoded();
        PublicKeyPem = PemEncoding.WriteString("PUBLIC KEY", spki);
        // PKCS#8 v1 without the optional public key, as openssl and Binance's key generator write it: 48 bytes, a
        // 119-character PEM (ccxt reads the seed at offset 16 and takes a PEM under 120 characters for Ed25519)
        byte[] prefix = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
        PrivateKeyPem = PemEncoding.WriteString("PRIVATE KEY", [.. prefix, .. _private.GetEncoded()]) + "\n";
    }

    public string PublicKeyPem { get; }

    public string PrivateKeyPem { get; }

    /// <summary>base64 of the Ed25519 signature of the payload's UTF-8 bytes.</summary>
    public string Sign(string payload)
    {
        var signer = new Ed25519Signer();
        signer.Init(forSigning: true, _private);
        var bytes = Encoding.UTF8.GetBytes(payload);
        signer.BlockUpdate(bytes, 0, bytes.Length);
        return Convert.ToBase64String(signer.GenerateSignature());
    }
}

/// <summary>
/// A plain WebSocket API client for the tests: <see cref="ClientWebSocket"/>, params sorted and signed as Binance
/// documents (HMAC hex with the BCL, Ed25519 base64 with BouncyCastle). Nothing of the engine is used.
/// </summary>
public sealed class WsApiClient : IAsyncDisposable
{
    private readonly SimulatorHost _host;
    private int _nextId;

    private WsApiClient(SimulatorHost host, ClientWebSocket socket)
    {
        _host = host;
        Socket = socket;
    }

    public ClientWebSocket Socket { get; }

    public static async Task<WsApiClient> ConnectAsync(SimulatorHost host, string query = "")
    {
        var ws = new ClientWebSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ws.ConnectAsync(new Uri(host.WebSocketApiUri + query), cts.Token);
        return new WsApiClient(host, ws);
    }

    /// <summary>A JSON string value (DECIMAL and STRING params are sent as strings, §12).</summary>
    public static JsonElement S(string value) => JsonSerializer.SerializeToElement(value);

    /// <summary>A JSON number value (INT/LONG params).</summary>
    public static JsonElement N(long value) => JsonSerializer.SerializeToElement(value);

    /// <summary>The payload Binance signs: every param but signature, sorted by name, k=v joined with &amp;.</summary>
    public static string Payload(IReadOnlyDictionary<string, JsonElement> ps) =>
        string.Join('&', ps.Where(kv => kv.Key != "signature").OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Key + "=" + (kv.Value.ValueKind == JsonValueKind.String ? kv.Value.GetString() : kv.Value.GetRawText())));

    /// <summary>
    /// Params with apiKey and timestamp added and signed: HMAC with the account's secret by default, Ed25519 when a key
    /// is given; <paramref name="signed"/> false sends no apiKey and no signature (a logged-on session).
    /// </summary>
    public Dictionary<string, JsonElement> Params(IEnumerable<(string Name, JsonElement Value)> ps, bool signed = true, string? apiKey = null, Ed25519TestKey? ed25519 = null, long? timestamp = null)
    {
        var d = ps.ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        d["timestamp"] = N(timestamp ?? _host.ServerTimeMs);
        if (!signed)
        {
            return d;
        }

        d["apiKey"] = S(apiKey ?? _host.ApiKey);
        var payload = Payload(d);
        d["signature"] = S(ed25519 is null ? SimClient.Sign(_host.ApiSecret, payload) : ed25519.Sign(payload));
        return d;
    }

    /// <summary>Sends one request and returns its answer (answers come in request order on this connection).</summary>
    public async Task<JsonElement> CallAsync(string method, Dictionary<string, JsonElement>? ps = null)
    {
        var id = "req-" + Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        await SendAsync(method, id, ps);
        var answer = await Socket.ReceiveJsonAsync(TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("no answer to " + method);
        Assert.Equal(id, answer.GetProperty("id").GetString());
        return answer;
    }

    public Task SendAsync(string method, string id, Dictionary<string, JsonElement>? ps = null)
    {
        var request = new Dictionary<string, object> { ["id"] = id, ["method"] = method };
        if (ps is not null)
        {
            request["params"] = ps;
        }

        return Socket.SendTextAsync(JsonSerializer.Serialize(request));
    }

    public Task<JsonElement> OrderAsync(params (string Name, JsonElement Value)[] ps) => CallAsync("order.place", Params(ps));

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // the venue went first
            }
        }

        Socket.Dispose();
    }
}

/// <summary>Reading WebSocket API answers.</summary>
public static class WsApiAnswer
{
    public static int Status(this JsonElement answer) => answer.GetProperty("status").GetInt32();

    public static int ErrorCode(this JsonElement answer) => answer.GetProperty("error").GetProperty("code").GetInt32();

    public static JsonElement Result(this JsonElement answer) => answer.GetProperty("result");

    public static int RateLimitCount(this JsonElement answer, string type, string interval) =>
        answer.GetProperty("rateLimits").EnumerateArray().Single(r => r.GetProperty("rateLimitType").GetString() == type && r.GetProperty("interval").GetString() == interval).GetProperty("count").GetInt32();
}
