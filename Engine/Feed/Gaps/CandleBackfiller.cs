using Engine.Exchange.Rest;
using Engine.Feed.WebSocket;
using Microsoft.Extensions.Logging;

namespace Engine.Feed.Gaps;

/// <summary>
/// Fetches missing closed 1-minute klines from REST (<c>GET /fapi/v1/klines</c>), a few symbols at a time, with
/// retries and back-off. Runs on I/O threads; never on the thread that publishes.
/// </summary>
public sealed class CandleBackfiller : IDisposable
{
    private const int MaxPerRequest = 1500;

    private readonly BinanceRestClient _rest;
    private readonly FeedOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _concurrency;

    public CandleBackfiller(BinanceRestClient rest, FeedOptions options, ILogger logger)
    {
        _rest = rest ?? throw new ArgumentNullException(nameof(rest));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _concurrency = new SemaphoreSlim(options.BackfillConcurrency, options.BackfillConcurrency);
    }

    /// <summary>
    /// The closed 1-minute klines of <paramref name="symbol"/> opening in <paramref name="fromMs"/>..<paramref name="toMs"/>,
    /// oldest first, each aligned to its minute; as many as the venue returned (possibly fewer than asked). Empty when
    /// every attempt failed (the failure is logged).
    /// </summary>
    public async Task<IReadOnlyList<Kline>> FetchAsync(string symbol, long fromMs, long toMs, CancellationToken cancellationToken)
    {
        var result = new List<Kline>((int)Math.Min(MaxPerRequest, ((toMs - fromMs) / CandleContinuity.MinuteMs) + 1));
        await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var start = fromMs;
            var attempt = 0;
            while (start <= toMs)
            {
                var limit = (int)Math.Min(MaxPerRequest, ((toMs - start) / CandleContinuity.MinuteMs) + 1);
                var answer = await _rest.GetKlinesAsync(symbol, "1m", start, toMs, limit, cancellationToken).ConfigureAwait(false);
                if (!answer.IsSuccess)
                {
                    attempt++;
                    FeedLog.BackfillFailed(_logger, symbol, start, toMs, attempt, _options.BackfillAttempts, answer.Error.ToString());
                    if (attempt >= _options.BackfillAttempts)
                    {
                        break;
                    }

                    var wait = answer.Error.RetryAfter ?? Backoff.Delay(attempt - 1, _options.BackoffMin, _options.BackoffMax);
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var next = start;
                foreach (var k in answer.Value!)
                {
                    if (k.OpenTime >= next && k.OpenTime <= toMs && CandleContinuity.MinuteOf(k.OpenTime) == k.OpenTime)
                    {
                        result.Add(k);
                        next = k.OpenTime + CandleContinuity.MinuteMs;
                    }
                }

                if (next == start)
                {
                    break; // the venue has nothing more in the range
                }

                start = next;
            }
        }
        finally
        {
            _concurrency.Release();
        }

        return result;
    }

    public void Dispose() => _concurrency.Dispose();
}
