using System.CommandLine;
using System.Globalization;
using Engine.Control.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace ControlCli;

/// <summary>The commands of enginectl, each one RPC of engine.control.v1.</summary>
internal static class Commands
{
    public const int Ok = 0;
    public const int Refused = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;

    private static readonly JsonFormatter s_json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    private static readonly Option<string> s_address = new("--address")
    {
        Description = "Control-plane address (also ENGINECTL_ADDRESS)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ENGINECTL_ADDRESS") ?? "http://127.0.0.1:5001",
        Recursive = true,
    };

    private static readonly Option<string?> s_token = new("--token")
    {
        Description = "Bearer token, needed when the engine binds a non-loopback address (also ENGINECTL_TOKEN, which keeps it out of the shell history)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ENGINECTL_TOKEN"),
        Recursive = true,
    };

    private static readonly Option<bool> s_asJson = new("--json") { Description = "Print the reply as JSON instead of a table", Recursive = true };

    private static readonly Option<double> s_timeout = new("--timeout")
    {
        Description = "Seconds to wait for an answer",
        DefaultValueFactory = _ => 10,
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("enginectl - control-plane client of the trading engine");
        root.Add(s_address);
        root.Add(s_token);
        root.Add(s_asJson);
        root.Add(s_timeout);

        root.Add(Unary("health", "Health of every component; exit 1 when the engine is not serving",
            (c, o) => c.GetHealthAsync(new GetHealthRequest(), o).ResponseAsync, PrintHealth));
        root.Add(Unary("status", "Mode, uptime, ring and stages",
            (c, o) => c.GetStatusAsync(new GetStatusRequest(), o).ResponseAsync, PrintStatus));
        root.Add(Unary("positions", "Open positions",
            (c, o) => c.ListPositionsAsync(new ListPositionsRequest(), o).ResponseAsync, PrintPositions));

        var symbol = new Option<string?>("--symbol") { Description = "Only this symbol's orders" };
        var orders = Unary("orders", "Working orders",
            (c, o, r) => c.ListOrdersAsync(new ListOrdersRequest { Symbol = r.GetValue(symbol) ?? "" }, o).ResponseAsync, PrintOrders);
        orders.Add(symbol);
        root.Add(orders);

        var dryRun = new Option<bool>("--dry-run") { Description = "Report mismatches without repairing them" };
        var reconcile = Unary("reconcile", "Compare engine state with the venue",
            (c, o, r) => c.ReconcileAsync(new ReconcileRequest { DryRun = r.GetValue(dryRun) }, o).ResponseAsync, PrintReconcile);
        reconcile.Add(dryRun);
        root.Add(reconcile);

        var reason = new Option<string>("--reason") { Description = "Why (logged by the engine)", DefaultValueFactory = _ => "" };
        root.Add(WithReason(Unary("pause", "No new entries until resume",
            (c, o, r) => c.PauseAsync(new PauseRequest { Reason = r.GetValue(reason) ?? "" }, o).ResponseAsync, PrintReply), reason));
        root.Add(WithReason(Unary("resume", "Allow new entries again",
            (c, o, r) => c.ResumeAsync(new ResumeRequest { Reason = r.GetValue(reason) ?? "" }, o).ResponseAsync, PrintReply), reason));
        root.Add(WithReason(Unary("flatten", "Kill switch: cancel every order and close every position",
            (c, o, r) => c.FlattenAsync(new FlattenRequest { Reason = r.GetValue(reason) ?? "" }, o).ResponseAsync, PrintReply), reason));
        root.Add(WithReason(Unary("shutdown", "Stop the engine (drain the ring, exit 0)",
            (c, o, r) => c.ShutdownAsync(new ShutdownRequest { Reason = r.GetValue(reason) ?? "" }, o).ResponseAsync, PrintReply), reason));

        var mode = new Argument<string>("mode") { Description = "paper or live" };
        mode.AcceptOnlyFromAmong("paper", "live");
        var setMode = Unary("mode", "Switch the venue between paper and live",
            (c, o, r) => c.SetModeAsync(new SetModeRequest { Mode = r.GetValue(mode) == "live" ? Mode.Live : Mode.Paper }, o).ResponseAsync, PrintReply);
        setMode.Add(mode);
        root.Add(setMode);

        root.Add(Watch());
        return root;
    }

    private static Command WithReason(Command command, Option<string> reason)
    {
        command.Add(reason);
        return command;
    }

    private static Command Unary<TReply>(string name, string description, Func<EngineControl.EngineControlClient, CallOptions, Task<TReply>> call, Func<TReply, (string Text, int Exit)> print)
        where TReply : IMessage => Unary(name, description, (c, o, _) => call(c, o), print);

    private static Command Unary<TReply>(string name, string description, Func<EngineControl.EngineControlClient, CallOptions, ParseResult, Task<TReply>> call, Func<TReply, (string Text, int Exit)> print)
        where TReply : IMessage
    {
        var command = new Command(name, description);
        command.SetAction(async (result, cancellation) =>
        {
            if (!TryConnect(result, out var channel, out var options, cancellation))
            {
                return Usage;
            }

            using (channel)
            {
                try
                {
                    var reply = await call(new EngineControl.EngineControlClient(channel), options, result).ConfigureAwait(false);
                    var (text, exit) = print(reply);
                    if (result.GetValue(s_asJson))
                    {
                        Console.Out.WriteLine(s_json.Format(reply));
                    }
                    else
                    {
                        Console.Out.Write(text);
                    }

                    if (exit != Ok)
                    {
                        Console.Error.WriteLine($"enginectl: {name}: {OneLine(reply)}");
                    }

                    return exit;
                }
                catch (RpcException failure)
                {
                    return Fail(name, failure);
                }
            }
        });
        return command;
    }

    private static Command Watch()
    {
        var types = new Option<string[]>("--type")
        {
            Description = "Only these event types: health, mode, command, lifecycle, signal, fill",
            AllowMultipleArgumentsPerToken = true,
        };
        types.AcceptOnlyFromAmong("health", "mode", "command", "lifecycle", "signal", "fill");
        var command = new Command("watch", "Stream engine events until the engine stops or Ctrl-C");
        command.Add(types);
        command.SetAction(async (result, cancellation) =>
        {
            if (!TryConnect(result, out var channel, out var options, cancellation, streaming: true))
            {
                return Usage;
            }

            using (channel)
            {
                var request = new WatchEventsRequest();
                foreach (var type in result.GetValue(types) ?? [])
                {
                    request.EventTypes.Add(Enum.Parse<EventType>(type, ignoreCase: true));
                }

                try
                {
                    using var call = new EngineControl.EngineControlClient(channel).WatchEvents(request, options);
                    while (await call.ResponseStream.MoveNext(cancellation).ConfigureAwait(false))
                    {
                        var engineEvent = call.ResponseStream.Current;
                        Console.Out.WriteLine(result.GetValue(s_asJson) ? s_json.Format(engineEvent) : Describe(engineEvent));
                    }

                    return Ok;
                }
                catch (RpcException failure) when (failure.StatusCode == StatusCode.Cancelled && cancellation.IsCancellationRequested)
                {
                    return Ok;
                }
                catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
                {
                    return Ok;
                }
                catch (RpcException failure)
                {
                    return Fail("watch", failure);
                }
            }
        });
        return command;
    }

    private static bool TryConnect(ParseResult result, out GrpcChannel channel, out CallOptions options, CancellationToken cancellation, bool streaming = false)
    {
        var address = result.GetValue(s_address)!;
        channel = null!;
        options = default;
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine($"enginectl: --address '{address}' is not an http:// or https:// address");
            return false;
        }

        var headers = new Metadata();
        if (result.GetValue(s_token) is { Length: > 0 } token)
        {
            headers.Add("authorization", $"Bearer {token}");
        }

        channel = GrpcChannel.ForAddress(uri);
        var seconds = result.GetValue(s_timeout);
        options = new CallOptions(headers, streaming ? null : DateTime.UtcNow.AddSeconds(seconds <= 0 ? 10 : seconds), cancellation);
        return true;
    }

    private static int Fail(string command, RpcException failure)
    {
        var unreachable = failure.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded;
        var detail = failure.Status.Detail;
        if (failure.StatusCode == StatusCode.Unavailable && failure.Status.DebugException is { } cause)
        {
            detail = cause.InnerException?.Message ?? cause.Message;
        }

        Console.Error.WriteLine(unreachable
            ? $"enginectl: {command}: engine unreachable ({failure.StatusCode}): {detail}"
            : $"enginectl: {command}: {failure.StatusCode}: {detail}");
        return unreachable ? Unreachable : Refused;
    }

    private static string OneLine(IMessage reply) => reply is HealthReport health
        ? "engine not serving: " + string.Join("; ", health.Components.Where(c => c.State != HealthState.Serving).Select(c => $"{c.Name}: {c.Detail}"))
        : "failed";

    private static (string, int) PrintHealth(HealthReport report)
    {
        var table = new Table("COMPONENT", "STATE", "SINCE", "DETAIL");
        foreach (var component in report.Components)
        {
            table.Row(component.Name, State(component.State), Time(component.Since), component.Detail);
        }

        var text = $"overall: {State(report.Overall)}   mode: {ModeName(report.Mode)}{(report.Testnet ? " (testnet)" : "")}\n\n{table}";
        if (report.NotMonitored.Count > 0)
        {
            text += "\nnot monitored in this build:\n" + string.Concat(report.NotMonitored.Select(item => $"  {item}\n"));
        }

        return (text, report.Overall == HealthState.Serving ? Ok : Refused);
    }

    private static (string, int) PrintStatus(EngineStatus status)
    {
        var table = new Table("STAGE", "RUNNING", "EVENTS", "BACKLOG", "CPU", "P50", "P99", "MAX", "ROLE");
        foreach (var stage in status.Stages)
        {
            table.Row(stage.Name, stage.Running ? "yes" : "NO", Number(stage.Events), Number(stage.Backlog), stage.Cpu.ToString(CultureInfo.InvariantCulture),
                Nanos(stage.LatencyP50Ns), Nanos(stage.LatencyP99Ns), Nanos(stage.LatencyMaxNs), stage.Fault.Length > 0 ? $"FAULT: {stage.Fault}" : stage.Role);
        }

        var text = $"mode: {ModeName(status.Mode)}{(status.Testnet ? " (testnet)" : "")}   environment: {status.Environment}   version: {status.Version}   pid: {status.ProcessId}\n"
            + $"up {status.Uptime.ToTimeSpan():d\\.hh\\:mm\\:ss} since {Time(status.StartedAt)}   ring: {status.RingSlots} slots, cursor {Number(status.RingCursor)}   "
            + $"published: {Number(status.EventsPublished)}   commands: {Number(status.CommandsCompleted)}"
            + $"   entries: {(status.Paused ? "PAUSED" : "open")}\n\n{table}";
        return (text, Ok);
    }

    private static (string, int) PrintPositions(ListPositionsResponse response)
    {
        var table = new Table("SYMBOL", "SIDE", "QUANTITY", "ENTRY", "UNREALIZED PNL");
        foreach (var p in response.Positions)
        {
            table.Row(p.Symbol, p.Side, p.Quantity, p.EntryPrice, p.UnrealizedPnl);
        }

        return (response.Positions.Count == 0 ? "no open positions\n" : table.ToString(), Ok);
    }

    private static (string, int) PrintOrders(ListOrdersResponse response)
    {
        var table = new Table("SYMBOL", "ORDER ID", "CLIENT ID", "SIDE", "TYPE", "STATUS", "PRICE", "QUANTITY", "FILLED");
        foreach (var o in response.Orders)
        {
            table.Row(o.Symbol, o.OrderId.ToString(CultureInfo.InvariantCulture), o.ClientOrderId, o.Side, o.Type, o.Status, o.Price, o.Quantity, o.FilledQuantity);
        }

        return (response.Orders.Count == 0 ? "no working orders\n" : table.ToString(), Ok);
    }

    private static (string, int) PrintReconcile(ReconcileResponse response)
    {
        var table = new Table("WHAT", "ENGINE", "VENUE", "ACTION");
        foreach (var m in response.Mismatches)
        {
            table.Row(m.What, m.Engine, m.Venue, m.Action);
        }

        var head = $"reconciliation{(response.DryRun ? " (dry run)" : "")} completed {Time(response.CompletedAt)}: {response.Mismatches.Count} mismatch(es)\n";
        return (response.Mismatches.Count == 0 ? head : head + "\n" + table, Ok);
    }

    private static (string, int) PrintReply(CommandReply reply) =>
        ($"{reply.Command}: done (through the ring at sequence {reply.Sequence}, handled by {string.Join(", ", reply.HandledBy)}, {reply.RoundTrip.ToTimeSpan().TotalMilliseconds:0.###} ms)\n", Ok);

    private static string Describe(EngineEvent e)
    {
        var at = Time(e.At);
        return e.EventCase switch
        {
            EngineEvent.EventOneofCase.Health => $"{at} health    {e.Health.Component}: {State(e.Health.State)} ({e.Health.Detail}); overall {State(e.Health.Overall)}",
            EngineEvent.EventOneofCase.Mode => $"{at} mode      {ModeName(e.Mode.From)} -> {ModeName(e.Mode.To)}",
            EngineEvent.EventOneofCase.Command => $"{at} command   {e.Command.Command} (sequence {e.Command.Sequence})",
            EngineEvent.EventOneofCase.Lifecycle => $"{at} lifecycle {e.Lifecycle.Phase}: {e.Lifecycle.Detail}",
            EngineEvent.EventOneofCase.Signal => $"{at} signal    {e.Signal.Symbol} {e.Signal.Side} at {e.Signal.Price} (confidence {e.Signal.Confidence:0.00})",
            EngineEvent.EventOneofCase.Fill => $"{at} fill      {e.Fill.Symbol} {e.Fill.Side} {e.Fill.Quantity} at {e.Fill.Price} (order {e.Fill.OrderId})",
            EngineEvent.EventOneofCase.Cooldown => $"{at} cooldown  {e.Cooldown.Symbol} {e.Cooldown.Phase}{(e.Cooldown.UntilMs > 0 ? $" until {DateTimeOffset.FromUnixTimeMilliseconds(e.Cooldown.UntilMs):yyyy-MM-dd HH:mm:ss}Z" : "")}",
            _ => $"{at} (unknown event)",
        };
    }

    private static string State(HealthState state) => state switch
    {
        HealthState.Serving => "SERVING",
        HealthState.NotServing => "NOT_SERVING",
        _ => "UNKNOWN",
    };

    private static string ModeName(Mode mode) => mode == Mode.Unspecified ? "unknown" : mode.ToString().ToLowerInvariant();

    private static string Time(Google.Protobuf.WellKnownTypes.Timestamp? timestamp) =>
        timestamp is null ? "-" : timestamp.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Nanos(long nanoseconds) => nanoseconds switch
    {
        < 1_000 => $"{nanoseconds} ns",
        < 1_000_000 => $"{nanoseconds / 1e3:0.#} µs",
        _ => $"{nanoseconds / 1e6:0.##} ms",
    };
}
