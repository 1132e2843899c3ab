using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Simulator;

namespace Benchmarks.EndToEnd;

/// <summary>Where the harness's simulator runs.</summary>
public enum VenuePlacement
{
    /// <summary>
    /// A separate process (the standalone <c>Simulator</c>), kept off the CPUs the engine reserves for its stages: the
    /// venue is another machine in production, so its threads and its garbage are not the engine's.
    /// </summary>
    Process,

    /// <summary>In the engine's process: <c>--mode sim</c> exactly as <c>dotnet run --project Engine</c> runs it.</summary>
    Embedded,
}

/// <summary>The simulator one phase runs against, in this process or in its own; disposing it stops it.</summary>
public sealed partial class HarnessVenue : IAsyncDisposable
{
    private readonly SimulatorHost? _embedded;
    private readonly Process? _process;

    private HarnessVenue(SimulatorHost embedded)
    {
        _embedded = embedded;
        RestBaseUri = embedded.RestBaseUri;
        WebSocketBaseUri = embedded.WebSocketBaseUri;
        ApiKey = embedded.ApiKey;
        ApiSecret = embedded.ApiSecret;
    }

    private HarnessVenue(Process process, int port)
    {
        _process = process;
        RestBaseUri = new Uri($"http://127.0.0.1:{port}/");
        WebSocketBaseUri = new Uri($"ws://127.0.0.1:{port}/");
        ApiKey = SimulatorOptions.DefaultApiKey;
        ApiSecret = SimulatorOptions.DefaultApiSecret;
    }

    public Uri RestBaseUri { get; }

    public Uri WebSocketBaseUri { get; }

    public string ApiKey { get; }

    public string ApiSecret { get; }

    /// <summary>Where it runs, for the report.</summary>
    public string Description { get; private init; } = "";

    /// <summary>
    /// Starts a simulator with the harness's venue settings. <paramref name="avoidCpus"/>: CPUs a separate simulator
    /// process must not run on (the engine's reserved stage CPUs), enforced with <c>taskset</c>.
    /// </summary>
    public static async Task<HarnessVenue> StartAsync(E2eSettings settings, VenuePlacement placement, IReadOnlyCollection<int> avoidCpus, CancellationToken cancellationToken)
    {
        var options = Options(settings);
        if (placement == VenuePlacement.Embedded)
        {
            var host = await SimulatorHost.StartAsync(options, cancellationToken).ConfigureAwait(false);
            return new HarnessVenue(host) { Description = "in this process" };
        }

        var inv = CultureInfo.InvariantCulture;
        string[] simulatorArgs =
        [
            "exec", Path.Combine(AppContext.BaseDirectory, "Simulator.dll"), "--port", "0",
            "--symbols", options.Symbols.ToString(inv), "--seed", options.Seed.ToString(inv), "--speed", options.Speed.ToString(inv),
            "--balance", options.Balance.ToString(inv), "--listen-key-minutes", options.ListenKeyLifetime.TotalMinutes.ToString(inv),
            "--weight-limit-per-minute", options.WeightLimitPerMinute.ToString(inv),
            "--order-limit-per-minute", options.OrderLimitPerMinute.ToString(inv),
            "--order-limit-per-10s", options.OrderLimitPer10Seconds.ToString(inv),
        ];
        var allowed = Enumerable.Range(0, Environment.ProcessorCount).Except(avoidCpus).ToArray();
        var confined = avoidCpus.Count > 0 && allowed.Length > 0;
        var start = confined
            ? new ProcessStartInfo("taskset", ["-c", string.Join(',', allowed), "dotnet", .. simulatorArgs])
            : new ProcessStartInfo("dotnet", simulatorArgs);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the simulator process");
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && Listening().Match(line) is { Success: true } match)
            {
                port.TrySetResult(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        };
        process.Exited += (_, _) => port.TrySetException(new InvalidOperationException($"the simulator process exited ({process.ExitCode}) before it listened"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var listening = await port.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            return new HarnessVenue(process, listening)
            {
                Description = $"a separate process (pid {process.Id}){(confined ? $" on CPU {string.Join(',', allowed)}" : "")}",
            };
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>The simulator settings both pipelines run under (the Simulator:* keys of <see cref="E2eSettings.VenueSettings"/>).</summary>
    public static SimulatorOptions Options(E2eSettings settings)
    {
        var venue = settings.VenueSettings().ToDictionary(k => k.Key, k => k.Value);
        var inv = CultureInfo.InvariantCulture;
        return new SimulatorOptions
        {
            Port = 0,
            MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
            Speed = settings.Speed,
            Symbols = settings.Symbols,
            Seed = settings.Seed,
            Balance = decimal.Parse(venue["Simulator:Balance"], inv),
            ListenKeyLifetime = TimeSpan.Parse(venue["Simulator:ListenKeyLifetime"], inv),
            OrderLimitPerMinute = int.Parse(venue["Simulator:OrderLimitPerMinute"], inv),
            OrderLimitPer10Seconds = int.Parse(venue["Simulator:OrderLimitPer10Seconds"], inv),
            WeightLimitPerMinute = int.Parse(venue["Simulator:WeightLimitPerMinute"], inv),
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_embedded is not null)
        {
            await _embedded.DisposeAsync().ConfigureAwait(false);
        }

        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                using (var interrupt = Process.Start("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    await interrupt.WaitForExitAsync().ConfigureAwait(false);
                }

                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }

            _process.Dispose();
        }
    }

    [GeneratedRegex(@"Simulator listening on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();
}
