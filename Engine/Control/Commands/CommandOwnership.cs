using Engine.Model;

namespace Engine.Control.Commands;

/// <summary>Which part of the engine acts on each command, for the refusal when that part is not in the run (a synthetic run has no execution).</summary>
public static class CommandOwnership
{
    public static string MissingOwner(CommandKind kind) => kind switch
    {
        CommandKind.Pause or CommandKind.Resume =>
            "no stage of this run acts on it: pausing entries is the brain stage's",
        CommandKind.Flatten =>
            "no stage of this run acts on it: cancelling and closing everything needs execution, which a run without orders (synthetic mode) does not have",
        CommandKind.SetMode =>
            "no stage of this run acts on it: the venue switch is execution's, which a run without orders (synthetic mode) does not have",
        CommandKind.Reconcile =>
            "no stage of this run acts on it: reconciliation runs off the ring, against a venue account",
        CommandKind.Shutdown => "no stage of this run acknowledges it",
        _ => $"command {kind} is not known",
    };
}
