using Engine.Feed.Replay;
using Engine.Model;
using Engine.Ring;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tests.Feed.Replay;

/// <summary>Runs a replay into a real ring and collects every published event on the test thread, as a stage would.</summary>
internal static class ReplayDriver
{
    public static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);

    public static (List<MarketEvent> Events, ReplayMarketSource Source, SymbolTable Symbols) Run(ReplayOptions options, ILogger? logger = null, int ringSize = 1024)
    {
        var symbols = new SymbolTable(16);
        var ring = RingBuffer.CreateSingleProducer<MarketEvent>(ringSize, new YieldingWaitStrategy());
        var consumer = new Sequence();
        ring.AddGatingSequences(consumer);
        var source = new ReplayMarketSource(ring, symbols, options, logger ?? NullLogger.Instance);
        var events = new List<MarketEvent>();
        source.Start();
        var next = 0L;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var running = source.IsRunning;
            var cursor = ring.Cursor;
            while (next <= cursor)
            {
                events.Add(ring[next]);
                next++;
            }

            consumer.SetValue(next - 1);
            if (!running && next > ring.Cursor)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the replay did not finish in time");
            Thread.Yield();
        }

        source.Dispose();
        return (events, source, symbols);
    }
}
