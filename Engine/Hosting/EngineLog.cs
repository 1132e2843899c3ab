using Microsoft.Extensions.Logging;
using Engine.Native;
using Engine.Ring;

namespace Engine.Hosting;

/// <summary>The engine's log lines, source-generated so they cost nothing when their level is off.</summary>
internal static partial class EngineLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Ring buffer ready: {Slots} slots ({Bytes} bytes, {SlotBytes} bytes per slot, {Pages}), wait strategy {WaitStrategy}, {Cores} cores")]
    public static partial void RingReady(ILogger logger, int slots, long bytes, int slotBytes, string pages, WaitStrategyKind waitStrategy, int cores);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Stage {Stage} started: thread '{Thread}' (managed id {ThreadId}) on CPU {Cpu}, {Pin}")]
    public static partial void StageStarted(ILogger logger, string stage, string thread, int threadId, int cpu, PinResult pin);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Stage {Stage}: {Pin}")]
    public static partial void PinFailed(ILogger logger, string stage, PinResult pin);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Synthetic market source started: {Symbols} symbols, {Rate} events/s")]
    public static partial void SourceStarted(ILogger logger, int symbols, int rate);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Throughput: {Rate:F0} events/s over {Seconds:F1} s ({Total} in all); publish-to-tail latency p50 {P50} ns, p99 {P99} ns, p99.9 {P999} ns, max {Max} ns")]
    public static partial void Throughput(ILogger logger, double rate, double seconds, long total, long p50, long p99, long p999, long max);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Stopping: intake stopped after {Published} events; draining the ring")]
    public static partial void Stopping(ILogger logger, long published);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Stopped: stage {Stage} handled {Events} events in {Batches} batches")]
    public static partial void StageStopped(ILogger logger, string stage, long events, long batches);

    [LoggerMessage(EventId = 8, Level = LogLevel.Error, Message = "Stage {Stage} did not drain within {Timeout}")]
    public static partial void DrainTimedOut(ILogger logger, string stage, TimeSpan timeout);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "The market source did not stop within {Timeout}; draining what it has published so far")]
    public static partial void SourceDidNotStop(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Request signing: {Backend}")]
    public static partial void SigningBackend(ILogger logger, string backend);

    [LoggerMessage(EventId = 9, Level = LogLevel.Critical, Message = "Stage {Stage} halted on a fault")]
    public static partial void StageFaulted(ILogger logger, Exception exception, string stage);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Venue: {Venue}")]
    public static partial void VenueOpened(ILogger logger, string venue);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Venue clock: offset {OffsetMs} ms (round trip {RoundTripMs:0.0} ms)")]
    public static partial void ClockSynchronized(ILogger logger, long offsetMs, double roundTripMs);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Venue clock not measured ({Error}); signed requests use local time until the next measurement")]
    public static partial void ClockNotSynchronized(ILogger logger, string error);

    [LoggerMessage(EventId = 23, Level = LogLevel.Information, Message = "Symbols: {Count} from {Origin}; first: {First}")]
    public static partial void SymbolsChosen(ILogger logger, int count, string origin, string first);

    [LoggerMessage(EventId = 28, Level = LogLevel.Warning, Message = "Replay without rules for {Symbols}: no Engine:Replay:ExchangeInfo file names them, so the brain refuses every entry and no order is placed")]
    public static partial void ReplayWithoutRules(ILogger logger, string symbols);

    [LoggerMessage(EventId = 24, Level = LogLevel.Information, Message = "Venue connected: {Connections} market-stream connections for {Symbols} symbols; {UserStream}; execution {Mode} (run {RunId}, journal {Journal})")]
    public static partial void VenueConnected(ILogger logger, int connections, int symbols, string userStream, string mode, long runId, string journal);

    [LoggerMessage(EventId = 25, Level = LogLevel.Warning, Message = "Market streams not all connected within {Timeout}; they keep retrying in the background")]
    public static partial void FeedSlowToConnect(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 26, Level = LogLevel.Information, Message = "Replay started: {Files} file(s), speed {Speed}; orders on paper")]
    public static partial void ReplayStarted(ILogger logger, int files, string speed);

    [LoggerMessage(EventId = 27, Level = LogLevel.Information, Message = "Execution stopped: journal flushed ({Journal})")]
    public static partial void ExecutionStopped(ILogger logger, string journal);

    [LoggerMessage(EventId = 29, Level = LogLevel.Information, Message = "CPUs {Cpus} reserved for the pinned stages: {Moved} other thread(s) moved off them")]
    public static partial void StageCpusReserved(ILogger logger, string cpus, int moved);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "Order wire: {WebSocketApi}; REST order pool {Ready} of {Connections} connections ready; the execution stage sends: {StageSends}")]
    public static partial void OrderWire(ILogger logger, string webSocketApi, int ready, int connections, bool stageSends);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "WebSocket API session at {Endpoint} could not start: orders go over REST")]
    public static partial void WebSocketApiUnavailable(ILogger logger, Exception exception, Uri endpoint);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Start interrupted by a stop request: stopping the parts started so far")]
    public static partial void StartInterrupted(ILogger logger);
}
