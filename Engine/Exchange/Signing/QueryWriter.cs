using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Engine.Model;

namespace Engine.Exchange.Signing;

/// <summary>
/// Writes <c>name=value&amp;name=value…</c> into a caller's buffer, percent-encoding values, formatting fixed-point
/// numbers at a given number of decimals and integers in invariant form; then appends <c>&amp;signature=…</c>.
/// Nothing is allocated. Errors (buffer too small, a number with more decimals than asked) are sticky: the
/// writer keeps going harmlessly and <see cref="TryComplete"/> reports the first one, so a builder checks once.
/// </summary>
public ref struct QueryWriter
{
    private readonly Span<byte> _buffer;
    private int _length;
    private QueryWriteError _error;

    public QueryWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _length = 0;
        _error = QueryWriteError.None;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _length;

    /// <summary>The parameters written so far: the bytes a signature covers.</summary>
    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    /// <summary>The first error, or <see cref="QueryWriteError.None"/>.</summary>
    public readonly QueryWriteError Error => _error;

    /// <summary>Appends <paramref name="name"/>=<paramref name="value"/>, percent-encoding the value's bytes outside the unreserved set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (!BeginParameter(name))
        {
            return;
        }

        // Symbols, enums and our client ids are plain ASCII: one vectorised scan, one copy.
        var clean = value.IndexOfAnyExcept(Unreserved);
        if (clean < 0)
        {
            Append(value);
            return;
        }

        Append(value[..clean]);
        foreach (var b in value[clean..])
        {
            if (Unreserved.Contains(b))
            {
                Put(b);
            }
            else
            {
                Put((byte)'%');
                Put(HexUpper(b >> 4));
                Put(HexUpper(b & 0xF));
            }
        }
    }

    /// <summary>
    /// Appends a value known to need no encoding (an enum's wire name: <c>BUY</c>, <c>LIMIT</c>, <c>GTC</c>), skipping the
    /// scan. Only for values from this code base's own constant tables, never for caller data.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void AddWireName(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Debug.Assert(value.IndexOfAnyExcept(Unreserved) < 0, "a wire name that needs encoding must go through Add");
        if (BeginParameter(name))
        {
            Append(value);
        }
    }

    /// <summary>Appends an integer parameter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ReadOnlySpan<byte> name, long value)
    {
        if (!BeginParameter(name))
        {
            return;
        }

        if (!Utf8Formatter.TryFormat(value, _buffer[_length..], out var written))
        {
            Fail(QueryWriteError.BufferTooSmall);
            return;
        }

        _length += written;
    }

    /// <summary>Appends <c>true</c> or <c>false</c>, the way Binance spells booleans in requests.</summary>
    public void Add(ReadOnlySpan<byte> name, bool value) => AddWireName(name, value ? "true"u8 : "false"u8);

    /// <summary>Appends a price with exactly <paramref name="decimals"/> decimals; fails if the price has more (round first).</summary>
    public void Add(ReadOnlySpan<byte> name, Price value, int decimals) => AddFixed(name, value.Mantissa, decimals);

    /// <summary>Appends a quantity with exactly <paramref name="decimals"/> decimals; fails if the quantity has more (round first).</summary>
    public void Add(ReadOnlySpan<byte> name, Quantity value, int decimals) => AddFixed(name, value.Mantissa, decimals);

    /// <summary>Signs everything written so far and appends <c>&amp;signature=</c> and the signer's signature (query-encoded).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void AppendSignature(IRequestSigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (_error != QueryWriteError.None)
        {
            return;
        }

        const int overhead = 11; // "&signature="
        if (_buffer.Length - _length < overhead + signer.MaxQuerySignatureLength)
        {
            Fail(QueryWriteError.BufferTooSmall);
            return;
        }

        _length = AppendSignature(_buffer, _length, signer);
    }

    /// <summary>Room a signature by <paramref name="signer"/> takes after a query: <c>&amp;signature=</c> and the value.</summary>
    public static int SignatureRoom(IRequestSigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return 11 + signer.MaxQuerySignatureLength;
    }

    /// <summary>
    /// Appends <c>&amp;signature=…</c> over <c>buffer[..length]</c> (a query written earlier, with
    /// <see cref="SignatureRoom"/> left after it); returns the new length.
    /// </summary>
    public static int AppendSignature(Span<byte> buffer, int length, IRequestSigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length + SignatureRoom(signer), buffer.Length);
        var payload = buffer[..length];
        var tail = buffer[length..];
        "&signature="u8.CopyTo(tail);
        return length + 11 + signer.SignForQuery(payload, tail[11..]);
    }

    /// <summary>Returns the length written, or false with the first error.</summary>
    public readonly bool TryComplete(out int length, out QueryWriteError error)
    {
        error = _error;
        length = _error == QueryWriteError.None ? _length : 0;
        return _error == QueryWriteError.None;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddFixed(ReadOnlySpan<byte> name, long mantissa, int decimals)
    {
        if (!BeginParameter(name))
        {
            return;
        }

        if (!FixedPoint.TryFormat(mantissa, _buffer[_length..], out var written, decimals))
        {
            // Formatting fails for two reasons; telling them apart is worth a division only when it failed.
            Fail(FixedPoint.DecimalsOf(mantissa) > decimals ? QueryWriteError.TooManyDecimals : QueryWriteError.BufferTooSmall);
            return;
        }

        _length += written;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (!bytes.TryCopyTo(_buffer[_length..]))
        {
            Fail(QueryWriteError.BufferTooSmall);
            return;
        }

        _length += bytes.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool BeginParameter(ReadOnlySpan<byte> name)
    {
        if (_error != QueryWriteError.None)
        {
            return false;
        }

        var needed = name.Length + 1 + (_length == 0 ? 0 : 1);
        if (_buffer.Length - _length < needed)
        {
            Fail(QueryWriteError.BufferTooSmall);
            return false;
        }

        if (_length != 0)
        {
            _buffer[_length++] = (byte)'&';
        }

        name.CopyTo(_buffer[_length..]);
        _length += name.Length;
        _buffer[_length++] = (byte)'=';
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Put(byte b)
    {
        if (_length >= _buffer.Length)
        {
            Fail(QueryWriteError.BufferTooSmall);
            return;
        }

        _buffer[_length++] = b;
    }

    private void Fail(QueryWriteError error)
    {
        if (_error == QueryWriteError.None)
        {
            _error = error;
        }
    }

    // RFC 3986 unreserved characters travel as they are; everything else (including UTF-8 bytes of non-ASCII
    // symbols, ':' and '/' in client order ids, and the JSON of batchOrders) is percent-encoded.
    private static readonly SearchValues<byte> Unreserved =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"u8);

    private static byte HexUpper(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'A' + nibble - 10);
}

/// <summary>Why a query could not be written.</summary>
public enum QueryWriteError : byte
{
    None = 0,

    /// <summary>The caller's buffer is too small for the query and its signature.</summary>
    BufferTooSmall,

    /// <summary>A price or quantity has more decimals than the symbol allows; round it to the tick or step first.</summary>
    TooManyDecimals,

    /// <summary>The order cannot go to this endpoint: a conditional type (algo-order service) or a limit order without a time in force.</summary>
    UnsupportedOrder,
}
