namespace Engine.State.Journal;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, the one zip and System.IO.Hashing use), slicing by 8.
/// Own table rather than a package: the offline NuGet mirror does not carry System.IO.Hashing.
/// </summary>
public static class Crc32
{
    private static readonly uint[] s_table = BuildTable();

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues <paramref name="crc"/> (a previous result, 0 to start) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var table = s_table;
        var c = ~crc;
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            var one = c ^ (uint)(data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
            var two = (uint)(data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24));
            c = table[(7 * 256) + (one & 0xFF)] ^ table[(6 * 256) + ((one >> 8) & 0xFF)]
                ^ table[(5 * 256) + ((one >> 16) & 0xFF)] ^ table[(4 * 256) + (one >> 24)]
                ^ table[(3 * 256) + (two & 0xFF)] ^ table[(2 * 256) + ((two >> 8) & 0xFF)]
                ^ table[256 + ((two >> 16) & 0xFF)] ^ table[two >> 24];
        }

        for (; i < data.Length; i++)
        {
            c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
        }

        return ~c;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        for (var n = 0; n < 256; n++)
        {
            for (var slice = 1; slice < 8; slice++)
            {
                var previous = table[((slice - 1) * 256) + n];
                table[(slice * 256) + n] = table[previous & 0xFF] ^ (previous >> 8);
            }
        }

        return table;
    }
}
