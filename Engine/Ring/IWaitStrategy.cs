namespace Engine.Ring;

/// <summary>
/// How a consumer waits for the sequence it needs: the trade between latency, CPU burned and how many
/// threads can share the cores.
/// </summary>
public interface IWaitStrategy
{
    /// <summary>
    /// True when waiters can be parked and must be woken: producers and stages then call
    /// <see cref="Sequence.WakeWaiters"/> after they advance. Spinning strategies return false and pay nothing.
    /// </summary>
    bool IsBlocking { get; }

    /// <summary>
    /// Waits until <paramref name="barrier"/> has <paramref name="sequence"/> available and returns the highest
    /// available sequence. Returns early with a smaller value when the barrier is alerted or the strategy's
    /// timeout passes, so the caller can look at its halt flag.
    /// </summary>
    long WaitFor(long sequence, SequenceBarrier barrier);
}
