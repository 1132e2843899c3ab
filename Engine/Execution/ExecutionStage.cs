using Engine.Model;
using Engine.Ring;

namespace Engine.Execution;

/// <summary>
/// The execution position's ring stage: <see cref="ExecutionGateway"/> on the slot, then <typeparamref name="TNext"/>
/// (the host's <c>TimingStage(StagePoint.Execution)</c>, which stamps and times it) on the same thread.
/// </summary>
public struct ExecutionStage<TNext> : IEventHandler<MarketEvent>
    where TNext : struct, IEventHandler<MarketEvent>
{
    private readonly ExecutionGateway _gateway;
    private TNext _next;

    public ExecutionStage(ExecutionGateway gateway, TNext next)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        _gateway = gateway;
        _next = next;
    }

    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
    {
        _gateway.OnEvent(ref data);
        _next.OnEvent(ref data, sequence, endOfBatch);
    }
}
