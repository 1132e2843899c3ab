using System.Buffers;
using Engine.State.Journal;

namespace Engine.Execution;

public sealed partial class ExecutionService
{
    // ---- the journal cannot be written (a full disk, a quota, an I/O error) ----

    /// <summary>
    /// Commits what is staged; false when it is not durable yet (then nothing that waits on it may be sent). While the
    /// journal is down the commit is tried again every <see cref="ExecutionOptions.JournalRetryInterval"/>, as a full
    /// flush to disk, and the first that succeeds ends the episode.
    /// </summary>
    private bool CommitJournal()
    {
        if (!_journalDown)
        {
            if (_journal.TryCommit())
            {
                return true;
            }

            JournalFailed();
            return false;
        }

        var now = Environment.TickCount64;
        if (now < _journalRetryAtMs)
        {
            return false;
        }

        _journalRetryAtMs = now + (long)_options.JournalRetryInterval.TotalMilliseconds;
        if (!_journal.TryCommitDurable())
        {
            return false;
        }

        var downMs = now - _journalDownSinceMs;
        _journalDown = false;
        _journalUnavailable = null;
        Gateway.AllowEntries(RejectReason.JournalUnavailable);
        Counters.SetJournalAvailable(true);
        ExecutionLog.JournalBack(_logger, downMs, _journal.WriteFailures, _toSend.Count, _reduceOnly ? "execution stays reduce-only" : "entries resume");
        return true;
    }

    /// <summary>
    /// A commit failed. The first failure of an episode is logged CRITICAL; every entry waiting to be sent fails at
    /// once (it was never sent, and a late entry is a different trade), new entries are refused, and what reduces a
    /// position waits until its intent is journaled. Fills and order updates keep being applied and staged.
    /// </summary>
    private void JournalFailed()
    {
        var now = Environment.TickCount64;
        _journalRetryAtMs = now + (long)_options.JournalRetryInterval.TotalMilliseconds;
        if (_journalDown)
        {
            return;
        }

        _journalDown = true;
        _journalDownSinceMs = now;
        var reason = _journal.WriteError?.Message ?? "write failed";
        _journalUnavailable = reason;
        Gateway.RefuseEntries(RejectReason.JournalUnavailable);
        Counters.SetJournalAvailable(false);
        Counters.CountJournalEpisode();
        ExecutionLog.JournalUnavailable(_logger, reason, _journal.PendingBytes, (long)_options.JournalRetryInterval.TotalMilliseconds, _journal.WriteError);
        for (var i = _toSend.Count - 1; i >= 0; i--)
        {
            var (record, bytes, _) = _toSend[i];
            if (record.Order.ReduceOnly || record.Sends > 0)
            {
                continue;
            }

            _toSend.RemoveAt(i);
            if (bytes.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }

            Counters.CountEntryRefused();
            Fail(record, "not sent: the journal cannot be written (" + reason + ")");
        }
    }

    // ---- journal upkeep ----

    private void Compact()
    {
        // The segments about to go hold the intents the stage's log was told it may forget: that must be on disk first.
        ReleaseIntents();
        if (_intents is not null && !_intents.Flush())
        {
            return;
        }

        var open = new List<JournalOrder>();
        foreach (var record in _ledger.Open())
        {
            open.Add(record.Order);
        }

        var positions = _positions.All();
        try
        {
            _journal.RotateWithSnapshot(JournalCodec.WriteSnapshot(RunId, open, positions));
        }
        catch (IOException)
        {
            // The snapshot stays staged (the next successful commit writes it); the older segments stay until then.
            JournalFailed();
            return;
        }

        ExecutionLog.Compacted(_logger, _journal.Segment, open.Count, positions.Count);
    }
}
