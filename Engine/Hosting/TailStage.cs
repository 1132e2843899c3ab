using System.Runtime.CompilerServices;
using Engine.Control.Commands;
using Engine.Model;
using Engine.Ring;
using Engine.Telemetry;

namespace Engine.Hosting;

/// <summary>
/// Events that reached the end of the pipeline, by kind and symbol. Written only by the tail stage's thread with
/// plain increments; the metrics scrape reads them.
/// </summary>
public sealed class TailCounters
{
    private const int Kinds = MarketEventKinds.Count;
    private readonly long[] _counts;

    public TailCounters(int symbolCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(symbolCapacity, 1);
        SymbolCapacity = symbolCapacity;
        _counts = new long[Kinds * (symbolCapacity + 1)];
    }

    /// <summary>Symbols counted one by one; higher ids are counted under symbol 0.</summary>
    public int SymbolCapacity { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Count(MarketEventKind kind, SymbolId symbol)
    {
        var column = symbol.Value <= SymbolCapacity ? symbol.Value : 0;
        var index = ((int)kind * (SymbolCapacity + 1)) + column;
        if ((uint)index < (uint)_counts.Length)
        {
            ref var count = ref _counts[index];
            Volatile.Write(ref count, count + 1);
        }
    }

    /// <summary>Events of <paramref name="kind"/> for symbol id <paramref name="symbol"/> (0: no symbol, or beyond capacity).</summary>
    public long Read(MarketEventKind kind, int symbol) => Volatile.Read(ref _counts[((int)kind * (SymbolCapacity + 1)) + symbol]);
}

/// <summary>
/// The last stage: stamps and times every event, counts it by kind and symbol, and completes the reply of each
/// command that reaches it (every stage before it has handled the command by then).
/// </summary>
public readonly struct TailStage : IEventHandler<MarketEvent>
{
    private readonly TimingStage _timing;
    private readonly TailCounters _counters;
    private readonly CommandReplies _replies;
    private readonly ActivityTap? _activity;

    public TailStage(StageStatistics statistics, TailCounters counters, CommandReplies replies, ActivityTap? activity = null)
    {
        _timing = new TimingStage(StagePoint.Tail, statistics);
        _counters = counters;
        _replies = replies;
        _activity = activity;
    }

    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch)
    {
        _counters.Count(data.Kind, data.Symbol);
        if (data.Kind == MarketEventKind.Command)
        {
            _replies.Complete(data.Command.CorrelationId, sequence);
        }

        if (_activity is not null)
        {
            Tap(ref data);
        }

        _timing.OnEvent(ref data, sequence, endOfBatch);
    }

    // Signals and fills for the control plane's event stream: copied into the tap's pre-allocated ring, never formatted here.
    private void Tap(ref MarketEvent data)
    {
        for (var i = 0; i < data.IntentCount; i++)
        {
            ref readonly var intent = ref data.Intents[i];
            if (intent.Action == IntentAction.Enter)
            {
                _activity!.Write(new Activity
                {
                    Kind = ActivityKind.Signal, Symbol = intent.Symbol, Side = intent.Side, Price = intent.ReferencePrice,
                    Quantity = intent.Quantity, ConfidenceBasisPoints = intent.ConfidenceBasisPoints,
                });
            }
        }

        if (data.Kind == MarketEventKind.OrderUpdate && !data.OrderUpdate.LastFillQuantity.IsZero)
        {
            ref readonly var update = ref data.OrderUpdate;
            _activity!.Write(new Activity
            {
                Kind = ActivityKind.Fill, Symbol = data.Symbol, Side = update.Side, Price = update.LastFillPrice,
                Quantity = update.LastFillQuantity, OrderId = update.OrderId, ClientOrderId = update.ClientOrderId,
            });
        }
    }
}
