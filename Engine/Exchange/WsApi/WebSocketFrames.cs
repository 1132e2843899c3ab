using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Engine.Exchange.WsApi;

/// <summary>RFC 6455 opcodes.</summary>
public enum WebSocketOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

/// <summary>
/// Client frames (RFC 6455 §5): the header in front of a payload and the payload masked in place. A client must mask
/// every frame with a fresh 32-bit key.
/// </summary>
/// <remarks>
/// The keys come from a cheap generator (SplitMix64 over a counter seeded once from the system's CSPRNG), not from a
/// CSPRNG per frame. Masking exists so that script running in a browser cannot choose the bytes a proxy sees and poison
/// its cache (RFC 6455 §10.3); none of that applies here: the payloads are the engine's own requests, not an
/// attacker's, and live traffic is inside TLS, where no intermediary reads frames. The generator is unpredictable
/// enough for the letter of the RFC and costs a few nanoseconds with no system call and no lock.
/// </remarks>
public static class WebSocketFrames
{
    /// <summary>The largest client header: 2 bytes, 8 of extended length, 4 of mask key.</summary>
    public const int MaxClientHeaderLength = 14;

    private static long s_maskState = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));

    /// <summary>A new mask key; any thread.</summary>
    public static uint NextMaskKey()
    {
        var z = (ulong)Interlocked.Add(ref s_maskState, unchecked((long)0x9E3779B97F4A7C15UL));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        var key = (uint)(z ^ (z >> 31));
        return key == 0 ? 0x5A5A5A5Au : key;
    }

    /// <summary>Header bytes a masked client frame with <paramref name="payloadLength"/> bytes of payload needs.</summary>
    public static int ClientHeaderLength(int payloadLength) => payloadLength switch
    {
        <= 125 => 6,
        <= ushort.MaxValue => 8,
        _ => 14,
    };

    /// <summary>
    /// Frames the payload at <c>buffer[payloadOffset..payloadOffset+payloadLength]</c> in place: writes the header
    /// immediately before it (the caller left <see cref="ClientHeaderLength"/> bytes of room) and masks the payload.
    /// Returns where the frame starts; the frame ends where the payload ends.
    /// </summary>
    public static int FrameInPlace(Span<byte> buffer, int payloadOffset, int payloadLength, WebSocketOpcode opcode, uint maskKey)
    {
        var headerLength = ClientHeaderLength(payloadLength);
        if (payloadOffset < headerLength)
        {
            throw new ArgumentException($"A {payloadLength}-byte payload needs {headerLength} bytes of room before it; it has {payloadOffset}.", nameof(payloadOffset));
        }

        var start = payloadOffset - headerLength;
        var header = buffer.Slice(start, headerLength);
        header[0] = (byte)(0x80 | (byte)opcode);
        switch (headerLength)
        {
            case 6:
                header[1] = (byte)(0x80 | payloadLength);
                break;
            case 8:
                header[1] = 0x80 | 126;
                BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)payloadLength);
                break;
            default:
                header[1] = 0x80 | 127;
                BinaryPrimitives.WriteUInt64BigEndian(header[2..], (ulong)payloadLength);
                break;
        }

        BinaryPrimitives.WriteUInt32BigEndian(header[(headerLength - 4)..], maskKey);
        Mask(buffer.Slice(payloadOffset, payloadLength), maskKey);
        return start;
    }

    /// <summary>Writes a whole masked client frame of <paramref name="payload"/> to <paramref name="destination"/>; returns its length.</summary>
    public static int WriteFrame(Span<byte> destination, ReadOnlySpan<byte> payload, WebSocketOpcode opcode, uint maskKey)
    {
        var headerLength = ClientHeaderLength(payload.Length);
        payload.CopyTo(destination[headerLength..]);
        var start = FrameInPlace(destination, headerLength, payload.Length, opcode, maskKey);
        return headerLength - start + payload.Length;
    }

    /// <summary>XORs <paramref name="payload"/> with the key (network byte order), eight bytes at a time.</summary>
    public static void Mask(Span<byte> payload, uint maskKey)
    {
        // The key's bytes in wire order, repeated: as a little- or big-endian word, whichever the machine reads.
        Span<byte> keyBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(keyBytes, maskKey);
        BinaryPrimitives.WriteUInt32BigEndian(keyBytes[4..], maskKey);
        var key64 = MemoryMarshal.Read<ulong>(keyBytes);
        var words = MemoryMarshal.Cast<byte, ulong>(payload);
        if (Vector.IsHardwareAccelerated && words.Length >= Vector<ulong>.Count)
        {
            var keyVector = new Vector<ulong>(key64);
            var vectors = MemoryMarshal.Cast<ulong, Vector<ulong>>(words);
            for (var i = 0; i < vectors.Length; i++)
            {
                vectors[i] ^= keyVector;
            }

            words = words[(vectors.Length * Vector<ulong>.Count)..];
        }

        for (var i = 0; i < words.Length; i++)
        {
            words[i] ^= key64;
        }

        var tail = payload.Length & 7;
        for (var i = payload.Length - tail; i < payload.Length; i++)
        {
            payload[i] ^= keyBytes[i & 3];
        }
    }
}
