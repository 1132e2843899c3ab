using Engine.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The stop signals are the engine's from the first instruction: a signal at any instant of start-up ends in the one
// graceful stop (exit 0), never in the runtime's default handling.
using var signal = ShutdownSignal.Register();

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
    return await RefuseAsync(errors).ConfigureAwait(false);
}

// Exit codes (docs/OPERATIONS.md lists them all): 0 a stop that drained, also when a signal came during start-up;
// 2 a refusal at start (StartupRefusal: settings, a port taken, a journal or folder the engine cannot use, not enough
// memory), one line per reason and no trace; 1 an unexpected fault, its trace in the log.
VenueSession? venue = null;
WebApplication? app = null;
ILogger? logger = null;
var running = false;
try
{
    var (builder, options) = EngineHostBuilder.Configure(launch);

    // The venue opens first (in sim mode the embedded simulator starts) and closes last, after the host has stopped.
    venue = await VenueSession.OpenAsync(launch, options.Simulator, options.Venue, signal.Token).ConfigureAwait(false);
    app = EngineHostBuilder.Build(builder, options, launch, venue, signal);
    logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Engine");
    await EngineHostBuilder.PrepareAsync(app, signal.Token).ConfigureAwait(false);

    // Build every part before starting any: one that cannot be built (a journal the engine cannot use, a ring this
    // process cannot hold) refuses the start with nothing started to undo. The host then starts these same instances.
    _ = app.Services.GetServices<IHostedService>().ToList();
    try
    {
        // Not cancelled by the signal: a stop asked for during the start is the host's to take (its stopping token
        // reaches every hosted service's start), and StopAsync below then stops whatever had started.
        await app.StartAsync(CancellationToken.None).ConfigureAwait(false);
    }
    catch (Exception startFault)
    {
        // Stop the parts that did start (stages drained, journal flushed) before anything else: a part that failed to
        // start, or a start that gave way to a stop signal (then the exit is 0, as for any stop).
        await StopQuietlyAsync(app, logger).ConfigureAwait(false);
        if (signal.Requested && IsCancellation(startFault))
        {
            return 0;
        }

        throw;
    }

    running = true;
    // Returns once the host has stopped: at a signal or the Shutdown RPC (also one that came during the start).
    await app.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);
    return 0;
}
catch (Exception stopped) when (signal.Requested && !running && IsCancellation(stopped))
{
    // A signal while the venue opened or the symbols were discovered: nothing had started to stop.
    return 0;
}
catch (Exception refused) when (!running && StartupRefusal.Reasons(refused) is { Count: > 0 } reasons)
{
    return await RefuseAsync(reasons).ConfigureAwait(false);
}
catch (Exception fault)
{
    // A bug: its trace goes to the log (the console logger when the host exists, stdout otherwise), one line to stderr.
    if (logger is not null)
    {
        EngineFault.Log(logger, fault, running ? "while running" : "at start");
    }
    else
    {
        await Console.Out.WriteLineAsync($"Unexpected fault at start: {fault}").ConfigureAwait(false);
    }

    await Console.Error.WriteLineAsync(StartupRefusal.OneLine($"engine: unexpected fault {(running ? "while running" : "at start")}: {fault.GetType().Name}: {fault.Message} (the trace is in the log)")).ConfigureAwait(false);
    return 1;
}
finally
{
    if (app is not null)
    {
        await app.DisposeAsync().ConfigureAwait(false);
    }

    if (venue is not null)
    {
        await venue.DisposeAsync().ConfigureAwait(false);
    }
}

static async Task<int> RefuseAsync(IEnumerable<string> reasons)
{
    foreach (var reason in reasons)
    {
        await Console.Error.WriteLineAsync($"engine: {StartupRefusal.OneLine(reason)}").ConfigureAwait(false);
    }

    return 2;
}

static bool IsCancellation(Exception exception) => exception switch
{
    OperationCanceledException => true,
    AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsCancellation),
    _ => false,
};

static async Task StopQuietlyAsync(WebApplication app, ILogger logger)
{
    try
    {
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }
    catch (Exception stopFault)
    {
        EngineFault.Log(logger, stopFault, "while stopping after an interrupted start");
    }
}
