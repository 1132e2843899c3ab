using Engine.Exchange.UserData;
using Engine.Model;
using Engine.State.Positions;
using Engine.State.Reconciliation;

namespace Engine.Control.Metrics;

/// <summary>
/// Positions (from the tail's <see cref="PositionBook"/> and its stage's <see cref="PositionStageCounters"/>),
/// reconciliation and the user-data stream. Each part is optional: a family is exported only when its part exists, so
/// an absent part never reads as "nothing happened".
/// </summary>
public sealed class StateMetrics(
    PositionBook? positions,
    SymbolTable symbols,
    ReconciliationCounters? reconciliation,
    UserDataStreamCounters? userStream,
    PositionStageCounters? fills = null) : IMetricsSource
{
    private const double Scale = FixedPoint.One;

    public void Collect(PrometheusWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (positions is not null)
        {
            CollectPositions(writer, positions);
        }

        if (fills is not null)
        {
            CollectFills(writer, fills);
        }

        if (reconciliation is not null)
        {
            CollectReconciliation(writer, reconciliation);
        }

        if (userStream is not null)
        {
            CollectUserStream(writer, userStream);
        }
    }

    private void CollectPositions(PrometheusWriter writer, PositionBook book)
    {
        var open = new List<PositionSnapshot>();
        book.CopyOpen(open);
        writer.Family("engine_positions_open", "gauge", "Symbols with a non-zero position in the engine's book.")
            .Sample("engine_positions_open", open.Count);
        writer.Family("engine_exposure_notional", "gauge", "Absolute position value per symbol at the mark (at the entry while no mark is known), in the margin asset.");
        foreach (var p in open)
        {
            var price = p.MarkPrice.IsZero ? p.EntryPrice : p.MarkPrice;
            var value = Math.Abs((double)p.Amount.Mantissa / Scale) * ((double)price.Mantissa / Scale);
            writer.Sample("engine_exposure_notional", value, ("symbol", symbols.NameOf(p.Symbol)));
        }

        writer.Family("engine_pnl_notional", "gauge", "Realized (since start, before fees) and unrealized (at the last mark) PnL over every symbol, in the margin asset.")
            .Sample("engine_pnl_notional", book.TotalRealizedPnl.Mantissa / Scale, ("kind", "realized"))
            .Sample("engine_pnl_notional", book.TotalUnrealizedPnl.Mantissa / Scale, ("kind", "unrealized"));
        writer.Family("engine_position_updates_total", "counter", "Changes to the position book: fills applied, whole positions set (journal, reconciliation).")
            .Sample("engine_position_updates_total", book.FillsApplied, ("kind", "fill"))
            .Sample("engine_position_updates_total", book.PositionsSet, ("kind", "set"));
    }

    private void CollectFills(PrometheusWriter writer, PositionStageCounters c)
    {
        // A symbol appears once it has had a fill: every traded symbol × 2 sides of zeros would only bloat every scrape.
        writer.Family("engine_fills_total", "counter", "Fills applied to the engine's positions (by the tail), by symbol and side.");
        var known = Math.Min(symbols.Count, c.SymbolCapacity);
        for (var id = 1; id <= known; id++)
        {
            var symbol = new SymbolId((ushort)id);
            var buys = c.FillsOf(symbol, Side.Buy);
            var sells = c.FillsOf(symbol, Side.Sell);
            if (buys + sells == 0)
            {
                continue;
            }

            var name = symbols.NameOf(symbol);
            writer.Sample("engine_fills_total", buys, ("symbol", name), ("side", "buy"));
            writer.Sample("engine_fills_total", sells, ("symbol", name), ("side", "sell"));
        }
    }

    private static void CollectReconciliation(PrometheusWriter writer, ReconciliationCounters c)
    {
        writer.Family("engine_reconciliation_runs_total", "counter", "Reconciliation runs by outcome.")
            .Sample("engine_reconciliation_runs_total", c.RunsCompleted - c.DryRuns, ("outcome", "completed"))
            .Sample("engine_reconciliation_runs_total", c.DryRuns, ("outcome", "dry_run"))
            .Sample("engine_reconciliation_runs_total", c.RunsFailed, ("outcome", "failed"));
        writer.Family("engine_reconciliation_mismatches_total", "counter", "Differences from the venue found by completed (not dry) runs.")
            .Sample("engine_reconciliation_mismatches_total", c.Mismatches);
        writer.Family("engine_reconciliation_corrections_total", "counter", "What reconciliation did about differences.")
            .Sample("engine_reconciliation_corrections_total", c.PositionCorrections, ("action", "position_set"))
            .Sample("engine_reconciliation_corrections_total", c.OrdersQueried, ("action", "order_handed_to_ledger"))
            .Sample("engine_reconciliation_corrections_total", c.OrdersCanceled, ("action", "order_canceled"));
        writer.Family("engine_reconciliation_last_success_timestamp_seconds", "gauge", "When the last completed (not dry) reconciliation ended, Unix seconds; 0 before one.")
            .Sample("engine_reconciliation_last_success_timestamp_seconds", c.LastSuccessUnixMs / 1000.0);
    }

    private static void CollectUserStream(PrometheusWriter writer, UserDataStreamCounters c)
    {
        writer.Family("engine_user_stream_connected", "gauge", "1 while the user-data stream's socket is open.")
            .Sample("engine_user_stream_connected", c.Connected ? 1 : 0);
        writer.Family("engine_user_stream_connects_total", "counter", "User-data connections opened (the first, and every reconnect).")
            .Sample("engine_user_stream_connects_total", c.Connects);
        writer.Family("engine_user_stream_events_total", "counter", "User-data frames by what they were.")
            .Sample("engine_user_stream_events_total", c.OrderUpdates, ("type", "order_update"))
            .Sample("engine_user_stream_events_total", c.AccountUpdates, ("type", "account_update"))
            .Sample("engine_user_stream_events_total", c.Ignored, ("type", "ignored"))
            .Sample("engine_user_stream_events_total", c.UnknownSymbol, ("type", "unknown_symbol"))
            .Sample("engine_user_stream_events_total", c.Malformed, ("type", "malformed"))
            .Sample("engine_user_stream_events_total", c.Oversized, ("type", "oversized"));
        writer.Family("engine_user_stream_receive_buffer_bytes", "gauge", "Bytes of the user-data receive buffer now (back to the starting size after a long frame).")
            .Sample("engine_user_stream_receive_buffer_bytes", c.ReceiveBufferBytes);
        writer.Family("engine_user_stream_listen_key_total", "counter", "listenKey operations by outcome.")
            .Sample("engine_user_stream_listen_key_total", c.ListenKeysCreated, ("outcome", "created"))
            .Sample("engine_user_stream_listen_key_total", c.ListenKeyFailures, ("outcome", "create_failed"))
            .Sample("engine_user_stream_listen_key_total", c.KeepAlives, ("outcome", "kept_alive"))
            .Sample("engine_user_stream_listen_key_total", c.KeepAliveFailures, ("outcome", "keep_alive_failed"))
            .Sample("engine_user_stream_listen_key_total", c.ListenKeyExpired, ("outcome", "expired"));
    }
}
