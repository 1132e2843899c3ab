using System.Threading.Channels;

namespace Benchmarks.Ring;

/// <summary>
/// The baseline every ring benchmark is measured against: bounded single-reader/single-writer channels used the
/// idiomatic way (TryWrite, falling back to WriteAsync when full; drain with TryRead, WaitToReadAsync when empty).
/// </summary>
public static class ChannelBaseline
{
    public static Channel<PerfEvent> CreateSpsc(int capacity) => Channel.CreateBounded<PerfEvent>(new BoundedChannelOptions(capacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
        AllowSynchronousContinuations = false,
    });

    /// <summary>
    /// Starts a stage thread: each item read is counted in <paramref name="tally"/> and, when <paramref name="next"/> is
    /// given, incremented and passed on (as <see cref="ForwardingHandler"/> does on the ring).
    /// </summary>
    public static Thread StartStage(ChannelReader<PerfEvent> reader, ChannelWriter<PerfEvent>? next, Tally tally)
    {
        var thread = new Thread(() =>
        {
            while (true)
            {
                while (reader.TryRead(out var item))
                {
                    if (next is null)
                    {
                        tally.Add(item.Value);
                        continue;
                    }

                    item.Value += 1;
                    tally.Add(item.Value);
                    if (!next.TryWrite(item))
                    {
                        next.WriteAsync(item).AsTask().GetAwaiter().GetResult();
                    }
                }

                tally.Publish();
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    next?.Complete();
                    return;
                }
            }
        })
        { IsBackground = true, Name = "channel-stage" };
        thread.Start();
        return thread;
    }

    /// <summary>Writes <paramref name="events"/> items and waits until the last stage has counted them all.</summary>
    public static long PublishAndWait(ChannelWriter<PerfEvent> writer, Tally last, int events)
    {
        var target = last.Count + events;
        for (long i = 0; i < events; i++)
        {
            var item = new PerfEvent { Value = i };
            if (!writer.TryWrite(item))
            {
                writer.WriteAsync(item).AsTask().GetAwaiter().GetResult();
            }
        }

        var spin = default(SpinWait);
        while (last.Count < target)
        {
            spin.SpinOnce(-1);
        }

        return last.Sum;
    }
}
