using Engine.Hosting;

namespace Tests.Hosting;

/// <summary>The command line and the operators' variables: what is accepted, and every refusal with its reason.</summary>
public sealed class LaunchTests
{
    private static LaunchSettings Parse(string[] args, List<string> errors, params (string Name, string Value)[] environment)
    {
        var variables = environment.ToDictionary(v => v.Name, v => v.Value);
        return EngineLaunch.Parse(args, name => variables.GetValueOrDefault(name), errors);
    }

    [Fact]
    public void Without_arguments_the_engine_runs_sim_mode_the_embedded_simulator()
    {
        var errors = new List<string>();
        var launch = Parse([], errors);

        Assert.Empty(errors);
        Assert.Equal(EngineMode.Sim, launch.Mode);
        Assert.Equal("development", launch.Environment);
        Assert.Null(launch.Credentials);
        Assert.Null(EngineLaunch.Unavailable(launch));
    }

    [Theory]
    [InlineData("synthetic")]
    [InlineData("sim")]
    [InlineData("paper")]
    [InlineData("replay")]
    public void Every_mode_is_available_in_this_build(string mode)
    {
        var errors = new List<string>();
        var file = Path.GetTempFileName();
        try
        {
            var launch = Parse(mode == "replay" ? ["--mode", mode, "--file", file] : ["--mode", mode], errors);
            Assert.Empty(errors);
            Assert.Null(EngineLaunch.Unavailable(launch));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Live_mode_without_keys_is_an_error_naming_the_missing_variables_and_never_echoes_a_key()
    {
        var none = new List<string>();
        Parse(["--mode", "live"], none);
        Assert.Contains("live mode needs API keys: BINANCE_API_KEY and BINANCE_API_SECRET (or BINANCE_API_PRIVATE_KEY_FILE for an Ed25519 key) are not set.", none);

        var keyOnly = new List<string>();
        Parse(["--mode=live", "--testnet"], keyOnly, ("BINANCE_API_KEY", "abcdefghijklmnopqrstuvwxyz"));
        Assert.Contains("live mode needs API keys: BINANCE_API_SECRET (or BINANCE_API_PRIVATE_KEY_FILE for an Ed25519 key) is not set.", keyOnly);
        Assert.DoesNotContain(keyOnly, e => e.Contains("abcdefghijklmnopqrstuvwxyz", StringComparison.Ordinal));

        var both = new List<string>();
        var launch = Parse(["--mode", "live", "--testnet"], both, ("BINANCE_API_KEY", "abcdefghijklmnopqrstuvwxyz"), ("BINANCE_API_SECRET", "0123456789012345678901234"));
        Assert.Empty(both);
        Assert.True(launch.Testnet);
        Assert.NotNull(launch.Credentials);
        Assert.DoesNotContain("abcdefghijklmnopqrstuvwxyz", launch.ToString(), StringComparison.Ordinal);
        Assert.Contains("testnet", launch.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_arguments_and_variables_are_each_reported()
    {
        var errors = new List<string>();
        Parse(["--mode", "turbo", "--verbose", "--testnet", "--file", "x.csv"], errors,
            ("ENVIRONMENT", "staging"), ("LOG_LEVEL", "loud"), ("RECONCILIATION_INTERVAL", "-5"), ("BINANCE_API_SECRET", "s3cr3t-s3cr3t-s3cr3t"));

        Assert.Contains("--mode 'turbo' is not a mode (synthetic, sim, paper, live, replay).", errors);
        Assert.Contains("unknown argument '--verbose'.", errors);
        Assert.Contains("--testnet applies to --mode live only.", errors);
        Assert.Contains("--file applies to --mode replay only.", errors);
        Assert.Contains("ENVIRONMENT 'staging' must be development or production.", errors);
        Assert.Contains(errors, e => e.StartsWith("LOG_LEVEL 'loud'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("RECONCILIATION_INTERVAL '-5'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("BINANCE_API_SECRET", StringComparison.Ordinal));
        Assert.Contains("BINANCE_API_SECRET is set without BINANCE_API_KEY; set both or neither.", errors);
        Assert.DoesNotContain(errors, e => e.Contains("s3cr3t", StringComparison.Ordinal));
    }

    [Fact]
    public void Operator_variables_become_configuration_and_configuration_arguments_pass_through()
    {
        var errors = new List<string>();
        var launch = Parse(["--Engine:Ring:Size=1024", "--Engine:ReportInterval", "00:00:02"], errors,
            ("ENVIRONMENT", "Production"), ("LOG_LEVEL", "warn"), ("RECONCILIATION_INTERVAL", "60"));

        Assert.Empty(errors);
        Assert.Equal("production", launch.Environment);
        Assert.Equal("Warning", launch.ConfigurationOverrides["Logging:LogLevel:Default"]);
        Assert.Equal("00:01:00", launch.ConfigurationOverrides["Engine:Reconciliation:Interval"]);
        Assert.Equal(["--Engine:Ring:Size=1024", "--Engine:ReportInterval", "00:00:02"], launch.ConfigurationArgs);
    }

    [Fact]
    public void Replay_needs_an_existing_file()
    {
        var missing = new List<string>();
        Parse(["--mode", "replay"], missing);
        Assert.Contains("--mode replay needs --file PATH (a Binance public-data CSV).", missing);

        var absent = new List<string>();
        Parse(["--mode", "replay", "--file", "/nonexistent/trades.csv"], absent);
        Assert.Contains("--file '/nonexistent/trades.csv' does not exist.", absent);
    }

    [Fact]
    public void The_engine_process_refuses_live_mode_without_keys_saying_why_with_exit_code_2()
    {
        using var engine = new EngineProcess(["--mode", "live"], [("Engine__Control__Port", "0"), ("Engine__Metrics__Port", "0")]);

        Assert.Equal(2, engine.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(["engine: live mode needs API keys: BINANCE_API_KEY and BINANCE_API_SECRET (or BINANCE_API_PRIVATE_KEY_FILE for an Ed25519 key) are not set."], engine.ErrorLines);
        Assert.DoesNotContain("Ring buffer ready", engine.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_engine_process_refuses_a_non_loopback_bind_without_a_token()
    {
        using var engine = new EngineProcess([], [("Engine__Control__Address", "0.0.0.0"), ("Engine__Control__Port", "0"), ("Engine__Metrics__Port", "0")]);

        Assert.Equal(2, engine.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("Engine:Control:Address 0.0.0.0 is not loopback: set Engine:Control:Token", engine.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Ring buffer ready", engine.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/", null, "go together: set both or neither")]
    [InlineData("ftp://127.0.0.1:8080/", "ws://127.0.0.1:8080/", "RestBaseAddress must be an absolute http or https address (got 'ftp://127.0.0.1:8080/')")]
    [InlineData("http://127.0.0.1:8080/", "http://127.0.0.1:8080/", "StreamBaseAddress must be an absolute ws or wss address")]
    [InlineData("127.0.0.1:8080", "ws://127.0.0.1:8080/", "RestBaseAddress must be an absolute http or https address")]
    public void Venue_endpoints_are_both_or_neither_and_absolute_with_the_right_schemes(string? rest, string? streams, string expected)
    {
        var failures = new List<string>();
        new VenueEndpointOptions { RestBaseAddress = rest, StreamBaseAddress = streams }.Validate(failures);

        Assert.Contains(failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Valid_venue_endpoints_pass_and_name_a_live_venue_other_than_binance()
    {
        var failures = new List<string>();
        var endpoints = new VenueEndpointOptions { RestBaseAddress = "https://gateway.example:8443/", StreamBaseAddress = "wss://gateway.example:8443/" };
        endpoints.Validate(failures);
        Assert.Empty(failures);

        var launch = new LaunchSettings { Mode = EngineMode.Live, Credentials = new Engine.Exchange.ApiCredentials("KEY0123456789", "SECRET0123456789") };
        await using var venue = await VenueSession.OpenAsync(launch, new global::Simulator.SimulatorOptions(), endpoints, CancellationToken.None);
        Assert.Equal(new Uri("https://gateway.example:8443/"), venue.RestBaseAddress);
        Assert.Equal(new Uri("wss://gateway.example:8443/"), venue.StreamBaseAddress);
        Assert.True(venue.SendsOrders);
        Assert.StartsWith("configured venue (Engine:Venue) at https://gateway.example:8443/", venue.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void The_engine_process_refuses_venue_endpoints_in_a_mode_with_its_own_venue()
    {
        using var engine = new EngineProcess([], [
            ("Engine__Venue__RestBaseAddress", "http://127.0.0.1:8080/"), ("Engine__Venue__StreamBaseAddress", "ws://127.0.0.1:8080/"),
            ("Engine__Control__Port", "0"), ("Engine__Metrics__Port", "0")]);

        Assert.Equal(2, engine.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("Engine:Venue:RestBaseAddress/StreamBaseAddress apply to live and paper modes only (mode is sim).", engine.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Ring buffer ready", engine.Output, StringComparison.Ordinal);
    }
}
