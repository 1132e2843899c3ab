using System.Text;
using Engine.Exchange.Signing;
using NSec.Cryptography;

namespace Engine.Exchange;

/// <summary>
/// An API key and what signs for it: an HMAC secret or an Ed25519 private key (<see cref="Scheme"/>). Neither leaves
/// this object as text: the secret is handed out only as bytes to the HMAC signer, the Ed25519 key lives in
/// libsodium's guarded memory and cannot be exported at all, and <see cref="ToString"/> shows the key masked
/// (<c>abcd…wxyz</c>) so that no log line, exception message or debugger display can leak any of them.
/// Signers are made from it by <see cref="RequestSigners.Create"/>.
/// </summary>
public sealed class ApiCredentials
{
    private readonly byte[]? _secret;
    private readonly Key? _ed25519;

    /// <summary>The longest key or secret taken (Binance's are 64 characters).</summary>
    public const int MaxLength = 256;

    /// <summary>
    /// Takes a key and an HMAC secret, surrounding whitespace trimmed; throws <see cref="ArgumentException"/> (never quoting
    /// either) unless each is <see cref="Problem"/>-free.
    /// </summary>
    public ApiCredentials(string apiKey, string apiSecret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiSecret);
        if (Problem("the API key", apiKey) is { } key)
        {
            throw new ArgumentException(key, nameof(apiKey));
        }

        if (Problem("the API secret", apiSecret) is { } secret)
        {
            throw new ArgumentException(secret, nameof(apiSecret));
        }

        ApiKey = apiKey.Trim();
        _secret = Encoding.UTF8.GetBytes(apiSecret.Trim());
        Scheme = SignatureScheme.HmacSha256;
    }

    private ApiCredentials(string apiKey, Key ed25519)
    {
        ApiKey = apiKey.Trim();
        _ed25519 = ed25519;
        Scheme = SignatureScheme.Ed25519;
    }

    /// <summary>
    /// Takes a key and its Ed25519 private key as PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>); throws
    /// <see cref="ArgumentException"/> saying what is wrong with either (never quoting them). The PEM text is not kept:
    /// the key goes into guarded memory and cannot be exported.
    /// </summary>
    public static ApiCredentials WithEd25519Key(string apiKey, ReadOnlySpan<char> privateKeyPem)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        if (Problem("the API key", apiKey) is { } keyProblem)
        {
            throw new ArgumentException(keyProblem, nameof(apiKey));
        }

        return new ApiCredentials(apiKey, Ed25519PrivateKeyPem.Import("the Ed25519 private key", privateKeyPem));
    }

    /// <summary>
    /// Takes a key and an Ed25519 private key already read (see <see cref="Ed25519PrivateKeyPem.TryImport"/>); the
    /// credentials own the key from here on.
    /// </summary>
    public static ApiCredentials WithEd25519Key(string apiKey, Key privateKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        ArgumentNullException.ThrowIfNull(privateKey);
        if (Problem("the API key", apiKey) is { } keyProblem)
        {
            throw new ArgumentException(keyProblem, nameof(apiKey));
        }

        if (privateKey.Algorithm != SignatureAlgorithm.Ed25519)
        {
            throw new ArgumentException("The private key is not an Ed25519 key.", nameof(privateKey));
        }

        return new ApiCredentials(apiKey, privateKey);
    }

    /// <summary>What signs for this key: an HMAC-SHA256 secret or an Ed25519 private key.</summary>
    public SignatureScheme Scheme { get; }

    /// <summary>
    /// Why <paramref name="value"/> (surrounding whitespace trimmed) cannot be a key or secret, naming it
    /// <paramref name="name"/> and never quoting it; null when it can. The key goes into an HTTP header as it is: a line
    /// break in it would start a header of its own, so only printable ASCII without spaces is taken.
    /// </summary>
    public static string? Problem(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var trimmed = value.AsSpan().Trim();
        if (trimmed.IsEmpty)
        {
            return $"{name} is empty.";
        }

        if (trimmed.Length > MaxLength)
        {
            return $"{name} is {trimmed.Length} characters long, more than the {MaxLength} a key or secret may have.";
        }

        for (var i = 0; i < trimmed.Length; i++)
        {
            var c = trimmed[i];
            if (c is < '!' or > '~')
            {
                var what = c switch
                {
                    '\r' or '\n' => "a line break",
                    ' ' or '\t' => "whitespace",
                    < ' ' or '\u007f' => "a control character",
                    _ => "a character that is not ASCII",
                };
                return $"{name} contains {what} at position {i + 1}: keys and secrets are printable ASCII without spaces.";
            }
        }

        return null;
    }

    /// <summary>The key as sent in the <c>X-MBX-APIKEY</c> header; the header is the only place it goes unmasked.</summary>
    public string ApiKey { get; }

    /// <summary>The key masked for display: its first and last four characters.</summary>
    public string MaskedKey => Mask(ApiKey);

    /// <summary>The HMAC secret's bytes, for the signer's key schedule only; there are none for an Ed25519 key.</summary>
    internal ReadOnlySpan<byte> SecretBytes => _secret ?? throw new InvalidOperationException(
        $"These credentials (key {MaskedKey}) hold an Ed25519 private key, not an HMAC secret: make their signer with RequestSigners.Create.");

    /// <summary>The Ed25519 private key (libsodium, not exportable), for <see cref="Ed25519Signer"/> only.</summary>
    internal Key Ed25519Key => _ed25519 ?? throw new InvalidOperationException(
        $"These credentials (key {MaskedKey}) hold an HMAC secret, not an Ed25519 private key.");

    /// <summary>The Ed25519 public key as SPKI PEM, the text registered at Binance for this API key; null for an HMAC key.</summary>
    public string? Ed25519PublicKeyPem => _ed25519 is null ? null : Ed25519PrivateKeyPem.PublicKeyPem(_ed25519);

    /// <summary>Masks any credential for display: the first and last four characters around an ellipsis, or only the ellipsis when it is short.</summary>
    public static string Mask(string? value)
        => value is null || value.Length <= 12 ? "…" : string.Concat(value.AsSpan(0, 4), "…", value.AsSpan(value.Length - 4));

    public override string ToString() =>
        $"ApiCredentials(key {MaskedKey}, {(Scheme == SignatureScheme.Ed25519 ? "Ed25519 private key" : "HMAC secret")} hidden)";
}
