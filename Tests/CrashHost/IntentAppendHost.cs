using Engine.Model;
using Engine.State.Journal;
using Microsoft.Extensions.Logging.Abstractions;

/// <summary>
/// <c>CrashHost intent-append JOURNAL_DIR SEGMENT_BYTES</c>: opens the intent log of the journal folder and appends
/// intents as fast as it can until it is killed (Tests/State/Journal/IntentLogCrashTests). Intent <c>n</c> has client
/// order id <c>n</c> and a signed timestamp of <see cref="TimestampBase"/> + n, so a reader can check every record
/// against its sequence. Prints <c>ready LAST</c> (the last sequence recovered) once it appends.
/// </summary>
internal static class IntentAppendHost
{
    public const string Verb = "intent-append";

    public const long TimestampBase = 1_765_000_000_000;

    public static int Run(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: CrashHost intent-append <journalDir> <segmentBytes>");
            return 2;
        }

        var options = new JournalOptions { Directory = args[0], Fsync = FsyncPolicy.Batched, IntentSegmentBytes = long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) };
        using var folder = JournalFolder.Acquire(options.Directory);
        using var log = IntentLog.Open(folder, options, NullLogger.Instance);
        var intent = new JournalOrder { Symbol = "BTCUSDT", Side = Side.Buy, Kind = OrderKind.Market };
        var id = log.AppendedSequence;
        Console.WriteLine($"ready {id}");
        Console.Out.Flush();
        while (true)
        {
            id++;
            intent.ClientOrderId = id;
            intent.Quantity = Quantity.FromMantissa((id % 97) + 1);
            intent.SignedTimestampMs = TimestampBase + id;
            while (!log.TryAppend(intent, out _))
            {
                Thread.Yield();
            }

            if (id % 1_000 == 0)
            {
                // Keeps the folder small: the flusher deletes what is released.
                log.Release(id - 2_000);
            }
        }
    }
}
