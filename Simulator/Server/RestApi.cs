using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Simulator;

/// <summary>Binance's security types (BINANCE_USDM.md §3.1).</summary>
internal enum Security
{
    None,
    UserStream,
    Signed,
}

/// <summary>Who sent a request: the client's IP, the key it named (REST header or WebSocket apiKey param) and the key of a logged-on WebSocket API session.</summary>
internal readonly record struct Caller(string Ip, string? ApiKey, string? SessionKey);

/// <summary>A request's answer, what the limiter counted (null when a forced fault answered first) and the Retry-After to send.</summary>
internal readonly record struct Outcome(Reply Reply, LimitVerdict? Verdict, long RetryAfterSeconds);

/// <summary>The answer of one endpoint: HTTP status and JSON body.</summary>
internal readonly record struct Reply(int Status, byte[] Body)
{
    public static Reply Ok(byte[] body) => new(200, body);
}

/// <summary>
/// The REST surface under /fapi. This layer parses, authenticates, rate-limits and serialises; the venue does the
/// trading. Checks run in the order of BINANCE_USDM.md §3.5: API key, timestamp, recvWindow, signature, parameters.
/// </summary>
internal sealed partial class RestApi
{
    private static readonly string[] Common = ["timestamp", "recvWindow", "signature"];
    private static readonly string[] OrderParams =
    [
        "symbol", "side", "type", "positionSide", "timeInForce", "quantity", "reduceOnly", "price", "newClientOrderId",
        "stopPrice", "closePosition", "activationPrice", "callbackRate", "workingType", "priceProtect", "newOrderRespType",
        "priceMatch", "selfTradePreventionMode", "goodTillDate",
    ];

    private readonly Dictionary<string, Endpoint> _routes = new(StringComparer.Ordinal);
    private readonly Venue _venue;
    private readonly SimulatorOptions _options;
    private readonly RateLimiter _limiter;
    private readonly Faults _faults;
    private readonly ApiKeys _keys;
    private readonly ILogger _log;

    public RestApi(Venue venue, RateLimiter limiter, Faults faults, ApiKeys keys, ILogger log)
    {
        _venue = venue;
        _keys = keys;
        _options = venue.Options;
        _limiter = limiter;
        _faults = faults;
        _log = log;
        RegisterMarketData();
        RegisterTrading();
        RegisterAccount();
    }

    internal delegate Reply Handler(RequestParams p);

    internal sealed record Endpoint(string Method, string Path, Security Security, Func<RequestParams, int> Weight, bool IsOrder, string[] Allowed, Handler Handle);

    private void Add(string method, string path, Security security, int weight, string[] allowed, Handler handle, bool isOrder = false) =>
        Add(method, path, security, _ => weight, allowed, handle, isOrder);

    private void Add(string method, string path, Security security, Func<RequestParams, int> weight, string[] allowed, Handler handle, bool isOrder = false)
    {
        var all = security == Security.Signed ? [.. allowed, .. Common] : allowed;
        _routes[method + " " + path] = new Endpoint(method, path, security, weight, isOrder, all, handle);
    }

    public bool Knows(string path) => _routes.Keys.Any(k => k.EndsWith(" " + path, StringComparison.Ordinal));

    public async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        if (!_routes.TryGetValue(ctx.Request.Method + " " + path, out var ep))
        {
            ctx.Response.StatusCode = Knows(path) ? 405 : 404;
            ctx.Response.ContentType = "text/html";
            await ctx.Response.WriteAsync(Knows(path) ? "<html><body><h2>405 Method Not Allowed</h2></body></html>" : "<html><body><h2>404 Not found</h2></body></html>").ConfigureAwait(false);
            return;
        }

        string body;
        using (var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(ctx.RequestAborted).ConfigureAwait(false);
        }

        // The request takes effect first and only its answer is slow, as with a real venue whose reply is lost or late:
        // a client that gives up waiting must find the order when it asks for it.
        var reply = Process(ep, ctx, new RequestParams(ctx.Request.QueryString.Value ?? "", body));
        var delay = _faults.ResponseDelay;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, ctx.RequestAborted).ConfigureAwait(false);
        }

        ctx.Response.StatusCode = reply.Status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(reply.Body, ctx.RequestAborted).ConfigureAwait(false);
    }

    private Reply Process(Endpoint ep, HttpContext ctx, RequestParams p)
    {
        var ip = ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var outcome = Execute(ep, new Caller(ip, ctx.Request.Headers["X-MBX-APIKEY"].ToString(), SessionKey: null), p, []);
        var headers = ctx.Response.Headers;
        if (outcome.Verdict is { } verdict)
        {
            headers["X-MBX-USED-WEIGHT-1M"] = verdict.UsedWeight.ToString(CultureInfo.InvariantCulture);
            if (ep.IsOrder)
            {
                headers["X-MBX-ORDER-COUNT-10S"] = verdict.Orders10S.ToString(CultureInfo.InvariantCulture);
                headers["X-MBX-ORDER-COUNT-1M"] = verdict.Orders1M.ToString(CultureInfo.InvariantCulture);
            }
        }

        if (outcome.RetryAfterSeconds > 0)
        {
            headers.RetryAfter = outcome.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        return outcome.Reply;
    }

    /// <summary>The route of a REST endpoint; the WebSocket API runs its methods through the same ones.</summary>
    internal Endpoint Route(string method, string path) => _routes[method + " " + path];

    /// <summary>
    /// One request through the venue's single path, for REST and the WebSocket API alike: forced faults, request weight
    /// and order counts (per IP and per account, shared by both), key, timestamp, signature, parameters, then the
    /// endpoint. <paramref name="extraAllowed"/> names parameters the transport adds (the WebSocket API's apiKey).
    /// </summary>
    internal Outcome Execute(Endpoint ep, Caller caller, RequestParams p, string[] extraAllowed)
    {
        if (_faults.TryTakeForced(out var forced))
        {
            return new Outcome(new Reply(forced.Status, JsonOut.Error(forced.Code, forced.Message)), null, forced.Status is 429 or 418 ? 1 : 0);
        }

        int weight;
        try
        {
            weight = ep.Weight(p);
        }
        catch (VenueException)
        {
            weight = 1;
        }

        var now = _venue.Clock.ServerNowMs;
        var verdict = _limiter.Admit(caller.Ip, weight, ep.IsOrder, _venue.Now);
        if (verdict.Body is not null)
        {
            return new Outcome(new Reply(verdict.Status, verdict.Body), verdict, verdict.RetryAfterSeconds);
        }

        try
        {
            Authenticate(ep, caller, p, now);
            if (p.Duplicate)
            {
                throw VenueException.Bad(-1101, "Duplicate values for a parameter detected.");
            }

            var unknown = p.Names.Where(n => !ep.Allowed.Contains(n, StringComparer.Ordinal) && !extraAllowed.Contains(n, StringComparer.Ordinal)).ToList();
            if (unknown.Count > 0)
            {
                throw VenueException.Bad(-1104, $"Not all sent parameters were read; read '{p.Names.Count() - unknown.Count}' parameter(s) but was sent '{p.Names.Count()}'.");
            }

            return new Outcome(ep.Handle(p), verdict, 0);
        }
        catch (VenueException e)
        {
            return new Outcome(new Reply(e.Status, JsonOut.Error(e.Code, e.Message)), verdict, 0);
        }
#pragma warning disable CA1031 // an unexpected failure answers -1000 like the venue instead of tearing the connection down
        catch (Exception e)
#pragma warning restore CA1031
        {
            SimulatorLog.RequestFailed(_log, ep.Method, ep.Path, e);
            return new Outcome(new Reply(500, JsonOut.Error(-1000, "An unknown error occured while processing the request.")), verdict, 0);
        }
    }

    private void Authenticate(Endpoint ep, Caller caller, RequestParams p, long now)
    {
        if (ep.Security == Security.None)
        {
            return;
        }

        // a request on a logged-on WebSocket API session names no key and carries no signature: the session's key
        // authorizes it, but its timestamp is still checked (BINANCE_USDM.md §12)
        var session = caller.ApiKey is not { Length: > 0 } && caller.SessionKey is not null;
        var key = session ? caller.SessionKey! : caller.ApiKey ?? "";
        CheckKey(key, caller.Ip);
        if (ep.Security != Security.Signed)
        {
            return;
        }

        CheckTimestamp(p, now);
        if (session)
        {
            return;
        }

        var signature = p.Signature ?? throw VenueException.Mandatory("signature");
        if (!_keys.Verify(key, p.SignedPayload(), signature))
        {
            throw VenueException.Bad(-1022, "Signature for this request is not valid.");
        }
    }

    /// <summary>The key checks of §3.5: missing or unknown → 401 -2015, malformed → 401 -2014.</summary>
    internal KeyKind CheckKey(string key, string ip)
    {
        if (key.Length == 0)
        {
            throw new VenueException(401, -2015, $"Invalid API-key, IP, or permissions for action, request ip: {ip}");
        }

        if (key.Length > 128 || !key.All(char.IsAsciiLetterOrDigit))
        {
            throw new VenueException(401, -2014, "API-key format invalid.");
        }

        return _keys.Find(key) ?? throw new VenueException(401, -2015, $"Invalid API-key, IP, or permissions for action, request ip: {ip}");
    }

    /// <summary>The timing rule of §3.4: timestamp mandatory, not 1000 ms ahead, not older than recvWindow (default 5000).</summary>
    internal static void CheckTimestamp(RequestParams p, long now)
    {
        var timestamp = p.RequiredLong("timestamp");
        var recvWindow = p.Long("recvWindow") ?? 5000;
        if (recvWindow <= 0)
        {
            throw VenueException.Mandatory("recvWindow");
        }

        if (timestamp >= now + 1000)
        {
            throw VenueException.Bad(-1021, "Timestamp for this request was 1000ms ahead of the server's time.");
        }

        if (now - timestamp > recvWindow)
        {
            throw VenueException.Bad(-1021, "Timestamp for this request is outside of the recvWindow.");
        }
    }

    /// <summary>Verifies a signature with the key's scheme (HMAC hex or Ed25519 base64).</summary>
    internal bool VerifySignature(string key, string payload, string signature) => _keys.Verify(key, payload, signature);

    private MarketSymbol Symbol(RequestParams p) => Symbol(p.Required("symbol"));

    private MarketSymbol Symbol(string name) =>
        _venue.BySymbol.TryGetValue(name, out var s) ? s : throw VenueException.Bad(-1121, "Invalid symbol.");

    private MarketSymbol? OptionalSymbol(RequestParams p) => p.Get("symbol") is { } name ? Symbol(name) : null;

    private static Reply Json(Action<Utf8JsonWriter> write) => Reply.Ok(JsonOut.Build(write));

    private static Reply CodeMsg(int code, string msg) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("code", code);
        w.WriteString("msg", msg);
        w.WriteEndObject();
    });

    [GeneratedRegex(@"^[\.A-Z\:/a-z0-9_-]{1,36}$")]
    private static partial Regex ClientIdPattern();
}
