namespace Engine.Ring;

/// <summary>
/// Lets a handler hand a slot to the next stage before its batch ends. A processor publishes its progress once per
/// batch, which is right for throughput but wrong for the one slot in a burst the next stage must act on now (the
/// brain's order intent in a burst of market data): without this, execution sees that slot only once the brain has
/// caught up with the whole burst.
/// </summary>
/// <remarks>
/// When the next stage shares this stage's core (<see cref="YieldAfterRelease"/>), a release also yields the core once,
/// so the next stage runs now rather than when this one runs out of work.
/// </remarks>
public sealed class EarlyRelease
{
    private Sequence? _sequence;
    private bool _wakeWaiters;

    /// <param name="yieldAfterRelease">Yield the core after each release (the next stage is pinned to the same core).</param>
    public EarlyRelease(bool yieldAfterRelease = false) => YieldAfterRelease = yieldAfterRelease;

    public bool YieldAfterRelease { get; }

    /// <summary>Releases made so far (the stage thread writes it; others read it as a statistic).</summary>
    public long Releases { get; private set; }

    /// <summary>The processor: binds the release to its sequence (once).</summary>
    internal void Bind(Sequence sequence, bool wakeWaiters)
    {
        if (_sequence is not null)
        {
            throw new InvalidOperationException("this early release already belongs to a processor");
        }

        _sequence = sequence;
        _wakeWaiters = wakeWaiters;
    }

    /// <summary>
    /// The handler, on its stage thread: every slot up to and including <paramref name="sequence"/> is finished; the
    /// next stage may take them now. The processor still publishes the batch's end as usual.
    /// </summary>
    public void Release(long sequence)
    {
        var target = _sequence ?? throw new InvalidOperationException("this early release is not bound to a processor");
        target.SetValue(sequence);
        Releases++;
        if (_wakeWaiters)
        {
            target.WakeWaiters();
        }

        if (YieldAfterRelease)
        {
            Thread.Yield();
        }
    }
}
