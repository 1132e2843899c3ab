using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Simulator;

/// <summary>How an API key proves a request: Binance's HMAC-SHA256 secret or a registered Ed25519 public key.</summary>
internal enum KeyKind
{
    Hmac,
    Ed25519,
}

/// <summary>
/// The account's API keys. The HMAC key signs with lowercase hex of HMAC-SHA256 over the payload; an Ed25519 key signs
/// with base64 of the Ed25519 signature over the same payload (BINANCE_USDM.md §3.3, §12). Ed25519 is verified with
/// BouncyCastle on purpose: the engine signs with libsodium, so an encoding or payload mistake on either side cannot be
/// hidden by the same library making it on both.
/// </summary>
internal sealed class ApiKeys
{
    private readonly string _hmacKey;
    private readonly string _hmacSecret;
    private readonly Dictionary<string, Ed25519PublicKeyParameters> _ed25519 = new(StringComparer.Ordinal);

    public ApiKeys(SimulatorOptions options)
    {
        _hmacKey = options.ApiKey;
        _hmacSecret = options.ApiSecret;
        foreach (var (key, pem) in options.Ed25519PublicKeys)
        {
            _ed25519[key] = ParsePublicKey(pem);
        }
    }

    /// <summary>The kind of a known key; null for a key the account does not have.</summary>
    public KeyKind? Find(string apiKey) =>
        string.Equals(apiKey, _hmacKey, StringComparison.Ordinal) ? KeyKind.Hmac : _ed25519.ContainsKey(apiKey) ? KeyKind.Ed25519 : null;

    /// <summary>True when <paramref name="signature"/> (hex for HMAC, base64 for Ed25519) signs <paramref name="payload"/> with the key.</summary>
    public bool Verify(string apiKey, string payload, string signature)
    {
        if (string.Equals(apiKey, _hmacKey, StringComparison.Ordinal))
        {
            return RequestParams.Verify(_hmacSecret, payload, signature);
        }

        if (!_ed25519.TryGetValue(apiKey, out var publicKey))
        {
            return false;
        }

        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        if (raw.Length != Ed25519PublicKeyParameters.KeySize * 2)
        {
            return false;
        }

        var verifier = new Ed25519Signer();
        verifier.Init(forSigning: false, publicKey);
        var message = Encoding.UTF8.GetBytes(payload);
        verifier.BlockUpdate(message, 0, message.Length);
        return verifier.VerifySignature(raw);
    }

    /// <summary>
    /// Reads a SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----", what Binance's key generator writes) holding an
    /// Ed25519 key; throws <see cref="ArgumentException"/> for anything else.
    /// </summary>
    public static Ed25519PublicKeyParameters ParsePublicKey(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!PemEncoding.TryFind(pem, out var fields) || !pem.AsSpan()[fields.Label].SequenceEqual("PUBLIC KEY"))
        {
            throw new ArgumentException("an Ed25519 public key must be a PEM block labelled PUBLIC KEY (SubjectPublicKeyInfo)");
        }

        byte[] der;
        try
        {
            der = Convert.FromBase64String(pem[fields.Base64Data]);
        }
        catch (FormatException e)
        {
            throw new ArgumentException("the PUBLIC KEY PEM block is not valid base64", e);
        }

        try
        {
            return PublicKeyFactory.CreateKey(der) as Ed25519PublicKeyParameters
                ?? throw new ArgumentException("the PUBLIC KEY PEM block holds a key that is not Ed25519");
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            throw new ArgumentException("the PUBLIC KEY PEM block is not a SubjectPublicKeyInfo", e);
        }
    }
}
