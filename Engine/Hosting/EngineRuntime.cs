using System.Diagnostics;
using System.Reflection;

namespace Engine.Hosting;

/// <summary>What this run is: its launch settings, when it started, and the venue mode it is in now.</summary>
public sealed class EngineRuntime
{
    private int _mode;

    public EngineRuntime(LaunchSettings launch)
    {
        Launch = launch ?? throw new ArgumentNullException(nameof(launch));
        _mode = (int)launch.Mode;
        StartedAt = DateTimeOffset.UtcNow;
        StartedTimestamp = Stopwatch.GetTimestamp();
        Version = typeof(EngineRuntime).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
    }

    public LaunchSettings Launch { get; }

    public DateTimeOffset StartedAt { get; }

    public long StartedTimestamp { get; }

    public string Version { get; }

    /// <summary>The venue mode now; execution (issue 8) changes it on SetMode.</summary>
    public EngineMode Mode => (EngineMode)Volatile.Read(ref _mode);

    public TimeSpan Uptime => Stopwatch.GetElapsedTime(StartedTimestamp);

    /// <summary>Records a mode switch; returns the previous mode.</summary>
    public EngineMode SwitchMode(EngineMode mode) => (EngineMode)Interlocked.Exchange(ref _mode, (int)mode);
}
