namespace Engine.Ring;

/// <summary>
/// A ring stage's logic. Implement it on a struct and pass the struct type to
/// <see cref="BatchEventProcessor{T, THandler}"/>: the call is then direct and inlinable, not an interface dispatch.
/// </summary>
public interface IEventHandler<T>
    where T : struct
{
    /// <summary>
    /// Handles the slot at <paramref name="sequence"/> in place. <paramref name="endOfBatch"/> is true on the last
    /// slot currently available, the moment to flush whatever the stage batches (a socket write, a snapshot).
    /// </summary>
    void OnEvent(ref T data, long sequence, bool endOfBatch);
}

/// <summary>What a processor does after its handler throws.</summary>
public enum FaultAction
{
    /// <summary>Count the event as handled and go on with the next one.</summary>
    Skip,

    /// <summary>Stop the processor; the exception stays in <see cref="IEventProcessor.Fault"/>.</summary>
    Halt,
}

/// <summary>Decides what happens when a handler throws on <paramref name="sequence"/>.</summary>
public delegate FaultAction EventFaultHandler(Exception exception, long sequence);

/// <summary>A running consumer of the ring, seen from whoever starts and stops it.</summary>
public interface IEventProcessor
{
    string Name { get; }

    /// <summary>The last sequence this processor finished; downstream stages and producers gate on it.</summary>
    Sequence Sequence { get; }

    bool IsRunning { get; }

    /// <summary>The exception that halted the processor, if one did.</summary>
    Exception? Fault { get; }

    /// <summary>Stops once everything available to it (published, or finished upstream) is handled.</summary>
    void Halt();

    /// <summary>Waits for the processor's thread to end.</summary>
    bool Join(TimeSpan timeout);
}
