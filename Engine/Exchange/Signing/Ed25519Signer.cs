using System.Buffers.Text;
using System.Runtime.CompilerServices;
using NSec.Cryptography;

namespace Engine.Exchange.Signing;

/// <summary>
/// Ed25519 request signing for one private key, as Binance wants it: the 64-byte signature over the exact payload
/// bytes, base64 (88 characters) in a JSON request and base64 percent-encoded (<c>+</c> → <c>%2B</c>, <c>/</c> →
/// <c>%2F</c>, <c>=</c> → <c>%3D</c>) in a query string. Signing allocates nothing.
/// </summary>
/// <remarks>
/// The key lives in libsodium's guarded memory (an NSec <see cref="Key"/> that refuses export); this object never
/// holds its bytes. Ed25519 is deterministic: the same key and payload give the same signature, which is what lets
/// Binance's published examples be reproduced byte for byte. A signer made from <see cref="ApiCredentials"/> shares the
/// credentials' key and leaves it open when disposed; one made from a PEM owns its key.
/// </remarks>
[SkipLocalsInit]
public sealed class Ed25519Signer : IRequestSigner
{
    /// <summary>Length of a signature in base64 characters (64 bytes, two of them padding).</summary>
    public const int SignatureLength = 88;

    /// <summary>The longest percent-encoded signature: every one of the 86 data characters a <c>+</c> or <c>/</c>, and <c>%3D%3D</c>.</summary>
    public const int MaxQuerySignatureLength = 86 * 3 + 6;

    private const int RawSignatureLength = 64;

    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;

    private readonly Key _key;
    private readonly bool _ownsKey;

    /// <summary>Signs with <paramref name="key"/>, an Ed25519 key; <paramref name="ownsKey"/> says whether <see cref="Dispose"/> frees it.</summary>
    public Ed25519Signer(Key key, bool ownsKey)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm != Algorithm)
        {
            throw new ArgumentException("The key is not an Ed25519 key.", nameof(key));
        }

        _key = key;
        _ownsKey = ownsKey;
    }

    /// <summary>
    /// Creates a signer that owns the key read from <paramref name="pem"/> (PKCS#8, <c>-----BEGIN PRIVATE KEY-----</c>);
    /// throws <see cref="ArgumentException"/> saying what the text is instead, never quoting it.
    /// </summary>
    public static Ed25519Signer FromPem(ReadOnlySpan<char> pem) => new(Ed25519PrivateKeyPem.Import("the Ed25519 private key", pem), ownsKey: true);

    /// <summary>The public key as SPKI PEM (<c>-----BEGIN PUBLIC KEY-----</c>), the text registered at Binance for this key.</summary>
    public string PublicKeyPem => Ed25519PrivateKeyPem.PublicKeyPem(_key);

    /// <summary>Writes the 64-byte Ed25519 signature of <paramref name="payload"/> into <paramref name="signature"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SignRaw(ReadOnlySpan<byte> payload, Span<byte> signature)
    {
        // A disposed key's handle refuses the call (ObjectDisposedException); no check of our own is needed.
        Algorithm.Sign(_key, payload, signature[..RawSignatureLength]);
    }

    /// <summary>Writes the base64 signature of <paramref name="payload"/> into the first 88 bytes of <paramref name="destination"/>.</summary>
    public int SignForJson(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        if (destination.Length < SignatureLength)
        {
            ThrowTooShort(SignatureLength);
        }

        Span<byte> raw = stackalloc byte[RawSignatureLength];
        SignRaw(payload, raw);
        Base64.EncodeToUtf8(raw, destination, out _, out var written);
        return written;
    }

    /// <summary>Writes the percent-encoded base64 signature of <paramref name="payload"/>; returns its length (at most <see cref="MaxQuerySignatureLength"/>).</summary>
    public int SignForQuery(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        if (destination.Length < MaxQuerySignatureLength)
        {
            ThrowTooShort(MaxQuerySignatureLength);
        }

        Span<byte> base64 = stackalloc byte[SignatureLength];
        SignForJson(payload, base64);
        var length = 0;
        foreach (var c in base64)
        {
            // The three base64 characters outside RFC 3986's unreserved set; the venue decodes the value before verifying.
            var escape = c switch
            {
                (byte)'+' => "%2B"u8,
                (byte)'/' => "%2F"u8,
                (byte)'=' => "%3D"u8,
                _ => default,
            };
            if (escape.IsEmpty)
            {
                destination[length++] = c;
            }
            else
            {
                escape.CopyTo(destination[length..]);
                length += 3;
            }
        }

        return length;
    }

    public SignatureScheme Scheme => SignatureScheme.Ed25519;

    int IRequestSigner.MaxQuerySignatureLength => MaxQuerySignatureLength;

    int IRequestSigner.MaxJsonSignatureLength => SignatureLength;

    /// <summary>What signs, for the start-up log: the library, never the key.</summary>
    public string Description => DescriptionText;

    internal const string DescriptionText = "Ed25519, libsodium through NSec (key in guarded memory, not exportable)";

    private bool _disposed;

    public void Dispose()
    {
        if (_ownsKey && !_disposed)
        {
            _disposed = true;
            _key.Dispose();
        }
    }

    private static void ThrowTooShort(int needed) =>
        throw new ArgumentException($"The signature needs {needed} bytes of output space.");

    public override string ToString() => "Ed25519Signer(private key hidden)";
}
