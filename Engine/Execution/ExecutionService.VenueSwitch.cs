using Engine.Exchange;

namespace Engine.Execution;

public sealed partial class ExecutionService
{
    // ---- commands, the venue switch ----

    /// <summary>Flatten: cancels every resting paper order, and every live order when new orders go to the exchange.</summary>
    private void CancelAll()
    {
        CancelOn(_paper, entriesOnly: false);
        if (_live is not null && _venue == _live)
        {
            CancelOn(_live, entriesOnly: false);
        }
    }

    /// <summary>Cancel-all on <paramref name="venue"/> for every symbol where it has an open order of the ledger (an entry, with <paramref name="entriesOnly"/>).</summary>
    private void CancelOn(IOrderVenue venue, bool entriesOnly)
    {
        var paper = venue == _paper;
        var symbols = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in _ledger.Open())
        {
            if (record.IsPaper == paper && !(entriesOnly && record.Order.ReduceOnly))
            {
                symbols.Add(record.Order.Symbol);
            }
        }

        foreach (var symbol in symbols)
        {
            venue.CancelAll(symbol, entriesOnly);
        }
    }

    private void SetMode(long controlMode, string by)
    {
        switch (controlMode)
        {
            case ControlModePaper:
                Switch(VenueMode.Paper, by);
                break;
            case ControlModeLive when _live is null:
                ExecutionLog.ModeRefused(_logger, controlMode, "this engine has no venue credentials");
                break;
            case ControlModeLive:
                Counters.Success();
                Switch(VenueMode.Live, by);
                RecoverOpenOrders("back to live");
                break;
            default:
                ExecutionLog.ModeRefused(_logger, controlMode, "unknown mode (3 = paper, 4 = live)");
                break;
        }
    }

    private void Switch(VenueMode mode, string reason)
    {
        if (_venue.Mode == mode)
        {
            return;
        }

        ExecutionLog.VenueSwitched(_logger, _venue.Mode, mode, reason);
        Counters.SetSwitchReason(reason);
        if (mode == VenueMode.Paper)
        {
            Counters.CountSwitchToPaper();
            if (_haveLiveWallet)
            {
                _paper.Wallet = _lastLiveWallet;
            }
        }

        // The swap: new orders go to the other venue; orders already placed stay where they are, and their answers count.
        _venue = mode == VenueMode.Paper ? _paper : _live!;
        Gateway.SetStageSends(mode == VenueMode.Live);
        Counters.SetMode(mode);
    }

    private void VenueFailure(VenueError error)
    {
        if (_venue != _live)
        {
            return;
        }

        if (error.Category == VenueErrorCategory.Auth || error.HttpStatus == 418)
        {
            Switch(VenueMode.Paper, $"the venue refuses us for good: {error}");
            return;
        }

        if (error.Category == VenueErrorCategory.RateLimit && !error.Sent)
        {
            // Refused locally while a 429 back-off runs: the venue said nothing new.
            return;
        }

        if (Counters.Failure() >= _options.MaxConsecutiveFailures)
        {
            Switch(VenueMode.Paper, $"{Counters.ConsecutiveFailures} venue failures in a row, the last: {error}");
        }
    }
}
