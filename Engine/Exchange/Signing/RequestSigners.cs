namespace Engine.Exchange.Signing;

/// <summary>Makes the signer an API key needs: HMAC-SHA256 for a secret, Ed25519 for an Ed25519 private key.</summary>
public static class RequestSigners
{
    /// <summary>
    /// A new signer for <paramref name="credentials"/>, owned by the caller (one per signing thread: signers are not
    /// thread-safe). <paramref name="hmacBackend"/> applies to an HMAC secret only. An Ed25519 signer shares the
    /// credentials' key, which outlives it.
    /// </summary>
    public static IRequestSigner Create(ApiCredentials credentials, SigningBackend hmacBackend = SigningBackend.Auto)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return credentials.Scheme switch
        {
            SignatureScheme.HmacSha256 => HmacSha256Signer.Create(credentials.SecretBytes, hmacBackend),
            SignatureScheme.Ed25519 => new Ed25519Signer(credentials.Ed25519Key, ownsKey: false),
            _ => throw new ArgumentOutOfRangeException(nameof(credentials), credentials.Scheme, "Unknown signature scheme."),
        };
    }

    /// <summary>What <see cref="Create"/> would sign <paramref name="credentials"/> with, for the start-up log (never key material).</summary>
    public static string Describe(ApiCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return credentials.Scheme == SignatureScheme.Ed25519
            ? Ed25519Signer.DescriptionText
            : "HMAC-SHA256, " + HmacSha256Signer.AutoBackendDescription;
    }
}
