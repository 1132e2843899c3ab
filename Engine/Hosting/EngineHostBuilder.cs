using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Hosting;

/// <summary>Wires the engine into a generic host: options bound and validated at start, the pipeline as a hosted service.</summary>
public static class EngineHostBuilder
{
    public static HostApplicationBuilder Create(string[] args)
    {
        // appsettings.json ships beside the binary; read it from there whatever the working directory is.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
            console.UseUtcTimestamp = true;
        });
        builder.Services.AddOptions<EngineOptions>()
            .Bind(builder.Configuration.GetSection(EngineOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        builder.Services.AddSingleton<PipelineService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<PipelineService>());
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        return builder;
    }
}
