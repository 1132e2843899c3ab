using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Simulator;

namespace Tests.Simulator;

/// <summary>The standalone binary (what `dotnet run --project Simulator -- …` runs) and its command line.</summary>
public sealed partial class StandaloneTests
{
    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Simulator.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        return Process.Start(start)!;
    }

    [Fact]
    public async Task Runs_on_an_ephemeral_port_logs_it_and_uses_the_given_credentials()
    {
        using var p = Start("--port", "0", "--symbols", "2", "--seed", "5", "--balance", "2500", "--api-key", "MyKey123", "--api-secret", "MySecret");
        try
        {
            string? line;
            Match m;
            do
            {
                line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.NotNull(line);
                m = Listening().Match(line);
            }
            while (!m.Success);

            Assert.DoesNotContain("MySecret", line, StringComparison.Ordinal);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{m.Groups[1].Value}/") };
            var info = await http.GetStringAsync("fapi/v1/exchangeInfo");
            Assert.Contains("\"ETHUSDT\"", info, StringComparison.Ordinal);
            Assert.DoesNotContain("\"BNBUSDT\"", info, StringComparison.Ordinal);

            var time = await http.GetStringAsync("fapi/v1/time");
            var ts = Regex.Match(time, "\\d+").Value;
            var q = "timestamp=" + ts;
            using var req = new HttpRequestMessage(HttpMethod.Get, "fapi/v2/balance?" + q + "&signature=" + SimClient.Sign("MySecret", q));
            req.Headers.Add("X-MBX-APIKEY", "MyKey123");
            using var resp = await http.SendAsync(req);
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            Assert.Contains("\"balance\":\"2500.00000000\"", await resp.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // Ctrl-C (SIGINT) stops it cleanly
            using (var kill = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync();
            }
        }
    }

    [Theory]
    [InlineData("--symbols", "21")]
    [InlineData("--speed", "0")]
    [InlineData("--port", "70000")]
    [InlineData("--bogus", "1")]
    [InlineData("--replay", "/no/such/file.csv")]
    public async Task Bad_options_stop_with_a_message_and_exit_code_2(string name, string value)
    {
        using var p = Start(name, value);
        var err = await p.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync();
        Assert.Equal(2, p.ExitCode);
        Assert.StartsWith("simulator: ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_parse_every_switch_and_validate_names_the_bad_setting()
    {
        var o = SimulatorOptions.FromArgs(["--port", "8080", "--symbols", "20", "--seed", "1", "--speed", "2.5", "--api-key", "K", "--api-secret", "S", "--balance", "10000.5", "--listen-key-minutes", "1",
            "--weight-limit-per-minute", "5000", "--order-limit-per-minute", "600", "--order-limit-per-10s", "50"]);
        Assert.Equal((8080, 20, 1, 2.5, "K", "S", 10000.5m, TimeSpan.FromMinutes(1)), (o.Port, o.Symbols, o.Seed, o.Speed, o.ApiKey, o.ApiSecret, o.Balance, o.ListenKeyLifetime));
        Assert.Equal((5000, 600, 50), (o.WeightLimitPerMinute, o.OrderLimitPerMinute, o.OrderLimitPer10Seconds));
        o.Validate();
        var e = Assert.Throws<ArgumentException>(() => new SimulatorOptions { ApiKey = "bad key" }.Validate());
        Assert.Contains("ApiKey", e.Message, StringComparison.Ordinal);
        Assert.Equal(SimulatorOptions.DefaultApiKey, new SimulatorOptions().ApiKey);
        Assert.Equal(64, SimulatorOptions.DefaultApiKey.Length);
    }

    [GeneratedRegex(@"Simulator listening on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();
}
