using System.Diagnostics;
using Engine.Execution;
using HdrHistogram;

namespace Benchmarks.EndToEnd;

/// <summary>
/// One pipeline's orders, hop by hop, in HdrHistogram (nanoseconds, 3 significant digits): the four hops between the
/// five stamps and the two totals. A hop is recorded only when both its stamps are present.
/// </summary>
public sealed class HopHistograms
{
    public const int ReceivedToPublished = 0;
    public const int PublishedToBrain = 1;
    public const int BrainToSigned = 2;
    public const int SignedToSocket = 3;
    public const int TickToSigned = 4;
    public const int TickToSocket = 5;

    public static readonly string[] Names =
    [
        "frame received → published (parse, into the ring / channel)",
        "published → brain decided",
        "brain decided → order signed",
        "order signed → first socket write",
        "**tick → signed order**",
        "**tick → socket**",
    ];

    public LongHistogram[] Hops { get; } = [.. Names.Select(_ => new LongHistogram(TimeStamp.Seconds(60), 3))];

    public long Orders { get; private set; }

    /// <summary>Every sample added, in order, for <c>--samples</c>.</summary>
    public List<OrderLatencySample> Samples { get; } = [];

    public void Add(in OrderLatencySample s)
    {
        Orders++;
        Samples.Add(s);
        Record(ReceivedToPublished, s.Received, s.Published);
        Record(PublishedToBrain, s.Published, s.Brain);
        Record(BrainToSigned, s.Brain, s.Signed);
        Record(SignedToSocket, s.Signed, s.Socket);
        Record(TickToSigned, s.Received, s.Signed);
        Record(TickToSocket, s.Received, s.Socket);
    }

    private void Record(int hop, long from, long to)
    {
        if (from != 0 && to != 0 && to >= from)
        {
            Hops[hop].RecordValue(Math.Max(1, (long)((to - from) * (1_000_000_000.0 / Stopwatch.Frequency))));
        }
    }
}
