using System.Buffers.Binary;
using System.Globalization;
using Engine.Model;

namespace Engine.State.Journal;

/// <summary>What replaying the journal rebuilt.</summary>
public sealed class JournalState
{
    /// <summary>The highest run id any run recorded (0 for an empty journal).</summary>
    public long LastRunId { get; internal set; }

    /// <summary>The highest segment number found (the writer continues after it).</summary>
    public long LastSegment { get; internal set; }

    /// <summary>Orders not final yet, by client order id: those a restart must look up at the venue.</summary>
    public Dictionary<long, JournalOrder> OpenOrders { get; } = [];

    /// <summary>Positions folded from every fill (and snapshots).</summary>
    public PositionFold Positions { get; } = new();

    public long Records { get; internal set; }

    /// <summary>Bytes cut from the end of the last segment because its last record was torn (short or failing its CRC).</summary>
    public long TornBytes { get; internal set; }

    /// <summary>What was wrong with the torn record (null when none).</summary>
    public string? TornReason { get; internal set; }

    /// <summary>Applies one record's payload.</summary>
    internal void Apply(ReadOnlySpan<byte> payload)
    {
        var r = new JournalCodec.SpanReader(payload);
        var type = (JournalRecordType)r.Byte();
        switch (type)
        {
            case JournalRecordType.RunStarted:
                LastRunId = Math.Max(LastRunId, r.Long());
                break;
            case JournalRecordType.Intent:
            {
                var order = JournalCodec.ReadOrderHead(ref r);
                OpenOrders[order.ClientOrderId] = order;
                break;
            }

            case JournalRecordType.Update:
            {
                var id = r.Long();
                var symbol = r.Symbol();
                var side = (Side)r.Byte();
                var orderId = r.Long();
                var status = (OrderStatus)r.Byte();
                var filled = Quantity.FromMantissa(r.Long());
                var quote = Notional.FromMantissa(r.Long());
                var lastQuantity = Quantity.FromMantissa(r.Long());
                var lastPrice = Price.FromMantissa(r.Long());
                var acknowledged = r.Byte() != 0;
                Positions.Apply(symbol, side, lastQuantity, lastPrice);
                if (OpenOrders.TryGetValue(id, out var order))
                {
                    order.OrderId = orderId;
                    order.Status = status;
                    order.Filled = filled;
                    order.FilledQuote = quote;
                    order.Acknowledged |= acknowledged;
                    if (order.IsFinal)
                    {
                        OpenOrders.Remove(id);
                    }
                }

                break;
            }

            case JournalRecordType.Resent:
            {
                var id = r.Long();
                var timestamp = r.Long();
                if (OpenOrders.TryGetValue(id, out var order))
                {
                    order.SignedTimestampMs = timestamp;
                }

                break;
            }

            case JournalRecordType.Snapshot:
            {
                OpenOrders.Clear();
                Positions.Clear();
                LastRunId = Math.Max(LastRunId, r.Long());
                var orders = r.Int();
                for (var i = 0; i < orders; i++)
                {
                    var order = JournalCodec.ReadOrderHead(ref r);
                    order.OrderId = r.Long();
                    order.Status = (OrderStatus)r.Byte();
                    order.Filled = Quantity.FromMantissa(r.Long());
                    order.FilledQuote = Notional.FromMantissa(r.Long());
                    order.Acknowledged = r.Byte() != 0;
                    OpenOrders[order.ClientOrderId] = order;
                }

                var positions = r.Int();
                for (var i = 0; i < positions; i++)
                {
                    Positions.Set(new JournalPosition(r.Symbol(), Quantity.FromMantissa(r.Long()), Price.FromMantissa(r.Long()), Notional.FromMantissa(r.Long())));
                }

                break;
            }

            default:
                throw new InvalidDataException($"unknown journal record type {(byte)type}");
        }

        if (!r.AtEnd)
        {
            throw new InvalidDataException($"journal record of type {type} has {payload.Length - r.Position} bytes left over");
        }

        Records++;
    }
}

/// <summary>
/// Replays the journal's segments in order into a <see cref="JournalState"/>. A torn record at the end of the last
/// segment (a crash in the middle of a write: short frame, or a CRC that does not match) is reported in the state and
/// cut off the file, so the next writer starts clean; damage anywhere else is corruption and stops the start with an
/// <see cref="InvalidDataException"/> naming file and offset, since skipping it would silently lose orders.
/// </summary>
public static class JournalReader
{
    /// <summary>The segment files in <paramref name="directory"/>, by number.</summary>
    public static IReadOnlyList<(long Number, string Path)> Segments(string directory)
    {
        var list = new List<(long, string)>();
        if (!Directory.Exists(directory))
        {
            return list;
        }

        foreach (var path in Directory.EnumerateFiles(directory, "wal-*.log"))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (long.TryParse(name.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                list.Add((number, path));
            }
        }

        list.Sort(static (a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>Replays every segment of <paramref name="directory"/> (an empty state when there is none).</summary>
    public static JournalState Replay(string directory)
    {
        var state = new JournalState();
        var segments = Segments(directory);
        for (var i = 0; i < segments.Count; i++)
        {
            var (number, path) = segments[i];
            state.LastSegment = number;
            var bytes = File.ReadAllBytes(path);
            var offset = 0;
            while (offset < bytes.Length)
            {
                var problem = Frame(bytes, offset, out var payloadLength);
                if (problem is not null)
                {
                    if (i != segments.Count - 1)
                    {
                        throw new InvalidDataException($"journal segment {path} is damaged at offset {offset}: {problem}; it is not the last segment, so this is not a torn write");
                    }

                    state.TornBytes = bytes.Length - offset;
                    state.TornReason = $"{Path.GetFileName(path)} offset {offset}: {problem}";
                    using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
                    {
                        file.SetLength(offset);
                        file.Flush(flushToDisk: true);
                    }

                    break;
                }

                var payload = bytes.AsSpan(offset + JournalWriter.HeaderSize, payloadLength);
                try
                {
                    state.Apply(payload);
                }
                catch (Exception exception) when (exception is ArgumentOutOfRangeException or IndexOutOfRangeException)
                {
                    throw new InvalidDataException($"journal segment {path}: the record at offset {offset} passes its CRC but does not decode ({exception.Message})", exception);
                }

                offset += JournalWriter.HeaderSize + payloadLength;
            }
        }

        return state;
    }

    private static string? Frame(byte[] bytes, int offset, out int payloadLength)
    {
        payloadLength = 0;
        var left = bytes.Length - offset;
        if (left < JournalWriter.HeaderSize)
        {
            return $"{left} bytes, shorter than a frame header";
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
        if (length == 0 || length > JournalWriter.MaxPayload)
        {
            return $"impossible record length {length}";
        }

        if (length > left - JournalWriter.HeaderSize)
        {
            return $"record of {length} bytes but only {left - JournalWriter.HeaderSize} follow";
        }

        var crc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4));
        if (Crc32.Compute(bytes.AsSpan(offset + JournalWriter.HeaderSize, (int)length)) != crc)
        {
            return "CRC mismatch";
        }

        payloadLength = (int)length;
        return null;
    }
}
