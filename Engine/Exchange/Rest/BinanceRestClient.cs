using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Engine.Exchange.Signing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Exchange.Rest;

/// <summary>
/// The Binance USDⓈ-M REST client: one pooled HTTP/1.1 keep-alive <see cref="HttpClient"/>, request signing,
/// server-clock offset, rate-limit accounting and error classification. Every call returns a
/// <see cref="RestResult{T}"/>; expected venue errors never throw. Thread-safe.
/// </summary>
/// <remarks>
/// Runs on I/O threads only, never on a ring stage: HTTP allocates. The execution stage signs an order itself
/// (allocation-free, with its own <see cref="IRequestSigner"/>, <see cref="Clock"/> and <see cref="RecvWindowMs"/>)
/// and hands the bytes to <see cref="SendSignedOrderAsync"/>.
/// Cancelling a call through its token throws <see cref="OperationCanceledException"/> for reads; for a call that
/// changes state (POST/PUT/DELETE) it returns <see cref="VenueErrorCategory.UnknownOutcome"/>, since the request
/// may already be on its way.
/// </remarks>
public sealed partial class BinanceRestClient : IDisposable
{
    private const string FormContentType = "application/x-www-form-urlencoded";
    private const string ApiKeyHeader = "X-MBX-APIKEY";
    private const int SignedBufferSize = 16 * 1024;

    private readonly BinanceRestOptions _options;
    private readonly ApiCredentials? _credentials;
    private readonly IRequestSigner? _signer;
    private readonly Lock _signLock = new();
    private readonly SemaphoreSlim _syncGate = new(1, 1);
    private readonly HttpClient _http;
    private readonly ILogger _logger;

    public BinanceRestClient(
        IOptions<BinanceRestOptions> options,
        ILogger<BinanceRestClient> logger,
        ServerClock clock,
        RateLimitTracker rateLimits,
        ApiCredentials? credentials = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        var validation = new BinanceRestOptionsValidator().Validate(null, _options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(BinanceRestOptions.Section, typeof(BinanceRestOptions), validation.Failures);
        }

        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        Clock = clock ?? throw new ArgumentNullException(nameof(clock));
        RateLimits = rateLimits ?? throw new ArgumentNullException(nameof(rateLimits));
        _credentials = credentials;
        _signer = credentials is null ? null : RequestSigners.Create(credentials);

        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            PooledConnectionLifetime = _options.PooledConnectionLifetime,
            PooledConnectionIdleTimeout = _options.PooledConnectionIdleTimeout,
            MaxConnectionsPerServer = _options.MaxConnections,
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            // The handler's own connect, with the stream wrapped so an order's first socket write can be stamped.
            ConnectCallback = SocketWriteStamp.ConnectAsync,
        };
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = new Uri(_options.BaseAddress),
            Timeout = Timeout.InfiniteTimeSpan, // per request, below, so a timeout is told apart from the caller's cancellation
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _http.DefaultRequestHeaders.ExpectContinue = false;
        _http.DefaultRequestHeaders.ConnectionClose = false;

        RestLog.Ready(_logger, _options.BaseAddress, credentials?.MaskedKey ?? "(none: public endpoints only)",
            _signer?.Description ?? "(no signer)", _options.RecvWindowMs);
    }

    /// <summary>The venue clock; <see cref="ServerClock.NowUnixMs"/> is what a signed request's <c>timestamp</c> carries.</summary>
    public ServerClock Clock { get; }

    /// <summary>Weight and order-count accounting, 429 back-off and 418 ban state (with its <see cref="RateLimitTracker.Alert"/> event).</summary>
    public RateLimitTracker RateLimits { get; }

    /// <summary>The <c>recvWindow</c> every signed request carries.</summary>
    public int RecvWindowMs => _options.RecvWindowMs;

    /// <summary>Whether keyed (signed and user-stream) endpoints can be called.</summary>
    public bool HasCredentials => _credentials is not null;

    /// <summary>Measures the server-time offset: <see cref="BinanceRestOptions.ClockSamples"/> requests to <c>/fapi/v1/time</c>, the shortest round trip wins.</summary>
    public async Task<RestResult<ClockSample>> SyncClockAsync(CancellationToken cancellationToken = default)
    {
        await _syncGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await SyncClockCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _syncGate.Release();
        }
    }

    private async Task<RestResult<ClockSample>> SyncClockCoreAsync(CancellationToken cancellationToken)
    {
        var samples = new ClockSample[_options.ClockSamples];
        var time = Clock.TimeProvider;
        for (var i = 0; i < samples.Length; i++)
        {
            var sentUnixMs = Clock.LocalUnixMs;
            var started = time.GetTimestamp();
            var answer = await GetServerTimeAsync(cancellationToken).ConfigureAwait(false);
            var roundTrip = time.GetElapsedTime(started).TotalMilliseconds;
            if (!answer.IsSuccess)
            {
                RestLog.ClockSyncFailed(_logger, answer.Error);
                return RestResult.Failure<ClockSample>(answer.Error);
            }

            samples[i] = new ClockSample(sentUnixMs, answer.Value, roundTrip);
        }

        var best = Clock.Apply(samples);
        RestLog.ClockSynced(_logger, best.OffsetMs, best.RoundTripMs, samples.Length);
        return RestResult.Success(best);
    }

    // ---- request plumbing ----

    /// <summary>Writes endpoint parameters (without recvWindow, timestamp, signature) into a signed request.</summary>
    internal delegate void ParameterWriter<TState>(ref QueryWriter writer, TState state);

    /// <summary>What an endpoint is: method, path, security, weight, orders it counts.</summary>
    internal readonly record struct Endpoint(HttpMethod Method, string Path, int Weight, int Orders = 0, bool Keyed = false)
    {
        /// <summary>POST/PUT/DELETE change state at the venue; if their fate is unclear it must be reconciled.</summary>
        public bool ChangesState => Method != HttpMethod.Get;

        public Endpoint WithWeight(int weight) => this with { Weight = weight };
    }

    /// <summary>A NONE-security call: parameters in the query string (may be empty), no key.</summary>
    internal Task<RestResult<T>> SendPublicAsync<T>(Endpoint endpoint, string? query, Func<byte[], T> parse, CancellationToken cancellationToken) =>
        SendAsync(endpoint, query, content: null, parse, cancellationToken);

    /// <summary>A signed (TRADE / USER_DATA) call built here: parameters, recvWindow, timestamp, signature; retried once after a clock resync on -1021.</summary>
    internal async Task<RestResult<T>> SendSignedAsync<TState, T>(
        Endpoint endpoint, TState state, ParameterWriter<TState> write, Func<byte[], T> parse, CancellationToken cancellationToken)
    {
        if (_signer is null)
        {
            return Refuse<T>(endpoint, VenueErrorCategory.Auth, "no API credentials are configured for a signed endpoint");
        }

        for (var attempt = 0; ; attempt++)
        {
            var startedUnixMs = Clock.LocalUnixMs;
            var buffer = ArrayPool<byte>.Shared.Rent(SignedBufferSize);
            try
            {
                var length = BuildSigned(buffer, state, write, out var writeError);
                if (length < 0)
                {
                    return Refuse<T>(endpoint, VenueErrorCategory.Rejected, $"the request could not be written: {writeError}");
                }

                var result = await SendBytesAsync(endpoint, buffer.AsMemory(0, length), parse, cancellationToken).ConfigureAwait(false);
                if (attempt == 0 && result.Error is { Category: VenueErrorCategory.Clock } clockError)
                {
                    RestLog.ClockRejected(_logger, endpoint.Method.Method, endpoint.Path, clockError.Code);
                    if (await ResyncAfterRejectAsync(startedUnixMs, cancellationToken).ConfigureAwait(false))
                    {
                        continue;
                    }
                }

                return result;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>A USER_STREAM call: key header, no parameters, form content type with an empty body.</summary>
    internal Task<RestResult<T>> SendKeyedAsync<T>(Endpoint endpoint, Func<byte[], T> parse, CancellationToken cancellationToken)
    {
        if (_credentials is null)
        {
            return Task.FromResult(Refuse<T>(endpoint, VenueErrorCategory.Auth, "no API credentials are configured for a keyed endpoint"));
        }

        HttpContent? content = null;
        if (endpoint.Method != HttpMethod.Get)
        {
            content = new ByteArrayContent([]);
            content.Headers.ContentType = new MediaTypeHeaderValue(FormContentType);
        }

        return SendAsync(endpoint, query: null, content, parse, cancellationToken);
    }

    /// <summary>Sends already-signed parameters: in the query string for GET/DELETE, as a form body for POST/PUT.</summary>
    internal Task<RestResult<T>> SendBytesAsync<T>(Endpoint endpoint, ReadOnlyMemory<byte> signed, Func<byte[], T> parse, CancellationToken cancellationToken)
    {
        if (_credentials is null)
        {
            return Task.FromResult(Refuse<T>(endpoint, VenueErrorCategory.Auth, "no API credentials are configured for a signed endpoint"));
        }

        if (endpoint.Method == HttpMethod.Get || endpoint.Method == HttpMethod.Delete)
        {
            return SendAsync(endpoint, Encoding.ASCII.GetString(signed.Span), content: null, parse, cancellationToken);
        }

        var content = new ReadOnlyMemoryContent(signed);
        content.Headers.ContentType = new MediaTypeHeaderValue(FormContentType);
        return SendAsync(endpoint, query: null, content, parse, cancellationToken);
    }

    private int BuildSigned<TState>(byte[] buffer, TState state, ParameterWriter<TState> write, out QueryWriteError error)
    {
        // One signer, shared by the I/O tasks that call here: signing takes well under a microsecond, so a lock is cheaper than a signer per call.
        lock (_signLock)
        {
            var writer = new QueryWriter(buffer);
            write(ref writer, state);
            writer.Add("recvWindow"u8, _options.RecvWindowMs);
            writer.Add("timestamp"u8, Clock.NowUnixMs);
            writer.AppendSignature(_signer!);
            return writer.TryComplete(out var length, out error) ? length : -1;
        }
    }

    /// <summary>Resynchronises after a -1021 unless another resync already finished since the request started; false if the clock could not be measured.</summary>
    private async Task<bool> ResyncAfterRejectAsync(long requestStartedUnixMs, CancellationToken cancellationToken)
    {
        await _syncGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Several requests refused at once need only one resync.
            if (Clock.SynchronizedAt is { } at && at.ToUnixTimeMilliseconds() >= requestStartedUnixMs)
            {
                return true;
            }

            return (await SyncClockCoreAsync(cancellationToken).ConfigureAwait(false)).IsSuccess;
        }
        finally
        {
            _syncGate.Release();
        }
    }

    private async Task<RestResult<T>> SendAsync<T>(Endpoint endpoint, string? query, HttpContent? content, Func<byte[], T> parse, CancellationToken cancellationToken)
    {
        var method = endpoint.Method.Method;
        using var ownedContent = content;
        cancellationToken.ThrowIfCancellationRequested();
        if (!RateLimits.TryAcquire(endpoint.Weight, endpoint.Orders, Clock.NowUnixMs, out var refusal))
        {
            RestLog.RefusedLocally(_logger, method, endpoint.Path, refusal!.Message);
            return RestResult.Failure<T>(refusal);
        }

        using var request = new HttpRequestMessage(endpoint.Method, string.IsNullOrEmpty(query) ? endpoint.Path : string.Concat(endpoint.Path, "?", query));
        request.Content = content;
        if (endpoint.Keyed && _credentials is not null)
        {
            request.Headers.TryAddWithoutValidation(ApiKeyHeader, _credentials.ApiKey);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        var started = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        byte[] body;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !timeout.IsCancellationRequested)
        {
            // Neither our request timeout nor the caller cancelled: the handler's ConnectTimeout fired, so not a byte was sent.
            return Fail<T>(endpoint, VenueErrorCategory.RetrySafe,
                $"no connection within {_options.ConnectTimeout.TotalMilliseconds:F0} ms; the request was not sent", 0, sent: false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Fail<T>(endpoint, endpoint.ChangesState ? VenueErrorCategory.UnknownOutcome : VenueErrorCategory.RetrySafe,
                $"no answer within {_options.RequestTimeout.TotalMilliseconds:F0} ms", 0, sent: true);
        }
        catch (OperationCanceledException) when (endpoint.ChangesState)
        {
            return Fail<T>(endpoint, VenueErrorCategory.UnknownOutcome, "cancelled by the caller after the request may have been sent", 0, sent: true);
        }
        catch (HttpRequestException exception)
        {
            return Fail<T>(endpoint, ClassifyTransport(exception, endpoint), $"transport failure ({exception.HttpRequestError}): {exception.Message}", 0,
                sent: !NeverLeft(exception));
        }

        using (response)
        {
            try
            {
                body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Fail<T>(endpoint, endpoint.ChangesState ? VenueErrorCategory.UnknownOutcome : VenueErrorCategory.RetrySafe,
                    $"the answer did not complete within {_options.RequestTimeout.TotalMilliseconds:F0} ms (HTTP {(int)response.StatusCode})", (int)response.StatusCode, sent: true);
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException)
            {
                // A reset in the middle of the body surfaces as HttpIOException (an IOException), not HttpRequestException.
                return Fail<T>(endpoint, endpoint.ChangesState ? VenueErrorCategory.UnknownOutcome : VenueErrorCategory.RetrySafe,
                    $"the connection failed while the answer was read: {exception.Message}", (int)response.StatusCode, sent: true);
            }

            var status = (int)response.StatusCode;
            var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            RestLog.Completed(_logger, method, endpoint.Path, status, elapsedMs);
            var nowUnixMs = Clock.NowUnixMs;
            RateLimits.Observe(response.Headers, nowUnixMs);
            return Interpret(endpoint, response, status, body, parse, nowUnixMs);
        }
    }

    private RestResult<T> Interpret<T>(Endpoint endpoint, HttpResponseMessage response, int status, byte[] body, Func<byte[], T> parse, long nowUnixMs)
    {
        var hasError = TryReadErrorBody(body, out var code, out var message);
        if (status is >= 200 and < 300 && !hasError)
        {
            try
            {
                return RestResult.Success(parse(body));
            }
            catch (Exception exception) when (exception is JsonException or FormatException or InvalidOperationException)
            {
                var category = endpoint.ChangesState ? VenueErrorCategory.UnknownOutcome : VenueErrorCategory.BadResponse;
                return Fail<T>(endpoint, category, $"the answer is not the JSON expected ({exception.Message}); body starts: {Excerpt(body)}", status, sent: true);
            }
        }

        if (!hasError)
        {
            code = VenueError.LocalCode;
            message = body.Length == 0 ? $"HTTP {status} {response.ReasonPhrase}" : Excerpt(body);
        }

        var retryAfter = ReadRetryAfter(response, nowUnixMs);
        var error = new VenueError(VenueErrors.Classify(status, code, message, endpoint.ChangesState), code, message!, status, sent: true, retryAfter);
        if (status == 429)
        {
            RateLimits.OnTooManyRequests(retryAfter, nowUnixMs, message!);
            var blockedUntil = DateTimeOffset.FromUnixTimeMilliseconds(RateLimits.BlockedUntilUnixMs);
            RestLog.RateLimited(_logger, endpoint.Method.Method, endpoint.Path, blockedUntil, message!);
        }
        else if (status == 418)
        {
            var until = retryAfter is { } wait ? nowUnixMs + (long)wait.TotalMilliseconds
                : TryReadBanEnd(message) ?? nowUnixMs + (long)RateLimits.DefaultBackoff.TotalMilliseconds;
            RateLimits.OnBanned(until, message!);
            var bannedUntil = DateTimeOffset.FromUnixTimeMilliseconds(until);
            RestLog.Banned(_logger, endpoint.Method.Method, endpoint.Path, bannedUntil, message!);
        }

        return Report<T>(endpoint, error);
    }

    /// <summary>Reads a top-level <c>{"code":…,"msg":…}</c>; codes 200 and 0 are the venue's way of saying "done" and are not errors.</summary>
    internal static bool TryReadErrorBody(ReadOnlySpan<byte> body, out int code, out string? message)
    {
        code = 0;
        message = null;
        var found = false;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("code"u8))
                {
                    reader.Read();
                    found = reader.TokenType switch
                    {
                        JsonTokenType.Number => reader.TryGetInt32(out code),
                        JsonTokenType.String => int.TryParse(reader.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out code),
                        _ => false,
                    };
                }
                else if (reader.ValueTextEquals("msg"u8))
                {
                    reader.Read();
                    message = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return found && code is not (200 or 0) && message is not null;
    }

    private static TimeSpan? ReadRetryAfter(HttpResponseMessage response, long nowUnixMs)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        if (retryAfter?.Date is { } date)
        {
            return TimeSpan.FromMilliseconds(Math.Max(0, date.ToUnixTimeMilliseconds() - nowUnixMs));
        }

        return null;
    }

    /// <summary>"Way too many requests; IP banned until 1591702613943." → the epoch ms.</summary>
    private static long? TryReadBanEnd(string? message)
    {
        var match = message is null ? null : BanEnd().Match(message);
        return match is { Success: true } && long.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var until) ? until : null;
    }

    [GeneratedRegex(@"banned until (\d{10,})", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BanEnd();

    private static VenueErrorCategory ClassifyTransport(HttpRequestException exception, Endpoint endpoint) =>
        NeverLeft(exception) || !endpoint.ChangesState ? VenueErrorCategory.RetrySafe : VenueErrorCategory.UnknownOutcome;

    // Failures while resolving or connecting happen before a byte of the request is written.
    private static bool NeverLeft(HttpRequestException exception) =>
        exception.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError
            or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError;

    private static string Excerpt(byte[] body)
    {
        const int max = 200;
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, max));
        return body.Length > max ? text + "…" : text;
    }

    private RestResult<T> Fail<T>(Endpoint endpoint, VenueErrorCategory category, string message, int status, bool sent) =>
        Report<T>(endpoint, new VenueError(category, VenueError.LocalCode, message, status, sent));

    private RestResult<T> Refuse<T>(Endpoint endpoint, VenueErrorCategory category, string message)
    {
        RestLog.RefusedLocally(_logger, endpoint.Method.Method, endpoint.Path, message);
        return RestResult.Failure<T>(new VenueError(category, VenueError.LocalCode, message, 0, sent: false));
    }

    private RestResult<T> Report<T>(Endpoint endpoint, VenueError error)
    {
        if (error.IsUnknownOutcome)
        {
            RestLog.UnknownOutcome(_logger, endpoint.Method.Method, endpoint.Path, error);
        }
        else
        {
            RestLog.RequestFailed(_logger, endpoint.Method.Method, endpoint.Path, error);
        }

        return RestResult.Failure<T>(error);
    }

    internal static Func<byte[], T> Json<T>(JsonTypeInfo<T> typeInfo) =>
        body => JsonSerializer.Deserialize(body, typeInfo) ?? throw new JsonException("The answer is JSON null.");

    public void Dispose()
    {
        _http.Dispose();
        _signer?.Dispose();
        _syncGate.Dispose();
    }
}
