using System.Buffers.Binary;
using System.Text;
using Engine.Model;

namespace Engine.State.Journal;

/// <summary>What a journal record says.</summary>
public enum JournalRecordType : byte
{
    None = 0,

    /// <summary>A process started trading with this run id (client order ids of the run carry it).</summary>
    RunStarted = 1,

    /// <summary>An order about to be sent: written (and committed) before its request leaves.</summary>
    Intent = 2,

    /// <summary>A normalized change of an order: status, cumulative fill, and the fill delta it adds (if any).</summary>
    Update = 3,

    /// <summary>An order sent again (the venue said it never saw it), signed at a new timestamp.</summary>
    Resent = 4,

    /// <summary>The whole state at a segment's start (compaction): run id, orders not yet final, positions.</summary>
    Snapshot = 5,
}

/// <summary>An order as the journal knows it.</summary>
public sealed class JournalOrder
{
    public long ClientOrderId { get; set; }

    /// <summary>By name: symbol ids are per run.</summary>
    public string Symbol { get; set; } = string.Empty;

    public Side Side { get; set; }

    public OrderKind Kind { get; set; }

    public TimeInForce TimeInForce { get; set; }

    public Price Price { get; set; }

    public Quantity Quantity { get; set; }

    public bool ReduceOnly { get; set; }

    /// <summary>Executed by the paper venue, never sent: a restart must not look it up at the exchange (or send it there).</summary>
    public bool Paper { get; set; }

    /// <summary>The venue-clock timestamp the last request for it was signed with: the venue refuses it after this plus recvWindow.</summary>
    public long SignedTimestampMs { get; set; }

    public long OrderId { get; set; }

    public OrderStatus Status { get; set; }

    public Quantity Filled { get; set; }

    /// <summary>Σ price × quantity of the fills reported so far.</summary>
    public Notional FilledQuote { get; set; }

    /// <summary>Whether the venue has ever answered for it (an order object, not an error).</summary>
    public bool Acknowledged { get; set; }

    public bool IsFinal => Status is OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Rejected or OrderStatus.Expired;

    public JournalOrder Clone() => (JournalOrder)MemberwiseClone();
}

/// <summary>A symbol's position as folded from fills.</summary>
public readonly record struct JournalPosition(string Symbol, Quantity Amount, Price EntryPrice, Notional RealizedPnl);

/// <summary>
/// Binary payloads of the records (little-endian, fixed-point mantissas, symbols as length-prefixed ASCII).
/// The frame around a payload (length, CRC) is the writer's.
/// </summary>
public static class JournalCodec
{
    /// <summary>Largest payload of an order-level record.</summary>
    public const int MaxOrderRecordSize = 128;

    public static int WriteRunStarted(Span<byte> destination, long runId)
    {
        destination[0] = (byte)JournalRecordType.RunStarted;
        BinaryPrimitives.WriteInt64LittleEndian(destination[1..], runId);
        return 9;
    }

    public static int WriteIntent(Span<byte> destination, JournalOrder order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var w = new SpanWriter(destination);
        w.Byte((byte)JournalRecordType.Intent);
        WriteOrderHead(ref w, order);
        return w.Position;
    }

    /// <summary>An update: the order's state after it, and the fill it added (<paramref name="lastQuantity"/> zero when none).</summary>
    public static int WriteUpdate(Span<byte> destination, JournalOrder order, Quantity lastQuantity, Price lastPrice)
    {
        ArgumentNullException.ThrowIfNull(order);
        var w = new SpanWriter(destination);
        w.Byte((byte)JournalRecordType.Update);
        w.Long(order.ClientOrderId);
        w.Symbol(order.Symbol);
        w.Byte((byte)order.Side);
        w.Long(order.OrderId);
        w.Byte((byte)order.Status);
        w.Long(order.Filled.Mantissa);
        w.Long(order.FilledQuote.Mantissa);
        w.Long(lastQuantity.Mantissa);
        w.Long(lastPrice.Mantissa);
        w.Byte(order.Acknowledged ? (byte)1 : (byte)0);
        return w.Position;
    }

    public static int WriteResent(Span<byte> destination, long clientOrderId, long signedTimestampMs)
    {
        var w = new SpanWriter(destination);
        w.Byte((byte)JournalRecordType.Resent);
        w.Long(clientOrderId);
        w.Long(signedTimestampMs);
        return w.Position;
    }

    /// <summary>A snapshot (allocates: written only at rotation).</summary>
    public static byte[] WriteSnapshot(long runId, IReadOnlyCollection<JournalOrder> orders, IReadOnlyCollection<JournalPosition> positions)
    {
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(positions);
        var buffer = new byte[32 + (orders.Count * (MaxOrderRecordSize + 64)) + (positions.Count * 64)];
        var w = new SpanWriter(buffer);
        w.Byte((byte)JournalRecordType.Snapshot);
        w.Long(runId);
        w.Int(orders.Count);
        foreach (var order in orders)
        {
            WriteOrderHead(ref w, order);
            w.Long(order.OrderId);
            w.Byte((byte)order.Status);
            w.Long(order.Filled.Mantissa);
            w.Long(order.FilledQuote.Mantissa);
            w.Byte(order.Acknowledged ? (byte)1 : (byte)0);
        }

        w.Int(positions.Count);
        foreach (var position in positions)
        {
            w.Symbol(position.Symbol);
            w.Long(position.Amount.Mantissa);
            w.Long(position.EntryPrice.Mantissa);
            w.Long(position.RealizedPnl.Mantissa);
        }

        return buffer[..w.Position];
    }

    private static void WriteOrderHead(ref SpanWriter w, JournalOrder order)
    {
        w.Long(order.ClientOrderId);
        w.Symbol(order.Symbol);
        w.Byte((byte)order.Side);
        w.Byte((byte)order.Kind);
        w.Byte((byte)order.TimeInForce);
        w.Byte((byte)((order.ReduceOnly ? 1 : 0) | (order.Paper ? 2 : 0)));
        w.Long(order.Quantity.Mantissa);
        w.Long(order.Price.Mantissa);
        w.Long(order.SignedTimestampMs);
    }

    internal static JournalOrder ReadOrderHead(ref SpanReader r)
    {
        var order = new JournalOrder
        {
            ClientOrderId = r.Long(),
            Symbol = r.Symbol(),
            Side = (Side)r.Byte(),
            Kind = (OrderKind)r.Byte(),
            TimeInForce = (TimeInForce)r.Byte(),
        };
        var flags = r.Byte();
        order.ReduceOnly = (flags & 1) != 0;
        order.Paper = (flags & 2) != 0;
        order.Quantity = Quantity.FromMantissa(r.Long());
        order.Price = Price.FromMantissa(r.Long());
        order.SignedTimestampMs = r.Long();
        return order;
    }

    internal ref struct SpanWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Position { get; private set; }

        public void Byte(byte value) => _buffer[Position++] = value;

        public void Int(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer[Position..], value);
            Position += 4;
        }

        public void Long(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_buffer[Position..], value);
            Position += 8;
        }

        public void Symbol(string name)
        {
            if (name.Length is 0 or > SymbolTable.MaxNameLength)
            {
                throw new ArgumentException($"symbol name '{name}' cannot be journaled (1..{SymbolTable.MaxNameLength} characters)", nameof(name));
            }

            _buffer[Position++] = (byte)name.Length;
            Position += Encoding.ASCII.GetBytes(name, _buffer[Position..]);
        }
    }

    internal ref struct SpanReader(ReadOnlySpan<byte> buffer)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;

        public int Position { get; private set; }

        public readonly bool AtEnd => Position == _buffer.Length;

        public byte Byte() => _buffer[Position++];

        public int Int()
        {
            var value = BinaryPrimitives.ReadInt32LittleEndian(_buffer[Position..]);
            Position += 4;
            return value;
        }

        public long Long()
        {
            var value = BinaryPrimitives.ReadInt64LittleEndian(_buffer[Position..]);
            Position += 8;
            return value;
        }

        public string Symbol()
        {
            var length = _buffer[Position++];
            var name = Encoding.ASCII.GetString(_buffer.Slice(Position, length));
            Position += length;
            return name;
        }
    }
}
