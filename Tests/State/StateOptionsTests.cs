using Engine.Exchange.UserData;
using Engine.State;
using Engine.State.Reconciliation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Tests.State;

public sealed class StateOptionsTests
{
    [Fact]
    public void Settings_bind_from_configuration_with_the_documented_defaults()
    {
        using var provider = Build(new()
        {
            ["Engine:Reconciliation:Interval"] = "00:05:00",
            ["Engine:UserStream:WebSocketBaseAddress"] = "ws://127.0.0.1:9000",
        });
        var reconciliation = provider.GetRequiredService<IOptions<ReconciliationOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(5), reconciliation.Interval);
        Assert.True(reconciliation.CancelUnknownOrders);
        var stream = provider.GetRequiredService<IOptions<UserDataStreamOptions>>().Value;
        Assert.Equal("ws://127.0.0.1:9000", stream.WebSocketBaseAddress);
        Assert.Equal(TimeSpan.FromMinutes(30), stream.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(900), new ReconciliationOptions().Interval);
    }

    [Fact]
    public void Bad_settings_are_refused_naming_each()
    {
        using var provider = Build(new()
        {
            ["Engine:Reconciliation:Interval"] = "00:00:00",
            ["Engine:Reconciliation:EntryPriceTolerance"] = "0.5",
            ["Engine:UserStream:WebSocketBaseAddress"] = "ws://example.com",
            ["Engine:UserStream:KeepAliveInterval"] = "01:00:00",
            ["Engine:UserStream:MaxConnectionAge"] = "1.00:00:00",
        });
        var r = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ReconciliationOptions>>().Value);
        Assert.Contains(r.Failures, f => f.StartsWith("Engine:Reconciliation:Interval", StringComparison.Ordinal));
        Assert.Contains(r.Failures, f => f.StartsWith("Engine:Reconciliation:EntryPriceTolerance", StringComparison.Ordinal));
        var s = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<UserDataStreamOptions>>().Value);
        Assert.Contains(s.Failures, f => f.Contains("plain ws only on loopback", StringComparison.Ordinal));
        Assert.Contains(s.Failures, f => f.StartsWith("Engine:UserStream:KeepAliveInterval must be under 60 minutes", StringComparison.Ordinal));
        Assert.Contains(s.Failures, f => f.StartsWith("Engine:UserStream:MaxConnectionAge", StringComparison.Ordinal));
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddStateOptions(configuration).BuildServiceProvider();
    }
}
