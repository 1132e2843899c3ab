using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Ring;

/// <summary>
/// The loop of one ring stage: wait for the barrier, hand every available slot to the handler in order,
/// then publish progress once per batch.
/// </summary>
/// <remarks>
/// Generic over the handler's struct type so that <c>OnEvent</c> is a direct call the JIT inlines. Progress
/// is stored once per batch, not per event, which is what lets a consumer that falls behind catch up in
/// large, cache-friendly strides. When the wait strategy parks threads, the processor wakes whoever is parked on
/// its sequence after each batch: the stage after it, never the whole pipeline.
/// </remarks>
public sealed class BatchEventProcessor<T, THandler> : IEventProcessor
    where T : struct
    where THandler : struct, IEventHandler<T>
{
    private const int Idle = 0;
    private const int Running = 1;

    private readonly RingBuffer<T> _ring;
    private readonly SequenceBarrier _barrier;
    private readonly bool _signalProgress;
    private readonly EventFaultHandler? _onFault;
    private readonly bool _yieldAfterBatch;
    private readonly Sequence _sequence = new();
    private readonly InFlight _inFlight = new();
    private THandler _handler;
    private int _state;
    private TaskCompletionSource _stopped = CompletedStop();

    /// <param name="name">The stage's name, used for its thread and in logs.</param>
    /// <param name="ring">The ring the stage reads.</param>
    /// <param name="barrier">What it waits on: the cursor, or the stages upstream of it.</param>
    /// <param name="handler">The stage's logic; the processor calls its own copy, so state to read from outside belongs in objects it references.</param>
    /// <param name="onFault">What to do when the handler throws; without it the processor halts and keeps the exception.</param>
    /// <param name="earlyRelease">Bound to this processor's sequence, for a handler that hands single slots on mid-batch.</param>
    public BatchEventProcessor(
        string name, RingBuffer<T> ring, SequenceBarrier barrier, THandler handler, EventFaultHandler? onFault = null, EarlyRelease? earlyRelease = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _ring = ring ?? throw new ArgumentNullException(nameof(ring));
        _barrier = barrier ?? throw new ArgumentNullException(nameof(barrier));
        _signalProgress = ring.Sequencer.WaitStrategy.IsBlocking;
        _handler = handler;
        _onFault = onFault;
        earlyRelease?.Bind(_sequence, _signalProgress);
        _yieldAfterBatch = earlyRelease?.YieldAfterRelease ?? false;
    }

    public string Name { get; }

    public Sequence Sequence => _sequence;

    public bool IsRunning => Volatile.Read(ref _state) == Running;

    public Exception? Fault { get; private set; }

    /// <summary>
    /// Starts the loop on a dedicated background thread. <paramref name="onThreadStart"/> runs first on that thread,
    /// the place to pin it to a core or record where it landed.
    /// </summary>
    public Thread Start(Action? onThreadStart = null)
    {
        if (Interlocked.CompareExchange(ref _state, Running, Idle) != Idle)
        {
            throw new InvalidOperationException($"processor '{Name}' is already running");
        }

        _stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _barrier.ClearAlert();

        var thread = new Thread(() =>
        {
            onThreadStart?.Invoke();
            RunLoop();
        })
        {
            Name = Name,
            IsBackground = true,
        };
        thread.Start();
        return thread;
    }

    public void Halt() => _barrier.Alert();

    public bool Join(TimeSpan timeout) => _stopped.Task.Wait(timeout);

    private static TaskCompletionSource CompletedStop()
    {
        var stopped = new TaskCompletionSource();
        stopped.SetResult();
        return stopped;
    }

    private void RunLoop()
    {
        try
        {
            while (true)
            {
                try
                {
                    ProcessUntilHalted();
                    return;
                }
                catch (Exception exception)
                {
                    // Everything before the event in flight is done; what happens to that one is the fault handler's call.
                    var failed = _inFlight.Sequence;
                    if ((_onFault?.Invoke(exception, failed) ?? FaultAction.Halt) == FaultAction.Halt)
                    {
                        Fault = exception;
                        _sequence.SetValue(failed - 1);
                        return;
                    }

                    _sequence.SetValue(failed);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _state, Idle);
            _stopped.TrySetResult();
            // The loop reads the slots through a plain reference into the ring's native block, which does not keep the
            // ring reachable: this keeps it (and so the block) alive until the loop has ended, whoever else lets go of it.
            GC.KeepAlive(_ring);
        }
    }

    // No exception handling in here: a try region would keep the loop counter in memory instead of a register.
    // The sequence in flight is recorded in a field instead, one store per event that nothing waits on.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ProcessUntilHalted()
    {
        ref var firstSlot = ref _ring.FirstSlot;
        var mask = _ring.IndexMask;
        var next = _sequence.Value + 1;
        while (true)
        {
            var available = _barrier.WaitFor(next);
            if (available >= next)
            {
                for (; next < available; next++)
                {
                    _inFlight.Sequence = next;
                    _handler.OnEvent(ref Unsafe.Add(ref firstSlot, (nint)(next & mask)), next, endOfBatch: false);
                }

                _inFlight.Sequence = next;
                _handler.OnEvent(ref Unsafe.Add(ref firstSlot, (nint)(next & mask)), next, endOfBatch: true);
                next++;

                _sequence.SetValue(available);
                if (_signalProgress)
                {
                    _sequence.WakeWaiters();
                }

                if (_yieldAfterBatch)
                {
                    // The next stage shares this core: let it take the batch now, so that it never has a burst's worth
                    // of slots to get through before the one an order rides on.
                    YieldCore();
                }
            }
            else if (_barrier.IsAlerted)
            {
                return;
            }
        }
    }

    // Out of line: inlined, the system call would give the loop an inlined P/Invoke frame, set up on every entry and
    // keeping the loop's registers spilled around the batch, for a call most stages never make.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void YieldCore() => Thread.Yield();
}

/// <summary>
/// The sequence a processor's handler is working on, written once per event: a padded object of its own so that
/// these writes never share a cache line with state another thread reads.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128 + 8)]
internal sealed class InFlight
{
    [FieldOffset(64)]
    public long Sequence;
}
