using Engine.Exchange.Wire;
using Engine.Telemetry;

namespace Engine.Execution;

/// <summary>
/// The stamps of one order's trip, Stopwatch ticks (0 = not stamped): the market frame it was decided on was received
/// (WebSocket message complete), its event was published into the ring, the brain stage finished deciding, the
/// execution stage finished signing it into the I/O queue, and its request's first write into the socket began; and
/// the venue path that write was on (<see cref="WirePath.Rest"/> for the I/O loop's HTTP client too).
/// </summary>
public readonly record struct OrderLatencySample
{
    public long ClientOrderId { get; init; }

    public long Received { get; init; }

    public long Published { get; init; }

    public long Brain { get; init; }

    public long Signed { get; init; }

    public long Socket { get; init; }

    public WirePath Path { get; init; }
}

/// <summary>
/// Per-order tick-to-order latency, kept by execution's I/O loop (the one writer): the two histograms the metrics export
/// (frame received → signed, frame received → bytes on the socket) and a ring of the last <see cref="Capacity"/>
/// samples, allocated once, that a harness can read while the engine runs. Only an order's first send is traced
/// (a resend or retry is not a reaction to a tick), and only when every stamp up to the socket is present.
/// </summary>
public sealed class OrderLatencyTrace
{
    /// <summary>Samples kept.</summary>
    public const int Capacity = 1 << 16;

    private readonly OrderLatencySample[] _samples = new OrderLatencySample[Capacity];
    private long _written;
    private long _toSignedSum;
    private long _toSocketSum;
    private readonly LatencyHistogram[] _toSocketByPath = [new(), new(), new()];

    /// <summary>Frame received → the order signed into the I/O queue, ns.</summary>
    public LatencyHistogram TickToSigned { get; } = new();

    /// <summary>Frame received → the request's first socket write began, ns.</summary>
    public LatencyHistogram TickToSocket { get; } = new();

    /// <summary>Frame received → first socket write, ns, of the orders that went on <paramref name="path"/>.</summary>
    public LatencyHistogram TickToSocketOn(WirePath path) => _toSocketByPath[(int)path < _toSocketByPath.Length ? (int)path : 0];

    public long TickToSignedSumNanoseconds => Volatile.Read(ref _toSignedSum);

    public long TickToSocketSumNanoseconds => Volatile.Read(ref _toSocketSum);

    /// <summary>Samples recorded since start (the ring holds the last <see cref="Capacity"/>).</summary>
    public long Count => Volatile.Read(ref _written);

    /// <summary>The I/O loop: records one order's stamps (ignored unless received, signed and socket are all stamped).</summary>
    internal void Record(in OrderLatencySample sample)
    {
        if (sample.Received == 0 || sample.Signed == 0 || sample.Socket == 0)
        {
            return;
        }

        var toSigned = StageStatistics.StopwatchNanoseconds(sample.Signed - sample.Received);
        var toSocket = StageStatistics.StopwatchNanoseconds(sample.Socket - sample.Received);
        TickToSigned.Record(toSigned);
        TickToSocket.Record(toSocket);
        TickToSocketOn(sample.Path).Record(toSocket);
        Volatile.Write(ref _toSignedSum, _toSignedSum + toSigned);
        Volatile.Write(ref _toSocketSum, _toSocketSum + toSocket);
        _samples[_written & (Capacity - 1)] = sample;
        Volatile.Write(ref _written, _written + 1);
    }

    /// <summary>
    /// Any thread: copies sample number <paramref name="index"/> (0-based since start). False when it is not written yet,
    /// or has been (or may have been, during the copy) overwritten by a later one.
    /// </summary>
    public bool TryRead(long index, out OrderLatencySample sample)
    {
        sample = default;
        if (index < 0 || index >= Count || index <= Count - Capacity)
        {
            return false;
        }

        sample = _samples[index & (Capacity - 1)];
        Interlocked.MemoryBarrier();
        // The writer fills slot (index + Capacity) while Count is index + Capacity: the copy is whole only if it had not got there.
        return index > Count - Capacity;
    }
}
