using Engine.Control.Grpc;
using Microsoft.AspNetCore.Http;

namespace Engine.Control.Metrics;

/// <summary>Serves <c>GET /metrics</c> on the metrics listener: every registered source, in registration order.</summary>
public sealed class MetricsEndpoint(IEnumerable<IMetricsSource> sources, BearerToken token)
{
    private readonly IMetricsSource[] _sources = [.. sources];
    private readonly Lock _gate = new();

    /// <summary>The scrape's text (one scrape at a time: sources reuse their snapshot buffers).</summary>
    public string Scrape()
    {
        var writer = new PrometheusWriter();
        lock (_gate)
        {
            foreach (var source in _sources)
            {
                source.Collect(writer);
            }
        }

        return writer.ToString();
    }

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (request.Path != "/metrics")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync("only /metrics is served here\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (!token.Accepts(request.Headers.Authorization))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return;
        }

        var text = Scrape();
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        if (HttpMethods.IsGet(request.Method))
        {
            await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
        }
    }
}
