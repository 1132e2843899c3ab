using Engine.Exchange.Rest;
using Engine.Model;
using Engine.State.Journal;

namespace Engine.Execution;

public sealed partial class ExecutionService
{
    private void RecoverOpenOrders(string why)
    {
        var count = 0;
        foreach (var record in _ledger.Open())
        {
            if (!record.IsPaper && !record.InFlight)
            {
                Schedule(record, OrderRecord.PendingAction.Query, TimeSpan.Zero);
                count++;
            }
        }

        if (count > 0)
        {
            ExecutionLog.Recovering(_logger, count, why);
        }
    }

    // ---- opening the journal ----

    /// <summary>Replays the locked journal; a damaged one is set aside for the venue's positions when told to, refused otherwise.</summary>
    private JournalState Recover(bool fromVenue)
    {
        try
        {
            try
            {
                var state = JournalReader.Replay(_folder.Path);
                if (fromVenue)
                {
                    JournalLog.RecoveryNotNeeded(_logger);
                }

                return state;
            }
            catch (JournalDamagedException damage) when (fromVenue && _live is not null)
            {
                return RecoverFromVenue(_live.Client, damage);
            }
        }
        catch
        {
            _folder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The venue's positions become the recovered state (and so the fresh segment's snapshot, the brain's and the tail's
    /// positions at <see cref="Start"/>), read before anything is touched; then every segment is copied aside and the
    /// start-up compaction removes the originals. Orders the journal knew are lost to it: reconciliation settles the
    /// venue's open orders.
    /// </summary>
    private JournalState RecoverFromVenue(BinanceRestClient client, JournalDamagedException damage)
    {
        // Start-up, before any stage runs: waiting here is what the constructor is for.
        var risk = client.GetPositionRiskAsync().GetAwaiter().GetResult();
        if (!risk.IsSuccess)
        {
            throw new JournalUnusableException($"--recover-from-venue: the venue's positions cannot be read ({risk.Error}); the damaged journal in {_folder.Path} was left as it is");
        }

        var state = new JournalState { LastSegment = JournalReader.Segments(_folder.Path)[^1].Number, LastRunId = JournalReader.HighestRunId(_folder.Path) };
        var venue = new SortedDictionary<string, (Quantity Amount, Price Entry)>(StringComparer.Ordinal);
        foreach (var row in risk.Value!)
        {
            if (!row.PositionAmt.IsZero)
            {
                // One-way mode has one BOTH row per symbol; hedge rows (LONG/SHORT) add up to the net, as reconciliation reads them.
                venue[row.Symbol] = venue.TryGetValue(row.Symbol, out var existing) ? (existing.Amount + row.PositionAmt, row.EntryPrice) : (row.PositionAmt, row.EntryPrice);
            }
        }

        foreach (var (symbol, (amount, entry)) in venue)
        {
            state.Positions.Set(new JournalPosition(symbol, amount, entry, Notional.Zero));
        }

        var (folder, segments) = _folder.SetAside(damage.SegmentPath, DateTimeOffset.UtcNow);
        var list = venue.Count == 0 ? "flat" : string.Join(", ", venue.Select(p => $"{p.Key} {p.Value.Amount} @ {p.Value.Entry}"));
        JournalLog.SetAside(_logger, damage.Message, segments, folder, venue.Count, list);
        return state;
    }

    /// <summary>The writer on a fresh segment that starts with the recovered snapshot (compaction at start) and this run's id.</summary>
    private JournalWriter OpenJournal()
    {
        JournalWriter? writer = null;
        try
        {
            writer = new JournalWriter(_journalOptions, _recovered.LastSegment);
            writer.RotateWithSnapshot(JournalCodec.WriteSnapshot(RunId, _recovered.OpenOrders.Values, _positions.All()));
            writer.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteRunStarted(_recordBuffer, RunId)));
            writer.Commit();
            return writer;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            if (writer is not null)
            {
                try
                {
                    writer.Dispose();
                }
                catch (IOException)
                {
                    // The same failure again (a full disk): the refusal below already says it.
                }

                // A segment this start created and could not write a byte to holds nothing: leave no litter. One that
                // holds part of the snapshot stays; the next start cuts it as a torn tail.
                try
                {
                    var created = new FileInfo(JournalWriter.SegmentPath(_folder.Path, writer.Segment));
                    if (writer.Segment > _recovered.LastSegment && created.Exists && created.Length == 0)
                    {
                        created.Delete();
                    }
                }
                catch (IOException)
                {
                    // Left there it is an empty last segment, which the next start reads as nothing.
                }
            }

            _folder.Dispose();
            if (exception is JournalUnusableException)
            {
                throw;
            }

            // The writer wraps the operating system's error; the refusal names that error itself.
            var cause = exception.InnerException is IOException osError ? osError : exception;
            throw new JournalUnusableException($"journal folder {_folder.Path} cannot be written: {cause.Message.ReplaceLineEndings(" ")}", exception);
        }
    }
}
