using System.Diagnostics;
using Engine.Model;
using Engine.Ring;

namespace Engine.Telemetry;

/// <summary>
/// A ring stage that stamps each event at its <see cref="StagePoint"/> and records how long after
/// publication it got there. It is the whole job of a pipeline position that has no trading logic yet, and
/// the measuring part of one that has.
/// </summary>
public readonly struct TimingStage : IEventHandler<MarketEvent>
{
    private readonly StageStatistics _statistics;
    private readonly StagePoint _point;

    public TimingStage(StagePoint point, StageStatistics statistics)
    {
        _point = point;
        _statistics = statistics;
    }

    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
    {
        var now = Stopwatch.GetTimestamp();
        data.Stamps[(int)_point] = now;
        _statistics.Record(data.Stamps[(int)StagePoint.Published], now, endOfBatch);
    }
}
