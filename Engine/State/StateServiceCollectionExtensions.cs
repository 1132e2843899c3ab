using Engine.Exchange.UserData;
using Engine.State.Reconciliation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Engine.State;

/// <summary>Binds the state parts' settings; the parts themselves need the ring and symbol table Hosting owns, so Hosting builds them.</summary>
public static class StateServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="UserDataStreamOptions"/> (<c>Engine:UserStream</c>) and <see cref="ReconciliationOptions"/>
    /// (<c>Engine:Reconciliation</c>), both validated at start.
    /// </summary>
    public static IServiceCollection AddStateOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<UserDataStreamOptions>()
            .Bind(configuration.GetSection(UserDataStreamOptions.Section))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UserDataStreamOptions>, UserDataStreamOptionsValidator>());
        services.AddOptions<ReconciliationOptions>()
            .Bind(configuration.GetSection(ReconciliationOptions.Section))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReconciliationOptions>, ReconciliationOptionsValidator>());
        return services;
    }
}
