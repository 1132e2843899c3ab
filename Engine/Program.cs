using Microsoft.Extensions.Hosting;
using Engine.Hosting;

using var host = EngineHostBuilder.Create(args).Build();
await host.RunAsync().ConfigureAwait(false);
