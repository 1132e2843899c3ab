using System.Security.Cryptography;
using System.Text;
using Engine.Exchange;
using Engine.Exchange.Signing;
using NSec.Cryptography;

namespace Tests.Exchange.Signing;

public sealed class Ed25519PrivateKeyPemTests
{
    private static readonly byte[] Seed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    private static readonly byte[] SeedPublicKey = Convert.FromHexString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");

    [Fact]
    public void PKCS8_v1_and_v2_give_the_same_key()
    {
        using var v1 = Ed25519PrivateKeyPem.Import("v1", Ed25519TestKeys.PemFromSeed(Seed));
        using var v2 = Ed25519PrivateKeyPem.Import("v2", Ed25519TestKeys.V2Pem(Seed, SeedPublicKey));

        Assert.Equal(SeedPublicKey, v1.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        Assert.Equal(SeedPublicKey, v2.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    [Fact]
    public void Surrounding_text_CRLF_and_a_one_line_PEM_are_taken()
    {
        var pem = Ed25519TestKeys.PemFromSeed(Seed);
        string[] variants =
        [
            "\n\n  " + pem + "\n\n",
            pem.ReplaceLineEndings("\r\n"),
            pem.ReplaceLineEndings(" "),
            "comment line an editor left\n" + pem,
        ];
        foreach (var text in variants)
        {
            using var key = Ed25519PrivateKeyPem.TryImport("k", text, out var problem);
            Assert.Null(problem);
            Assert.Equal(SeedPublicKey, key!.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        }
    }

    public static TheoryData<string, string> Refusals()
    {
        var seedPem = Ed25519TestKeys.PemFromSeed(Seed);
        var body = seedPem.Split('\n')[1];
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherPublic = new byte[32];
        otherPublic[0] = 1;
        return new TheoryData<string, string>
        {
            { "", "is empty" },
            { "   \n ", "is empty" },
            { "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g", "is not PEM" },
            { rsa.ExportPkcs8PrivateKeyPem(), "is an RSA private key, not Ed25519" },
            { rsa.ExportRSAPrivateKeyPem(), "is an RSA private key" },
            { rsa.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)), "is an encrypted private key" },
            { ec.ExportPkcs8PrivateKeyPem(), "is an EC (ECDSA) private key, not Ed25519" },
            { ec.ExportECPrivateKeyPem(), "is an EC private key" },
            { "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGUIKv9dSpWXBViXp2m6vAIb8QMFJYBgyFEQsFJlqgA0=\n-----END PUBLIC KEY-----", "is a public key" },
            { "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----", "is an OpenSSH private key" },
            { "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----", "is a PEM block of another kind" },
            { PemEncoding.WriteString("PRIVATE KEY", Convert.FromHexString("302e020100300506032b657004220420" + Convert.ToHexString(Seed)).AsSpan(0, 33)), "is not a well-formed PKCS#8 private key" },
            { PemEncoding.WriteString("PRIVATE KEY", Convert.FromHexString("302d020100300506032b65700421041f" + Convert.ToHexString(Seed)[..62])), "does not hold a 32-byte Ed25519 private key" },
            { PemEncoding.WriteString("PRIVATE KEY", Convert.FromHexString("302e020102300506032b657004220420" + Convert.ToHexString(Seed))), "not a PKCS#8 private key of a known version" },
            { PemEncoding.WriteString("PRIVATE KEY", Convert.FromHexString("302e020100300506032b657104220420" + Convert.ToHexString(Seed))), "is an Ed448 private key, not Ed25519" },
            { PemEncoding.WriteString("PRIVATE KEY", Convert.FromHexString("3030020100300706032b65700500" + "04220420" + Convert.ToHexString(Seed))), "has parameters in its Ed25519 algorithm identifier" },
            { PemEncoding.WriteString("PRIVATE KEY", [.. Convert.FromHexString("302e020100300506032b657004220420" + Convert.ToHexString(Seed)), 0x00]), "has bytes after its PKCS#8 structure" },
            { Ed25519TestKeys.V2Pem(Seed, otherPublic), "carries a public key that does not belong to its private key" },
            { new string('A', Ed25519PrivateKeyPem.MaxLength + 1), "more than the 16384 a PEM private key may have" },
        };
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public void What_is_not_an_Ed25519_private_key_is_refused_saying_what_it_is_and_never_quoting_it(string text, string expected)
    {
        var key = Ed25519PrivateKeyPem.TryImport("BINANCE_API_PRIVATE_KEY", text, out var problem);

        Assert.Null(key);
        Assert.NotNull(problem);
        Assert.StartsWith("BINANCE_API_PRIVATE_KEY ", problem, StringComparison.Ordinal);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        foreach (var line in text.Split('\n').Select(l => l.Trim()).Where(l => l.Length >= 12 && !l.StartsWith("-----", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(line[..12], problem, StringComparison.Ordinal);
        }

        var thrown = Assert.Throws<ArgumentException>(() => ApiCredentials.WithEd25519Key("ABCDEFGHIJKLMNOP", text));
        Assert.Contains(expected, thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_public_key_to_register_comes_out_as_SPKI_PEM()
    {
        var credentials = ApiCredentials.WithEd25519Key("ABCDEFGHIJKLMNOP", Ed25519TestKeys.BinanceDocPem);

        // What 'openssl pkey -in KEY -pubout' prints for Binance's example key.
        Assert.Equal(
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGUIKv9dSpWXBViXp2m6vAIb8QMFJYBgyFEQsFJlqgA0=\n-----END PUBLIC KEY-----",
            credentials.Ed25519PublicKeyPem!.ReplaceLineEndings("\n"));
        Assert.Equal(SignatureScheme.Ed25519, credentials.Scheme);
        Assert.Null(new ApiCredentials("ABCDEFGHIJKLMNOP", "secret-secret").Ed25519PublicKeyPem);
    }

    [Fact]
    public void The_signer_factory_follows_the_key_type_and_the_HMAC_only_path_refuses_an_Ed25519_key()
    {
        var hmac = new ApiCredentials("ABCDEFGHIJKLMNOP", "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9");
        var ed25519 = ApiCredentials.WithEd25519Key("ABCDEFGHIJKLMNOP", Ed25519TestKeys.BinanceDocPem);

        using var hmacSigner = RequestSigners.Create(hmac);
        using var edSigner = RequestSigners.Create(ed25519);
        Assert.IsType<HmacSha256Signer>(hmacSigner);
        Assert.Equal(SignatureScheme.HmacSha256, hmacSigner.Scheme);
        Assert.IsType<Ed25519Signer>(edSigner);
        Assert.Equal(SignatureScheme.Ed25519, edSigner.Scheme);
        Assert.StartsWith("HMAC-SHA256", RequestSigners.Describe(hmac), StringComparison.Ordinal);
        Assert.StartsWith("Ed25519", RequestSigners.Describe(ed25519), StringComparison.Ordinal);

        var refused = Assert.Throws<InvalidOperationException>(() => HmacSha256Signer.Create(ed25519));
        Assert.Contains("RequestSigners.Create", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ABCDEFGHIJKLMNOP", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Signers_from_the_same_credentials_share_the_key_and_one_disposed_leaves_the_others_signing()
    {
        var credentials = ApiCredentials.WithEd25519Key("ABCDEFGHIJKLMNOP", Ed25519TestKeys.BinanceDocPem);
        var json = new byte[Ed25519Signer.SignatureLength];

        RequestSigners.Create(credentials).Dispose();
        using var second = RequestSigners.Create(credentials);
        second.SignForJson(Ed25519TestKeys.BinanceDocPayload, json);

        Assert.Equal(Ed25519TestKeys.BinanceDocSignature, Encoding.ASCII.GetString(json));

        // A signer that owns its key frees it: signing afterwards is refused, not done with freed memory.
        var owner = Ed25519Signer.FromPem(Ed25519TestKeys.BinanceDocPem);
        owner.Dispose();
        Assert.Throws<ObjectDisposedException>(() => owner.SignForJson("x"u8, json));
    }
}
