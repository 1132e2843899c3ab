using System.Formats.Asn1;
using System.Security.Cryptography;
using NSec.Cryptography;

namespace Engine.Exchange.Signing;

/// <summary>
/// Reads an Ed25519 private key from PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>), the form Binance's key
/// generator and <c>openssl genpkey -algorithm ed25519</c> write, into a libsodium key that cannot be exported.
/// Every refusal says what the text is instead (a public key, an RSA key, an encrypted key, an OpenSSH key, damaged
/// base64 or DER) and never quotes a byte of it.
/// </summary>
/// <remarks>
/// Both PKCS#8 versions are taken: v1 (RFC 5208, the seed alone, what OpenSSL writes) and v2 (RFC 5958, the seed and
/// its public key, what some other tools write); a v2 public key that does not belong to the seed is refused, since a
/// key registered from it would never verify. The decoded DER and the seed are wiped before returning.
/// </remarks>
public static class Ed25519PrivateKeyPem
{
    /// <summary>The longest text read: an Ed25519 PEM is about 120 characters, an RSA-4096 one about 3,300.</summary>
    public const int MaxLength = 16 * 1024;

    private const int SeedLength = 32;
    private const string Ed25519Oid = "1.3.101.112";

    /// <summary>
    /// Imports the key in <paramref name="pem"/>, or returns null with <paramref name="problem"/> naming it
    /// <paramref name="name"/> (a variable or a file) and saying what is wrong, never quoting it.
    /// </summary>
    public static Key? TryImport(string name, ReadOnlySpan<char> pem, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = pem.Trim();
        if (text.IsEmpty)
        {
            problem = $"{name} is empty: expected an Ed25519 private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----).";
            return null;
        }

        if (text.Length > MaxLength)
        {
            problem = $"{name} is {text.Length} characters long, more than the {MaxLength} a PEM private key may have.";
            return null;
        }

        if (!PemEncoding.TryFind(text, out var fields))
        {
            problem = text.Contains("-----BEGIN OPENSSH PRIVATE KEY-----", StringComparison.Ordinal)
                ? $"{name} is an OpenSSH private key: the engine reads PKCS#8 PEM; generate the key with 'openssl genpkey -algorithm ed25519' (or Binance's key generator)."
                : $"{name} is not PEM: expected an Ed25519 private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----).";
            return null;
        }

        var label = text[fields.Label];
        if (!label.SequenceEqual("PRIVATE KEY"))
        {
            problem = label switch
            {
                "PUBLIC KEY" => $"{name} is a public key: the engine needs the private key (the public key is what is registered at Binance).",
                "ENCRYPTED PRIVATE KEY" => $"{name} is an encrypted private key: the engine reads unencrypted PKCS#8 (decrypt it with 'openssl pkey -in KEY -out PLAIN' and protect the file instead).",
                "RSA PRIVATE KEY" => $"{name} is an RSA private key: the engine signs with Ed25519 or HMAC-SHA256 API keys.",
                "EC PRIVATE KEY" => $"{name} is an EC private key: the engine signs with Ed25519 or HMAC-SHA256 API keys.",
                "OPENSSH PRIVATE KEY" => $"{name} is an OpenSSH private key: the engine reads PKCS#8 PEM; generate the key with 'openssl genpkey -algorithm ed25519' (or Binance's key generator).",
                _ => $"{name} is a PEM block of another kind: expected -----BEGIN PRIVATE KEY----- (PKCS#8).",
            };
            return null;
        }

        var der = new byte[fields.DecodedDataLength];
        Span<byte> seed = stackalloc byte[SeedLength];
        try
        {
            if (!Convert.TryFromBase64Chars(text[fields.Base64Data], der, out var written) || written != der.Length)
            {
                problem = $"{name} has damaged base64 between its PEM lines.";
                return null;
            }

            problem = ReadSeed(name, der, seed, out var embeddedPublicKey);
            if (problem is not null)
            {
                return null;
            }

            var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey,
                new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });
            if (!embeddedPublicKey.IsEmpty && !PublicKeyMatches(key, embeddedPublicKey.Span))
            {
                key.Dispose();
                problem = $"{name} carries a public key that does not belong to its private key: the file is damaged or was assembled from two keys.";
                return null;
            }

            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Imports the key in <paramref name="pem"/>; throws <see cref="ArgumentException"/> with the problem (never the key) when it is not one.</summary>
    public static Key Import(string name, ReadOnlySpan<char> pem)
        => TryImport(name, pem, out var problem) ?? throw new ArgumentException(problem, nameof(pem));

    /// <summary>The public key of <paramref name="key"/> as SPKI PEM (<c>-----BEGIN PUBLIC KEY-----</c>), the text registered at Binance.</summary>
    public static string PublicKeyPem(Key key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return System.Text.Encoding.ASCII.GetString(key.PublicKey.Export(KeyBlobFormat.PkixPublicKeyText)).Trim();
    }

    private static string? ReadSeed(string name, byte[] der, Span<byte> seed, out ReadOnlyMemory<byte> embeddedPublicKey)
    {
        embeddedPublicKey = default;
        try
        {
            // OneAsymmetricKey ::= SEQUENCE { version, privateKeyAlgorithm, privateKey OCTET STRING,
            //                                 attributes [0] OPTIONAL, publicKey [1] BIT STRING OPTIONAL }
            var outer = new AsnReader(der, AsnEncodingRules.DER);
            var sequence = outer.ReadSequence();
            if (outer.HasData)
            {
                return $"{name} has bytes after its PKCS#8 structure.";
            }

            if (!sequence.TryReadInt32(out var version) || version is not (0 or 1))
            {
                return $"{name} is not a PKCS#8 private key of a known version.";
            }

            var algorithm = sequence.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            if (oid != Ed25519Oid)
            {
                return $"{name} is {AlgorithmName(oid)} private key, not Ed25519: the engine signs with Ed25519 or HMAC-SHA256 API keys.";
            }

            if (algorithm.HasData)
            {
                return $"{name} has parameters in its Ed25519 algorithm identifier, which Ed25519 keys never carry.";
            }

            if (!sequence.TryReadPrimitiveOctetString(out var privateKey))
            {
                return $"{name} is not a well-formed PKCS#8 private key.";
            }

            // CurvePrivateKey ::= OCTET STRING (the 32-byte seed), itself inside the privateKey OCTET STRING.
            var inner = new AsnReader(privateKey, AsnEncodingRules.DER);
            if (!inner.TryReadPrimitiveOctetString(out var seedBytes) || inner.HasData || seedBytes.Length != SeedLength)
            {
                return $"{name} does not hold a 32-byte Ed25519 private key.";
            }

            seedBytes.Span.CopyTo(seed);
            var attributes = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
            if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(attributes))
            {
                sequence.ReadEncodedValue();
            }

            var publicKeyTag = new Asn1Tag(TagClass.ContextSpecific, 1);
            if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(publicKeyTag))
            {
                if (!sequence.TryReadPrimitiveBitString(out var unused, out var bits, publicKeyTag) || unused != 0 || bits.Length != SeedLength)
                {
                    return $"{name} carries a public key that is not 32 bytes.";
                }

                embeddedPublicKey = bits;
            }

            return sequence.HasData ? $"{name} has unexpected fields in its PKCS#8 structure." : null;
        }
        catch (AsnContentException)
        {
            // The exception's text describes the DER, not the key; still, nothing of it is repeated.
            return $"{name} is not a well-formed PKCS#8 private key (its DER does not parse).";
        }
    }

    private static bool PublicKeyMatches(Key key, ReadOnlySpan<byte> expected)
    {
        Span<byte> actual = stackalloc byte[SeedLength];
        return key.PublicKey.TryExport(KeyBlobFormat.RawPublicKey, actual, out var written)
            && written == SeedLength
            && CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static string AlgorithmName(string oid) => oid switch
    {
        "1.2.840.113549.1.1.1" or "1.2.840.113549.1.1.10" => "an RSA",
        "1.2.840.10045.2.1" => "an EC (ECDSA)",
        "1.3.101.110" => "an X25519",
        "1.3.101.111" => "an X448",
        "1.3.101.113" => "an Ed448",
        _ => $"a {oid}",
    };
}
