using Engine.Execution;

namespace Engine.Control.Health;

/// <summary>
/// The venue execution sends to: serving while orders go where they were configured to go; not serving once the
/// venue failed for good and execution switched itself to paper (until the operator switches back with SetMode).
/// </summary>
public sealed class ExecutionHealth(ExecutionService execution, VenueMode configured) : IHealthComponent
{
    public string Name => "venue";

    public ComponentCheck Check()
    {
        var c = execution.Counters;
        if (execution.Fault is { } fault)
        {
            return ComponentCheck.Down($"the execution I/O loop stopped: {fault.GetType().Name}: {fault.Message}");
        }

        if (c.Mode == VenueMode.Paper && configured == VenueMode.Live)
        {
            return ComponentCheck.Down($"switched to paper: {c.LastSwitchReason ?? "by the operator"}; positions and orders kept; SetMode live to switch back");
        }

        return ComponentCheck.Up(c.Mode == VenueMode.Live
            ? $"live; {c.ConsecutiveFailures} failures in a row, {execution.OpenOrders.Count} open orders"
            : "paper (configured)");
    }
}
