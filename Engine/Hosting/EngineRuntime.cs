using System.Diagnostics;
using System.Reflection;

namespace Engine.Hosting;

/// <summary>What this run is: its launch settings, when it started, and the venue mode it is in now.</summary>
public sealed class EngineRuntime
{
    private readonly ExecutionHolder? _execution;

    public EngineRuntime(LaunchSettings launch, ExecutionHolder? execution = null)
    {
        Launch = launch ?? throw new ArgumentNullException(nameof(launch));
        _execution = execution;
        StartedAt = DateTimeOffset.UtcNow;
        StartedTimestamp = Stopwatch.GetTimestamp();
        Version = typeof(EngineRuntime).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
    }

    public LaunchSettings Launch { get; }

    public DateTimeOffset StartedAt { get; }

    public long StartedTimestamp { get; }

    public string Version { get; }

    /// <summary>
    /// The mode now: the launch mode, except that a run whose orders go to a venue (sim, live) reads paper while
    /// execution has switched to the paper venue (after a persistent venue failure, or SetMode).
    /// </summary>
    public EngineMode Mode =>
        Launch.Mode is EngineMode.Sim or EngineMode.Live && _execution?.Service?.Mode == Execution.VenueMode.Paper ? EngineMode.Paper : Launch.Mode;

    public TimeSpan Uptime => Stopwatch.GetElapsedTime(StartedTimestamp);
}
