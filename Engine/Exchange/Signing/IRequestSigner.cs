namespace Engine.Exchange.Signing;

/// <summary>The kind of API key a signer holds, which decides what the venue lets it do.</summary>
public enum SignatureScheme : byte
{
    /// <summary>A secret key: HMAC-SHA256, hex. Every request carries its signature.</summary>
    HmacSha256,

    /// <summary>An Ed25519 private key: base64. The only kind the WebSocket API accepts for <c>session.logon</c>.</summary>
    Ed25519,
}

/// <summary>
/// Signs a request's payload with the API key's own scheme: HMAC-SHA256 (hex) for a secret key, Ed25519 (base64)
/// for an Ed25519 key. A signer belongs to the one thread that signs with it; it is not thread-safe.
/// </summary>
public interface IRequestSigner : IDisposable
{
    /// <summary>The key's scheme.</summary>
    SignatureScheme Scheme { get; }

    /// <summary>The most bytes <see cref="SignForQuery"/> writes (percent-encoding included).</summary>
    int MaxQuerySignatureLength { get; }

    /// <summary>The most bytes <see cref="SignForJson"/> writes.</summary>
    int MaxJsonSignatureLength { get; }

    /// <summary>What signs, for the start-up log (never key material).</summary>
    string Description { get; }

    /// <summary>Writes the signature of <paramref name="payload"/> as a query-string value (percent-encoded where needed); returns its length.</summary>
    int SignForQuery(ReadOnlySpan<byte> payload, Span<byte> destination);

    /// <summary>Writes the signature of <paramref name="payload"/> as the text of a JSON string (nothing needs escaping); returns its length.</summary>
    int SignForJson(ReadOnlySpan<byte> payload, Span<byte> destination);
}
