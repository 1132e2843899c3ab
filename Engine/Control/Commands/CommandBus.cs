using System.Diagnostics;
using Engine.Model;
using Engine.Ring;

namespace Engine.Control.Commands;

/// <summary>How a command ended.</summary>
public enum CommandStatus
{
    /// <summary>It went through the ring and the tail saw it.</summary>
    Completed,

    /// <summary>No stage of this build owns it (the part that would act on it has not landed).</summary>
    NoOwner,

    /// <summary>The engine is stopping (or not started) and takes no more commands.</summary>
    Closed,

    /// <summary>Too many commands in flight, or the ring stayed full.</summary>
    Busy,

    /// <summary>It was published but did not reach the tail in time.</summary>
    TimedOut,
}

/// <summary>The outcome of <see cref="CommandBus.SendAsync"/>.</summary>
public readonly record struct CommandResult(
    CommandStatus Status, CommandKind Kind, long CorrelationId, long Sequence, TimeSpan RoundTrip, IReadOnlyList<string> HandledBy, string Detail);

/// <summary>
/// The control plane's side of "commands go through the ring": it is a second producer into the pipeline's
/// (multi-producer) ring. A command is published as a <see cref="MarketEventKind.Command"/> event, passes every stage
/// in order with the market data, and its RPC completes when the tail stage has seen it.
/// </summary>
public sealed class CommandBus
{
    private readonly RingBuffer<MarketEvent> _ring;
    private readonly CommandReplies _replies;
    private readonly IReadOnlyDictionary<CommandKind, string[]> _owners;
    private readonly Func<CommandKind, string> _missingOwner;
    private volatile bool _closed;

    /// <param name="ring">The pipeline's ring; must be a multi-producer ring, since the market source publishes too.</param>
    /// <param name="replies">The table the tail stage completes.</param>
    /// <param name="owners">For each command this build can act on, the stages that act on it.</param>
    /// <param name="missingOwner">For a command without owner: which part would own it (named in the refusal).</param>
    public CommandBus(RingBuffer<MarketEvent> ring, CommandReplies replies, IReadOnlyDictionary<CommandKind, string[]> owners, Func<CommandKind, string> missingOwner)
    {
        _ring = ring ?? throw new ArgumentNullException(nameof(ring));
        _replies = replies ?? throw new ArgumentNullException(nameof(replies));
        _owners = owners ?? throw new ArgumentNullException(nameof(owners));
        _missingOwner = missingOwner ?? throw new ArgumentNullException(nameof(missingOwner));
        if (ring.Sequencer is not MultiProducerSequencer)
        {
            throw new ArgumentException("commands need a multi-producer ring: the market source publishes into it as well", nameof(ring));
        }
    }

    public long Completed => _replies.Completed;

    /// <summary>Takes no more commands (shutdown has begun); those in flight still complete.</summary>
    public void Close() => _closed = true;

    public bool IsClosed => _closed;

    /// <summary>Whether some stage of this build acts on <paramref name="kind"/>, and which.</summary>
    public bool TryGetOwners(CommandKind kind, out string[] stages) => _owners.TryGetValue(kind, out stages!);

    public async Task<CommandResult> SendAsync(CommandKind kind, long argument, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!_owners.TryGetValue(kind, out var stages))
        {
            return new CommandResult(CommandStatus.NoOwner, kind, 0, -1, TimeSpan.Zero, [], _missingOwner(kind));
        }

        if (_closed)
        {
            return new CommandResult(CommandStatus.Closed, kind, 0, -1, TimeSpan.Zero, stages, "the engine is shutting down and takes no more commands");
        }

        if (!_replies.TryRegister(out var id, out var completion))
        {
            return new CommandResult(CommandStatus.Busy, kind, 0, -1, TimeSpan.Zero, stages, $"{CommandReplies.Capacity} commands are already in flight");
        }

        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        long sequence;
        // TryNext, not Next: a full ring (a stalled stage) must fail this RPC, not hang the caller's thread. A ring
        // that is only momentarily full frees a slot within microseconds, so spin a little before sleeping.
        var spins = 0;
        while (!_ring.TryNext(out sequence))
        {
            if (Stopwatch.GetTimestamp() > deadline || cancellationToken.IsCancellationRequested)
            {
                _replies.Abandon(id);
                return new CommandResult(CommandStatus.Busy, kind, id, -1, Stopwatch.GetElapsedTime(started), stages, "the ring stayed full; a stage is not keeping up");
            }

            if (++spins < 200)
            {
                Thread.SpinWait(20);
            }
            else
            {
                await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
            }
        }

        ref var slot = ref _ring[sequence];
        var now = Stopwatch.GetTimestamp();
        slot.Begin(MarketEventKind.Command, default, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), now);
        slot.Command.Kind = kind;
        slot.Command.Argument = argument;
        slot.Command.CorrelationId = id;
        slot.Stamps[(int)StagePoint.Published] = now;
        _ring.Publish(sequence);

        var remaining = TimeSpan.FromSeconds(Math.Max(0, (deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));
        try
        {
            var reached = await completion.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            return new CommandResult(CommandStatus.Completed, kind, id, reached, Stopwatch.GetElapsedTime(started), stages, "");
        }
        catch (OperationCanceledException)
        {
            _replies.Abandon(id);
            throw;
        }
        catch (TimeoutException)
        {
            _replies.Abandon(id);
            return new CommandResult(CommandStatus.TimedOut, kind, id, sequence, Stopwatch.GetElapsedTime(started), stages, $"published at sequence {sequence} but not through the pipeline within {timeout.TotalSeconds:0.###} s");
        }
    }
}
