namespace Engine.Control.Health;

/// <summary>One component's state at a check: serving or not, and one line saying why.</summary>
public readonly record struct ComponentCheck(bool Serving, string Detail)
{
    public static ComponentCheck Up(string detail) => new(true, detail);

    public static ComponentCheck Down(string detail) => new(false, detail);
}

/// <summary>
/// A part of the engine the health monitor checks. Register one per part in DI
/// (<c>services.AddSingleton&lt;IHealthComponent, …&gt;()</c>); it appears in GetHealth, in grpc.health.v1 under its
/// <see cref="Name"/>, as <c>engine_component_up{component=…}</c>, and in WatchEvents when it changes.
/// </summary>
public interface IHealthComponent
{
    /// <summary>Short lower-case name ("feed", "brain", "user_stream", …); unique.</summary>
    string Name { get; }

    /// <summary>Checks the component; called from the monitor's thread every check interval, never from a stage.</summary>
    ComponentCheck Check();
}

/// <summary>
/// A checklist item this build cannot evaluate because its part has not landed. Register one per missing part
/// (<c>services.AddSingleton(new NotMonitored("user_stream", "…issue 8"))</c>) and remove it when the part lands.
/// </summary>
public sealed record NotMonitored(string Item, string Reason)
{
    public override string ToString() => $"{Item}: {Reason}";
}
