using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Simulator;

/// <summary>
/// The parameters of one call: for REST the raw query string and raw form body as received (for the signature) and
/// their decoded values (query wins over body, as on the real venue); for the WebSocket API the request's params object.
/// </summary>
internal sealed class RequestParams
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly string _signedPayload;

    public RequestParams(string rawQuery, string rawBody)
    {
        RawQuery = rawQuery.StartsWith('?') ? rawQuery[1..] : rawQuery;
        RawBody = rawBody;
        var fromQuery = Parse(RawQuery);
        var fromBody = Parse(RawBody);
        foreach (var (k, v) in fromQuery)
        {
            _values[k] = v;
        }

        foreach (var (k, v) in fromBody)
        {
            _values.TryAdd(k, v);
        }

        Duplicate = HasDuplicate(fromQuery) || HasDuplicate(fromBody);
        _signedPayload = StripSignature(RawQuery) + StripSignature(RawBody);
    }

    // a WebSocket API request: the values are already decoded and the payload is built from them
    private RequestParams(Dictionary<string, string> values)
    {
        RawQuery = "";
        RawBody = "";
        _values = values;
        _signedPayload = string.Join('&', values.Where(kv => kv.Key != "signature").OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));
    }

    /// <summary>
    /// The params of a WebSocket API request (names unique, JSON values as text: strings as they are, numbers as
    /// written, true/false). Its signed payload is every param but signature, sorted by name, joined k=v&amp;… (§12).
    /// </summary>
    public static RequestParams FromWebSocket(Dictionary<string, string> values) => new(values);

    public string RawQuery { get; }

    public string RawBody { get; }

    public bool Duplicate { get; }

    public IEnumerable<string> Names => _values.Keys;

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    public string Required(string name) => Get(name) ?? throw VenueException.Mandatory(name);

    public long? Long(string name)
    {
        var v = Get(name);
        if (v is null)
        {
            return null;
        }

        return long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var x) ? x : throw VenueException.Mandatory(name);
    }

    public long RequiredLong(string name) => Long(name) ?? throw VenueException.Mandatory(name);

    /// <summary>A plain decimal (no exponent, no thousands separator); malformed answers -1102 like the real venue.</summary>
    public decimal? Decimal(string name)
    {
        var v = Get(name);
        if (v is null)
        {
            return null;
        }

        return decimal.TryParse(v, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var x)
            ? x
            : throw VenueException.Mandatory(name);
    }

    public bool Bool(string name)
    {
        var v = Get(name);
        return v switch
        {
            null => false,
            "true" or "TRUE" or "True" => true,
            "false" or "FALSE" or "False" => false,
            _ => throw VenueException.Bad(-1130, $"Data sent for parameter '{name}' is not valid."),
        };
    }

    /// <summary>
    /// The signed payload. REST: raw query immediately followed by raw body, each without its signature parameter.
    /// WebSocket API: every param but signature, sorted by name.
    /// </summary>
    public string SignedPayload() => _signedPayload;

    public string? Signature => Get("signature");

    public static string Sign(string secret, string payload)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload));
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>HMAC-SHA256 check; Binance treats the hex case-insensitively.</summary>
    public static bool Verify(string secret, string payload, string signature)
    {
        var expected = Encoding.ASCII.GetBytes(Sign(secret, payload));
        var given = Encoding.ASCII.GetBytes(signature.ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private static string StripSignature(string raw)
    {
        if (raw.Length == 0)
        {
            return raw;
        }

        var parts = raw.Split('&');
        var kept = parts.Where(p => !p.StartsWith("signature=", StringComparison.Ordinal));
        return string.Join('&', kept);
    }

    private static List<(string Key, string Value)> Parse(string raw)
    {
        var list = new List<(string, string)>();
        if (string.IsNullOrEmpty(raw))
        {
            return list;
        }

        foreach (var part in raw.Split('&'))
        {
            if (part.Length == 0)
            {
                continue;
            }

            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            list.Add((Uri.UnescapeDataString(key.Replace('+', ' ')), Uri.UnescapeDataString(value.Replace('+', ' '))));
        }

        return list;
    }

    private static bool HasDuplicate(List<(string Key, string Value)> list)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return list.Exists(p => !seen.Add(p.Key));
    }
}
