using Engine.Exchange;
using Engine.Exchange.Signing;
using Engine.Exchange.Wire;
using Engine.Exchange.WsApi;
using Engine.Execution;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Simulator;

namespace Tests.Execution;

/// <summary>
/// The engine's own order wire against a simulator, built as the host builds it: the WebSocket API session and the
/// REST order pool, each opened and warmed, answers and lost connections going to the execution service under test.
/// </summary>
internal static class VenueWires
{
    public static async Task<VenueWire> OpenAsync(SimulatorHost sim, ExecutionHarness harness, bool webSocketApi = true, ApiCredentials? credentials = null)
    {
        var client = harness.Client ?? throw new InvalidOperationException("the harness has no venue");
        credentials ??= new ApiCredentials(sim.ApiKey, sim.ApiSecret);
        var pool = new RestOrderPool(
            Options.Create(new RestOrderPoolOptions { BaseAddress = sim.RestBaseUri.ToString(), Connections = 2 }),
            credentials, client.Clock, client.RateLimits, harness.Service, NullLogger<RestOrderPool>.Instance);
        Assert.Equal(2, await pool.StartAsync());
        WsApiSession? session = null;
        if (webSocketApi)
        {
            session = new WsApiSession(new WsApiOptions { Endpoint = sim.WebSocketApiUri }, credentials.ApiKey, RequestSigners.Create(credentials),
                client.RateLimits, client.Clock, harness.Service, NullLogger<WsApiSession>.Instance);
            await session.StartAsync(CancellationToken.None);
        }

        return new VenueWire(session, pool, session is { LoggedOn: false } ? RequestSigners.Create(credentials) : null, SendPathWarmer.Open());
    }
}
