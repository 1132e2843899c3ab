using Engine.Model;

namespace Engine.Control.Commands;

/// <summary>Which part of the engine acts on each command, for the refusal when that part is not in the build.</summary>
public static class CommandOwnership
{
    public static string MissingOwner(CommandKind kind) => kind switch
    {
        CommandKind.Pause or CommandKind.Resume =>
            "no stage of this build acts on it: pausing entries is the brain stage's",
        CommandKind.Flatten =>
            "no stage of this build acts on it: cancelling and closing everything needs execution (issue 8), which is not in this build",
        CommandKind.SetMode =>
            "no stage of this build acts on it: the venue switch is execution's (issue 8), which is not in this build",
        CommandKind.Reconcile =>
            "no stage of this build acts on it: reconciliation is the State part's (issue 8), which is not in this build",
        CommandKind.Shutdown => "no stage of this build acknowledges it",
        _ => $"command {kind} is not known",
    };
}
