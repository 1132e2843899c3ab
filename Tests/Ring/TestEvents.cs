using System.Runtime.InteropServices;
using Engine.Ring;

namespace Tests.Ring;

/// <summary>A slot for ring tests: who published it, its per-producer number, and one mark per stage.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct TestEvent
{
    public long Value;
    public int Producer;
    public long Stage1;
    public long Stage2;
    public long Stage3;
}

/// <summary>
/// Checks what a stage sees: for every producer, values arrive exactly once and in order; the mark of the
/// stage before this one is already there (dependency order); and it leaves its own mark.
/// </summary>
public sealed class DeliveryCheck
{
    private readonly long[] _nextExpected;

    public DeliveryCheck(int producers, int stage)
    {
        _nextExpected = new long[producers];
        Stage = stage;
    }

    public int Stage { get; }

    public long Count { get; private set; }

    public long Batches { get; private set; }

    public long LastSequence { get; private set; } = -1;

    public string? FirstError { get; private set; }

    public void See(ref TestEvent e, long sequence, bool endOfBatch)
    {
        if (FirstError is null)
        {
            if (sequence != LastSequence + 1)
            {
                FirstError = $"stage {Stage}: sequence {sequence} after {LastSequence}";
            }
            else if (e.Value != _nextExpected[e.Producer])
            {
                FirstError = $"stage {Stage}: producer {e.Producer} value {e.Value}, expected {_nextExpected[e.Producer]} (seq {sequence})";
            }
            else if (Stage >= 2 && e.Stage1 != Mark(e, 1))
            {
                FirstError = $"stage {Stage}: seq {sequence} reached before stage 1 finished it";
            }
            else if (Stage >= 3 && e.Stage2 != Mark(e, 2))
            {
                FirstError = $"stage {Stage}: seq {sequence} reached before stage 2 finished it";
            }
        }

        _nextExpected[e.Producer] = e.Value + 1;
        LastSequence = sequence;
        Count++;
        switch (Stage)
        {
            case 1: e.Stage1 = Mark(e, 1); break;
            case 2: e.Stage2 = Mark(e, 2); break;
            case 3: e.Stage3 = Mark(e, 3); break;
        }

        if (endOfBatch)
        {
            Batches++;
        }
    }

    public long ExpectedFrom(int producer) => _nextExpected[producer];

    public static long Mark(in TestEvent e, int stage) => e.Value * 10 + stage + e.Producer * 1_000_000_000_000L;
}

public struct CheckingHandler : IEventHandler<TestEvent>
{
    private readonly DeliveryCheck _check;

    public CheckingHandler(DeliveryCheck check) => _check = check;

    public readonly void OnEvent(ref TestEvent data, long sequence, bool endOfBatch) => _check.See(ref data, sequence, endOfBatch);
}

/// <summary>Leaves stage 2's mark without checking anything: the second branch of a diamond.</summary>
public readonly struct MarkingHandler : IEventHandler<TestEvent>
{
    public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch) => data.Stage2 = DeliveryCheck.Mark(data, 2);
}

/// <summary>Counts without checking: the cheapest possible stage, for allocation measurements.</summary>
public sealed class CountingState
{
    public long Count { get; set; }

    public long Sum { get; set; }

    public long AllocatedAtStart { get; set; } = -1;

    public long AllocatedAtEnd { get; set; } = -1;

    public long MeasureFrom { get; init; } = -1;

    public long MeasureTo { get; init; } = -1;
}

public struct CountingHandler : IEventHandler<TestEvent>
{
    private readonly CountingState _state;

    public CountingHandler(CountingState state) => _state = state;

    public readonly void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
    {
        if (sequence == _state.MeasureFrom)
        {
            _state.AllocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
        }

        _state.Count++;
        _state.Sum += data.Value;
        if (sequence == _state.MeasureTo)
        {
            _state.AllocatedAtEnd = GC.GetAllocatedBytesForCurrentThread();
        }
    }
}

/// <summary>Three checking stages chained behind a ring's producer, started: s1 → s2 → s3, the producer gated on s3.</summary>
public static class CheckedChain
{
    public static (BatchEventProcessor<TestEvent, CheckingHandler>[] Stages, DeliveryCheck[] Checks) Start(RingBuffer<TestEvent> ring) => Start(ring, _ => null);

    /// <summary>The chain with a wait strategy per stage (null: the ring's).</summary>
    public static (BatchEventProcessor<TestEvent, CheckingHandler>[] Stages, DeliveryCheck[] Checks) Start(RingBuffer<TestEvent> ring, Func<int, IWaitStrategy?> stageWait)
    {
        ArgumentNullException.ThrowIfNull(stageWait);
        var checks = new[] { new DeliveryCheck(1, 1), new DeliveryCheck(1, 2), new DeliveryCheck(1, 3) };
        var stages = new BatchEventProcessor<TestEvent, CheckingHandler>[3];
        Sequence[] upstream = [];
        for (var i = 0; i < stages.Length; i++)
        {
            var barrier = stageWait(i) is { } wait ? ring.NewBarrier(wait, upstream) : ring.NewBarrier(upstream);
            stages[i] = new BatchEventProcessor<TestEvent, CheckingHandler>($"s{i + 1}", ring, barrier, new CheckingHandler(checks[i]));
            upstream = [stages[i].Sequence];
        }

        ring.AddGatingSequences(upstream);
        foreach (var stage in stages)
        {
            stage.Start();
        }

        return (stages, checks);
    }
}

/// <summary>Collection for tests that start spinning threads: they run one at a time on a 2-core machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RingThreadsCollection
{
    public const string Name = "ring threads";
}
