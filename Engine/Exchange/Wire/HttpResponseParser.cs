using System.Buffers.Text;
using System.Text;

namespace Engine.Exchange.Wire;

/// <summary>What <see cref="HttpResponseParser.TryParse"/> found at the start of the bytes it was given.</summary>
public enum HttpParseResult : byte
{
    /// <summary>The response is not all there yet: call again with more bytes after these.</summary>
    Incomplete,

    /// <summary>One whole response was read; the parser's properties describe it until the next call.</summary>
    Complete,

    /// <summary>The bytes are not an HTTP/1.1 response the order path can read; <see cref="HttpResponseParser.Problem"/> says why. The connection must end.</summary>
    Invalid,
}

/// <summary>
/// Reads HTTP/1.1 responses off an order connection without allocating: the status line, the headers the order path
/// needs (<c>Content-Length</c>, <c>Transfer-Encoding: chunked</c>, <c>Connection: close</c>, <c>Retry-After</c>, the
/// venue's <c>X-MBX-*</c> counts) and the body, de-chunked into the parser's own buffer. Belongs to one connection's
/// reader thread.
/// </summary>
/// <remarks>
/// It reads a response only once all of it has arrived (the connection hands the unconsumed bytes again with more
/// after them): order answers are a few hundred bytes, so the rare split response costs a second scan, not a state
/// machine. Interim <c>1xx</c> responses are skipped. A response whose end only the connection's close would mark
/// (neither <c>Content-Length</c> nor chunked), a compressed body, or a body over the parser's limit is
/// <see cref="HttpParseResult.Invalid"/>: the engine never asks for those.
/// </remarks>
public sealed class HttpResponseParser
{
    /// <summary>The most <c>X-MBX-*</c> headers one response's counts are kept from.</summary>
    public const int MaxRateLimitHeaders = 8;

    /// <summary>The longest <c>X-MBX-*</c> header name kept (Binance's are about 22 characters).</summary>
    public const int MaxRateLimitHeaderName = 48;

    /// <summary>The most bytes a response's status line and headers may take.</summary>
    public const int MaxHeadBytes = 16 * 1024;

    private const int MaxChunkLine = 256;

    private readonly byte[] _body;
    private readonly byte[] _rateLimitNames = new byte[MaxRateLimitHeaders * MaxRateLimitHeaderName];
    private readonly int[] _rateLimitNameLengths = new int[MaxRateLimitHeaders];
    private readonly int[] _rateLimitValues = new int[MaxRateLimitHeaders];
    private int _bodyLength;

    /// <param name="maxBodyBytes">The largest body read; an order answer is well under 2 KiB.</param>
    public HttpResponseParser(int maxBodyBytes = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBodyBytes, 256);
        _body = new byte[maxBodyBytes];
    }

    /// <summary>The response's status code.</summary>
    public int StatusCode { get; private set; }

    /// <summary>The server will close the connection after this response (<c>Connection: close</c>, or an HTTP/1.0 answer without keep-alive).</summary>
    public bool ConnectionClose { get; private set; }

    /// <summary><c>Retry-After</c> as seconds, or -1 when the response carried none (or carried a date: see <see cref="RetryAfterDateUnixMs"/>).</summary>
    public long RetryAfterSeconds { get; private set; }

    /// <summary><c>Retry-After</c> as an HTTP date, in Unix milliseconds; 0 when absent.</summary>
    public long RetryAfterDateUnixMs { get; private set; }

    /// <summary>How many <c>X-MBX-*</c> counts the response carried (at most <see cref="MaxRateLimitHeaders"/>).</summary>
    public int RateLimitHeaderCount { get; private set; }

    /// <summary>Why the last <see cref="TryParse"/> answered <see cref="HttpParseResult.Invalid"/>.</summary>
    public string? Problem { get; private set; }

    /// <summary>The body (de-chunked), valid until the next <see cref="TryParse"/>.</summary>
    public ReadOnlySpan<byte> Body => _body.AsSpan(0, _bodyLength);

    /// <summary>The name of the <paramref name="index"/>-th <c>X-MBX-*</c> header, as sent.</summary>
    public ReadOnlySpan<byte> RateLimitHeaderName(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)RateLimitHeaderCount);
        return _rateLimitNames.AsSpan(index * MaxRateLimitHeaderName, _rateLimitNameLengths[index]);
    }

    /// <summary>The count the <paramref name="index"/>-th <c>X-MBX-*</c> header carried.</summary>
    public int RateLimitHeaderValue(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)RateLimitHeaderCount);
        return _rateLimitValues[index];
    }

    /// <summary>Reads one response from the start of <paramref name="data"/>; <paramref name="consumed"/> is its length when complete (interim 1xx answers included), else 0.</summary>
    public HttpParseResult TryParse(ReadOnlySpan<byte> data, out int consumed)
    {
        consumed = 0;
        var offset = 0;
        while (true)
        {
            var result = TryParseOne(data[offset..], out var used);
            if (result != HttpParseResult.Complete)
            {
                return result;
            }

            offset += used;
            if (StatusCode is >= 100 and < 200)
            {
                // 100 Continue and 103 Early Hints come before the real answer; 101 would switch protocols, which no order request asks for.
                if (StatusCode == 101)
                {
                    return Fail("the server switched protocols (HTTP 101)");
                }

                continue;
            }

            consumed = offset;
            return HttpParseResult.Complete;
        }
    }

    private HttpParseResult TryParseOne(ReadOnlySpan<byte> data, out int consumed)
    {
        consumed = 0;
        Reset();
        var headEnd = data.IndexOf("\r\n\r\n"u8);
        if (headEnd < 0)
        {
            return data.Length > MaxHeadBytes ? Fail("the response head is longer than 16 KiB") : HttpParseResult.Incomplete;
        }

        var head = data[..(headEnd + 2)];
        var lineEnd = head.IndexOf("\r\n"u8);
        if (!TryReadStatusLine(head[..lineEnd], out var keepAliveByDefault))
        {
            return HttpParseResult.Invalid;
        }

        var contentLength = -1L;
        var chunked = false;
        var keepAlive = false;
        var rest = head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            lineEnd = rest.IndexOf("\r\n"u8);
            var line = rest[..lineEnd];
            rest = rest[(lineEnd + 2)..];
            if (line.IsEmpty || line[0] is (byte)' ' or (byte)'\t')
            {
                return Fail("a folded or empty header line");
            }

            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                return Fail("a header line without a name");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long length, out var digits) || digits != value.Length || length < 0
                    || (contentLength >= 0 && contentLength != length))
                {
                    return Fail("a Content-Length that is not one non-negative number");
                }

                contentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                // Only chunked is ever sent to a client that asks for no compression; it must be the last coding.
                var last = value[(value.LastIndexOf((byte)',') + 1)..].Trim(" \t"u8);
                if (!Ascii.EqualsIgnoreCase(last, "chunked"u8) || value.IndexOf((byte)',') >= 0)
                {
                    return Fail("a transfer coding other than chunked");
                }

                chunked = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                ConnectionClose |= HasToken(value, "close"u8);
                keepAlive |= HasToken(value, "keep-alive"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Content-Encoding"u8))
            {
                if (!Ascii.EqualsIgnoreCase(value, "identity"u8))
                {
                    return Fail("a compressed body (Content-Encoding), which the engine never asks for");
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Retry-After"u8))
            {
                ReadRetryAfter(value);
            }
            else if (name.Length > 6 && Ascii.EqualsIgnoreCase(name[..6], "X-MBX-"u8))
            {
                KeepRateLimit(name, value);
            }
        }

        ConnectionClose |= !keepAliveByDefault && !keepAlive;
        var bodyStart = headEnd + 4;
        if (StatusCode is (>= 100 and < 200) or 204 or 304)
        {
            consumed = bodyStart;
            return HttpParseResult.Complete;
        }

        if (chunked)
        {
            return TryReadChunked(data, bodyStart, out consumed);
        }

        if (contentLength < 0)
        {
            return Fail("a response without Content-Length or chunked framing (it would end only when the connection closes)");
        }

        if (contentLength > _body.Length)
        {
            return Fail("a body larger than the parser's limit");
        }

        if (data.Length - bodyStart < contentLength)
        {
            return HttpParseResult.Incomplete;
        }

        data.Slice(bodyStart, (int)contentLength).CopyTo(_body);
        _bodyLength = (int)contentLength;
        consumed = bodyStart + (int)contentLength;
        return HttpParseResult.Complete;
    }

    private bool TryReadStatusLine(ReadOnlySpan<byte> line, out bool keepAliveByDefault)
    {
        // "HTTP/1.1 200 OK": the reason phrase may be empty or missing.
        keepAliveByDefault = false;
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[8] != (byte)' ' || (line.Length > 12 && line[12] != (byte)' '))
        {
            Fail("not an HTTP/1.x status line");
            return false;
        }

        var status = 0;
        for (var i = 9; i < 12; i++)
        {
            var digit = (uint)(line[i] - '0');
            if (digit > 9)
            {
                Fail("a status code that is not three digits");
                return false;
            }

            status = (status * 10) + (int)digit;
        }

        StatusCode = status;
        keepAliveByDefault = line[7] == (byte)'1';
        return true;
    }

    private HttpParseResult TryReadChunked(ReadOnlySpan<byte> data, int start, out int consumed)
    {
        consumed = 0;
        var position = start;
        while (true)
        {
            var lineLength = data[position..].IndexOf("\r\n"u8);
            if (lineLength < 0)
            {
                return data.Length - position > MaxChunkLine ? Fail("a chunk-size line longer than 256 bytes") : HttpParseResult.Incomplete;
            }

            var sizeText = data.Slice(position, lineLength);
            var extension = sizeText.IndexOf((byte)';');
            if (extension >= 0)
            {
                sizeText = sizeText[..extension];
            }

            sizeText = sizeText.Trim(" \t"u8);
            if (sizeText.IsEmpty || sizeText.Length > 8 || !Utf8Parser.TryParse(sizeText, out int size, out var digits, 'x') || digits != sizeText.Length)
            {
                return Fail("a chunk size that is not a hexadecimal number");
            }

            position += lineLength + 2;
            if (size == 0)
            {
                // Trailer lines (none expected) up to the empty line that ends the message.
                while (true)
                {
                    var trailer = data[position..].IndexOf("\r\n"u8);
                    if (trailer < 0)
                    {
                        return data.Length - position > MaxHeadBytes ? Fail("trailers longer than 16 KiB") : HttpParseResult.Incomplete;
                    }

                    position += trailer + 2;
                    if (trailer == 0)
                    {
                        consumed = position;
                        return HttpParseResult.Complete;
                    }
                }
            }

            if (size > _body.Length - _bodyLength)
            {
                return Fail("a body larger than the parser's limit");
            }

            if (data.Length - position < size + 2)
            {
                return HttpParseResult.Incomplete;
            }

            data.Slice(position, size).CopyTo(_body.AsSpan(_bodyLength));
            _bodyLength += size;
            position += size;
            if (data[position] != (byte)'\r' || data[position + 1] != (byte)'\n')
            {
                return Fail("chunk data not followed by CRLF");
            }

            position += 2;
        }
    }

    private void ReadRetryAfter(ReadOnlySpan<byte> value)
    {
        if (Utf8Parser.TryParse(value, out long seconds, out var digits) && digits == value.Length && seconds >= 0)
        {
            RetryAfterSeconds = seconds;
        }
        else if (Utf8Parser.TryParse(value, out DateTimeOffset date, out digits, 'R') && digits == value.Length)
        {
            RetryAfterDateUnixMs = date.ToUnixTimeMilliseconds();
        }
    }

    private void KeepRateLimit(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var index = RateLimitHeaderCount;
        if (index == MaxRateLimitHeaders || name.Length > MaxRateLimitHeaderName
            || !Utf8Parser.TryParse(value, out int used, out var digits) || digits != value.Length || used < 0)
        {
            return;
        }

        name.CopyTo(_rateLimitNames.AsSpan(index * MaxRateLimitHeaderName));
        _rateLimitNameLengths[index] = name.Length;
        _rateLimitValues[index] = used;
        RateLimitHeaderCount = index + 1;
    }

    private static bool HasToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), token))
            {
                return true;
            }
        }

        return false;
    }

    private void Reset()
    {
        StatusCode = 0;
        ConnectionClose = false;
        RetryAfterSeconds = -1;
        RetryAfterDateUnixMs = 0;
        RateLimitHeaderCount = 0;
        Problem = null;
        _bodyLength = 0;
    }

    private HttpParseResult Fail(string problem)
    {
        Problem = problem;
        return HttpParseResult.Invalid;
    }
}
