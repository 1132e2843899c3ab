using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tests.Exchange.Rest;

/// <summary>One request exactly as it arrived: method, path, raw (still percent-encoded) query, headers, raw body.</summary>
internal sealed record RecordedRequest(string Method, string Path, string RawQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>Kestrel's id of the TCP connection the request came on.</summary>
    public string ConnectionId { get; init; } = string.Empty;

    /// <summary>"HTTP/1.1", "HTTP/2", …</summary>
    public string Protocol { get; init; } = string.Empty;

    public string BodyText => Encoding.ASCII.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>What Binance signs: the raw query string immediately followed by the raw body.</summary>
    public string TotalParams => RawQuery + BodyText;
}

/// <summary>What the venue answers to one request.</summary>
internal sealed record VenueReply(int Status, string Body, IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>Hold the answer back this long (to provoke a client timeout).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Drop the connection instead of answering (a reset after the request arrived).</summary>
    public bool Abort { get; init; }

    /// <summary>Send the status, headers and the body, announcing more bytes than that, then drop the connection.</summary>
    public bool AbortMidBody { get; init; }

    /// <summary>Content type of the answer.</summary>
    public string ContentType { get; init; } = "application/json";

    public static VenueReply Json(string body, int status = 200) => new(status, body);

    public static VenueReply Error(int status, int code, string msg) =>
        new(status, $"{{\"code\":{code},\"msg\":\"{msg}\"}}");
}

/// <summary>
/// A small HTTP/1.1 server on 127.0.0.1 (Kestrel, ephemeral port) standing in for the venue: it records every
/// request byte for byte and answers from a script. <c>/fapi/v1/time</c> answers the local clock plus
/// <see cref="ServerOffsetMs"/> unless scripted otherwise.
/// </summary>
internal sealed class LoopbackVenue : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<VenueReply>> _scripted = new();
    private readonly ConcurrentDictionary<string, Func<RecordedRequest, VenueReply>> _routes = new();

    private LoopbackVenue(WebApplication app)
    {
        _app = app;
        _app.Run(HandleAsync);
    }

    public string BaseAddress { get; private set; } = string.Empty;

    /// <summary>Server minus local clock, in ms, as answered by <c>/fapi/v1/time</c>.</summary>
    public long ServerOffsetMs { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<LoopbackVenue> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var venue = new LoopbackVenue(builder.Build());
        await venue._app.StartAsync();
        var address = venue._app.Urls.Single();
        venue.BaseAddress = address.TrimEnd('/');
        return venue;
    }

    /// <summary>Answers every request to "METHOD /path" with <paramref name="reply"/> (after any queued one-off answers).</summary>
    public void Route(string methodAndPath, Func<RecordedRequest, VenueReply> reply) => _routes[methodAndPath] = reply;

    /// <summary>Answers the next request to "METHOD /path" with <paramref name="reply"/>, once.</summary>
    public void Enqueue(string methodAndPath, VenueReply reply) =>
        _scripted.GetOrAdd(methodAndPath, _ => new ConcurrentQueue<VenueReply>()).Enqueue(reply);

    public IReadOnlyList<RecordedRequest> RequestsTo(string methodAndPath) =>
        [.. _requests.Where(r => $"{r.Method} {r.Path}" == methodAndPath)];

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var query = context.Request.QueryString.Value ?? string.Empty;
        var request = new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? string.Empty,
            query.StartsWith('?') ? query[1..] : query, headers, body.ToArray())
        {
            ConnectionId = context.Connection.Id,
            Protocol = context.Request.Protocol,
        };
        _requests.Enqueue(request);

        var key = $"{request.Method} {request.Path}";
        VenueReply reply;
        if (_scripted.TryGetValue(key, out var queue) && queue.TryDequeue(out var next))
        {
            reply = next;
        }
        else if (_routes.TryGetValue(key, out var route))
        {
            reply = route(request);
        }
        else if (key == "GET /fapi/v1/time")
        {
            reply = VenueReply.Json($"{{\"serverTime\":{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + ServerOffsetMs}}}");
        }
        else
        {
            reply = VenueReply.Error(404, -5000, $"No route for {key} in the test venue.");
        }

        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (reply.Abort)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = reply.Status;
        context.Response.ContentType = reply.ContentType;
        context.Response.Headers["X-MBX-USED-WEIGHT-1M"] = "1";
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (reply.AbortMidBody)
        {
            context.Response.ContentLength = Encoding.UTF8.GetByteCount(reply.Body) + 100;
            await context.Response.WriteAsync(reply.Body);
            await context.Response.Body.FlushAsync();
            await Task.Delay(50);
            context.Abort();
            return;
        }

        await context.Response.WriteAsync(reply.Body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
