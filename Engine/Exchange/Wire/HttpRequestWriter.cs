using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;

namespace Engine.Exchange.Wire;

/// <summary>
/// The part of every request head that is the same for each request to one venue with one key: <c>Host</c>,
/// <c>X-MBX-APIKEY</c> and <c>Connection: keep-alive</c>, as bytes built once at start.
/// </summary>
/// <remarks>
/// It holds the API key in clear (the header is the one place the key goes unmasked); <see cref="ToString"/> shows
/// it masked, and the bytes are reachable only inside the engine.
/// </remarks>
public sealed class RestRequestHead
{
    private readonly byte[] _fixedHeaders;
    private readonly string _description;

    /// <summary>Builds the head for the venue at <paramref name="baseAddress"/> (its authority becomes <c>Host</c>) and the key of <paramref name="credentials"/>.</summary>
    public RestRequestHead(Uri baseAddress, ApiCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        ArgumentNullException.ThrowIfNull(credentials);
        if (!baseAddress.IsAbsoluteUri)
        {
            throw new ArgumentException($"'{baseAddress}' is not an absolute URI.", nameof(baseAddress));
        }

        // Authority leaves out a scheme's default port, as a browser's Host header does.
        var host = baseAddress.IdnHost + (baseAddress.IsDefaultPort ? string.Empty : ":" + baseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _fixedHeaders = Encoding.ASCII.GetBytes($"Host: {host}\r\nX-MBX-APIKEY: {credentials.ApiKey}\r\nConnection: keep-alive\r\n");
        Host = host;
        _description = $"Host {host}, API key {credentials.MaskedKey}";
    }

    /// <summary>The <c>Host</c> header's value.</summary>
    public string Host { get; }

    /// <summary>The header lines every request carries, each ending in CRLF.</summary>
    internal ReadOnlySpan<byte> FixedHeaders => _fixedHeaders;

    /// <summary>The most bytes a request head takes besides its path, parameters and Content-Length digits.</summary>
    internal int FixedLength => _fixedHeaders.Length;

    /// <inheritdoc/>
    public override string ToString() => _description;
}

/// <summary>
/// Writes one HTTP/1.1 order request (request line, headers, form body) into a caller's buffer without allocating:
/// <c>POST /fapi/v1/order</c> and <c>POST /fapi/v1/algoOrder</c> carry the signed parameters as an
/// <c>application/x-www-form-urlencoded</c> body, <c>DELETE</c> and <c>GET</c> carry them in the query string, as the
/// REST client sends them. The parameters arrive already encoded and signed.
/// </summary>
/// <remarks>
/// Errors are sticky: a buffer too small, or parameters that could break the request line, leave
/// <see cref="TryComplete"/> false and nothing is sent.
/// </remarks>
public ref struct HttpRequestWriter
{
    /// <summary>Room for the request line, the variable headers and the path, beyond <see cref="RestRequestHead"/>'s bytes and the parameters.</summary>
    public const int Overhead = 192;

    private readonly Span<byte> _buffer;
    private int _length;
    private bool _failed;

    public HttpRequestWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _length = 0;
        _failed = false;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _length;

    /// <summary>The request written so far.</summary>
    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    /// <summary>The buffer size a request with <paramref name="parametersLength"/> bytes of parameters needs at most.</summary>
    public static int MaxLength(RestRequestHead head, int parametersLength)
    {
        ArgumentNullException.ThrowIfNull(head);
        return head.FixedLength + parametersLength + Overhead;
    }

    /// <summary>
    /// Writes the request for <paramref name="kind"/>: <see cref="OrderRequestKind.Place"/> POST, <see cref="OrderRequestKind.Cancel"/>
    /// DELETE and <see cref="OrderRequestKind.Status"/> GET on <c>/fapi/v1/order</c>; <see cref="OrderRequestKind.AlgoPlace"/>
    /// POST and <see cref="OrderRequestKind.AlgoCancel"/> DELETE on <c>/fapi/v1/algoOrder</c>.
    /// </summary>
    public void WriteOrder(OrderRequestKind kind, RestRequestHead head, ReadOnlySpan<byte> signedParameters)
    {
        ArgumentNullException.ThrowIfNull(head);
        var index = (int)kind;
        if ((uint)index >= (uint)s_orderLines.Length || s_orderLines[index] is not { } line)
        {
            _failed = true;
        }
        else if (s_orderCarriesBody[index])
        {
            WriteWithBody(line, head, signedParameters);
        }
        else
        {
            WriteWithQuery(line, head, signedParameters);
        }
    }

    // Each order request's start, from the encoder's one table of routes: "POST /path HTTP/1.1\r\n" for a form body,
    // "DELETE /path?" or "GET /path?" for a query that follows in the request line.
    private static readonly byte[]?[] s_orderLines = OrderLines(out s_orderCarriesBody);
    private static readonly bool[] s_orderCarriesBody;

    private static byte[]?[] OrderLines(out bool[] carriesBody)
    {
        var kinds = Enum.GetValues<OrderRequestKind>();
        var lines = new byte[]?[kinds.Max(k => (int)k) + 1];
        carriesBody = new bool[lines.Length];
        foreach (var kind in kinds)
        {
            if (kind == OrderRequestKind.None)
            {
                continue;
            }

            var (method, path) = OrderEncoder.RestRoute(kind);
            var body = method == "POST";
            carriesBody[(int)kind] = body;
            lines[(int)kind] = Encoding.ASCII.GetBytes(body ? $"{method} {path} HTTP/1.1\r\n" : $"{method} {path}?");
        }

        return lines;
    }

    /// <summary>Writes <c>GET /fapi/v1/time</c>: the cheapest request (weight 1), used to open and warm a connection.</summary>
    public void WriteServerTime(RestRequestHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        Append("GET /fapi/v1/time HTTP/1.1\r\n"u8);
        Append(head.FixedHeaders);
        Append("\r\n"u8);
    }

    /// <summary>True with the request's length when every byte was written; false when the buffer was too small or the request was refused.</summary>
    public readonly bool TryComplete(out int length)
    {
        length = _failed ? 0 : _length;
        return !_failed;
    }

    private void WriteWithBody(ReadOnlySpan<byte> requestLine, RestRequestHead head, ReadOnlySpan<byte> body)
    {
        Append(requestLine);
        Append(head.FixedHeaders);
        Append("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "u8);
        if (!_failed && Utf8Formatter.TryFormat(body.Length, _buffer[_length..], out var digits))
        {
            _length += digits;
        }
        else
        {
            _failed = true;
        }

        Append("\r\n\r\n"u8);
        Append(body);
    }

    private void WriteWithQuery(ReadOnlySpan<byte> methodAndPath, RestRequestHead head, ReadOnlySpan<byte> query)
    {
        // The query sits in the request line: a space or line break in it would end the line and let the rest be read as headers.
        if (query.IndexOfAny(" \r\n"u8) >= 0)
        {
            _failed = true;
            return;
        }

        Append(methodAndPath);
        Append(query);
        Append(" HTTP/1.1\r\n"u8);
        Append(head.FixedHeaders);
        Append("\r\n"u8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_failed || bytes.Length > _buffer.Length - _length)
        {
            _failed = true;
            return;
        }

        bytes.CopyTo(_buffer[_length..]);
        _length += bytes.Length;
    }
}
