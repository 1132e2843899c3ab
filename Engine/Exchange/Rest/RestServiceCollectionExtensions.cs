using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Engine.Exchange.Rest;

/// <summary>Registers the REST client, its clock and rate-limit tracker, and the clock refresh.</summary>
public static class RestServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="BinanceRestOptions"/> from <see cref="BinanceRestOptions.Section"/> (validated at start) and
    /// registers <see cref="ServerClock"/>, <see cref="RateLimitTracker"/>, <see cref="BinanceRestClient"/> and
    /// <see cref="ServerClockSyncService"/>. Keyed endpoints work when an <see cref="ApiCredentials"/> is registered.
    /// </summary>
    public static IServiceCollection AddBinanceRest(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BinanceRestOptions>()
            .Bind(configuration.GetSection(BinanceRestOptions.Section))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BinanceRestOptions>, BinanceRestOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => new ServerClock(provider.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<BinanceRestOptions>>().Value;
            return new RateLimitTracker(options.RateLimitUsablePercent, options.RateLimitBackoff);
        });
        services.TryAddSingleton<BinanceRestClient>();
        services.AddHostedService<ServerClockSyncService>();
        return services;
    }
}
