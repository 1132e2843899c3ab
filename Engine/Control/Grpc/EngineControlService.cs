using Engine.Control.Commands;
using Engine.Control.Health;
using Engine.Control.Metrics;
using Engine.Control.V1;
using Engine.Execution;
using Engine.Hosting;
using Engine.Model;
using Engine.State.Positions;
using Engine.State.Reconciliation;
using Engine.Telemetry;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Control.Grpc;

/// <summary>
/// <c>engine.control.v1.EngineControl</c>. Reads come from snapshots the parts publish; commands go through the ring.
/// A request for something this build has no part for is answered UNIMPLEMENTED with the missing part named; see
/// docs/CONTROL_API.md for every status code.
/// </summary>
public sealed partial class EngineControlService : EngineControl.EngineControlBase
{
    /// <summary>The largest request the control plane reads (every request of ours is a few short fields); larger ones are refused RESOURCE_EXHAUSTED.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    private const int MaxReasonLength = 200;

    private readonly PipelineService _service;
    private readonly RingPipeline _pipeline;
    private readonly CommandBus _commands;
    private readonly HealthMonitor _health;
    private readonly EngineEvents _events;
    private readonly EngineRuntime _runtime;
    private readonly IEnumerable<NotMonitored> _notMonitored;
    private readonly CommandCounters _counters;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ControlOptions _options;
    private readonly ILogger<EngineControlService> _logger;
    private readonly VenueSession _venue;
    private readonly SymbolTable _symbols;
    private readonly IServiceProvider _parts;

    public EngineControlService(
        PipelineService service, RingPipeline pipeline, CommandBus commands, HealthMonitor health, EngineEvents events,
        EngineRuntime runtime, IEnumerable<NotMonitored> notMonitored, CommandCounters counters,
        IHostApplicationLifetime lifetime, IOptions<EngineOptions> options, VenueSession venue, SymbolTable symbols,
        IServiceProvider parts, ILogger<EngineControlService> logger)
    {
        _venue = venue;
        _symbols = symbols;
        _parts = parts;
        _service = service;
        _pipeline = pipeline;
        _commands = commands;
        _health = health;
        _events = events;
        _runtime = runtime;
        _notMonitored = notMonitored;
        _counters = counters;
        _lifetime = lifetime;
        _options = options.Value.Control;
        _logger = logger;
    }

    public override Task<HealthReport> GetHealth(GetHealthRequest request, ServerCallContext context)
    {
        var snapshot = _health.Current;
        if (snapshot == HealthSnapshot.Starting)
        {
            snapshot = _health.CheckNow();
        }

        var report = new HealthReport
        {
            Overall = snapshot.Serving ? HealthState.Serving : HealthState.NotServing,
            Mode = ToProto(_runtime.Mode),
            Testnet = _runtime.Launch.Testnet,
            CheckedAt = Timestamp.FromDateTimeOffset(snapshot.CheckedAt),
        };
        foreach (var component in snapshot.Components)
        {
            report.Components.Add(new ComponentHealth
            {
                Name = component.Name,
                State = component.Serving ? HealthState.Serving : HealthState.NotServing,
                Detail = component.Detail,
                Since = Timestamp.FromDateTimeOffset(component.Since),
            });
        }

        foreach (var item in _notMonitored)
        {
            report.NotMonitored.Add(item.ToString());
        }

        return Task.FromResult(report);
    }

    public override Task<EngineStatus> GetStatus(GetStatusRequest request, ServerCallContext context)
    {
        var status = new EngineStatus
        {
            Mode = ToProto(_runtime.Mode),
            Testnet = _runtime.Launch.Testnet,
            Environment = _runtime.Launch.Environment,
            StartedAt = Timestamp.FromDateTimeOffset(_runtime.StartedAt),
            Uptime = Duration.FromTimeSpan(_runtime.Uptime),
            RingSlots = _pipeline.Ring.BufferSize,
            RingCursor = _pipeline.Ring.Cursor,
            EventsPublished = _service.EventsPublished,
            CommandsCompleted = _pipeline.Replies.Completed,
            Paused = _pipeline.Brain.Counters.Paused,
            Version = _runtime.Version,
            ProcessId = Environment.ProcessId,
        };
        var buckets = new long[LatencyHistogram.BucketCount];
        for (var i = 0; i < _pipeline.Stages.Count; i++)
        {
            var stage = _pipeline.Stages[i];
            var statistics = _pipeline.Statistics[i];
            var placement = _pipeline.Placements[i];
            statistics.SincePublished.CopyTo(buckets);
            status.Stages.Add(new StageStatus
            {
                Name = RingPipeline.StageNames[i],
                Running = stage.IsRunning,
                Events = statistics.Events,
                Batches = statistics.Batches,
                Backlog = Math.Max(0, _pipeline.Ring.Cursor - stage.Sequence.Value),
                Thread = placement?.ThreadName ?? "",
                Cpu = placement?.Cpu ?? -1,
                LatencyP50Ns = LatencyHistogram.ValueAtPercentile(buckets, 50),
                LatencyP99Ns = LatencyHistogram.ValueAtPercentile(buckets, 99),
                LatencyMaxNs = LatencyHistogram.MaxValue(buckets),
                Role = _pipeline.Roles[i],
                Fault = stage.Fault?.Message ?? "",
            });
        }

        return Task.FromResult(status);
    }

    public override Task<ListPositionsResponse> ListPositions(ListPositionsRequest request, ServerCallContext context)
    {
        var book = _parts.GetService(typeof(PositionBook)) as PositionBook
            ?? throw Missing("ListPositions", $"mode {_runtime.Launch.Mode.ToString().ToLowerInvariant()} sends no orders, so it holds no positions");
        var open = new List<PositionSnapshot>();
        book.CopyOpen(open);
        var response = new ListPositionsResponse();
        foreach (var position in open)
        {
            response.Positions.Add(new Position
            {
                Symbol = _symbols.NameOf(position.Symbol),
                Side = position.Amount.IsNegative ? "SHORT" : "LONG",
                Quantity = (position.Amount.IsNegative ? -position.Amount : position.Amount).ToString(),
                EntryPrice = position.EntryPrice.ToString(),
                UnrealizedPnl = position.UnrealizedPnl.ToString(),
            });
        }

        return Task.FromResult(response);
    }

    public override Task<ListOrdersResponse> ListOrders(ListOrdersRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Symbol.Length > 0 && !IsSymbolName(request.Symbol))
        {
            // Never echoed as given: the reply shows at most a symbol's length of it, anything but a name's characters as '?'.
            throw Invalid("ListOrders", $"symbol '{Preview(request.Symbol)}' ({request.Symbol.Length} characters) is not a symbol name (upper-case letters, digits and '_', at most {SymbolTable.MaxNameLength})");
        }

        var execution = _parts.GetService(typeof(ExecutionService)) as ExecutionService
            ?? throw Missing("ListOrders", $"mode {_runtime.Launch.Mode.ToString().ToLowerInvariant()} sends no orders");
        var response = new ListOrdersResponse();
        Span<byte> id = stackalloc byte[ClientOrderId.MaxLength];
        foreach (var order in execution.OpenOrders)
        {
            if (request.Symbol.Length > 0 && order.Symbol != request.Symbol)
            {
                continue;
            }

            var written = ClientOrderId.Format(order.ClientOrderId, id);
            response.Orders.Add(new Order
            {
                Symbol = order.Symbol,
                OrderId = order.OrderId,
                ClientOrderId = System.Text.Encoding.ASCII.GetString(id[..written]),
                Side = order.Side == Side.Buy ? "BUY" : "SELL",
                Type = order.Kind.ToString().ToUpperInvariant(),
                Status = StatusName(order.Status),
                Price = order.Price.ToString(),
                Quantity = order.Quantity.ToString(),
                FilledQuantity = order.Filled.ToString(),
            });
        }

        return Task.FromResult(response);
    }

    public override async Task<ReconcileResponse> Reconcile(ReconcileRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var reconciler = _parts.GetService(typeof(Reconciler)) as Reconciler
            ?? throw Missing("Reconcile", $"mode {_runtime.Launch.Mode.ToString().ToLowerInvariant()} has no venue account to reconcile against (orders stay on paper)");
        var report = await reconciler.ReconcileAsync(request.DryRun, context.CancellationToken).ConfigureAwait(false);
        if (!report.Succeeded)
        {
            _counters.Count("Reconcile", "unavailable");
            throw new RpcException(new Status(StatusCode.Unavailable, $"Reconcile: the venue could not be read ({report.Error}); nothing was changed"));
        }

        _counters.Count("Reconcile", "completed");
        var response = new ReconcileResponse { DryRun = report.DryRun, CompletedAt = Timestamp.FromDateTimeOffset(report.CompletedAt) };
        foreach (var mismatch in report.Mismatches)
        {
            response.Mismatches.Add(new Mismatch { What = mismatch.What, Engine = mismatch.Engine, Venue = mismatch.Venue, Action = report.DryRun ? "" : mismatch.Action });
        }

        return response;
    }

    private static string StatusName(OrderStatus status) => status switch
    {
        OrderStatus.New => "NEW",
        OrderStatus.PartiallyFilled => "PARTIALLY_FILLED",
        OrderStatus.Filled => "FILLED",
        OrderStatus.Canceled => "CANCELED",
        OrderStatus.Rejected => "REJECTED",
        OrderStatus.Expired => "EXPIRED",
        _ => "PENDING",
    };

    public override Task<CommandReply> Pause(PauseRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckReason("Pause", request.Reason);
        return SendAsync("Pause", CommandKind.Pause, 0, context);
    }

    public override Task<CommandReply> Resume(ResumeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckReason("Resume", request.Reason);
        return SendAsync("Resume", CommandKind.Resume, 0, context);
    }

    public override Task<CommandReply> Flatten(FlattenRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckReason("Flatten", request.Reason);
        return SendAsync("Flatten", CommandKind.Flatten, 0, context);
    }

    public override Task<CommandReply> SetMode(SetModeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Mode is not (Mode.Paper or Mode.Live))
        {
            throw Invalid("SetMode", $"mode must be MODE_PAPER or MODE_LIVE (got {request.Mode})");
        }

        if (request.Mode == Mode.Live && !_venue.SendsOrders)
        {
            _counters.Count("SetMode", "failed_precondition");
            var why = _runtime.Launch.Mode is EngineMode.Paper or EngineMode.Live
                ? "live needs BINANCE_API_KEY and BINANCE_API_SECRET, which this engine was started without"
                : $"mode {_runtime.Launch.Mode.ToString().ToLowerInvariant()} has no venue to send orders to";
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"SetMode: {why}"));
        }

        return SendAsync("SetMode", CommandKind.SetMode, (long)request.Mode, context);
    }

    public override async Task<CommandReply> Shutdown(ShutdownRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        CheckReason("Shutdown", request.Reason);
        LogShutdownRequested(_logger, context.Peer, request.Reason);
        var reply = await SendAsync("Shutdown", CommandKind.Shutdown, 0, context).ConfigureAwait(false);
        // The ring has drained up to the command; the host now stops the same way it does on SIGTERM. Stopping after
        // this call returns lets the reply reach the caller before the server closes.
        _ = Task.Run(_lifetime.StopApplication, CancellationToken.None);
        return reply;
    }

    public override async Task WatchEvents(WatchEventsRequest request, IServerStreamWriter<EngineEvent> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var wanted = new HashSet<EngineEvent.EventOneofCase>();
        foreach (var type in request.EventTypes)
        {
            wanted.Add(type switch
            {
                EventType.Health => EngineEvent.EventOneofCase.Health,
                EventType.Mode => EngineEvent.EventOneofCase.Mode,
                EventType.Command => EngineEvent.EventOneofCase.Command,
                EventType.Lifecycle => EngineEvent.EventOneofCase.Lifecycle,
                EventType.Signal => EngineEvent.EventOneofCase.Signal,
                EventType.Fill => EngineEvent.EventOneofCase.Fill,
                _ => throw Invalid("WatchEvents", $"event type {type} is not one of HEALTH, MODE, COMMAND, LIFECYCLE, SIGNAL, FILL"),
            });
        }

        // The stream ends when the caller leaves or when the engine stops: stopping completes every subscription
        // after its last event ("stopping"), so the watcher receives that event before the end.
        using var subscription = _events.Subscribe();
        var stop = context.CancellationToken;
        // A watcher first learns the current state of every component, then every change.
        var snapshot = _health.Current;
        foreach (var component in snapshot.Components)
        {
            if (wanted.Count == 0 || wanted.Contains(EngineEvent.EventOneofCase.Health))
            {
                await responseStream.WriteAsync(new EngineEvent
                {
                    At = Timestamp.FromDateTimeOffset(snapshot.CheckedAt),
                    Health = new HealthChanged
                    {
                        Component = component.Name,
                        State = component.Serving ? HealthState.Serving : HealthState.NotServing,
                        Detail = component.Detail,
                        Overall = snapshot.Serving ? HealthState.Serving : HealthState.NotServing,
                    },
                }, stop).ConfigureAwait(false);
            }
        }

        try
        {
            await foreach (var engineEvent in subscription.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                if (wanted.Count == 0 || wanted.Contains(engineEvent.EventCase))
                {
                    await responseStream.WriteAsync(engineEvent, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The caller left or the engine is stopping: the stream ends with OK.
        }
    }

    private async Task<CommandReply> SendAsync(string name, CommandKind kind, long argument, ServerCallContext context)
    {
        var timeout = _options.CommandTimeout;
        if (context.Deadline != DateTime.MaxValue)
        {
            var left = context.Deadline - DateTime.UtcNow;
            timeout = left < timeout ? left : timeout;
        }

        var result = await _commands.SendAsync(kind, argument, timeout, context.CancellationToken).ConfigureAwait(false);
        var code = result.Status switch
        {
            CommandStatus.Completed => StatusCode.OK,
            CommandStatus.NoOwner => StatusCode.Unimplemented,
            CommandStatus.Closed => StatusCode.Unavailable,
            CommandStatus.Busy => StatusCode.ResourceExhausted,
            _ => StatusCode.DeadlineExceeded,
        };
        _counters.Count(name, code switch
        {
            StatusCode.OK => "completed",
            StatusCode.Unimplemented => "unimplemented",
            StatusCode.Unavailable => "unavailable",
            StatusCode.ResourceExhausted => "resource_exhausted",
            _ => "deadline_exceeded",
        });
        if (code != StatusCode.OK)
        {
            throw new RpcException(new Status(code, $"{name}: {result.Detail}"));
        }

        LogCommandCompleted(_logger, name, result.CorrelationId, result.Sequence, result.RoundTrip.TotalMicroseconds);
        _events.Publish(new EngineEvent
        {
            Command = new CommandCompleted { Command = name, CorrelationId = result.CorrelationId, Sequence = result.Sequence },
        });
        var reply = new CommandReply
        {
            Command = name,
            CorrelationId = result.CorrelationId,
            Sequence = result.Sequence,
            RoundTrip = Duration.FromTimeSpan(result.RoundTrip),
            CompletedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        };
        reply.HandledBy.AddRange(result.HandledBy);
        return reply;
    }

    private RpcException Missing(string rpc, string why)
    {
        _counters.Count(rpc, "unimplemented");
        return new RpcException(new Status(StatusCode.Unimplemented, $"{rpc}: {why}"));
    }

    private RpcException Invalid(string rpc, string why)
    {
        _counters.Count(rpc, "invalid_argument");
        return new RpcException(new Status(StatusCode.InvalidArgument, $"{rpc}: {why}"));
    }

    private void CheckReason(string rpc, string reason)
    {
        // The reason reaches the log: no line breaks or separators that would forge a line, no invisible formatting
        // (bidirectional overrides) that would make it read as something else, no broken surrogates.
        if (reason.Length > MaxReasonLength || !IsPrintable(reason))
        {
            throw Invalid(rpc, $"reason must be at most {MaxReasonLength} printable characters (got {reason.Length} characters)");
        }
    }

    internal static bool IsPrintable(string text)
    {
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (System.Text.Rune.DecodeFromUtf16(rest, out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                return false;
            }

            if (System.Text.Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
                or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator
                or System.Globalization.UnicodeCategory.PrivateUse or System.Globalization.UnicodeCategory.OtherNotAssigned)
            {
                return false;
            }

            rest = rest[used..];
        }

        return true;
    }

    private static bool IsSymbolName(string symbol) =>
        symbol.Length <= SymbolTable.MaxNameLength && symbol.All(IsSymbolChar);

    private static bool IsSymbolChar(char c) => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_';

    /// <summary>At most a symbol name's length of <paramref name="input"/>, every character a name cannot hold shown as '?'.</summary>
    internal static string Preview(string input)
    {
        var shown = input.Length <= SymbolTable.MaxNameLength ? input : input[..SymbolTable.MaxNameLength];
        var preview = string.Create(shown.Length, shown, static (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = IsSymbolChar(source[i]) || char.IsAsciiLetterLower(source[i]) ? source[i] : '?';
            }
        });
        return input.Length > shown.Length ? preview + "…" : preview;
    }

    internal static Mode ToProto(EngineMode mode) => mode switch
    {
        EngineMode.Synthetic => Mode.Synthetic,
        EngineMode.Sim => Mode.Sim,
        EngineMode.Paper => Mode.Paper,
        EngineMode.Live => Mode.Live,
        EngineMode.Replay => Mode.Replay,
        _ => Mode.Unspecified,
    };

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Control: {Command} went through the ring (correlation {CorrelationId}, sequence {Sequence}) in {Micros:F0} µs")]
    private static partial void LogCommandCompleted(ILogger logger, string command, long correlationId, long sequence, double micros);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Control: Shutdown requested by {Peer} (reason: '{Reason}')")]
    private static partial void LogShutdownRequested(ILogger logger, string peer, string reason);
}
