namespace Engine.Control.Commands;

/// <summary>
/// The reply table of commands in flight: a fixed array of slots indexed by correlation id. The sender registers
/// before publishing into the ring; the tail stage completes the slot when the command reaches it, which means every
/// stage has handled it and everything published before it.
/// </summary>
/// <remarks>
/// Nothing here runs for ticks: the tail calls <see cref="Complete"/> only for command events. Completion hands the
/// continuation to the thread pool, so the tail thread never runs RPC code.
/// </remarks>
public sealed class CommandReplies
{
    /// <summary>Commands that may be in flight at once.</summary>
    public const int Capacity = 64;

    private readonly Pending?[] _slots = new Pending?[Capacity];
    private long _lastId;
    private long _completed;

    /// <summary>Commands completed by the tail so far.</summary>
    public long Completed => Volatile.Read(ref _completed);

    /// <summary>Reserves a slot; false when <see cref="Capacity"/> commands are already in flight in that slot's lap.</summary>
    public bool TryRegister(out long correlationId, out Task<long> completion)
    {
        var id = Interlocked.Increment(ref _lastId);
        var pending = new Pending(id);
        if (Interlocked.CompareExchange(ref _slots[id & (Capacity - 1)], pending, null) is not null)
        {
            correlationId = 0;
            completion = Task.FromResult(-1L);
            return false;
        }

        correlationId = id;
        completion = pending.Source.Task;
        return true;
    }

    /// <summary>Frees the slot of a command that will not complete (never published, or its caller gave up).</summary>
    public void Abandon(long correlationId)
    {
        ref var slot = ref _slots[correlationId & (Capacity - 1)];
        var pending = Volatile.Read(ref slot);
        if (pending is not null && pending.Id == correlationId && Interlocked.CompareExchange(ref slot, null, pending) == pending)
        {
            pending.Source.TrySetCanceled();
        }
    }

    /// <summary>Called by the tail stage when command <paramref name="correlationId"/> reaches it at <paramref name="sequence"/>.</summary>
    public void Complete(long correlationId, long sequence)
    {
        ref var slot = ref _slots[correlationId & (Capacity - 1)];
        var pending = Volatile.Read(ref slot);
        if (pending is null || pending.Id != correlationId || Interlocked.CompareExchange(ref slot, null, pending) != pending)
        {
            // A command whose caller gave up, or one published without a reply (an internal command).
            return;
        }

        Interlocked.Increment(ref _completed);
        pending.Source.TrySetResult(sequence);
    }

    private sealed class Pending(long id)
    {
        public readonly long Id = id;
        public readonly TaskCompletionSource<long> Source = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
