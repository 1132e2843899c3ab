using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Tests.Hosting;

/// <summary>The engine as a real child process (the same binary `dotnet run --project Engine` runs), with its output captured.</summary>
public sealed partial class EngineProcess : IDisposable
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();
    private readonly object _gate = new();

    /// <summary>Starts the engine on the synthetic market (no venue) with extra environment variables.</summary>
    public EngineProcess(params (string Name, string Value)[] environment)
        : this(["--mode", "synthetic"], environment)
    {
    }

    /// <summary>
    /// Starts the engine in live mode against a simulator that outlives it (Engine:Venue points at it), on
    /// <paramref name="journal"/>, with ephemeral control and metrics ports and <paramref name="extra"/> settings.
    /// </summary>
    public static EngineProcess LiveAgainst(global::Simulator.SimulatorHost sim, string journal, params (string Name, string Value)[] extra) =>
        LiveAgainst(sim, journal, [], extra);

    /// <summary>As the overload without <paramref name="arguments"/>, with those added to the command line.</summary>
    public static EngineProcess LiveAgainst(global::Simulator.SimulatorHost sim, string journal, string[] arguments, params (string Name, string Value)[] extra) => new(
        ["--mode", "live", .. arguments],
        [
            ("BINANCE_API_KEY", sim.ApiKey),
            ("BINANCE_API_SECRET", sim.ApiSecret),
            ("Engine__Venue__RestBaseAddress", sim.RestBaseUri.ToString()),
            ("Engine__Venue__StreamBaseAddress", sim.WebSocketBaseUri.ToString()),
            ("Engine__Journal__Directory", journal),
            ("Engine__Control__Port", "0"),
            ("Engine__Metrics__Port", "0"),
            .. extra,
        ]);

    /// <summary>
    /// Removes the operators' variables (credentials, environment, log level, reconciliation interval) of the machine
    /// running the tests from a child process's environment, so that they cannot leak into the engine under test.
    /// </summary>
    public static void ClearOperatorVariables(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        foreach (var name in (string[])["BINANCE_API_KEY", "BINANCE_API_SECRET", "BINANCE_API_PRIVATE_KEY", "BINANCE_API_PRIVATE_KEY_FILE", "ENVIRONMENT", "LOG_LEVEL", "RECONCILIATION_INTERVAL"])
        {
            start.Environment.Remove(name);
        }
    }

    /// <summary>
    /// Starts the engine with command-line <paramref name="arguments"/> and extra environment variables; with
    /// <paramref name="runUnder"/> (a command and its arguments, e.g. setpriv dropping capabilities) the engine runs under it.
    /// </summary>
    public EngineProcess(string[] arguments, (string Name, string Value)[] environment, string[]? runUnder = null)
    {
        var engine = Path.Combine(AppContext.BaseDirectory, "Engine.dll");
        string[] command = [.. runUnder ?? [], "dotnet", "exec", engine, .. arguments];
        var start = new ProcessStartInfo(command[0], command[1..])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        ClearOperatorVariables(start);

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data, error: true);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>What the engine wrote to stderr alone, line by line (complete once the process has exited and <see cref="WaitForExit"/> returned).</summary>
    public string[] ErrorLines
    {
        get
        {
            lock (_gate)
            {
                return _errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            }
        }
    }

    /// <summary>The process id (the engine's own: dotnet exec runs it in this process).</summary>
    public int Id => _process.Id;

    /// <summary>Waits until the output contains <paramref name="text"/>; false on timeout or exit.</summary>
    public bool WaitForOutput(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            if (_process.HasExited)
            {
                _process.WaitForExit();
                return Output.Contains(text, StringComparison.Ordinal);
            }

            Thread.Sleep(20);
        }

        return false;
    }

    /// <summary>Sends Ctrl-C (SIGINT), as an operator at the terminal would.</summary>
    public void Interrupt() => Assert.Equal(0, Kill(_process.Id, SigInt));

    /// <summary>Sends SIGTERM, as systemd or docker stop would.</summary>
    public void Terminate() => Assert.Equal(0, Kill(_process.Id, SigTerm));

    /// <summary>kill -9: SIGKILL, no drain, no flush; waits until the process is gone.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the start-up line naming where <paramref name="what"/> ("Control plane", "Metrics") listens; returns its port.</summary>
    public int WaitForPort(string what, TimeSpan timeout)
    {
        var marker = what + " listening on http://";
        Assert.True(WaitForOutput(marker, timeout), $"no '{marker}' line; output:\n{Output}");
        var output = Output;
        var start = output.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        var colon = output.IndexOf(':', start);
        var end = colon + 1;
        while (end < output.Length && char.IsAsciiDigit(output[end]))
        {
            end++;
        }

        return int.Parse(output.AsSpan(colon + 1, end - colon - 1), System.Globalization.CultureInfo.InvariantCulture);
    }

    public int WaitForExit(TimeSpan timeout)
    {
        Assert.True(_process.WaitForExit(timeout), $"engine did not exit; output:\n{Output}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Append(string? line, bool error = false)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.AppendLine(line);
            if (error)
            {
                _errors.Append(line).Append('\n');
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
