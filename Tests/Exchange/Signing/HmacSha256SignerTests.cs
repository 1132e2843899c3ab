using System.Security.Cryptography;
using System.Text;
using Engine.Exchange;
using Engine.Exchange.Signing;
using Engine.Native;

namespace Tests.Exchange.Signing;

public sealed class HmacSha256SignerTests
{
    // Binance's documented example (USDⓈ-M "SIGNED endpoint examples"), verified independently with openssl.
    private const string DocSecret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
    private const string DocParams = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943";
    private const string DocSignature = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9";

    public static TheoryData<SigningBackend> Backends()
    {
        var data = new TheoryData<SigningBackend> { SigningBackend.Managed };
        if (LibCrypto.IsAvailable)
        {
            data.Add(SigningBackend.LibCrypto);
        }

        return data;
    }

    [Fact]
    public void Libcrypto_is_found_on_this_machine()
    {
        // The engine runs on Debian with OpenSSL 3; if this fails the fast path is silently gone.
        Assert.True(LibCrypto.IsAvailable, LibCrypto.Description);
        using var signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(DocSecret));
        Assert.Equal(SigningBackend.LibCrypto, signer.Backend);
        Assert.Contains("libcrypto.so", signer.BackendDescription, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Binance_documented_vector(SigningBackend backend)
    {
        Assert.Equal(DocSignature, Sign(DocSecret, DocParams, backend));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Further_vectors_with_the_documented_secret(SigningBackend backend)
    {
        Assert.Equal("84901bbeed96ffa9adf9995c40fcadcb0a9ddad37c2605ce82491f2c771077a6", Sign(DocSecret, "timestamp=1591702613943", backend));
        Assert.Equal("8a22fe81851a943577a5d6f4d13c65d01d57c4f4a15ee583d231daf989254967", Sign(DocSecret, "symbol=BTCUSDT&timestamp=1591702613943", backend));
        // Query and body concatenated without '&' (the mixed example, without the doc's stray space).
        Assert.Equal(
            "30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4",
            Sign(DocSecret, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=9000&recvWindow=5000&timestamp=1591702613943", backend));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Ten_thousand_random_messages_match_the_BCL(SigningBackend backend)
    {
        var random = new Random(20261125);
        var hex = new byte[HmacSha256Signer.SignatureLength];
        var expected = new byte[32];
        for (var secretRound = 0; secretRound < 10; secretRound++)
        {
            // Secret lengths cover the block-size edge (64) and keys longer than a block, which HMAC hashes first.
            var secret = new byte[secretRound switch { 0 => 1, 1 => 63, 2 => 64, 3 => 65, 4 => 200, _ => random.Next(16, 100) }];
            random.NextBytes(secret);
            using var signer = HmacSha256Signer.Create(secret, backend);
            for (var i = 0; i < 1_000; i++)
            {
                var message = new byte[random.Next(1, 2_001)];
                random.NextBytes(message);
                signer.Sign(message, hex);
                HMACSHA256.HashData(secret, message, expected);
                Assert.Equal(Convert.ToHexStringLower(expected), Encoding.ASCII.GetString(hex));
            }
        }
    }

    [Fact]
    public void Both_backends_agree()
    {
        Assert.True(LibCrypto.IsAvailable, LibCrypto.Description);
        var random = new Random(7);
        var secret = Encoding.ASCII.GetBytes(DocSecret);
        using var native = HmacSha256Signer.Create(secret, SigningBackend.LibCrypto);
        using var managed = HmacSha256Signer.Create(secret, SigningBackend.Managed);
        var a = new byte[64];
        var b = new byte[64];
        for (var i = 0; i < 2_000; i++)
        {
            var message = new byte[random.Next(0, 600)];
            random.NextBytes(message);
            native.Sign(message, a);
            managed.Sign(message, b);
            Assert.Equal(a, b);
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A_wrong_secret_gives_a_different_signature(SigningBackend backend)
    {
        var wrong = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d8"; // last char differs
        Assert.NotEqual(DocSignature, Sign(wrong, DocParams, backend));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Signing_allocates_nothing(SigningBackend backend)
    {
        using var signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(DocSecret), backend);
        var message = Encoding.ASCII.GetBytes(DocParams);
        var hex = new byte[64];
        for (var i = 0; i < 100; i++)
        {
            signer.Sign(message, hex);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            signer.Sign(message, hex);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Output_too_short_and_empty_secret_are_refused()
    {
        using var signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(DocSecret));
        Assert.Throws<ArgumentException>(() => signer.Sign("a=1"u8, new byte[63]));
        Assert.Throws<ArgumentException>(() => HmacSha256Signer.Create(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Neither_signer_nor_credentials_show_the_secret()
    {
        const string key = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
        var credentials = new ApiCredentials(key, DocSecret);
        using var signer = HmacSha256Signer.Create(credentials);
        foreach (var text in new[] { credentials.ToString(), signer.ToString(), credentials.MaskedKey, signer.BackendDescription })
        {
            Assert.DoesNotContain(DocSecret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(key, text, StringComparison.Ordinal);
        }

        Assert.Equal("dbef…cc83", credentials.MaskedKey);
        Assert.Equal(key, credentials.ApiKey);
    }

    private static string Sign(string secret, string message, SigningBackend backend)
    {
        using var signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(secret), backend);
        var hex = new byte[HmacSha256Signer.SignatureLength];
        signer.Sign(Encoding.ASCII.GetBytes(message), hex);
        return Encoding.ASCII.GetString(hex);
    }
}
