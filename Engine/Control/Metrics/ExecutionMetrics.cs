using Engine.Exchange.Wire;
using Engine.Execution;
using Engine.Telemetry;

namespace Engine.Control.Metrics;

/// <summary>Execution's orders, venue mode, recovery work and journal, read from the counters the I/O loop publishes.</summary>
public sealed class ExecutionMetrics(ExecutionService execution) : IMetricsSource
{
    private readonly long[] _buckets = new long[LatencyHistogram.BucketCount];

    public void Collect(PrometheusWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var c = execution.Counters;
        writer.Family("engine_orders_total", "counter", "Orders by outcome: accepted (the venue answered with the order), rejected (by the venue or failed locally), canceled, expired, error (the answer was lost: outcome unknown, then queried).")
            .Sample("engine_orders_total", c.Acknowledged, ("outcome", "accepted"))
            .Sample("engine_orders_total", c.Rejected, ("outcome", "rejected"))
            .Sample("engine_orders_total", c.Canceled, ("outcome", "canceled"))
            .Sample("engine_orders_total", c.Expired, ("outcome", "expired"))
            .Sample("engine_orders_total", c.UnknownOutcomes, ("outcome", "error"));
        writer.Family("engine_execution_venue", "gauge", "1 for the venue new orders go to (live: the exchange; paper: simulated against the book), 0 for the other.")
            .Sample("engine_execution_venue", c.Mode == VenueMode.Live ? 1 : 0, ("venue", "live"))
            .Sample("engine_execution_venue", c.Mode == VenueMode.Paper ? 1 : 0, ("venue", "paper"));
        writer.Family("engine_execution_events_total", "counter", "Execution's work besides orders: requests sent, fills published, order queries, resends after -2013, retries, paper fills, switches to paper, user-data events for foreign orders.")
            .Sample("engine_execution_events_total", c.Sent, ("event", "sent"))
            .Sample("engine_execution_events_total", c.Fills, ("event", "fills"))
            .Sample("engine_execution_events_total", c.Queries, ("event", "queries"))
            .Sample("engine_execution_events_total", c.Resends, ("event", "resends"))
            .Sample("engine_execution_events_total", c.Retries, ("event", "retries"))
            .Sample("engine_execution_events_total", c.PaperFills, ("event", "paper_fills"))
            .Sample("engine_execution_events_total", c.SwitchesToPaper, ("event", "switches_to_paper"))
            .Sample("engine_execution_events_total", c.ForeignEvents, ("event", "foreign_order_events"))
            .Sample("engine_execution_events_total", execution.Gateway.QueueFull, ("event", "queue_full"))
            .Sample("engine_execution_events_total", c.EntriesRefused, ("event", "entries_refused"))
            .Sample("engine_execution_events_total", c.ProtectiveCloses, ("event", "protective_closes"));
        writer.Family("engine_execution_orders_sent_total", "counter", "New orders put on the wire, by venue path (ws_api, rest) and by who sent them: the execution stage itself, or the I/O loop (the stage does not send, or the wire could not take it then).")
            .Sample("engine_execution_orders_sent_total", c.SentBy(WirePath.WebSocketApi, fromStage: true), ("path", "ws_api"), ("from", "stage"))
            .Sample("engine_execution_orders_sent_total", c.SentBy(WirePath.WebSocketApi, fromStage: false), ("path", "ws_api"), ("from", "loop"))
            .Sample("engine_execution_orders_sent_total", c.SentBy(WirePath.Rest, fromStage: true), ("path", "rest"), ("from", "stage"))
            .Sample("engine_execution_orders_sent_total", c.SentBy(WirePath.Rest, fromStage: false), ("path", "rest"), ("from", "loop"));
        writer.Family("engine_execution_stage_send_fallbacks_total", "counter", "Orders the execution stage tried to send and handed to the I/O loop instead (the wire would block or was down, or the intent log had no room).")
            .Sample("engine_execution_stage_send_fallbacks_total", execution.Gateway.StageNotSent);
        writer.Family("engine_execution_reduce_only", "gauge", "1 once execution is reduce-only for the rest of the run (a ring stage halted on a fault): entries refused, positions closed.")
            .Sample("engine_execution_reduce_only", c.ReduceOnly ? 1 : 0);
        writer.Family("engine_execution_consecutive_failures", "gauge", "Venue failures in a row (the switch to paper happens at Engine:Execution:MaxConsecutiveFailures).")
            .Sample("engine_execution_consecutive_failures", c.ConsecutiveFailures);
        writer.Family("engine_journal_records_total", "counter", "Records appended to the write-ahead journal by this process.")
            .Sample("engine_journal_records_total", execution.Journal.RecordsWritten);
        writer.Family("engine_journal_fsyncs_total", "counter", "Times the journal was forced to disk.")
            .Sample("engine_journal_fsyncs_total", execution.Journal.Fsyncs);
        writer.Family("engine_journal_available", "gauge", "1 while the journal can be written; 0 while it cannot (a full disk, a quota, an I/O error): no entries, exits wait until journaled.")
            .Sample("engine_journal_available", c.JournalAvailable ? 1 : 0);
        writer.Family("engine_journal_write_failures_total", "counter", "Journal commits and fsyncs that failed (each is retried; an episode of failures is logged once).")
            .Sample("engine_journal_write_failures_total", execution.Journal.WriteFailures);
        execution.SentLatency.CopyTo(_buckets);
        writer.Family("engine_order_send_seconds", "histogram", "Publication of the event an order was decided on → its request bytes handed to the socket.")
            .LatencyHistogram("engine_order_send_seconds", _buckets, execution.SentLatencySumNanoseconds / 1e9);
        var trace = execution.Trace;
        trace.TickToSocket.CopyTo(_buckets);
        writer.Family("engine_tick_to_order_seconds", "histogram", "The market frame an order was decided on was received (WebSocket message complete) → the order request's first write into the socket began. Orders decided on market data, first sends only.")
            .LatencyHistogram("engine_tick_to_order_seconds", _buckets, trace.TickToSocketSumNanoseconds / 1e9);
        trace.TickToSigned.CopyTo(_buckets);
        writer.Family("engine_tick_to_signed_order_seconds", "histogram", "The market frame an order was decided on was received → the execution stage finished signing the order into its queue to the I/O loop. Same orders as engine_tick_to_order_seconds.")
            .LatencyHistogram("engine_tick_to_signed_order_seconds", _buckets, trace.TickToSignedSumNanoseconds / 1e9);
    }
}
