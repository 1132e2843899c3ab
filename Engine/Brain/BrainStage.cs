using Engine.Model;
using Engine.Ring;

namespace Engine.Brain;

/// <summary>
/// The brain as a ring stage: runs <see cref="TradingBrain"/> on the slot, then hands the slot to
/// <typeparamref name="TNext"/> on the same thread (the host passes its timing stage there, so the brain position
/// is stamped and timed after the decision is written). Both calls are direct, not interface dispatches. A slot that
/// carries order intents is released to execution at once through <see cref="EarlyRelease"/> (when given), not at the
/// end of the burst it arrived in.
/// </summary>
public struct BrainStage<TNext> : IEventHandler<MarketEvent>
    where TNext : struct, IEventHandler<MarketEvent>
{
    private readonly TradingBrain _brain;
    private readonly EarlyRelease? _release;
    private TNext _next;

    public BrainStage(TradingBrain brain, TNext next, EarlyRelease? release = null)
    {
        ArgumentNullException.ThrowIfNull(brain);
        _brain = brain;
        _next = next;
        _release = release;
    }

    public readonly TradingBrain Brain => _brain;

    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
    {
        _brain.OnEvent(ref data);
        _next.OnEvent(ref data, sequence, endOfBatch);
        if (data.IntentCount != 0)
        {
            // Even at a batch's end: the processor would publish the slot, but in a burst it goes straight on to the
            // next batch without yielding a shared core.
            _release?.Release(sequence);
        }
    }
}

/// <summary>A stage that does nothing: the end of a <see cref="BrainStage{TNext}"/> that needs no follower.</summary>
public readonly struct NoStage : IEventHandler<MarketEvent>
{
    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
    {
    }
}
