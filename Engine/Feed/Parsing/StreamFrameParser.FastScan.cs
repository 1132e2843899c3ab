using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Engine.Feed.Parsing;

/// <summary>
/// The fast path: a hand-written scanner for the JSON Binance actually sends (an object root, ASCII strings without
/// escapes, shallow nesting). It records the same fields as the <see cref="Utf8JsonReader"/> pass and accepts only
/// text that is valid JSON; on anything else it gives up and the reader pass reads the frame from scratch, so the
/// reader alone decides what is invalid. About twice as fast as the reader on real frames (see
/// Benchmarks/results/FeedParserBenchmarks.md).
/// </summary>
public sealed partial class StreamFrameParser
{
    // Deeper frames go to the reader, which applies JSON's usual limit of 64.
    private const int MaxFastDepth = 16;

    private const byte Ordinary = 0;
    private const byte Quote = 1;
    private const byte GiveUp = 2;

    // Per byte inside a string: the closing quote, an ordinary byte, or one the fast path leaves to the reader
    // (a backslash escape, a control byte, which JSON forbids, or a non-ASCII byte).
    private static readonly byte[] _stringBytes = StringBytes();

    private static byte[] StringBytes()
    {
        var table = new byte[256];
        for (var b = 0; b < 256; b++)
        {
            table[b] = b switch
            {
                '"' => Quote,
                '\\' => GiveUp,
                < 0x20 or >= 0x80 => GiveUp,
                _ => Ordinary,
            };
        }

        return table;
    }

    /// <summary>The fast scanner alone, for the benchmark's breakdown of where a frame's time goes.</summary>
    internal bool ScanOnly(ReadOnlySpan<byte> frame)
    {
        NewGeneration();
        return FastScan(frame);
    }

    private bool FastScan(ReadOnlySpan<byte> frame)
    {
        var i = SkipWhitespace(frame, 0);
        if (i >= frame.Length || frame[i] != (byte)'{')
        {
            return false;
        }

        _rootType = JsonTokenType.StartObject;
        i = FastObject(frame, i, RootTable, 1);
        return i >= 0 && SkipWhitespace(frame, i) == frame.Length;
    }

    // Scans the object whose '{' is at `i` and returns the index after its '}', or -1 to give up. Fields with known
    // names are recorded in `table` (-1: an object the parser does not read).
    private int FastObject(ReadOnlySpan<byte> frame, int i, int table, int depth)
    {
        var payload = table is RootTable or DataTable;
        i = SkipWhitespace(frame, i + 1);
        if (i < frame.Length && frame[i] == (byte)'}')
        {
            return i + 1;
        }

        while (true)
        {
            if (i >= frame.Length || frame[i] != (byte)'"')
            {
                return -1;
            }

            var nameEnd = StringEnd(frame, i + 1);
            if (nameEnd < 0)
            {
                return -1;
            }

            var slot = table >= 0 ? Slot(frame[(i + 1)..nameEnd], payload) : (byte)0;
            i = SkipWhitespace(frame, nameEnd + 1);
            if (i >= frame.Length || frame[i] != (byte)':')
            {
                return -1;
            }

            i = SkipWhitespace(frame, i + 1);
            if (i >= frame.Length)
            {
                return -1;
            }

            int end;
            JsonTokenType type;
            switch (frame[i])
            {
                case (byte)'"':
                    end = StringEnd(frame, i + 1);
                    if (end < 0)
                    {
                        return -1;
                    }

                    if (slot != 0)
                    {
                        Record(table, slot, JsonTokenType.String, i + 1, end - i - 1);
                    }

                    i = end + 1;
                    break;
                case (byte)'{':
                    if (depth >= MaxFastDepth)
                    {
                        return -1;
                    }

                    var inner = -1;
                    if (slot != 0)
                    {
                        Record(table, slot, JsonTokenType.StartObject, 0, 0);
                        if (table == RootTable && slot == DataSlot)
                        {
                            inner = DataTable;
                        }
                        else if (slot == (byte)'k' && payload)
                        {
                            inner = table == RootTable ? RootKlineTable : DataKlineTable;
                        }
                    }

                    i = FastObject(frame, i, inner, depth + 1);
                    if (i < 0)
                    {
                        return -1;
                    }

                    break;
                case (byte)'[':
                    if (depth >= MaxFastDepth)
                    {
                        return -1;
                    }

                    if (slot != 0)
                    {
                        Record(table, slot, JsonTokenType.StartArray, 0, 0);
                    }

                    i = FastArray(frame, i, depth + 1);
                    if (i < 0)
                    {
                        return -1;
                    }

                    break;
                default:
                    end = Scalar(frame, i, out type);
                    if (end < 0)
                    {
                        return -1;
                    }

                    if (slot != 0)
                    {
                        Record(table, slot, type, i, end - i);
                    }

                    i = end;
                    break;
            }

            i = SkipWhitespace(frame, i);
            if (i >= frame.Length)
            {
                return -1;
            }

            if (frame[i] == (byte)',')
            {
                i = SkipWhitespace(frame, i + 1);
                continue;
            }

            return frame[i] == (byte)'}' ? i + 1 : -1;
        }
    }

    // Scans the array whose '[' is at `i` (nothing in it is recorded) and returns the index after its ']', or -1.
    private int FastArray(ReadOnlySpan<byte> frame, int i, int depth)
    {
        i = SkipWhitespace(frame, i + 1);
        if (i < frame.Length && frame[i] == (byte)']')
        {
            return i + 1;
        }

        while (true)
        {
            if (i >= frame.Length)
            {
                return -1;
            }

            switch (frame[i])
            {
                case (byte)'"':
                    i = StringEnd(frame, i + 1);
                    if (i < 0)
                    {
                        return -1;
                    }

                    i++;
                    break;
                case (byte)'{':
                case (byte)'[':
                    if (depth >= MaxFastDepth)
                    {
                        return -1;
                    }

                    i = frame[i] == (byte)'{' ? FastObject(frame, i, -1, depth + 1) : FastArray(frame, i, depth + 1);
                    if (i < 0)
                    {
                        return -1;
                    }

                    break;
                default:
                    i = Scalar(frame, i, out _);
                    if (i < 0)
                    {
                        return -1;
                    }

                    break;
            }

            i = SkipWhitespace(frame, i);
            if (i >= frame.Length)
            {
                return -1;
            }

            if (frame[i] == (byte)',')
            {
                i = SkipWhitespace(frame, i + 1);
                continue;
            }

            return frame[i] == (byte)']' ? i + 1 : -1;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Record(int table, byte slot, JsonTokenType type, int start, int length)
    {
        ref var field = ref _fields[(table * TableSize) + slot];
        if (field.Generation == _generation)
        {
            _duplicate = true;
        }

        field.Generation = _generation;
        field.Type = type;
        field.InScratch = false;
        field.Start = start;
        field.Length = length;
    }

    // The index of the closing quote of a string whose content starts at `i`, or -1 (end of frame, or a byte the
    // reader must judge). Byte by byte: Binance's strings are a few bytes long, too short for wider steps to pay
    // (an eight-byte SWAR version measured 10-20 % slower per frame).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StringEnd(ReadOnlySpan<byte> frame, int i)
    {
        var table = _stringBytes;
        for (; (uint)i < (uint)frame.Length; i++)
        {
            var kind = table[frame[i]];
            if (kind != Ordinary)
            {
                return kind == Quote ? i : -1;
            }
        }

        return -1;
    }

    // A number (JSON's grammar exactly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?) or true/false/null at `i`;
    // the index after it, or -1. What follows is checked by the container (',', '}', ']' or whitespace).
    private static int Scalar(ReadOnlySpan<byte> frame, int i, out JsonTokenType type)
    {
        var rest = frame[i..];
        switch (frame[i])
        {
            case (byte)'t':
                type = JsonTokenType.True;
                return rest.StartsWith("true"u8) ? i + 4 : -1;
            case (byte)'f':
                type = JsonTokenType.False;
                return rest.StartsWith("false"u8) ? i + 5 : -1;
            case (byte)'n':
                type = JsonTokenType.Null;
                return rest.StartsWith("null"u8) ? i + 4 : -1;
            default:
                type = JsonTokenType.Number;
                return NumberEnd(frame, i);
        }
    }

    private static int NumberEnd(ReadOnlySpan<byte> frame, int i)
    {
        if (frame[i] == (byte)'-')
        {
            i++;
        }

        if (i >= frame.Length)
        {
            return -1;
        }

        if (frame[i] == (byte)'0')
        {
            i++;
        }
        else if (IsDigit(frame[i]))
        {
            i = DigitsEnd(frame, i + 1);
        }
        else
        {
            return -1;
        }

        if (i < frame.Length && frame[i] == (byte)'.')
        {
            var digits = i + 1;
            i = DigitsEnd(frame, digits);
            if (i == digits)
            {
                return -1;
            }
        }

        if (i < frame.Length && (frame[i] | 0x20) == (byte)'e')
        {
            i++;
            if (i < frame.Length && frame[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            var digits = i;
            i = DigitsEnd(frame, digits);
            if (i == digits)
            {
                return -1;
            }
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DigitsEnd(ReadOnlySpan<byte> frame, int i)
    {
        while (i < frame.Length && IsDigit(frame[i]))
        {
            i++;
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhitespace(ReadOnlySpan<byte> frame, int i)
    {
        while (i < frame.Length && frame[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            i++;
        }

        return i;
    }
}
