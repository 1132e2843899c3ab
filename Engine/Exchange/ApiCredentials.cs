using System.Text;

namespace Engine.Exchange;

/// <summary>
/// An API key and secret. The secret never leaves this object as text: it is handed out only as bytes to the
/// signer, and <see cref="ToString"/> shows the key masked (<c>abcd…wxyz</c>) so that no log line, exception
/// message or debugger display can leak either of them.
/// </summary>
public sealed class ApiCredentials
{
    private readonly byte[] _secret;

    public ApiCredentials(string apiKey, string apiSecret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiSecret);
        ApiKey = apiKey.Trim();
        _secret = Encoding.UTF8.GetBytes(apiSecret.Trim());
    }

    /// <summary>The key as sent in the <c>X-MBX-APIKEY</c> header; the header is the only place it goes unmasked.</summary>
    public string ApiKey { get; }

    /// <summary>The key masked for display: its first and last four characters.</summary>
    public string MaskedKey => Mask(ApiKey);

    /// <summary>The secret's bytes, for the signer's key schedule only.</summary>
    internal ReadOnlySpan<byte> SecretBytes => _secret;

    /// <summary>Masks any credential for display: the first and last four characters around an ellipsis, or only the ellipsis when it is short.</summary>
    public static string Mask(string? value)
        => value is null || value.Length <= 12 ? "…" : string.Concat(value.AsSpan(0, 4), "…", value.AsSpan(value.Length - 4));

    public override string ToString() => $"ApiCredentials(key {MaskedKey}, secret hidden)";
}
