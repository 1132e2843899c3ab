using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Engine.Exchange.Rest;

/// <summary>Keeps the server-time offset fresh: measures it at start and every <see cref="BinanceRestOptions.ClockSyncInterval"/>.</summary>
public sealed class ServerClockSyncService(BinanceRestClient client, IOptions<BinanceRestOptions> options) : BackgroundService
{
    private readonly TimeSpan _interval = options.Value.ClockSyncInterval;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, client.Clock.TimeProvider);
        do
        {
            // A failure is logged by the client; the previous offset stays in use until a measurement succeeds.
            await client.SyncClockAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
