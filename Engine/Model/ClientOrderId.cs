using System.Buffers.Text;

namespace Engine.Model;

/// <summary>
/// The engine's client order ids on the wire: <c>e</c> followed by the id's decimal digits (at most 20 characters,
/// inside the venue's <c>^[\.A-Z\:/a-z0-9_-]{1,36}$</c>). Numeric in the ring, text only at the venue edge; an id
/// that does not have this form (an order placed by hand, another program) does not parse, so the engine can tell
/// its own orders from others'.
/// </summary>
public static class ClientOrderId
{
    /// <summary>The longest wire form: the prefix and the 19 digits of <see cref="long.MaxValue"/>.</summary>
    public const int MaxLength = 20;

    private const byte Prefix = (byte)'e';

    /// <summary>Writes the wire form of <paramref name="id"/> (positive) to <paramref name="destination"/>; returns the bytes written, or 0 when it does not fit.</summary>
    public static int Format(long id, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(id);
        if (destination.Length < 2)
        {
            return 0;
        }

        destination[0] = Prefix;
        return Utf8Formatter.TryFormat(id, destination[1..], out var written) ? written + 1 : 0;
    }

    /// <summary>Reads a wire form written by <see cref="Format"/>; false for any other text (including leading zeros, signs, and zero).</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out long id)
    {
        id = 0;
        if (text.Length < 2 || text.Length > MaxLength || text[0] != Prefix || text[1] == (byte)'0')
        {
            return false;
        }

        long value = 0;
        for (var i = 1; i < text.Length; i++)
        {
            var digit = (uint)(text[i] - '0');
            if (digit > 9 || value > (long.MaxValue - digit) / 10)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        id = value;
        return true;
    }
}
