using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Exchange.Rest;

/// <summary>Keeps the server-time offset fresh: measures it at start and every <see cref="BinanceRestOptions.ClockSyncInterval"/>.</summary>
public sealed class ServerClockSyncService(BinanceRestClient client, IOptions<BinanceRestOptions> options, ILogger<ServerClockSyncService> logger)
    : BackgroundService
{
    private readonly TimeSpan _interval = options.Value.ClockSyncInterval;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, client.Clock.TimeProvider);
        do
        {
            // Failures are logged by the client; the previous offset stays in use until a measurement succeeds.
            var result = await client.SyncClockAsync(stoppingToken).ConfigureAwait(false);
            if (!result.IsSuccess && logger.IsEnabled(LogLevel.Debug))
            {
                RestLog.ClockSyncFailed(logger, result.Error);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
