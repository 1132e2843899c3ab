using System.Text;
using Engine.Exchange;
using Engine.Exchange.Signing;
using Engine.Model;
using NSec.Cryptography;

namespace Tests.Exchange.Signing;

public sealed class Ed25519SignerTests
{
    [Fact]
    public void Binance_documented_Ed25519_example_reproduces_byte_for_byte()
    {
        using var signer = Ed25519Signer.FromPem(Ed25519TestKeys.BinanceDocPem);
        var json = new byte[Ed25519Signer.SignatureLength];

        var length = signer.SignForJson(Ed25519TestKeys.BinanceDocPayload, json);

        Assert.Equal(Ed25519Signer.SignatureLength, length);
        Assert.Equal(Ed25519TestKeys.BinanceDocSignature, Encoding.ASCII.GetString(json));
    }

    public static TheoryData<string, string, string, string> Rfc8032Vectors() => new()
    {
        // RFC 8032 §7.1, TEST 1, 2, 3 and SHA(abc): secret key, public key, message, signature.
        { "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "", "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
        { "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72", "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
        { "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82", "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
        { "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42", "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f", "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704" },
    };

    [Theory]
    [MemberData(nameof(Rfc8032Vectors))]
    public void Rfc8032_vectors_through_a_PKCS8_PEM(string secretKey, string publicKey, string message, string signature)
    {
        var pem = Ed25519TestKeys.PemFromSeed(Convert.FromHexString(secretKey));
        using var signer = Ed25519Signer.FromPem(pem);
        var json = new byte[Ed25519Signer.SignatureLength];

        signer.SignForJson(Convert.FromHexString(message), json);

        Assert.Equal(Convert.FromHexString(signature), Convert.FromBase64String(Encoding.ASCII.GetString(json)));
        var expectedPublic = PublicKey.Import(SignatureAlgorithm.Ed25519, Convert.FromHexString(publicKey), KeyBlobFormat.RawPublicKey);
        var actualPublic = PublicKey.Import(SignatureAlgorithm.Ed25519, Encoding.ASCII.GetBytes(signer.PublicKeyPem), KeyBlobFormat.PkixPublicKeyText);
        Assert.Equal(expectedPublic, actualPublic);
    }

    [Fact]
    public void The_query_form_is_the_base64_percent_encoded_and_nothing_else()
    {
        using var signer = Ed25519Signer.FromPem(Ed25519TestKeys.BinanceDocPem);
        var json = new byte[Ed25519Signer.SignatureLength];
        var query = new byte[Ed25519Signer.MaxQuerySignatureLength];
        var escapedPlus = 0;
        var escapedSlash = 0;
        for (var i = 0; i < 300; i++)
        {
            var payload = Encoding.ASCII.GetBytes($"symbol=BTCUSDT&side=BUY&quantity=0.00{i}&timestamp={1_700_000_000_000 + i}");
            var jsonLength = signer.SignForJson(payload, json);
            var queryLength = signer.SignForQuery(payload, query);
            var base64 = Encoding.ASCII.GetString(json, 0, jsonLength);
            var encoded = Encoding.ASCII.GetString(query, 0, queryLength);

            Assert.EndsWith("==", base64, StringComparison.Ordinal);
            Assert.EndsWith("%3D%3D", encoded, StringComparison.Ordinal);
            Assert.Equal(base64, Uri.UnescapeDataString(encoded));
            Assert.Equal(Uri.EscapeDataString(base64), encoded);
            Assert.True(encoded.AsSpan().IndexOfAny("+/=&") < 0, encoded);
            escapedPlus += base64.Count(c => c == '+');
            escapedSlash += base64.Count(c => c == '/');
        }

        // 300 signatures of 86 base64 characters each carry '+' and '/' hundreds of times: the escapes were exercised.
        Assert.True(escapedPlus > 100 && escapedSlash > 100, $"{escapedPlus} '+', {escapedSlash} '/'");
    }

    [Fact]
    public void An_order_signed_through_the_query_writer_verifies_against_the_public_key()
    {
        using var signer = Ed25519Signer.FromPem(Ed25519TestKeys.RandomPem());
        var buffer = new byte[512];
        var order = Order("e7f3a9c1-000000042"u8);

        Assert.True(order.TryWriteSigned(buffer, signer, out var length, out var error), error.ToString());

        var text = Encoding.ASCII.GetString(buffer, 0, length);
        var at = text.LastIndexOf("&signature=", StringComparison.Ordinal);
        Assert.StartsWith("symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=", text, StringComparison.Ordinal);
        Assert.Contains("&newClientOrderId=e7f3a9c1-000000042&recvWindow=5000&timestamp=1721895408092&signature=", text, StringComparison.Ordinal);
        var signature = Convert.FromBase64String(Uri.UnescapeDataString(text[(at + "&signature=".Length)..]));
        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, Encoding.ASCII.GetBytes(signer.PublicKeyPem), KeyBlobFormat.PkixPublicKeyText);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(publicKey, buffer.AsSpan(0, at), signature));
        Assert.False(SignatureAlgorithm.Ed25519.Verify(publicKey, buffer.AsSpan(0, at - 1), signature));
    }

    [Fact]
    public void A_buffer_without_room_for_the_longest_encoded_signature_is_refused_not_overrun()
    {
        using var signer = Ed25519Signer.FromPem(Ed25519TestKeys.RandomPem());
        var order = Order("id-1"u8);
        var probe = new byte[512];
        Assert.True(order.TryWriteSigned(probe, signer, out var full, out _));
        var signatureStart = Encoding.ASCII.GetString(probe, 0, full).LastIndexOf("&signature=", StringComparison.Ordinal) + 11;

        // Room for the parameters and a typical signature, but not for the worst case: refused up front.
        var tight = new byte[signatureStart + Ed25519Signer.MaxQuerySignatureLength - 1];
        Assert.False(order.TryWriteSigned(tight, signer, out _, out var error));
        Assert.Equal(QueryWriteError.BufferTooSmall, error);

        Assert.Throws<ArgumentException>(() => signer.SignForJson("x"u8, new byte[Ed25519Signer.SignatureLength - 1]));
        Assert.Throws<ArgumentException>(() => signer.SignForQuery("x"u8, new byte[Ed25519Signer.MaxQuerySignatureLength - 1]));
    }

    [Fact]
    public void Signing_allocates_nothing_after_warm_up()
    {
        // Made by the factory and used through the interface, as the REST client and the execution stage do.
        using var signer = RequestSigners.Create(ApiCredentials.WithEd25519Key("ABCDEFGHIJKLMNOP", Ed25519TestKeys.RandomPem()));
        Assert.IsType<Ed25519Signer>(signer);
        var buffer = new byte[512];
        var json = new byte[Ed25519Signer.SignatureLength];
        var clientId = "e7f3a9c1-000000042"u8.ToArray();
        SignMany(signer, buffer, json, clientId, 100);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var total = SignMany(signer, buffer, json, clientId, 2_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(total > 0);
        Assert.Equal(0, allocated);
    }

    private static int SignMany(IRequestSigner signer, byte[] buffer, byte[] json, byte[] clientId, int count)
    {
        var total = 0;
        for (var i = 0; i < count; i++)
        {
            Order(clientId).TryWriteSigned(buffer, signer, out var length, out _);
            total += length + signer.SignForJson(buffer.AsSpan(0, length), json);
        }

        return total;
    }

    [Fact]
    public void The_key_cannot_be_exported_and_no_text_shows_it()
    {
        var pem = Ed25519TestKeys.RandomPem();
        // The PEM's second line: a fixed 16-character algorithm prefix, then the seed's base64.
        var seedText = pem.Split('\n')[1].Trim()[16..];
        var key = Ed25519PrivateKeyPem.Import("the key", pem);
        Assert.Equal(KeyExportPolicies.None, key.ExportPolicy);
        Assert.Throws<InvalidOperationException>(() => key.Export(KeyBlobFormat.RawPrivateKey));
        Assert.Throws<InvalidOperationException>(() => key.Export(KeyBlobFormat.PkixPrivateKeyText));

        const string apiKey = "4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO";
        var credentials = ApiCredentials.WithEd25519Key(apiKey, key);
        using var signer = RequestSigners.Create(credentials);
        var texts = new[] { signer.ToString()!, signer.Description, credentials.ToString(), credentials.MaskedKey, RequestSigners.Describe(credentials) };
        foreach (var text in texts)
        {
            Assert.DoesNotContain(seedText[..20], text, StringComparison.Ordinal);
            Assert.DoesNotContain(apiKey, text, StringComparison.Ordinal);
        }

        Assert.Contains("Ed25519", credentials.ToString(), StringComparison.Ordinal);
        Assert.Contains("hidden", credentials.ToString(), StringComparison.Ordinal);
        Assert.Equal("Ed25519Signer(private key hidden)", signer.ToString());
    }

    private static OrderQuery Order(ReadOnlySpan<byte> clientOrderId) => new()
    {
        Symbol = "BTCUSDT"u8,
        Side = Side.Buy,
        Kind = OrderKind.Limit,
        TimeInForce = TimeInForce.Gtc,
        Quantity = Quantity.FromMantissa(1_200_000),
        Price = Price.FromMantissa(6_408_920_000_000),
        ClientOrderId = clientOrderId,
        PriceDecimals = 2,
        QuantityDecimals = 3,
        RecvWindowMs = 5000,
        TimestampMs = 1721895408092,
    };
}
