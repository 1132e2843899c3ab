using System.Diagnostics;
using Engine.Model;
using Engine.Ring;

namespace Engine.Execution;

/// <summary>Where the execution I/O loop publishes normalized order updates, account and position events.</summary>
public interface IExecutionOutput
{
    /// <summary>Publishes one event; false when it could not be (the pipeline is stopping).</summary>
    bool Publish(in MarketEvent evt);
}

/// <summary>
/// Publishes into the pipeline's (multi-producer) ring from the I/O loop's thread. A full ring is waited out — this
/// is an I/O thread, never a stage — unless <see cref="Close"/> was called, so a stopped pipeline cannot hang it.
/// </summary>
public sealed class RingPublisher : IExecutionOutput
{
    private readonly RingBuffer<MarketEvent> _ring;
    private volatile bool _closed;

    public RingPublisher(RingBuffer<MarketEvent> ring) => _ring = ring ?? throw new ArgumentNullException(nameof(ring));

    /// <summary>Events dropped because the publisher was closed while the ring was full.</summary>
    public long Dropped { get; private set; }

    public void Close() => _closed = true;

    public bool Publish(in MarketEvent evt)
    {
        var spin = new SpinWait();
        long sequence;
        while (!_ring.TryNext(out sequence))
        {
            if (_closed)
            {
                Dropped++;
                return false;
            }

            spin.SpinOnce(sleep1Threshold: 20);
        }

        ref var slot = ref _ring[sequence];
        slot = evt;
        slot.Stamps[(int)StagePoint.Published] = Stopwatch.GetTimestamp();
        _ring.Publish(sequence);
        return true;
    }
}
