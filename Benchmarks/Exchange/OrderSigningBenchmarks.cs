using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Engine.Exchange.Signing;
using Engine.Model;

namespace Benchmarks.Exchange;

/// <summary>
/// Build and sign one order query, the way the execution stage does for every order: our writer with the
/// libcrypto signer (key pads precomputed) and with the managed fallback, against the same query signed with the
/// BCL's one-shot <see cref="HMACSHA256.HashData(byte[], byte[])"/> and with a reused <see cref="HMACSHA256"/>
/// instance. Every HMAC variant writes the same bytes (checked in setup), so the difference is the signing. Beside
/// them the same order signed with an Ed25519 key (libsodium through NSec, base64 percent-encoded), the key type
/// the WebSocket API's <c>session.logon</c> needs.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 20)]
[MedianColumn]
public class OrderSigningBenchmarks
{
    private static readonly byte[] Secret = Encoding.ASCII.GetBytes("2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9");
    private static readonly byte[] ClientId = Encoding.ASCII.GetBytes("e7f3a9c1-000000042");

    private readonly byte[] _buffer = new byte[512];
    private HmacSha256Signer _native = null!;
    private HmacSha256Signer _managed = null!;
    private Ed25519Signer _ed25519 = null!;
    private HMACSHA256 _reused = null!;
    private long _timestamp = 1721895408092;

    [GlobalSetup]
    public void Setup()
    {
        _native = HmacSha256Signer.Create(Secret, SigningBackend.LibCrypto);
        _managed = HmacSha256Signer.Create(Secret, SigningBackend.Managed);
        _reused = new HMACSHA256(Secret);
        _ed25519 = Ed25519Signer.FromPem(Ed25519Pem);
        var expected = Text(OursLibCrypto());
        foreach (var other in new[] { OursManaged(), BclOneShot(), BclReusedInstance() })
        {
            if (Text(other) != expected)
            {
                throw new InvalidOperationException("The variants do not produce the same signed query.");
            }
        }

        var signed = Text(OursEd25519());
        if (!signed.StartsWith(expected[..expected.LastIndexOf("&signature=", StringComparison.Ordinal)], StringComparison.Ordinal) || !signed.EndsWith("%3D%3D", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The Ed25519 variant does not sign the same query.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _native.Dispose();
        _managed.Dispose();
        _reused.Dispose();
        _ed25519.Dispose();
    }

    [Benchmark(Baseline = true, Description = "ours: build + sign, libcrypto, precomputed pads")]
    public int OursLibCrypto() => Build(_native);

    [Benchmark(Description = "ours: build + sign, managed fallback")]
    public int OursManaged() => Build(_managed);

    [Benchmark(Description = "ours: build + sign, Ed25519 (libsodium), base64 percent-encoded")]
    public int OursEd25519() => Build(_ed25519);

    [Benchmark(Description = "build + HMACSHA256.HashData one-shot")]
    public int BclOneShot()
    {
        var writer = Unsigned();
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(Secret, writer.Written, mac);
        return AppendHex(writer.Length, mac);
    }

    [Benchmark(Description = "build + reused HMACSHA256 instance")]
    public int BclReusedInstance()
    {
        var writer = Unsigned();
        Span<byte> mac = stackalloc byte[32];
        _reused.TryComputeHash(writer.Written, mac, out _);
        return AppendHex(writer.Length, mac);
    }

    [Benchmark(Description = "part: build only (no signature)")]
    public int BuildOnly() => Unsigned().Length;

    [Benchmark(Description = "part: sign only, libcrypto (the same query bytes)")]
    public int SignOnlyLibCrypto()
    {
        _native.Sign(_buffer.AsSpan(0, 152), _signature);
        return _signature[0];
    }

    [Benchmark(Description = "part: sign only, Ed25519 raw 64 bytes (the same query bytes)")]
    public int SignOnlyEd25519Raw()
    {
        _ed25519.SignRaw(_buffer.AsSpan(0, 152), _signature);
        return _signature[0];
    }

    [Benchmark(Description = "part: sign only, Ed25519 query form (the same query bytes)")]
    public int SignOnlyEd25519Query() => _ed25519.SignForQuery(_buffer.AsSpan(0, 152), _querySignature);

    private readonly byte[] _signature = new byte[64];
    private readonly byte[] _querySignature = new byte[Ed25519Signer.MaxQuerySignatureLength];

    // Binance's published example key (Spot FIX API documentation), for illustration only.
    private const string Ed25519Pem = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u
        -----END PRIVATE KEY-----
        """;

    private int Build(IRequestSigner signer)
    {
        var order = new OrderQuery
        {
            Symbol = "BTCUSDT"u8,
            Side = Side.Buy,
            Kind = OrderKind.Limit,
            TimeInForce = TimeInForce.Gtc,
            Quantity = Quantity.FromMantissa(1_200_000),
            Price = Price.FromMantissa(6_408_920_000_000),
            ClientOrderId = ClientId,
            PriceDecimals = 2,
            QuantityDecimals = 3,
            RecvWindowMs = 5000,
            TimestampMs = _timestamp,
        };
        order.TryWriteSigned(_buffer, signer, out var length, out _);
        return length;
    }

    private QueryWriter Unsigned()
    {
        var writer = new QueryWriter(_buffer);
        writer.Add("symbol"u8, "BTCUSDT"u8);
        writer.AddWireName("side"u8, "BUY"u8);
        writer.AddWireName("type"u8, "LIMIT"u8);
        writer.Add("quantity"u8, Quantity.FromMantissa(1_200_000), 3);
        writer.Add("price"u8, Price.FromMantissa(6_408_920_000_000), 2);
        writer.AddWireName("timeInForce"u8, "GTC"u8);
        writer.Add("newClientOrderId"u8, ClientId);
        writer.Add("recvWindow"u8, 5000);
        writer.Add("timestamp"u8, _timestamp);
        return writer;
    }

    private int AppendHex(int length, ReadOnlySpan<byte> mac)
    {
        "&signature="u8.CopyTo(_buffer.AsSpan(length));
        Convert.TryToHexStringLower(mac, _buffer.AsSpan(length + 11), out var hex);
        return length + 11 + hex;
    }

    private string Text(int length) => Encoding.ASCII.GetString(_buffer, 0, length);
}
