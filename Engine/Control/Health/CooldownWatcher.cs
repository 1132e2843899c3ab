using Engine.Control.V1;
using Engine.Brain;
using Engine.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Engine.Control.Health;

/// <summary>
/// Makes the brain's per-symbol cooldowns visible: a health component listing the active ones, and a log line and
/// a WatchEvents event when one starts or ends. It reads what the brain's thread publishes (one volatile value per
/// symbol) from its own timer thread, so the brain stage does no logging and no allocation for it.
/// </summary>
public sealed partial class CooldownWatcher(BrainCounters counters, SymbolTable symbols, EngineEvents events, ILogger<CooldownWatcher> logger)
    : BackgroundService, IHealthComponent
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(250);
    private readonly Lock _gate = new();
    private long[] _seen = [];

    public string Name => "cooldowns";

    public ComponentCheck Check()
    {
        var active = new List<string>();
        for (var i = 1; i <= symbols.Count; i++)
        {
            var until = counters.CooldownUntilMs(new SymbolId((ushort)i));
            if (until != 0)
            {
                active.Add($"{symbols.NameOf(new SymbolId((ushort)i))} until {DateTimeOffset.FromUnixTimeMilliseconds(until):HH:mm:ss}Z");
            }
        }

        // A cooldown is the engine protecting itself, not a fault: the component stays serving and says which.
        return ComponentCheck.Up(active.Count == 0 ? "no symbol in cooldown" : $"{active.Count} in cooldown: {string.Join(", ", active)}");
    }

    /// <summary>Compares every symbol's cooldown with the last look and reports the changes (also what the timer does).</summary>
    public int Poll()
    {
        lock (_gate)
        {
            var count = symbols.Count;
            if (_seen.Length < count + 1)
            {
                Array.Resize(ref _seen, count + 1);
            }

            var changes = 0;
                for (var i = 1; i <= count; i++)
            {
                var symbol = new SymbolId((ushort)i);
                var until = counters.CooldownUntilMs(symbol);
                if (until == _seen[i])
                {
                    continue;
                }

                var name = symbols.NameOf(symbol);
                if (until != 0)
                {
                    LogStarted(logger, name, DateTimeOffset.FromUnixTimeMilliseconds(until));
                }
                else
                {
                    LogEnded(logger, name);
                }

                events.Publish(new EngineEvent { Cooldown = new Cooldown { Symbol = name, Phase = until != 0 ? "started" : "ended", UntilMs = until } });
                _seen[i] = until;
                changes++;
            }

            return changes;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(s_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Poll();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Cooldown started: {Symbol} takes no new entries until {Until:O} after a failed order")]
    private static partial void LogStarted(ILogger logger, string symbol, DateTimeOffset until);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Cooldown ended: {Symbol} takes entries again")]
    private static partial void LogEnded(ILogger logger, string symbol);
}
