namespace Engine.Ring;

/// <summary>
/// Two handlers run one after the other on the same slot, on the same thread: how two stages share one thread when
/// the hop between their threads would cost more than their work (<c>Engine:Ring:FuseBrainAndExecution</c>). Both calls
/// are direct, so the pair inlines like one handler.
/// </summary>
public struct HandlerChain<T, TFirst, TSecond> : IEventHandler<T>
    where T : struct
    where TFirst : struct, IEventHandler<T>
    where TSecond : struct, IEventHandler<T>
{
    private TFirst _first;
    private TSecond _second;

    public HandlerChain(TFirst first, TSecond second)
    {
        _first = first;
        _second = second;
    }

    public void OnEvent(ref T data, long sequence, bool endOfBatch)
    {
        _first.OnEvent(ref data, sequence, endOfBatch);
        _second.OnEvent(ref data, sequence, endOfBatch);
    }
}
