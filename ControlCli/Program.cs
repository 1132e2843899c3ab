// enginectl: the operator's client of the engine's gRPC control plane (engine.control.v1).
// Exit codes: 0 done (and healthy, for `health`); 1 the engine answered but is unhealthy or refused the request;
// 2 bad usage; 3 the engine is unreachable (or did not answer in time). Failures print one line to stderr.
using ControlCli;

var parsed = Commands.Build().Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        await Console.Error.WriteLineAsync($"enginectl: {error.Message.ReplaceLineEndings(" ").Replace('\t', ' ').Trim()}").ConfigureAwait(false);
    }

    await Console.Error.WriteLineAsync("enginectl: see enginectl --help").ConfigureAwait(false);
    return Commands.Usage;
}

return await parsed.InvokeAsync().ConfigureAwait(false);
