using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Engine.Brain;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Execution;
using Engine.Feed;
using Engine.Feed.Discovery;
using Engine.Feed.Parsing;
using Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Benchmarks.EndToEnd;

/// <summary>
/// The deliberately simple pipeline the engine is compared with, over the same input (a fresh simulator with the same
/// seed, speed and symbols, the same streams, the same parser and the same brain with the same settings): a
/// <see cref="Channel{T}"/> between the stages (feed → brain → execution, each consumer an async loop on the thread
/// pool), the order query built with string interpolation and <c>decimal</c>, signed with the one-shot
/// <see cref="HMACSHA256.HashData(byte[], byte[])"/>, sent by a plain <see cref="HttpClient"/> whose socket writes are
/// stamped by the same instrument as the engine's. The REST answer (RESULT) goes back to the brain as its order update.
/// </summary>
public static class BaselinePhase
{
    private static readonly string[] s_marketStreams = ["@aggTrade", "@kline_1m", "@markPrice@1s"];

    public static async Task<PhaseResult> RunAsync(E2eSettings settings, CancellationToken cancellationToken)
    {
        await using var sim = await HarnessVenue.StartAsync(settings, settings.Venue, [], cancellationToken).ConfigureAwait(false);

        // Set-up (not measured) with the engine's client: symbols and rules, the clock, the warm-up candles.
        var restOptions = new BinanceRestOptions { BaseAddress = sim.RestBaseUri.ToString().TrimEnd('/'), RecvWindowMs = 60_000, ClockSamples = 3 };
        using var rest = new BinanceRestClient(Options.Create(restOptions), NullLogger<BinanceRestClient>.Instance, new ServerClock(), new RateLimitTracker(),
            new ApiCredentials(sim.ApiKey, sim.ApiSecret));
        (await rest.SyncClockAsync(cancellationToken).ConfigureAwait(false)).GetValueOrThrow();
        var feedOptions = new FeedOptions { MaxSymbols = settings.Symbols };
        var found = await new SymbolDiscovery(rest, feedOptions, NullLogger<SymbolDiscovery>.Instance).DiscoverAsync(cancellationToken).ConfigureAwait(false);
        var symbols = new SymbolTable(1024);
        var (ids, rules) = found.Register(symbols);
        var brain = new TradingBrain(E2eSettings.BrainOptions(), rules);
        await WarmUpBrainAsync(rest, symbols, ids, brain, cancellationToken).ConfigureAwait(false);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clockLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stop.Token).ConfigureAwait(false);
                await rest.SyncClockAsync(stop.Token).ConfigureAwait(false);
            }
        }, stop.Token);

        var toBrain = Channel.CreateUnbounded<MarketEvent>(new UnboundedChannelOptions { SingleReader = true });
        var toExecution = Channel.CreateUnbounded<MarketEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var samples = new ConcurrentQueue<OrderLatencySample>();
        var counts = new long[3];
        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = SocketWriteStamp.ConnectAsync, UseProxy = false, UseCookies = false })
        {
            BaseAddress = sim.RestBaseUri,
            DefaultRequestVersion = HttpVersion.Version11,
        };
        http.DefaultRequestHeaders.Add("X-MBX-APIKEY", sim.ApiKey);
        var secret = Encoding.UTF8.GetBytes(sim.ApiSecret);

        var market = string.Join('/', ids.SelectMany(id => s_marketStreams.Select(s => symbols.NameOf(id).ToLowerInvariant() + s)));
        var book = string.Join('/', ids.Select(id => symbols.NameOf(id).ToLowerInvariant() + "@bookTicker"));
        var feeds = new[]
        {
            Feed(new Uri(sim.WebSocketBaseUri, "market/stream?streams=" + market), symbols, toBrain.Writer, stop.Token),
            Feed(new Uri(sim.WebSocketBaseUri, "public/stream?streams=" + book), symbols, toBrain.Writer, stop.Token),
        };
        var brainLoop = Task.Run(() => BrainLoop(brain, toBrain.Reader, toExecution.Writer, counts, stop.Token), stop.Token);
        var executionLoop = Task.Run(
            () => ExecutionLoop(toExecution.Reader, toBrain.Writer, symbols, rules, rest.Clock, secret, http, samples, counts, stop.Token), stop.Token);

        var result = new PhaseResult { Name = "baseline (Channel<T>, HashData, strings)" };
        result.Notes.Add("stages: async loops on the thread pool reading unbounded channels; no pinning");
        result.Notes.Add($"venue: the simulator in {sim.Description}");
        await Task.Delay(settings.WarmUp, cancellationToken).ConfigureAwait(false);
        var eventsBefore = Volatile.Read(ref counts[0]);
        var processBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        var start = Stopwatch.GetTimestamp();
        await Task.Delay(settings.Measure, cancellationToken).ConfigureAwait(false);
        result.Measured = Stopwatch.GetElapsedTime(start);
        result.ProcessAllocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - processBefore;
        result.Notes.Add(EnginePhase.GcNote(gcBefore));
        result.Events = Volatile.Read(ref counts[0]) - eventsBefore;
        await stop.CancelAsync().ConfigureAwait(false);
        toBrain.Writer.TryComplete();
        toExecution.Writer.TryComplete();
        foreach (var task in (Task[])[.. feeds, brainLoop, executionLoop, clockLoop])
        {
            try
            {
                await task.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or WebSocketException or ChannelClosedException or TimeoutException)
            {
                // Stopping: the loops end by cancellation.
            }
        }

        while (samples.TryDequeue(out var sample))
        {
            if (sample.Received != 0 && sample.Received >= start)
            {
                result.Hops.Add(in sample);
            }
        }

        result.Notes.Add($"orders: {Volatile.Read(ref counts[1])} sent, {Volatile.Read(ref counts[2])} answered with an error over the whole run");
        return result;
    }

    /// <summary>The engine back-fills an hour of closed candles before trading (they warm the indicators, decide nothing); so does the baseline.</summary>
    private static async Task WarmUpBrainAsync(BinanceRestClient rest, SymbolTable symbols, IReadOnlyList<SymbolId> ids, TradingBrain brain, CancellationToken cancellationToken)
    {
        var now = rest.Clock.NowUnixMs;
        foreach (var id in ids)
        {
            var klines = (await rest.GetKlinesAsync(symbols.NameOf(id), "1m", limit: 61, cancellationToken: cancellationToken).ConfigureAwait(false)).GetValueOrThrow();
            foreach (var k in klines.Where(k => k.CloseTime < now))
            {
                var e = default(MarketEvent);
                e.Begin(MarketEventKind.Candle, id, k.CloseTime, Stopwatch.GetTimestamp());
                e.Candle.OpenTimeMs = k.OpenTime;
                e.Candle.Open = k.Open;
                e.Candle.High = k.High;
                e.Candle.Low = k.Low;
                e.Candle.Close = k.Close;
                e.Candle.Volume = k.Volume;
                e.Candle.QuoteVolume = k.QuoteVolume;
                e.Candle.TradeCount = (int)Math.Min(k.TradeCount, int.MaxValue);
                e.Candle.IntervalMinutes = 1;
                e.Candle.IsClosed = true;
                e.Candle.IsBackfilled = true;
                brain.OnEvent(ref e);
            }
        }
    }

    private static async Task Feed(Uri uri, SymbolTable symbols, ChannelWriter<MarketEvent> output, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
        var parser = new StreamFrameParser(symbols, new FrameCounters(), NullLogger.Instance);
        var buffer = new byte[1 << 20];
        var length = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            length += read.Count;
            if (!read.EndOfMessage)
            {
                continue;
            }

            var received = Stopwatch.GetTimestamp();
            var evt = default(MarketEvent);
            var outcome = parser.Parse(buffer.AsSpan(0, length), received, ref evt);
            length = 0;
            if (outcome == FrameOutcome.Event)
            {
                evt.Stamps[(int)StagePoint.Published] = Stopwatch.GetTimestamp();
                output.TryWrite(evt);
            }
        }
    }

    private static async Task BrainLoop(TradingBrain brain, ChannelReader<MarketEvent> input, ChannelWriter<MarketEvent> output, long[] counts, CancellationToken cancellationToken)
    {
        await foreach (var item in input.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var evt = item;
            brain.OnEvent(ref evt);
            Interlocked.Increment(ref counts[0]);
            if (evt.IntentCount > 0)
            {
                evt.Stamps[(int)StagePoint.Brain] = Stopwatch.GetTimestamp();
                output.TryWrite(evt);
            }
        }
    }

    private static async Task ExecutionLoop(
        ChannelReader<MarketEvent> input, ChannelWriter<MarketEvent> updates, SymbolTable symbols, SymbolRules[] rules, ServerClock clock, byte[] secret,
        HttpClient http, ConcurrentQueue<OrderLatencySample> samples, long[] counts, CancellationToken cancellationToken)
    {
        long nextId = 0;
        await foreach (var evt in input.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < evt.IntentCount; i++)
            {
                var intent = evt.Intents[i];
                var name = symbols.NameOf(intent.Symbol);
                var quantity = (intent.Quantity.Mantissa / 100_000_000m).ToString("F" + rules[intent.Symbol.Value].QuantityPrecision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
                var id = ++nextId;
                var query = $"symbol={name}&side={(intent.Side == Side.Buy ? "BUY" : "SELL")}&type=MARKET&quantity={quantity}"
                    + (intent.ReduceOnly ? "&reduceOnly=true" : "")
                    + $"&newClientOrderId=e{id}&newOrderRespType=RESULT&recvWindow=60000&timestamp={clock.NowUnixMs}";
                var signature = Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(query)));
                var body = query + "&signature=" + signature;
                var sample = new OrderLatencySample
                {
                    // As the engine's trace: only decisions on market data count (an order update's stamp is not a frame's).
                    ClientOrderId = id, Received = evt.Kind == MarketEventKind.OrderUpdate ? 0 : evt.ReceivedTimestamp, Published = evt.Stamps[(int)StagePoint.Published],
                    Brain = evt.Stamps[(int)StagePoint.Brain], Signed = Stopwatch.GetTimestamp(),
                };
                Interlocked.Increment(ref counts[1]);
                _ = SendAsync(http, body, sample, intent, updates, samples, counts, cancellationToken);
            }
        }
    }

    private static async Task SendAsync(
        HttpClient http, string body, OrderLatencySample sample, OrderIntent intent, ChannelWriter<MarketEvent> updates,
        ConcurrentQueue<OrderLatencySample> samples, long[] counts, CancellationToken cancellationToken)
    {
        var written = new SocketWriteStamp();
        SocketWriteStamp.Attach(written);
        var update = default(MarketEvent);
        update.Begin(MarketEventKind.OrderUpdate, intent.Symbol, 0, Stopwatch.GetTimestamp());
        update.OrderUpdate.ClientOrderId = sample.ClientOrderId;
        update.OrderUpdate.Side = intent.Side;
        update.OrderUpdate.ReduceOnly = intent.ReduceOnly;
        update.OrderUpdate.OrderKind = OrderKind.Market;
        update.OrderUpdate.Quantity = intent.Quantity;
        update.OrderUpdate.Status = OrderStatus.Rejected;
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");
            using var response = await http.PostAsync("fapi/v1/order", content, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            if (response.IsSuccessStatusCode && root.TryGetProperty("status", out var status))
            {
                var executed = decimal.Parse(root.GetProperty("executedQty").GetString()!, CultureInfo.InvariantCulture);
                var average = decimal.Parse(root.GetProperty("avgPrice").GetString()!, CultureInfo.InvariantCulture);
                update.ExchangeTimeMs = root.GetProperty("updateTime").GetInt64();
                update.OrderUpdate.OrderId = root.GetProperty("orderId").GetInt64();
                update.OrderUpdate.Status = status.GetString() switch
                {
                    "FILLED" => OrderStatus.Filled,
                    "PARTIALLY_FILLED" => OrderStatus.PartiallyFilled,
                    "NEW" => OrderStatus.New,
                    "CANCELED" => OrderStatus.Canceled,
                    _ => OrderStatus.Expired,
                };
                update.OrderUpdate.FilledQuantity = Quantity.FromMantissa((long)(executed * 100_000_000m));
                update.OrderUpdate.LastFillQuantity = update.OrderUpdate.FilledQuantity;
                update.OrderUpdate.LastFillPrice = Price.FromMantissa((long)(average * 100_000_000m));
            }
            else
            {
                Interlocked.Increment(ref counts[2]);
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or OperationCanceledException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            Interlocked.Increment(ref counts[2]);
        }

        samples.Enqueue(sample with { Socket = written.Timestamp });
        updates.TryWrite(update);
    }
}
