using System.Collections.Immutable;
using Engine.Control.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using GrpcServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Engine.Control.Health;

/// <summary>One component as last checked.</summary>
public sealed record ComponentState(string Name, bool Serving, string Detail, DateTimeOffset Since);

/// <summary>The result of one round of checks.</summary>
public sealed record HealthSnapshot(bool Serving, ImmutableArray<ComponentState> Components, DateTimeOffset CheckedAt)
{
    public static readonly HealthSnapshot Starting = new(false, [], DateTimeOffset.MinValue);
}

/// <summary>
/// Checks every registered component each interval, keeps the latest snapshot for GetHealth and the metrics,
/// mirrors it into <c>grpc.health.v1</c> (overall as "" and as the control service's name, plus one entry per
/// component), logs and publishes every change. During shutdown everything reports NOT_SERVING.
/// </summary>
public sealed partial class HealthMonitor : BackgroundService
{
    /// <summary>The grpc.health.v1 name of the control service; its status is the overall one.</summary>
    public const string ControlServiceName = "engine.control.v1.EngineControl";

    private readonly IHealthComponent[] _components;
    private readonly HealthServiceImpl _grpcHealth;
    private readonly EngineEvents _events;
    private readonly TimeSpan _interval;
    private readonly ILogger<HealthMonitor> _logger;
    private readonly TimeProvider _time;
    private HealthSnapshot _snapshot = HealthSnapshot.Starting;
    private volatile bool _stopping;

    public HealthMonitor(IEnumerable<IHealthComponent> components, HealthServiceImpl grpcHealth, EngineEvents events, TimeSpan interval, ILogger<HealthMonitor> logger, TimeProvider? time = null)
    {
        _components = [.. components];
        _grpcHealth = grpcHealth;
        _events = events;
        _interval = interval;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        var duplicate = _components.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"two health components are named '{duplicate.Key}'", nameof(components));
        }
    }

    public HealthSnapshot Current => Volatile.Read(ref _snapshot);

    public IReadOnlyList<string> ComponentNames => [.. _components.Select(c => c.Name)];

    /// <summary>Runs one round of checks now (also what the timer does).</summary>
    public HealthSnapshot CheckNow()
    {
        lock (_components)
        {
            var previous = Current;
            var now = _time.GetUtcNow();
            var states = ImmutableArray.CreateBuilder<ComponentState>(_components.Length);
            foreach (var component in _components)
            {
                ComponentCheck check;
                try
                {
                    check = _stopping ? ComponentCheck.Down("the engine is shutting down") : component.Check();
                }
#pragma warning disable CA1031 // A check that throws is a component that is not healthy, not a reason to stop checking.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    check = ComponentCheck.Down($"health check failed: {exception.Message}");
                }

                var before = previous.Components.FirstOrDefault(c => c.Name == component.Name);
                var since = before is not null && before.Serving == check.Serving ? before.Since : now;
                states.Add(new ComponentState(component.Name, check.Serving, check.Detail, since));
            }

            var serving = !_stopping && states.All(s => s.Serving);
            var snapshot = new HealthSnapshot(serving, states.MoveToImmutable(), now);
            Volatile.Write(ref _snapshot, snapshot);
            Publish(previous, snapshot);
            return snapshot;
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        CheckNow();
        return base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        CheckNow();
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                CheckNow();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Publish(HealthSnapshot previous, HealthSnapshot current)
    {
        var overall = current.Serving ? HealthState.Serving : HealthState.NotServing;
        foreach (var state in current.Components)
        {
            var before = previous.Components.FirstOrDefault(c => c.Name == state.Name);
            _grpcHealth.SetStatus(state.Name, state.Serving ? GrpcServingStatus.Serving : GrpcServingStatus.NotServing);
            if (before is null || before.Serving != state.Serving)
            {
                if (state.Serving)
                {
                    LogComponentServing(_logger, state.Name, state.Detail);
                }
                else if (!_stopping)
                {
                    LogComponentNotServing(_logger, state.Name, state.Detail);
                }

                _events.Publish(new EngineEvent
                {
                    Health = new HealthChanged
                    {
                        Component = state.Name,
                        State = state.Serving ? HealthState.Serving : HealthState.NotServing,
                        Detail = state.Detail,
                        Overall = overall,
                    },
                });
            }
        }

        var status = current.Serving ? GrpcServingStatus.Serving : GrpcServingStatus.NotServing;
        _grpcHealth.SetStatus("", status);
        _grpcHealth.SetStatus(ControlServiceName, status);
        if (previous.Serving != current.Serving || previous == HealthSnapshot.Starting)
        {
            LogOverall(_logger, current.Serving ? "SERVING" : "NOT_SERVING");
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Health: {Component} is serving ({Detail})")]
    private static partial void LogComponentServing(ILogger logger, string component, string detail);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Health: {Component} is NOT serving: {Detail}")]
    private static partial void LogComponentNotServing(ILogger logger, string component, string detail);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Health: overall {State}")]
    private static partial void LogOverall(ILogger logger, string state);
}
