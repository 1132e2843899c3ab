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

    /// <summary>
    /// Client order ids of every intent in the segments replayed, final ones included: what the journal knows of since
    /// its last compaction (an intent found elsewhere, the stage's intent log, that is not here never reached it).
    /// </summary>
    public HashSet<long> Intents { get; } = [];

    /// <summary>Positions folded from every fill (and snapshots).</summary>
    public PositionFold Positions { get; } = new();

    public long Records { get; internal set; }

    /// <summary>Bytes cut from the end of the last segment because its last record was torn (short or failing its CRC).</summary>
    public long TornBytes { get; internal set; }

    /// <summary>What was wrong with the torn record (null when none).</summary>
    public string? TornReason { get; internal set; }

    /// <summary>The file the cut bytes were kept in (null when nothing was cut).</summary>
    public string? TornKeptIn { get; internal set; }

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
                Intents.Add(order.ClientOrderId);
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
/// Replays the journal's segments in order into a <see cref="JournalState"/>. A bad record (short frame, impossible
/// length, CRC mismatch) with nothing intact after it at the end of the last segment is a torn write (a crash in the
/// middle of a write): it is reported in the state, its bytes are kept in the <see cref="JournalFolder.DamagedFolderName"/>
/// subfolder, and it is cut off the file so the next writer starts clean. A bad record anywhere else (an older segment,
/// or intact records after it) is damage and stops the start with a <see cref="JournalDamagedException"/> naming file
/// and offset, with nothing changed: skipping it would silently lose orders and fills.
/// </summary>
public static class JournalReader
{
    /// <summary>What every damage message ends with: what the engine does about it and what the operator can.</summary>
    private const string Refusal = "; nothing was changed: restore the journal, or start with --recover-from-venue to set it aside and take the venue's positions (docs/OPERATIONS.md)";

    /// <summary>The segment files in <paramref name="directory"/>, by number.</summary>
    /// <exception cref="JournalUnusableException">The folder cannot be listed, or a segment's name is taken by a folder.</exception>
    public static IReadOnlyList<(long Number, string Path)> Segments(string directory)
    {
        var list = new List<(long, string)>();
        if (!Directory.Exists(directory))
        {
            return list;
        }

        try
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(directory, "wal-*.log"))
            {
                var name = Path.GetFileNameWithoutExtension(path);
                if (!long.TryParse(name.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                {
                    continue;
                }

                if (Directory.Exists(path))
                {
                    throw new JournalUnusableException($"journal segment {path} is a folder, not a file: move it out of the journal folder");
                }

                list.Add((number, path));
            }
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or (IOException and not JournalUnusableException))
        {
            throw new JournalUnusableException($"journal folder {directory} cannot be listed: {JournalFolder.OneLine(exception.Message)}", exception);
        }

        list.Sort(static (a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>Replays every segment of <paramref name="directory"/> (an empty state when there is none).</summary>
    /// <exception cref="JournalDamagedException">A segment is damaged (not a torn write); nothing was changed.</exception>
    /// <exception cref="JournalUnusableException">A segment cannot be read, or a torn tail cannot be kept aside or cut.</exception>
    public static JournalState Replay(string directory)
    {
        var state = new JournalState();
        var segments = Segments(directory);
        for (var i = 0; i < segments.Count; i++)
        {
            var (number, path) = segments[i];
            state.LastSegment = number;
            var bytes = Read(path);
            var offset = 0;
            while (offset < bytes.Length)
            {
                var problem = Frame(bytes, offset, out var payloadLength);
                if (problem is not null)
                {
                    if (i != segments.Count - 1)
                    {
                        throw new JournalDamagedException(path, offset, $"journal segment {path} is damaged at offset {offset} ({problem}); it is not the last segment, so this is not a torn write{Refusal}");
                    }

                    var intact = NextIntactFrame(bytes, offset + 1);
                    if (intact >= 0)
                    {
                        throw new JournalDamagedException(path, offset, $"journal segment {path} is damaged at offset {offset} ({problem}) and an intact record follows at offset {intact}, so this is not a torn write{Refusal}");
                    }

                    state.TornBytes = bytes.Length - offset;
                    state.TornReason = $"{Path.GetFileName(path)} offset {offset}: {problem}";
                    state.TornKeptIn = KeepTornTail(directory, path, bytes.AsSpan(offset), offset);
                    Cut(path, offset);
                    break;
                }

                var payload = bytes.AsSpan(offset + JournalWriter.HeaderSize, payloadLength);
                try
                {
                    state.Apply(payload);
                }
                catch (Exception exception) when (exception is ArgumentException or IndexOutOfRangeException or InvalidDataException or OverflowException)
                {
                    throw new JournalDamagedException(path, offset, $"journal segment {path}: the record at offset {offset} passes its CRC but does not decode ({JournalFolder.OneLine(exception.Message)}){Refusal}", exception);
                }

                offset += JournalWriter.HeaderSize + payloadLength;
            }
        }

        return state;
    }

    /// <summary>
    /// The highest run id any intact record of <paramref name="directory"/> names, reading past damage (a journal being
    /// set aside: the next run's id must still be higher). Changes nothing.
    /// </summary>
    public static long HighestRunId(string directory)
    {
        long highest = 0;
        foreach (var (_, path) in Segments(directory))
        {
            var bytes = Read(path);
            var offset = 0;
            while (offset >= 0 && offset < bytes.Length)
            {
                if (Frame(bytes, offset, out var length) is not null)
                {
                    offset = NextIntactFrame(bytes, offset + 1);
                    continue;
                }

                var payload = bytes.AsSpan(offset + JournalWriter.HeaderSize, length);
                if (length >= 9 && payload[0] is (byte)JournalRecordType.RunStarted or (byte)JournalRecordType.Snapshot)
                {
                    highest = Math.Max(highest, BinaryPrimitives.ReadInt64LittleEndian(payload[1..]));
                }

                offset += JournalWriter.HeaderSize + length;
            }
        }

        return highest;
    }

    /// <summary>
    /// The offset of the first frame at or after <paramref name="from"/> that is whole and passes its CRC, with a payload
    /// that starts as a record does (a known type; an order-level record no longer than one can be); -1 when none.
    /// </summary>
    internal static int NextIntactFrame(byte[] bytes, int from)
    {
        for (var offset = from; offset <= bytes.Length - JournalWriter.HeaderSize - 1; offset++)
        {
            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
            if (length == 0 || length > JournalWriter.MaxPayload || length > (uint)(bytes.Length - offset - JournalWriter.HeaderSize))
            {
                continue;
            }

            var type = bytes[offset + JournalWriter.HeaderSize];
            if (type is < (byte)JournalRecordType.RunStarted or > (byte)JournalRecordType.Snapshot
                || (type != (byte)JournalRecordType.Snapshot && length > JournalCodec.MaxOrderRecordSize))
            {
                continue;
            }

            var crc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4));
            if (Crc32.Compute(bytes.AsSpan(offset + JournalWriter.HeaderSize, (int)length)) == crc)
            {
                return offset;
            }
        }

        return -1;
    }

    private static byte[] Read(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new JournalUnusableException($"journal segment {path} cannot be read: {JournalFolder.OneLine(exception.Message)}", exception);
        }
    }

    /// <summary>Keeps the bytes a torn tail cut removes (cheap evidence, should it ever turn out not to be a torn write).</summary>
    private static string KeepTornTail(string directory, string path, ReadOnlySpan<byte> tail, int offset)
    {
        var folder = Path.Combine(directory, JournalFolder.DamagedFolderName);
        var kept = Path.Combine(folder, $"{Path.GetFileName(path)}.torn-at-{offset}-{JournalFolder.Stamp(DateTimeOffset.UtcNow)}");
        try
        {
            Directory.CreateDirectory(folder);
            kept = JournalFolder.Unused(kept);
            using var file = new FileStream(kept, FileMode.CreateNew, FileAccess.Write);
            file.Write(tail);
            file.Flush(flushToDisk: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new JournalUnusableException($"journal segment {path} ends in a torn record at offset {offset}, and its {tail.Length} bytes cannot be kept in {folder} before the cut: {JournalFolder.OneLine(exception.Message)}; nothing was changed", exception);
        }

        return kept;
    }

    private static void Cut(string path, int offset)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
            file.SetLength(offset);
            file.Flush(flushToDisk: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new JournalUnusableException($"journal segment {path} ends in a torn record at offset {offset} that cannot be cut: {JournalFolder.OneLine(exception.Message)}", exception);
        }
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
