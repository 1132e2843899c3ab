// enginectl: the operator's client of the engine's gRPC control plane.
// The control API contract (Control.Proto) has not been written yet, so this tool has no commands
// to offer; it says so plainly instead of pretending to talk to an engine.
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("enginectl - control-plane client for the trading engine");
    Console.WriteLine("No commands are available yet: the control API (engine.control.v1) is not defined.");
    return args.Length == 0 ? 2 : 0;
}

Console.Error.WriteLine($"enginectl: unknown command '{args[0]}' (no commands are available yet)");
return 2;
