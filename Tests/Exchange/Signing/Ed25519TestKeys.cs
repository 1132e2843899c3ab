using System.Security.Cryptography;

namespace Tests.Exchange.Signing;

/// <summary>Ed25519 keys the signing tests use: Binance's published example key and PKCS#8 PEMs built from RFC 8032's seeds.</summary>
internal static class Ed25519TestKeys
{
    /// <summary>
    /// The private key Binance publishes for its Ed25519 signature example (Spot FIX API documentation, "Logon":
    /// "The Ed25519 private key used in the example computation"). For illustration only; it guards no account.
    /// </summary>
    public const string BinanceDocPem = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u
        -----END PRIVATE KEY-----
        """;

    /// <summary>The payload of that example: MsgType, SenderCompID, TargetCompID, MsgSeqNum and SendingTime joined by SOH.</summary>
    public static readonly byte[] BinanceDocPayload = "A\u0001EXAMPLE\u0001SPOT\u00011\u000120240627-11:17:25.223"u8.ToArray();

    /// <summary>The signature Binance publishes for it ("Computed signature").</summary>
    public const string BinanceDocSignature = "4MHXelVVcpkdwuLbl6n73HQUXUf1dse2PCgT1DYqW9w8AVZ1RACFGM+5UdlGPrQHrgtS3CvsRURC1oj73j8gCA==";

    // PKCS#8 v1 (RFC 8410): SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }.
    private static readonly byte[] V1Prefix = Convert.FromHexString("302e020100300506032b657004220420");

    /// <summary>A PKCS#8 v1 PEM around a 32-byte seed, as <c>openssl genpkey -algorithm ed25519</c> writes it.</summary>
    public static string PemFromSeed(ReadOnlySpan<byte> seed) => PemEncoding.WriteString("PRIVATE KEY", [.. V1Prefix, .. seed]);

    /// <summary>A PKCS#8 v2 (RFC 5958 OneAsymmetricKey) PEM: version 1, the seed and the public key in [1].</summary>
    public static string V2Pem(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> publicKey)
    {
        byte[] body =
        [
            0x02, 0x01, 0x01,
            0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
            0x04, 0x22, 0x04, 0x20, .. seed,
            0x81, 0x21, 0x00, .. publicKey,
        ];
        return PemEncoding.WriteString("PRIVATE KEY", [0x30, (byte)body.Length, .. body]);
    }

    /// <summary>A fresh key's PEM (random seed), for tests that need a key nobody else has.</summary>
    public static string RandomPem() => PemFromSeed(RandomNumberGenerator.GetBytes(32));
}
