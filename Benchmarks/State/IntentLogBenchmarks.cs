using BenchmarkDotNet.Attributes;
using Engine.Model;
using Engine.State.Journal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Benchmarks.State;

/// <summary>
/// Journaling one order intent, per order: into the intent log (memory stores into a pre-allocated mapped segment,
/// its flusher forcing it to disk every 20 ms on its own thread, as the engine runs it) beside the main journal's
/// write-ahead path as the I/O loop takes it today (append, then a commit that writes it to the OS with one
/// <c>write</c>). Both on the same disk (the temp folder), Batched fsync.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class IntentLogBenchmarks
{
    private const int OrdersPerInvoke = 10_000;

    private readonly JournalOrder _intent = new()
    {
        ClientOrderId = 17_000_000_042,
        Symbol = "BTCUSDT",
        Side = Side.Buy,
        Kind = OrderKind.Limit,
        TimeInForce = TimeInForce.Gtc,
        Price = Price.FromMantissa(60_000 * FixedPoint.One),
        Quantity = Quantity.FromMantissa(FixedPoint.One / 1000),
        SignedTimestampMs = 1_765_000_000_000,
    };

    private readonly byte[] _record = new byte[JournalCodec.MaxOrderRecordSize];
    private string _directory = null!;
    private JournalFolder _folder = null!;
    private IntentLog _log = null!;
    private JournalWriter _writer = null!;

    /// <summary>Appends the intent log refused (no segment allocated in time); reported, expected 0.</summary>
    public static long Refused { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "intent-log-bench-" + Guid.NewGuid().ToString("N"));
        var options = new JournalOptions
        {
            Directory = _directory,
            Fsync = FsyncPolicy.Batched,
            GroupCommitRecords = int.MaxValue, // the interval's fsync is the loop's Tick, after its sends: not on this path
            SegmentMaxBytes = 64L * 1024 * 1024,

            // Big enough that the flusher's 10 ms turn always has the next one ready at a benchmark's rate (tens of
            // millions of appends a second); at an order rate the 4 MiB default is years of headroom per turn.
            IntentSegmentBytes = 256L * 1024 * 1024,
        };
        _folder = JournalFolder.Acquire(_directory);
        _log = IntentLog.Open(_folder, options, NullLogger.Instance);
        _writer = new JournalWriter(options, 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.Dispose();
        _writer.Dispose();
        _folder.Dispose();
        Directory.Delete(_directory, recursive: true);
        Console.WriteLine($"// intent log: {_log.AppendedSequence} appended, {Refused} refused, {_log.Syncs} flushes");
    }

    [Benchmark(OperationsPerInvoke = OrdersPerInvoke)]
    public long IntentLogTryAppend()
    {
        var log = _log;
        long last = 0;
        for (var i = 0; i < OrdersPerInvoke; i++)
        {
            if (!log.TryAppend(_intent, out last))
            {
                Refused++;
            }
        }

        // What the I/O loop does once the main journal holds them: lets the flusher delete full segments.
        log.Release(last);
        return last;
    }

    [Benchmark(OperationsPerInvoke = OrdersPerInvoke)]
    public bool JournalWriterAppendAndCommit()
    {
        var writer = _writer;
        var ok = true;
        for (var i = 0; i < OrdersPerInvoke; i++)
        {
            writer.Append(_record.AsSpan(0, JournalCodec.WriteIntent(_record, _intent)));
            ok &= writer.TryCommit();
        }

        if (writer.RotationDue)
        {
            writer.RotateWithSnapshot(JournalCodec.WriteSnapshot(1, [], []));
        }

        return ok;
    }
}
