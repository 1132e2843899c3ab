using System.Buffers;
using System.Text;
using Engine.Model;
using Engine.State.Journal;

namespace Engine.Execution;

public sealed partial class ExecutionService
{
    // ---- reduce-only (protective) mode ----

    /// <summary>
    /// Puts execution in reduce-only mode for the rest of the run and closes what it holds, from any thread (a watcher
    /// calls it when a ring stage halts on a fault: the ring behind that stage no longer moves, so this does not go
    /// through it). The stage half refuses entries at once; the I/O loop cancels the open entry orders, then closes every
    /// position of its fold with reduce-only MARKET orders, each journaled before it is sent, on the venue new orders go
    /// to (the exchange, or the paper venue in paper mode), and keeps closing what a late fill reopens. Returns false when
    /// the I/O loop is not running (stopped or failed): nothing can then be closed.
    /// </summary>
    /// <param name="reason">Why, for the log and health ("stage brain halted: …").</param>
    public bool EnterReduceOnly(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (!IsRunning || _stopping.IsCancellationRequested)
        {
            return false;
        }

        if (Interlocked.Exchange(ref _protectRequested, 1) == 1)
        {
            return true;
        }

        Gateway.RefuseEntries(RejectReason.ReduceOnly);
        _reduceOnlyReason = reason;
        Counters.SetReduceOnly();
        if (_output is RingPublisher publisher)
        {
            // The ring behind a halted stage stops: publish what still fits, drop the rest rather than wait on it forever.
            publisher.Close();
        }

        _inbound.Enqueue(new Inbound(InboundKind.ReduceOnly, 0, default, default, reason));
        _signal.Wake();
        return true;
    }

    private void ReduceOnly(string reason)
    {
        _reduceOnly = true;
        var open = 0;
        foreach (var position in _positions.All())
        {
            open += position.Amount.IsZero ? 0 : 1;
        }

        ExecutionLog.ReduceOnlyEntered(_logger, reason, open, _journalDown ? "; the journal cannot be written: the closes wait until their intents are journaled" : "");
        CancelEntries();
        _protectiveSweepAtMs = 0;
    }

    /// <summary>Cancels every open order that could add to a position (paper: at once; live: all orders of its symbol at the venue).</summary>
    private void CancelEntries()
    {
        CancelOn(_paper, entriesOnly: true);
        if (_live is not null)
        {
            // Whichever venue new orders go to now: entries placed before a switch to paper may still work at the exchange.
            CancelOn(_live, entriesOnly: true);
        }
    }

    /// <summary>
    /// Reduce-only upkeep, every <see cref="ExecutionOptions.JournalRetryInterval"/>: every position of the fold that is
    /// open and has no close working gets a reduce-only MARKET order for all of it (a few attempts per symbol).
    /// </summary>
    private TimeSpan ProtectivePass(TimeSpan next)
    {
        var now = Environment.TickCount64;
        var interval = (long)_options.JournalRetryInterval.TotalMilliseconds;
        if (now < _protectiveSweepAtMs)
        {
            return Sooner(next, _protectiveSweepAtMs);
        }

        _protectiveSweepAtMs = now + interval;
        var closing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in _ledger.Open())
        {
            if (record.Order.ReduceOnly)
            {
                closing.Add(record.Order.Symbol);
            }
        }

        var added = false;
        foreach (var position in _positions.All())
        {
            if (position.Amount.IsZero || closing.Contains(position.Symbol))
            {
                continue;
            }

            var attempts = _protectiveAttempts.GetValueOrDefault(position.Symbol);
            if (attempts >= MaxProtectiveAttempts)
            {
                if (attempts == MaxProtectiveAttempts)
                {
                    _protectiveAttempts[position.Symbol] = attempts + 1;
                    ExecutionLog.ProtectiveCloseGaveUp(_logger, position.Symbol, position.Amount, attempts);
                }

                continue;
            }

            _protectiveAttempts[position.Symbol] = attempts + 1;
            added |= StageProtectiveClose(position);
        }

        if (added && CommitJournal())
        {
            SendCommitted();
        }

        return TimeSpan.FromMilliseconds(Math.Min(interval, next.TotalMilliseconds));
    }

    private const int MaxProtectiveAttempts = 5;

    /// <summary>Ids of protective closes: the upper half of a run's sequence space, which the stage's own count never reaches.</summary>
    private const long ProtectiveIdBase = 1L << 31;

    private bool StageProtectiveClose(JournalPosition position)
    {
        if (!_symbols.TryGet(Encoding.ASCII.GetBytes(position.Symbol), out var id) || id.Value >= _rules.Length)
        {
            ExecutionLog.PositionSymbolUnknown(_logger, position.Symbol);
            return false;
        }

        var amount = position.Amount.Mantissa;
        var paper = _venue == _paper;
        var order = new JournalOrder
        {
            ClientOrderId = ExecutionGateway.ClientOrderIdOf(RunId, ProtectiveIdBase + ++_protectiveSequence),
            Symbol = position.Symbol,
            Side = amount > 0 ? Side.Sell : Side.Buy,
            Kind = OrderKind.Market,
            Quantity = Quantity.FromMantissa(Math.Abs(amount)),
            ReduceOnly = true,
            Paper = paper,
        };

        byte[] bytes = [];
        var length = 0;
        if (!paper)
        {
            bytes = ArrayPool<byte>.Shared.Rent(_options.RequestBufferBytes);
            order.SignedTimestampMs = _live!.Clock.NowUnixMs;
            length = _live.WriteRequest(order, id, order.SignedTimestampMs, bytes);
        }

        var record = _ledger.Add(order, id, paper);
        _snapshotDirty = true;
        _journal.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteIntent(_recordBuffer, order)));
        Counters.CountProtectiveClose();
        ExecutionLog.ProtectiveClose(_logger, WireId(record), position.Symbol, order.Side, order.Quantity, paper ? "paper" : "live");
        if (paper)
        {
            order.OrderId = _paper.NextOrderId();
        }
        else if (length <= 0)
        {
            ArrayPool<byte>.Shared.Return(bytes);
            Fail(record, "the close could not be written (quantity finer than the symbol allows)");
            return true;
        }

        _toSend.Add((record, bytes, length));
        return true;
    }
}
