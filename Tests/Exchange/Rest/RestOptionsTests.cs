using Engine.Exchange;
using Engine.Exchange.Rest;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tests.Exchange.Rest;

/// <summary>Options binding and validation, and the DI wiring a host uses.</summary>
public sealed class RestOptionsTests
{
    [Fact]
    public void Defaults_are_valid_and_point_at_production()
    {
        var options = new BinanceRestOptions();
        Assert.True(new BinanceRestOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal("https://fapi.binance.com", options.BaseAddress);
        Assert.Equal(5000, options.RecvWindowMs);
    }

    [Theory]
    [InlineData("BaseAddress", "fapi.binance.com")]
    [InlineData("BaseAddress", "https://fapi.binance.com/fapi/v1")]
    [InlineData("BaseAddress", "http://fapi.binance.com")]
    [InlineData("RecvWindowMs", "0")]
    [InlineData("RecvWindowMs", "60001")]
    [InlineData("RequestTimeout", "00:00:00")]
    [InlineData("ConnectTimeout", "-00:00:01")]
    [InlineData("ClockSamples", "0")]
    [InlineData("RateLimitUsablePercent", "101")]
    [InlineData("MaxConnections", "0")]
    public void Each_impossible_setting_is_refused_by_name(string key, string value)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{BinanceRestOptions.Section}:{key}"] = value })
            .Build();
        var options = configuration.GetSection(BinanceRestOptions.Section).Get<BinanceRestOptions>()!;

        var result = new BinanceRestOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.Contains($"{BinanceRestOptions.Section}:{key}", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://demo-fapi.binance.com")]
    [InlineData("http://127.0.0.1:5123")]
    [InlineData("http://localhost:8080/")]
    public void Testnet_and_loopback_simulators_are_accepted(string baseAddress) =>
        Assert.True(new BinanceRestOptionsValidator().Validate(null, new BinanceRestOptions { BaseAddress = baseAddress }).Succeeded);

    [Fact]
    public async Task A_host_with_an_impossible_setting_does_not_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Engine:Rest:RecvWindowMs"] = "-5" });
        builder.Services.AddBinanceRest(builder.Configuration);
        using var host = builder.Build();

        var thrown = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Engine:Rest:RecvWindowMs", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_resolves_the_client_with_credentials_and_keeps_the_clock_in_sync()
    {
        await using var venue = await LoopbackVenue.StartAsync();
        venue.ServerOffsetMs = 42_000;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Rest:BaseAddress"] = venue.BaseAddress,
            ["Engine:Rest:ClockSamples"] = "2",
            ["Engine:Rest:ClockSyncInterval"] = "00:00:00.200",
        });
        builder.Services.AddSingleton(new ApiCredentials(RestHarness.ApiKey, RestHarness.Secret));
        builder.Services.AddBinanceRest(builder.Configuration);
        using var host = builder.Build();

        await host.StartAsync();
        var client = host.Services.GetRequiredService<BinanceRestClient>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (venue.RequestsTo("GET /fapi/v1/time").Count < 4 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        await host.StopAsync();
        Assert.True(client.HasCredentials);
        Assert.True(client.Clock.IsSynchronized);
        Assert.InRange(client.Clock.OffsetMs, 41_000, 43_000);
        Assert.True(venue.RequestsTo("GET /fapi/v1/time").Count >= 4, "the clock was measured at start and again on the interval");
    }
}
