using System.Globalization;

// A Binance USD-M compatible venue on loopback. So far it answers the two connectivity endpoints
// exactly as the real one does; the rest of the venue is its own issue.
var builder = WebApplication.CreateSlimBuilder(args);
var port = builder.Configuration.GetValue("Simulator:Port", 0);
builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));

var app = builder.Build();
app.MapGet("/fapi/v1/ping", () => Results.Content("{}", "application/json"));
app.MapGet("/fapi/v1/time", () => Results.Content(
    string.Create(CultureInfo.InvariantCulture, $"{{\"serverTime\":{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}}"),
    "application/json"));

await app.StartAsync().ConfigureAwait(false);
foreach (var url in app.Urls)
{
    SimulatorLog.Listening(app.Logger, url);
}

await app.WaitForShutdownAsync().ConfigureAwait(false);

internal static partial class SimulatorLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Simulator listening on {Url}")]
    public static partial void Listening(ILogger logger, string url);
}
