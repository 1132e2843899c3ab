using Engine.Hosting;
using Microsoft.Extensions.Options;

// Decide what to run before anything starts: bad arguments, bad operator variables and modes this build cannot run
// are refused here with every reason and exit code 2.
var errors = new List<string>();
var launch = EngineLaunch.Parse(args, Environment.GetEnvironmentVariable, errors);
if (launch.ShowHelp)
{
    Console.Out.WriteLine(EngineLaunch.Usage);
    return 0;
}

errors.AddRange(EngineLaunch.Unavailable(launch) is { } unavailable ? [unavailable] : []);
if (errors.Count > 0)
{
    foreach (var error in errors)
    {
        await Console.Error.WriteLineAsync($"engine: {error}").ConfigureAwait(false);
    }

    await Console.Error.WriteLineAsync("engine: refusing to start (Engine --help for usage)").ConfigureAwait(false);
    return 2;
}

try
{
    var (builder, options) = EngineHostBuilder.Configure(launch);

    // The venue opens first (in sim mode the embedded simulator starts) and closes last, after the host has stopped.
    await using var venue = await VenueSession.OpenAsync(launch, options.Simulator, options.Venue, CancellationToken.None).ConfigureAwait(false);
    await using var app = EngineHostBuilder.Build(builder, options, launch, venue);
    await EngineHostBuilder.PrepareAsync(app, CancellationToken.None).ConfigureAwait(false);
    await app.RunAsync().ConfigureAwait(false);
    return 0;
}
catch (OptionsValidationException invalid)
{
    foreach (var failure in invalid.Failures)
    {
        await Console.Error.WriteLineAsync($"engine: {failure}").ConfigureAwait(false);
    }

    await Console.Error.WriteLineAsync("engine: refusing to start: fix the settings above").ConfigureAwait(false);
    return 2;
}
catch (Engine.State.Journal.JournalUnusableException unusable)
{
    // Another engine's folder, a damaged segment, a folder that cannot be read or written: a restart cannot fix it.
    await Console.Error.WriteLineAsync($"engine: {unusable.Message}").ConfigureAwait(false);
    return 2;
}
catch (IOException bind) when (bind.InnerException is System.Net.Sockets.SocketException || bind.Message.Contains("bind", StringComparison.OrdinalIgnoreCase))
{
    await Console.Error.WriteLineAsync($"engine: cannot listen: {bind.Message}").ConfigureAwait(false);
    return 2;
}
