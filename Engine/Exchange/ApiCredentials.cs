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

    /// <summary>The longest key or secret taken (Binance's are 64 characters).</summary>
    public const int MaxLength = 256;

    /// <summary>
    /// Takes a key and a secret, surrounding whitespace trimmed; throws <see cref="ArgumentException"/> (never quoting
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
    }

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

    /// <summary>The secret's bytes, for the signer's key schedule only.</summary>
    internal ReadOnlySpan<byte> SecretBytes => _secret;

    /// <summary>Masks any credential for display: the first and last four characters around an ellipsis, or only the ellipsis when it is short.</summary>
    public static string Mask(string? value)
        => value is null || value.Length <= 12 ? "…" : string.Concat(value.AsSpan(0, 4), "…", value.AsSpan(value.Length - 4));

    public override string ToString() => $"ApiCredentials(key {MaskedKey}, secret hidden)";
}
