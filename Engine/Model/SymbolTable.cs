using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Engine.Model;

/// <summary>
/// Maps symbol names such as "BTCUSDT" to compact <see cref="SymbolId"/>s and back.
/// Lookups by UTF-8 bytes straight from the wire do not allocate.
/// </summary>
/// <remarks>
/// Built at start-up: <see cref="Add"/> is not safe to call while other threads look symbols up, so register
/// every symbol before the table is shared; after that any number of threads may read it.
/// Storage is fixed at construction (an open-addressing hash over the name bytes, at most half full), so
/// lookups never resize or rehash.
/// </remarks>
public sealed class SymbolTable
{
    /// <summary>Most symbols a table can hold: every non-zero <see cref="SymbolId"/> value.</summary>
    public const int MaxCapacity = ushort.MaxValue;

    /// <summary>Longest accepted name in bytes; Binance names are far shorter, so longer input is garbage.</summary>
    public const int MaxNameLength = 32;

    private readonly byte[][] _utf8Names;
    private readonly string[] _names;

    // Open addressing with linear probing; each entry is a SymbolId value and 0 marks an empty bucket.
    private readonly ushort[] _buckets;
    private readonly int _bucketMask;
    private int _count;

    /// <summary>Creates a table for up to <paramref name="capacity"/> symbols.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is outside 1..<see cref="MaxCapacity"/>.</exception>
    public SymbolTable(int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        Capacity = capacity;
        _utf8Names = new byte[capacity + 1][];
        _names = new string[capacity + 1];

        // At least twice the capacity keeps probe chains short and guarantees an empty bucket ends every miss.
        var bucketCount = (int)BitOperations.RoundUpToPowerOf2((uint)capacity * 2);
        _buckets = new ushort[bucketCount];
        _bucketMask = bucketCount - 1;
    }

    /// <summary>How many symbols the table can hold.</summary>
    public int Capacity { get; }

    /// <summary>How many symbols are registered; their ids are 1..Count.</summary>
    public int Count => _count;

    /// <summary>Registers a symbol, or returns its existing id if it is already registered.</summary>
    /// <exception cref="ArgumentException">The name is empty, longer than <see cref="MaxNameLength"/>, or has characters other than A-Z, 0-9 and '_'.</exception>
    /// <exception cref="InvalidOperationException">The table is full.</exception>
    public SymbolId Add(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Validate(name);
        var utf8 = Encoding.ASCII.GetBytes(name);
        if (TryGet(utf8, out var existing))
        {
            return existing;
        }

        if (_count == Capacity)
        {
            throw new InvalidOperationException(
                $"Symbol table is full ({Capacity} symbols); cannot add '{name}'. Create the table with a larger capacity.");
        }

        var id = (ushort)(_count + 1);
        _utf8Names[id] = utf8;
        _names[id] = name;
        var bucket = Hash(utf8) & _bucketMask;
        while (_buckets[bucket] != 0)
        {
            bucket = (bucket + 1) & _bucketMask;
        }

        _buckets[bucket] = id;
        _count = id;
        return new SymbolId(id);
    }

    /// <summary>Finds a symbol by its UTF-8 name (e.g. a slice of a market-data message) without allocating.</summary>
    /// <returns><see langword="false"/> and <see cref="SymbolId.None"/> for an unknown name.</returns>
    public bool TryGet(ReadOnlySpan<byte> utf8Name, out SymbolId id)
    {
        if ((uint)(utf8Name.Length - 1) < MaxNameLength)
        {
            var bucket = Hash(utf8Name) & _bucketMask;
            int candidate;
            while ((candidate = _buckets[bucket]) != 0)
            {
                if (utf8Name.SequenceEqual(_utf8Names[candidate]))
                {
                    id = new SymbolId((ushort)candidate);
                    return true;
                }

                bucket = (bucket + 1) & _bucketMask;
            }
        }

        id = SymbolId.None;
        return false;
    }

    /// <summary>The name a symbol was registered with.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is <see cref="SymbolId.None"/> or not from this table.</exception>
    public string NameOf(SymbolId id) => _names[CheckedIndex(id)];

    /// <summary>The name as UTF-8 bytes, ready to copy into an outgoing request.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is <see cref="SymbolId.None"/> or not from this table.</exception>
    public ReadOnlySpan<byte> Utf8NameOf(SymbolId id) => _utf8Names[CheckedIndex(id)];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int CheckedIndex(SymbolId id)
    {
        if (id.IsNone || id.Value > _count)
        {
            ThrowUnknownId(id);
        }

        return id.Value;
    }

    // FNV-1a: a few cycles per byte for 6-15 byte names, and deterministic so probe behaviour is reproducible.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(ReadOnlySpan<byte> utf8)
    {
        var hash = 2_166_136_261u;
        foreach (var b in utf8)
        {
            hash = (hash ^ b) * 16_777_619u;
        }

        // Fold the high bits in: the mask keeps only low bits, which FNV mixes least.
        return (int)(hash ^ (hash >> 16));
    }

    private static void Validate(string name)
    {
        if (name.Length == 0 || name.Length > MaxNameLength)
        {
            throw new ArgumentException(
                $"Symbol name '{name}' must be 1 to {MaxNameLength} characters long.", nameof(name));
        }

        foreach (var c in name)
        {
            if (c is not ((>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_'))
            {
                throw new ArgumentException(
                    $"Symbol name '{name}' is invalid: only uppercase ASCII letters A-Z, digits 0-9 and '_' are allowed (e.g. \"BTCUSDT\", \"1000PEPEUSDT\", \"BTCUSDT_250627\").",
                    nameof(name));
            }
        }
    }

    [DoesNotReturn]
    private void ThrowUnknownId(SymbolId id) =>
        throw new ArgumentOutOfRangeException(nameof(id), id, $"{id} is not registered in this table (ids 1..{_count}).");
}
