using System.Buffers.Binary;
using System.Globalization;

namespace Engine.State.Journal;

/// <summary>One intent read back from the intent log, with the sequence <see cref="IntentLog.TryAppend(JournalOrder, out long)"/> gave it.</summary>
public readonly record struct IntentRecord(long Sequence, JournalOrder Intent);

/// <summary>What the intent log's segments hold, as <see cref="IntentLogReader.ReadAll"/> found them.</summary>
public sealed class IntentLogContents
{
    internal IntentLogContents(List<IntentRecord> records, List<IntentSegmentScan> segments, long releasedUpTo, long lastSequence, long tornBytes, string? tornReason)
    {
        Records = records;
        Segments = segments;
        ReleasedUpTo = releasedUpTo;
        LastSequence = lastSequence;
        TornBytes = tornBytes;
        TornReason = tornReason;
    }

    /// <summary>Every intact record, in sequence order, released ones included.</summary>
    public IReadOnlyList<IntentRecord> Records { get; }

    /// <summary>The highest sequence the log was told is in the main journal for good (<see cref="IntentLog.Release"/>), as far as that reached the disk; 0 when none.</summary>
    public long ReleasedUpTo { get; }

    /// <summary>The highest sequence handed out (the next append gets one more); 0 for an empty log.</summary>
    public long LastSequence { get; }

    /// <summary>Bytes of a torn last record (an append the process did not finish); 0 when none.</summary>
    public long TornBytes { get; }

    /// <summary>Where the torn record was and what was wrong with it (null when none).</summary>
    public string? TornReason { get; }

    internal List<IntentSegmentScan> Segments { get; }

    /// <summary>The records after <see cref="ReleasedUpTo"/>: intents the main journal may not hold.</summary>
    public IReadOnlyList<IntentRecord> Unreleased()
    {
        var list = new List<IntentRecord>();
        foreach (var record in Records)
        {
            if (record.Sequence > ReleasedUpTo)
            {
                list.Add(record);
            }
        }

        return list;
    }
}

/// <summary>One segment file as scanned.</summary>
internal sealed class IntentSegmentScan
{
    public required long Number { get; init; }

    public required string Path { get; init; }

    /// <summary>Whether the header is whole and names this file (false: an allocation a crash interrupted).</summary>
    public bool HeaderValid { get; set; }

    public long Capacity { get; set; }

    public long FirstSequence { get; set; }

    public long ReleasedUpTo { get; set; }

    public int RecordCount { get; set; }

    /// <summary>Offset just past the last intact record (where the next append goes).</summary>
    public long End { get; set; } = IntentLogFormat.SegmentHeaderBytes;

    /// <summary>[End, TornEnd) holds the bytes of an unfinished append (TornEnd == End: none).</summary>
    public long TornEnd { get; set; } = IntentLogFormat.SegmentHeaderBytes;

    public string? TornProblem { get; set; }

    public long LastSequence => FirstSequence + RecordCount - 1;
}

/// <summary>
/// The intent log's on-disk form. A segment is a pre-allocated file <c>intent-NNNNNNNN.seg</c> of a fixed size, zeros
/// until written. Its first <see cref="SegmentHeaderBytes"/> are a header: magic <c>INTLOG01</c>, the segment's number
/// and size, a CRC-32 of those 24 bytes, then the sequence of its first record (set when the writer moves into it) and
/// the released watermark. Records follow at 8-byte aligned offsets in the main journal's frame, <c>[u32 payload
/// length][u32 CRC-32 of the payload][payload]</c>, the payload being <see cref="JournalCodec.WriteIntent"/>'s, padded
/// with zeros to a multiple of 8. The length and CRC are one aligned 64-bit word stored last, so a record is either
/// whole or its header word is zero; the first zero header word ends the segment.
/// </summary>
internal static class IntentLogFormat
{
    public const int SegmentHeaderBytes = 64;
    public const int FrameHeaderBytes = JournalWriter.HeaderSize;
    public const int MaxFrameBytes = FrameHeaderBytes + JournalCodec.MaxOrderRecordSize;
    public const int FirstSequenceOffset = 32;
    public const int ReleasedOffset = 40;
    public static readonly byte[] Magic = "INTLOG01"u8.ToArray();

    public static int FrameBytes(int payloadLength) => (FrameHeaderBytes + payloadLength + 7) & ~7;

    public static string SegmentPath(string directory, long number) =>
        Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"intent-{number:D8}.seg"));

    /// <summary>Writes the fixed part of a header (magic, number, size, its CRC) into <paramref name="header"/>.</summary>
    public static void WriteHeader(Span<byte> header, long number, long capacity)
    {
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], number);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], capacity);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], Crc32.Compute(header[..24]));
    }
}

/// <summary>
/// Reads the intent log's segments (<see cref="IntentLogFormat"/>). A record that was never published (its header word
/// still zero, the bytes of an unfinished append after it) or that fails its check at the very end of the last segment
/// holding records, with nothing intact after it, is a torn append and is ignored. A bad record anywhere else, an intact
/// record after a bad one, a gap in the segments' numbers or sequences, or a record that passes its CRC but is not an
/// intent is damage: a <see cref="JournalDamagedException"/> naming file and offset.
/// </summary>
public static class IntentLogReader
{
    private const string Refusal = "; nothing was changed: restore the intent log or move it out of the journal folder (its intents are then unknown to the restart: check the venue's orders)";

    /// <summary>Reads every segment of <paramref name="directory"/> (the intent log's own folder); changes nothing.</summary>
    /// <exception cref="JournalDamagedException">A segment is damaged (not a torn append).</exception>
    /// <exception cref="JournalUnusableException">The folder or a segment cannot be read.</exception>
    public static IntentLogContents ReadAll(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var scans = new List<IntentSegmentScan>();
        var records = new List<IntentRecord>();
        foreach (var (number, path) in Segments(directory))
        {
            scans.Add(Scan(number, path, records));
        }

        var lastWithRecords = scans.FindLastIndex(static s => s.RecordCount > 0);

        // The segment the writer was in: the last one it moved into (its first sequence is set then), records or not.
        var writer = scans.FindLastIndex(static s => s.FirstSequence > 0);
        long released = 0;
        long last = 0;
        long tornBytes = 0;
        string? tornReason = null;
        IntentSegmentScan? previous = null;
        for (var i = 0; i < scans.Count; i++)
        {
            var scan = scans[i];
            released = Math.Max(released, scan.ReleasedUpTo);
            last = Math.Max(last, scan.FirstSequence - 1);
            if (scan.TornEnd > scan.End)
            {
                if (i != writer)
                {
                    var what = i < writer ? "it is not the last segment written" : "the writer never moved into this segment";
                    throw new JournalDamagedException(scan.Path, scan.End, $"intent log segment {scan.Path} is damaged at offset {scan.End} ({scan.TornProblem}) and {what}, so this is not a torn append{Refusal}");
                }

                tornBytes = scan.TornEnd - scan.End;
                tornReason = $"{Path.GetFileName(scan.Path)} offset {scan.End}: {scan.TornProblem}";
            }

            if (scan.RecordCount == 0)
            {
                if (i < lastWithRecords)
                {
                    throw new JournalDamagedException(scan.Path, IntentLogFormat.SegmentHeaderBytes, $"intent log segment {scan.Path} holds no record but a later segment does{Refusal}");
                }

                continue;
            }

            if (previous is not null && (scan.Number != previous.Number + 1 || scan.FirstSequence != previous.LastSequence + 1))
            {
                throw new JournalDamagedException(scan.Path, IntentLogFormat.FirstSequenceOffset, string.Create(CultureInfo.InvariantCulture,
                    $"intent log segment {scan.Path} starts at sequence {scan.FirstSequence} but segment {previous.Number} ends at {previous.LastSequence}: a segment is missing{Refusal}"));
            }

            last = Math.Max(last, scan.LastSequence);
            previous = scan;
        }

        return new IntentLogContents(records, scans, released, Math.Max(last, released), tornBytes, tornReason);
    }

    /// <summary>The segment files in <paramref name="directory"/>, by number.</summary>
    internal static List<(long Number, string Path)> Segments(string directory)
    {
        var list = new List<(long, string)>();
        if (!Directory.Exists(directory))
        {
            return list;
        }

        try
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(directory, "intent-*.seg"))
            {
                var name = Path.GetFileNameWithoutExtension(path);
                if (!long.TryParse(name.AsSpan("intent-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                {
                    continue;
                }

                if (Directory.Exists(path))
                {
                    throw new JournalUnusableException($"intent log segment {path} is a folder, not a file: move it out of the journal folder");
                }

                list.Add((number, path));
            }
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or (IOException and not JournalUnusableException))
        {
            throw new JournalUnusableException($"intent log folder {directory} cannot be listed: {JournalFolder.OneLine(exception.Message)}", exception);
        }

        list.Sort(static (a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    private static IntentSegmentScan Scan(long number, string path, List<IntentRecord> records)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new JournalUnusableException($"intent log segment {path} cannot be read: {JournalFolder.OneLine(exception.Message)}", exception);
        }

        var scan = new IntentSegmentScan { Number = number, Path = path };
        var header = bytes.AsSpan(0, Math.Min(bytes.Length, IntentLogFormat.SegmentHeaderBytes));
        if (header.Length < IntentLogFormat.SegmentHeaderBytes
            || !header[..8].SequenceEqual(IntentLogFormat.Magic)
            || BinaryPrimitives.ReadUInt32LittleEndian(header[24..]) != Crc32.Compute(header[..24])
            || BinaryPrimitives.ReadInt64LittleEndian(header[8..]) != number
            || BinaryPrimitives.ReadInt64LittleEndian(header[16..]) != bytes.Length)
        {
            // A crash while the segment was being allocated leaves zeros or a part of its header: nothing was ever
            // appended to it. Anything else in it is damage.
            var nonZero = bytes.AsSpan().IndexOfAnyExcept((byte)0);
            if (nonZero >= 0 && NextIntactFrame(bytes, IntentLogFormat.SegmentHeaderBytes) >= 0)
            {
                throw new JournalDamagedException(path, 0, $"intent log segment {path} has a damaged header (offset 0) but holds records{Refusal}");
            }

            return scan;
        }

        scan.HeaderValid = true;
        scan.Capacity = bytes.Length;
        scan.FirstSequence = BinaryPrimitives.ReadInt64LittleEndian(header[IntentLogFormat.FirstSequenceOffset..]);
        scan.ReleasedUpTo = BinaryPrimitives.ReadInt64LittleEndian(header[IntentLogFormat.ReleasedOffset..]);
        var offset = IntentLogFormat.SegmentHeaderBytes;
        string? problem = null;
        while (offset + IntentLogFormat.FrameHeaderBytes <= bytes.Length)
        {
            var word = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset));
            if (word == 0)
            {
                break;
            }

            problem = Frame(bytes, offset, out var length);
            if (problem is not null)
            {
                break;
            }

            if (scan.FirstSequence <= 0)
            {
                throw new JournalDamagedException(path, IntentLogFormat.FirstSequenceOffset, $"intent log segment {path} holds records but its header has no first sequence{Refusal}");
            }

            try
            {
                var reader = new JournalCodec.SpanReader(bytes.AsSpan(offset + IntentLogFormat.FrameHeaderBytes, length));
                if (reader.Byte() != (byte)JournalRecordType.Intent)
                {
                    throw new InvalidDataException($"record type {bytes[offset + IntentLogFormat.FrameHeaderBytes]} is not an intent");
                }

                var intent = JournalCodec.ReadOrderHead(ref reader);
                if (!reader.AtEnd)
                {
                    throw new InvalidDataException($"{length - reader.Position} bytes left over");
                }

                records.Add(new IntentRecord(scan.FirstSequence + scan.RecordCount, intent));
            }
            catch (Exception exception) when (exception is ArgumentException or IndexOutOfRangeException or InvalidDataException)
            {
                throw new JournalDamagedException(path, offset, $"intent log segment {path}: the record at offset {offset} passes its CRC but is not an intent ({JournalFolder.OneLine(exception.Message)}){Refusal}", exception);
            }

            scan.RecordCount++;
            offset += IntentLogFormat.FrameBytes(length);
        }

        scan.End = offset;
        scan.TornEnd = offset;
        var lastNonZero = offset < bytes.Length ? bytes.AsSpan(offset).LastIndexOfAnyExcept((byte)0) : -1;
        if (lastNonZero < 0)
        {
            return scan;
        }

        var intact = NextIntactFrame(bytes, offset + 8);
        if (intact >= 0)
        {
            throw new JournalDamagedException(path, offset, $"intent log segment {path} is damaged at offset {offset} ({problem ?? "a record's header is zero"}) and an intact record follows at offset {intact}, so this is not a torn append{Refusal}");
        }

        scan.TornEnd = offset + lastNonZero + 1;
        scan.TornProblem = problem ?? "an append that was never published (header still zero)";
        return scan;
    }

    private static string? Frame(byte[] bytes, int offset, out int length)
    {
        length = 0;
        var value = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
        if (value == 0 || value > JournalCodec.MaxOrderRecordSize)
        {
            return string.Create(CultureInfo.InvariantCulture, $"impossible record length {value}");
        }

        if (offset + IntentLogFormat.FrameHeaderBytes + value > bytes.Length)
        {
            return string.Create(CultureInfo.InvariantCulture, $"record of {value} bytes past the segment's end");
        }

        var crc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4));
        if (Crc32.Compute(bytes.AsSpan(offset + IntentLogFormat.FrameHeaderBytes, (int)value)) != crc)
        {
            return "CRC mismatch";
        }

        length = (int)value;
        return null;
    }

    /// <summary>The first 8-aligned offset at or after <paramref name="from"/> holding a whole intent frame that passes its CRC; -1 when none.</summary>
    private static int NextIntactFrame(byte[] bytes, int from)
    {
        for (var offset = (from + 7) & ~7; offset + IntentLogFormat.FrameHeaderBytes < bytes.Length; offset += 8)
        {
            if (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset)) != 0
                && Frame(bytes, offset, out _) is null
                && bytes[offset + IntentLogFormat.FrameHeaderBytes] == (byte)JournalRecordType.Intent)
            {
                return offset;
            }
        }

        return -1;
    }
}
