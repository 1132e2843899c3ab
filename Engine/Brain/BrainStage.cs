using Engine.Model;
using Engine.Ring;

namespace Engine.Brain;

/// <summary>
/// The brain as a ring stage: runs <see cref="TradingBrain"/> on the slot, then hands the slot to
/// <typeparamref name="TNext"/> on the same thread (the host passes its timing stage there, so the brain position
/// is stamped and timed after the decision is written). Both calls are direct, not interface dispatches.
/// </summary>
public struct BrainStage<TNext> : IEventHandler<MarketEvent>
    where TNext : struct, IEventHandler<MarketEvent>
{
    private readonly TradingBrain _brain;
    private TNext _next;

    public BrainStage(TradingBrain brain, TNext next)
    {
        ArgumentNullException.ThrowIfNull(brain);
        _brain = brain;
        _next = next;
    }

    public readonly TradingBrain Brain => _brain;

    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
    {
        _brain.OnEvent(ref data);
        _next.OnEvent(ref data, sequence, endOfBatch);
    }
}

/// <summary>A stage that does nothing: the end of a <see cref="BrainStage{TNext}"/> that needs no follower.</summary>
public readonly struct NoStage : IEventHandler<MarketEvent>
{
    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
    {
    }
}
