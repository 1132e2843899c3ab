using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Engine.Exchange.Rest;
using Engine.Exchange.UserData;
using Engine.Execution;
using Engine.Feed;
using Engine.Feed.Replay;
using Engine.State.Journal;
using Engine.State.Reconciliation;
using Microsoft.Extensions.Configuration;

namespace Engine.Hosting;

/// <summary>
/// What start-up checks across every settings section before anything starts: that each value converts to its
/// setting's type (a binder error names the setting and the value), that no interval is beyond what the timers take,
/// and that the control plane's and metrics' ports are free. Each problem is one line naming the setting.
/// </summary>
public static class SettingsCheck
{
    /// <summary>
    /// The longest interval any setting may have. Timers and delays take at most about 49.7 days (2^32 - 2 ms) and
    /// throw past it — on a thread nobody observes — so the bound is set well inside that, at a day: nothing the engine
    /// does periodically is meant to wait longer.
    /// </summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);

    /// <summary>Every section the engine binds, with the type it binds to.</summary>
    private static readonly (string Section, Type Type)[] s_sections =
    [
        (EngineOptions.Section, typeof(EngineOptions)),
        (ExecutionOptions.Section, typeof(ExecutionOptions)),
        (JournalOptions.Section, typeof(JournalOptions)),
        (FeedOptions.Section, typeof(FeedOptions)),
        (ReplayOptions.Section, typeof(ReplayOptions)),
        (BinanceRestOptions.Section, typeof(BinanceRestOptions)),
        (UserDataStreamOptions.Section, typeof(UserDataStreamOptions)),
        (ReconciliationOptions.Section, typeof(ReconciliationOptions)),
    ];

    /// <summary>Adds to <paramref name="failures"/> every value of <paramref name="configuration"/> that does not convert and every interval out of bounds.</summary>
    public static void CheckSections(IConfiguration configuration, List<string> failures)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(failures);
        foreach (var (section, type) in s_sections)
        {
            object? bound;
            try
            {
                bound = configuration.GetSection(section).Get(type);
            }
            catch (InvalidOperationException unconvertible)
            {
                // The binder's message names the setting, the value and the type it should be ("Failed to convert
                // configuration value 'abc' at 'Engine:Ring:Size' to type 'System.Int32'."); it stops at the first per section.
                failures.Add(StartupRefusal.OneLine(unconvertible.Message));
                continue;
            }

            CheckIntervals(bound ?? Activator.CreateInstance(type)!, section, failures, depth: 0);
        }
    }

    /// <summary>Adds to <paramref name="failures"/> a line for each listener whose address and port another socket already listens on.</summary>
    public static void CheckListeners(EngineOptions options, List<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        CheckListener("Engine:Control", options.Control.Address, options.Control.Port, failures);
        if (options.Metrics.Enabled)
        {
            CheckListener("Engine:Metrics", options.Metrics.Address, options.Metrics.Port, failures);
        }
    }

    private static void CheckIntervals(object settings, string path, List<string> failures, int depth)
    {
        foreach (var property in settings.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanRead || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var type = property.PropertyType;
            if (type == typeof(TimeSpan))
            {
                var value = (TimeSpan)property.GetValue(settings)!;
                if (value > MaxInterval || value < -MaxInterval)
                {
                    failures.Add($"{path}:{property.Name} must be at most {MaxInterval.TotalHours:0} hours (got {value}).");
                }
            }
            // The embedded simulator's settings are the test venue's own (a listenKey that never lapses lives 30 days):
            // its own validation bounds them, not the engine's timers.
            else if (depth < 4 && type.IsClass && type != typeof(string) && type.Namespace is { } ns
                && ns.StartsWith("Engine", StringComparison.Ordinal)
                && property.GetValue(settings) is { } nested)
            {
                CheckIntervals(nested, $"{path}:{property.Name}", failures, depth + 1);
            }
        }
    }

    private static void CheckListener(string section, string address, int port, List<string> failures)
    {
        if (port is <= 0 or > 65535 || !IPAddress.TryParse(address, out var ip))
        {
            return; // a free port is picked at bind; a bad address or port is the validator's to report
        }

        // Bind and listen as Kestrel will, then let go: a port another process listens on is found here, before the
        // journal, the feed and the user stream start, not after. Address reuse as Kestrel has it, so that a port left
        // in TIME_WAIT by the previous run does not count as taken.
        using var probe = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            probe.Bind(new IPEndPoint(ip, port));
            probe.Listen(1);
        }
        catch (SocketException taken)
        {
            failures.Add($"{section}:Port {port} on {address} cannot be listened on ({taken.SocketErrorCode}: {taken.Message}): another process holds it, or choose another port (0 picks a free one).");
        }
    }
}
