using Engine.Control;
using Engine.Control.Commands;
using Engine.Control.Health;
using Engine.Hosting;
using Engine.Model;
using Grpc.HealthCheck;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tests.Ring;
using Microsoft.Extensions.DependencyInjection;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Tests.Control;

/// <summary>The health monitor over a real pipeline service: stages flip to NOT_SERVING when they stop.</summary>
[Collection(RingThreadsCollection.Name)]
public sealed class HealthMonitorTests
{
    [Fact]
    public async Task Stages_are_serving_while_they_run_and_not_serving_once_halted_and_the_change_is_published()
    {
        var options = new EngineOptions { Ring = new RingOptions { Size = 1024 } };
        var pipeline = new RingPipeline(options.Ring);
        var bus = new CommandBus(pipeline.Ring, pipeline.Replies, pipeline.CommandOwners, CommandOwnership.MissingOwner);
        var venue = await VenueSession.OpenAsync(new LaunchSettings { Mode = EngineMode.Synthetic }, new global::Simulator.SimulatorOptions(), new VenueEndpointOptions(), CancellationToken.None);
        using var services = new ServiceCollection().AddSingleton(venue).BuildServiceProvider();
        var service = new PipelineService(Options.Create(options), pipeline, new SymbolUniverse(new SymbolTable()), bus, services, NullLogger<PipelineService>.Instance);
        var grpcHealth = new HealthServiceImpl();
        var events = new EngineEvents();
        using var subscription = events.Subscribe();
        IHealthComponent[] components = [new StageHealth(service, 0), new StageHealth(service, 1), new StageHealth(service, 2), new SyntheticFeedHealth(service, TimeSpan.FromSeconds(5))];
        using var monitor = new HealthMonitor(components, grpcHealth, events, TimeSpan.FromSeconds(1), NullLogger<HealthMonitor>.Instance);

        var before = monitor.CheckNow();
        Assert.False(before.Serving);
        Assert.All(before.Components, c => Assert.Equal("not started", c.Detail));

        await service.StartAsync(CancellationToken.None);
        var running = monitor.CheckNow();
        Assert.True(running.Serving, string.Join("; ", running.Components.Select(c => $"{c.Name}: {c.Detail}")));
        Assert.Equal(ServingStatus.Serving, (await grpcHealth.Check(new Grpc.Health.V1.HealthCheckRequest { Service = "execution" }, null!)).Status);
        Assert.Equal(ServingStatus.Serving, (await grpcHealth.Check(new Grpc.Health.V1.HealthCheckRequest { Service = "" }, null!)).Status);

        // The pipeline's stages stop (as after a fault or a drain) while the host still runs.
        Assert.True(pipeline.HaltAndDrain(TimeSpan.FromSeconds(10)));
        var halted = monitor.CheckNow();
        Assert.False(halted.Serving);
        Assert.All(halted.Components.Take(3), c => Assert.Equal("stopped", c.Detail));
        Assert.Equal(ServingStatus.NotServing, (await grpcHealth.Check(new Grpc.Health.V1.HealthCheckRequest { Service = "execution" }, null!)).Status);
        Assert.Equal(ServingStatus.NotServing, (await grpcHealth.Check(new Grpc.Health.V1.HealthCheckRequest { Service = HealthMonitor.ControlServiceName }, null!)).Status);

        await service.StopAsync(CancellationToken.None);
        var published = new List<Engine.Control.V1.HealthChanged>();
        while (subscription.Reader.TryRead(out var engineEvent))
        {
            published.Add(engineEvent.Health);
        }

        // Each component: down (not started) → up → (stages) down again.
        Assert.Equal(3, published.Count(h => h.Component == "brain"));
        Assert.Equal(Engine.Control.V1.HealthState.NotServing, published.Last(h => h.Component == "tail").State);
    }
}
