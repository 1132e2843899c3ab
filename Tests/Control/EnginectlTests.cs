using System.Diagnostics;
using System.Text.Json;

namespace Tests.Control;

/// <summary>enginectl as an operator runs it (a child process) against a real engine.</summary>
public sealed class EnginectlTests(RunningEngine fixture) : IClassFixture<RunningEngine>
{
    private static string Cli => Tests.EndToEnd.EndToEnd.CliPath;

    private static (int Exit, string Out, string Err) Run(params string[] args) => Tests.EndToEnd.EndToEnd.Enginectl(args);

    private string Address => $"http://127.0.0.1:{fixture.Client.ControlPort}";

    [Fact]
    public void Health_prints_a_table_and_exits_0_when_serving_and_json_on_request()
    {
        var (exit, output, error) = Run("health", "--address", Address);
        Assert.Equal(0, exit);
        Assert.Empty(error);
        Assert.StartsWith("overall: SERVING   mode: synthetic", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^feed\s+SERVING\s+", output);
        Assert.Contains("user_stream: no venue in synthetic mode", output, StringComparison.Ordinal);

        var (jsonExit, json, _) = Run("health", "--json", "--address", Address);
        Assert.Equal(0, jsonExit);
        using var document = JsonDocument.Parse(json);
        Assert.Equal("HEALTH_STATE_SERVING", document.RootElement.GetProperty("overall").GetString());
        Assert.Equal(5, document.RootElement.GetProperty("components").GetArrayLength());
    }

    [Fact]
    public void Status_prints_the_stages()
    {
        var (exit, output, _) = Run("status", "--address", Address);
        Assert.Equal(0, exit);
        Assert.Contains("mode: synthetic", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^brain\s+yes\s+[\d,]+", output);
        Assert.Matches(@"(?m)^tail\s+yes\s+[\d,]+", output);
    }

    [Theory]
    [InlineData("positions", "Unimplemented: ListPositions")]
    [InlineData("orders", "Unimplemented: ListOrders")]
    [InlineData("reconcile --dry-run", "Unimplemented: Reconcile")]
    [InlineData("flatten", "Unimplemented: Flatten")]
    [InlineData("mode paper", "Unimplemented: SetMode")]
    [InlineData("mode live", "FailedPrecondition: SetMode: mode synthetic has no venue")]
    public void Commands_the_engine_refuses_exit_1_with_its_one_line_reason(string command, string reason)
    {
        var (exit, output, error) = Run([.. command.Split(' '), "--address", Address]);
        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_usage_exits_2_and_an_unreachable_engine_exits_3_with_one_line()
    {
        var usage = Run("mode", "turbo", "--address", Address);
        Assert.Equal(2, usage.Exit);
        Assert.Contains("turbo", usage.Err, StringComparison.Ordinal);

        // A port nothing listens on: bind one, note it, close it.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var (exit, _, error) = Run("health", "--address", $"http://127.0.0.1:{port}", "--timeout", "5");
        Assert.Equal(3, exit);
        Assert.StartsWith("enginectl: health: engine unreachable", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Watch_streams_the_state_of_every_component()
    {
        using var process = Process.Start(new ProcessStartInfo("dotnet", ["exec", Cli, "watch", "--type", "health", "--address", Address])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var lines = new List<string>();
            while (lines.Count < 4 && process.StandardOutput.ReadLine() is { } line)
            {
                lines.Add(line);
            }

            Assert.Equal(4, lines.Count);
            Assert.All(lines, line => Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ health    \w+: SERVING", line));
        }
        finally
        {
            process.Kill();
        }
    }
}
