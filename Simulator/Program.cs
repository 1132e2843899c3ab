using System.Runtime.InteropServices;
using Simulator;

// Standalone: dotnet run --project Simulator -- --port 8080 --symbols 20 --seed 1 --speed 1 --replay FILE
//   --api-key K --api-secret S --balance 10000 --api-key-ed25519 KEY=PUBLIC_KEY.pem. Without --api-key/--api-secret the
//   documented default pair is used; --api-key-ed25519 adds an Ed25519 key (REST and the WebSocket API on /ws-fapi/v1).
SimulatorOptions options;
try
{
    options = SimulatorOptions.FromArgs(args);
    options.Validate();
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    await Console.Error.WriteLineAsync("simulator: " + e.Message).ConfigureAwait(false);
    return 2;
}

using var stop = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

await using var host = await SimulatorHost.StartAsync(options, stop.Token).ConfigureAwait(false);
try
{
    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
}
catch (OperationCanceledException)
{
    // Ctrl+C
}

return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
