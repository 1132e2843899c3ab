using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Engine.Native;

namespace Benchmarks.Ring.Comparison;

/// <summary>The configurations <c>ringcmp</c> measures, each the shape of one way the engine uses its ring.</summary>
public enum RingCaseKind
{
    /// <summary>One producer, one busy-spinning consumer, one event per claim.</summary>
    OneToOneBusySpin,

    /// <summary>One producer, one yielding consumer, one event per claim.</summary>
    OneToOneYielding,

    /// <summary>Producer → brain → execution → tail: three chained stages (four threads), yielding.</summary>
    ThreeStagePipeline,

    /// <summary>Two producers (the feed and the commands) into a multi-producer ring, one yielding consumer.</summary>
    TwoProducers,

    /// <summary>One producer claiming and publishing ten slots at a time, one busy-spinning consumer.</summary>
    BatchPublish,

    /// <summary>Round trip between two busy-spinning stages over two rings (ping, echo, pong).</summary>
    PingPong,
}

/// <summary>What one run measured: nanoseconds per event, or for the round trip its p50 and p99.</summary>
public readonly record struct RingCaseResult(double NanosecondsPerEvent, double P50, double P99);

/// <summary>
/// Where a two-thread configuration's threads run: the producing thread (the caller; for the ping-pong the pinging
/// stage) on <paramref name="ProducerCpu"/>, the consuming stage (for the ping-pong the echo) on
/// <paramref name="ConsumerCpu"/>; -1 leaves a thread to the scheduler. Both libraries get the same placement.
/// </summary>
public readonly record struct CmpPlacement(int ProducerCpu, int ConsumerCpu)
{
    public static CmpPlacement Unpinned => new(-1, -1);

    public bool IsPinned => ProducerCpu >= 0 || ConsumerCpu >= 0;

    /// <summary>What a stage thread runs first: pins it to <paramref name="cpu"/>, or nothing when it is -1.</summary>
    public static Action? PinTo(int cpu) => cpu < 0 ? null : () => ThreadAffinity.PinCurrentThread(cpu);
}

/// <summary>
/// Runs each task on a new thread of its own pinned to one CPU: how Disruptor-net's processors (started on a task
/// scheduler, one long-running task each) get the same placement as ours.
/// </summary>
public sealed class PinnedThreadScheduler(int cpu) : TaskScheduler
{
    protected override void QueueTask(Task task)
    {
        var thread = new Thread(() =>
        {
            ThreadAffinity.PinCurrentThread(cpu);
            TryExecuteTask(task);
        })
        { IsBackground = true, Name = "cmp-pinned" };
        thread.Start();
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks() => [];
}

/// <summary>One library set up for one configuration: its threads run from construction to disposal.</summary>
public interface IRingCase : IDisposable
{
    /// <summary>Moves <paramref name="events"/> events (round trips for the ping-pong) through the ring and times them.</summary>
    RingCaseResult Run(int events);
}

/// <summary>The 64-byte slot both libraries move: the value the producer writes and one mark per pipeline stage.</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
public struct CmpEvent
{
    public long Value;
    public long Brain;
    public long Execution;
}

/// <summary>
/// The ring operations a producer loop uses, implemented by one struct per library so that the loops below are
/// compiled once per library with every call direct: both libraries run the very same producer code.
/// </summary>
public interface IRingSide
{
    long Next();

    long Next(int count);

    ref CmpEvent this[long sequence] { get; }

    void Publish(long sequence);

    void Publish(long low, long high);
}

/// <summary>The per-event work of each stage, shared by both libraries' handlers so that they do the same work.</summary>
public static class CmpWork
{
    public const int BatchSize = 10;
    public const int RingSize = 64 * 1024;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Brain(ref CmpEvent data) => data.Brain = data.Value + 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Execution(ref CmpEvent data) => data.Execution = data.Brain + 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tail(Tally tally, ref CmpEvent data) => tally.Add(data.Execution - 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sum(Tally tally, ref CmpEvent data) => tally.Add(data.Value);

    /// <summary>The sum of 0 … <paramref name="count"/> − 1: what a consumer of one producer's values must arrive at.</summary>
    public static long SumUpTo(long count) => count * (count - 1) / 2;
}

/// <summary>The producer loops and the timing, generic over the library so both run the same code.</summary>
public static class CmpDriver
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PublishEach<TRing>(TRing ring, long from, long to)
        where TRing : struct, IRingSide
    {
        for (var i = from; i < to; i++)
        {
            var sequence = ring.Next();
            ring[sequence].Value = i;
            ring.Publish(sequence);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PublishBatches<TRing>(TRing ring, long from, long to)
        where TRing : struct, IRingSide
    {
        for (var i = from; i < to; i += CmpWork.BatchSize)
        {
            var high = ring.Next(CmpWork.BatchSize);
            var low = high - (CmpWork.BatchSize - 1);
            for (var sequence = low; sequence <= high; sequence++)
            {
                ring[sequence].Value = i + (sequence - low);
            }

            ring.Publish(low, high);
        }
    }

    /// <summary>Waits (spinning, yielding now and then) until <paramref name="progress"/> reaches <paramref name="target"/>.</summary>
    public static void WaitUntil(Func<long> progress, long target)
    {
        var spin = default(SpinWait);
        while (progress() < target)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// Times <paramref name="work"/> over <paramref name="events"/> events and checks that the consumer's sum came out as
    /// <paramref name="expectedSum"/>: a library that lost or repeated an event does not get a figure.
    /// </summary>
    public static RingCaseResult Time(int events, Action work, Tally tally, long expectedSum, string what)
    {
        var sumBefore = tally.Sum;
        var started = Stopwatch.GetTimestamp();
        work();
        var elapsed = Stopwatch.GetElapsedTime(started);
        var sum = tally.Sum - sumBefore;
        if (sum != expectedSum)
        {
            throw new InvalidOperationException($"{what}: the consumer summed {sum}, expected {expectedSum}");
        }

        var perEvent = elapsed.TotalNanoseconds / events;
        return new RingCaseResult(perEvent, 0, 0);
    }

    /// <summary>The throughput cases' event count rounded down to whole batches (the batch case publishes ten at a time).</summary>
    public static int WholeBatches(int events) => Math.Max(CmpWork.BatchSize, events / CmpWork.BatchSize * CmpWork.BatchSize);
}

/// <summary>
/// The ping side of the round trip: sends a ping, and on each pong records the time since its ping and sends the next,
/// until it has the samples asked for. Runs on the pong ring's stage thread; the first ping comes from the caller.
/// </summary>
public sealed class PingState : IDisposable
{
    private readonly ManualResetEventSlim _done = new(false);
    private long[] _samples = [];
    private int _count;
    private long _sentAt;

    /// <summary>Starts <paramref name="roundTrips"/> round trips through <paramref name="ping"/> and waits for the last pong.</summary>
    public RingCaseResult Run<TRing>(TRing ping, int roundTrips)
        where TRing : struct, IRingSide
    {
        if (_samples.Length != roundTrips)
        {
            _samples = new long[roundTrips];
        }

        _count = 0;
        _done.Reset();
        Send(ping);
        if (!_done.Wait(TimeSpan.FromMinutes(2)))
        {
            throw new TimeoutException($"ping-pong: {_count} of {roundTrips} round trips after two minutes");
        }

        Array.Sort(_samples);
        var toNanoseconds = 1e9 / Stopwatch.Frequency;
        return new RingCaseResult(0, _samples[roundTrips / 2] * toNanoseconds, _samples[(int)(roundTrips * 0.99)] * toNanoseconds);
    }

    /// <summary>The pong stage's handler: records the round trip, then sends the next ping or ends the run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnPong<TRing>(TRing ping, ref CmpEvent pong)
        where TRing : struct, IRingSide
    {
        var now = Stopwatch.GetTimestamp();
        if (pong.Value != _count)
        {
            throw new InvalidOperationException($"ping-pong: pong {pong.Value} for ping {_count}");
        }

        _samples[_count++] = now - _sentAt;
        if (_count < _samples.Length)
        {
            Send(ping);
        }
        else
        {
            _done.Set();
        }
    }

    public void Dispose() => _done.Dispose();

    /// <summary>The echo stage's handler: answers a ping with a pong carrying the same value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Echo<TRing>(TRing pong, ref CmpEvent ping)
        where TRing : struct, IRingSide
    {
        var sequence = pong.Next();
        pong[sequence].Value = ping.Value;
        pong.Publish(sequence);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Send<TRing>(TRing ping)
        where TRing : struct, IRingSide
    {
        _sentAt = Stopwatch.GetTimestamp();
        var sequence = ping.Next();
        ping[sequence].Value = _count;
        ping.Publish(sequence);
    }
}
