using System.Globalization;
using Engine.Exchange.UserData;
using Engine.State.Reconciliation;

namespace Engine.Control.Health;

/// <summary>The user-data stream ("user_stream"): serving while its socket is open.</summary>
public sealed class UserStreamHealth(UserDataStreamCounters counters, TimeProvider? time = null) : IHealthComponent
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Name => "user_stream";

    public ComponentCheck Check()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var key = Age(now, counters.ListenKeySinceUnixMs);
        var lastEvent = Age(now, counters.LastEventUnixMs);
        if (!counters.Connected)
        {
            return ComponentCheck.Down(string.Create(
                CultureInfo.InvariantCulture,
                $"disconnected (connects {counters.Connects}, failed handshakes {counters.ConnectFailures}, listenKey failures {counters.ListenKeyFailures}); listenKey renewed {key}, last event {lastEvent}"));
        }

        return ComponentCheck.Up(string.Create(
            CultureInfo.InvariantCulture,
            $"connected for {Age(now, counters.ConnectedSinceUnixMs)}; listenKey renewed {key}; last event {lastEvent}; {counters.OrderUpdates} order updates, {counters.Malformed} malformed frames, {counters.Connects - 1} reconnects"));
    }

    internal static string Age(long nowMs, long thenMs) =>
        thenMs == 0 ? "never" : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, nowMs - thenMs) / 1000.0:F0} s ago");
}

/// <summary>
/// Reconciliation ("reconciler"): serving when the last run completed and the last completed run is no older than
/// twice the interval (plus a minute for a slow venue). Down before the first run has completed.
/// </summary>
public sealed class ReconcilerHealth(ReconciliationCounters counters, TimeSpan interval, TimeProvider? time = null) : IHealthComponent
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Name => "reconciler";

    public ComponentCheck Check()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var lastSuccess = counters.LastSuccessUnixMs;
        var age = UserStreamHealth.Age(now, lastSuccess);
        if (lastSuccess == 0)
        {
            return ComponentCheck.Down(counters.RunsFailed > 0
                ? string.Create(CultureInfo.InvariantCulture, $"no reconciliation has completed ({counters.RunsFailed} failed)")
                : "no reconciliation has completed yet");
        }

        if (counters.LastRunFailed)
        {
            return ComponentCheck.Down(string.Create(CultureInfo.InvariantCulture, $"the last run failed; last success {age}"));
        }

        var limit = (interval * 2) + TimeSpan.FromMinutes(1);
        if (now - lastSuccess > limit.TotalMilliseconds)
        {
            return ComponentCheck.Down(string.Create(CultureInfo.InvariantCulture, $"last success {age}, more than twice the interval ({interval.TotalSeconds:F0} s)"));
        }

        return ComponentCheck.Up(string.Create(
            CultureInfo.InvariantCulture,
            $"last success {age}; {counters.LastMismatches} mismatches in the last run, {counters.Mismatches} in all; {counters.RunsCompleted} runs, {counters.RunsFailed} failed"));
    }
}
