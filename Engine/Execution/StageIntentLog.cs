using Engine.State.Journal;

namespace Engine.Execution;

/// <summary>The journal folder's <see cref="IntentLog"/> as the execution stage's intent log.</summary>
internal sealed class StageIntentLog(IntentLog log) : IStageIntentLog
{
    public IntentLog Log { get; } = log;

    public IReadOnlyList<JournalOrder> Unreleased => [.. Log.Unreleased.Select(static r => r.Intent)];

    public bool TryAppend(JournalOrder intent, out long sequence) => Log.TryAppend(intent, out sequence);

    public void KeepWarm(JournalOrder intent) => Log.KeepWarm(intent);

    public void Release(long upToSequence) => Log.Release(upToSequence);

    public bool Flush() => Log.Flush();
}
