using System.Diagnostics;
using Engine.Native;
using Engine.Ring;

namespace Tests.Ring;

/// <summary>
/// Both ways a lot sleeps (a futex where Linux has it, a monitor elsewhere) lose no wake-up: a parker that re-parks
/// after every advance, a writer that advances and wakes as soon as the parker has seen the previous value, so the wake
/// races the parker's way into the sleep on every round. The park timeout is far longer than a round may take, so one
/// lost wake-up fails the test instead of hiding behind the timeout.
/// </summary>
[Collection(RingThreadsCollection.Name)]
public sealed class ParkingLotTests
{
    private const int LongParkMilliseconds = 30_000;

    public static TheoryData<bool> Mechanisms => Futex.IsSupported ? [true, false] : [false];

    [Theory]
    [MemberData(nameof(Mechanisms))]
    public void Every_advance_wakes_the_parked_thread(bool useFutex)
    {
        const int rounds = 3_000;
        var ring = RingBuffer.CreateSingleProducer<long>(64, new BlockingWaitStrategy());
        var barrier = ring.NewBarrier(new BlockingWaitStrategy());
        var lot = new ParkingLot(useFutex);
        Assert.Equal(useFutex, lot.UsesFutex);
        var seen = new Sequence();
        var parks = 0;
        var parker = new Thread(() =>
        {
            for (long next = 0; next < rounds; next++)
            {
                while (barrier.GetAvailable(next) < next)
                {
                    parks++;
                    lot.Park(next, barrier, LongParkMilliseconds);
                }

                seen.SetValueVolatile(next);
            }
        }) { IsBackground = true, Name = "parker" };
        parker.Start();

        for (long i = 0; i < rounds; i++)
        {
            var sequence = ring.Next();
            ring.Publish(sequence);
            lot.WakeAll();
            var started = Stopwatch.GetTimestamp();
            while (seen.Value < sequence)
            {
                Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(5), $"round {i}: the parked thread was never woken");
                Thread.Yield();
            }
        }

        Assert.True(parker.Join(TimeSpan.FromSeconds(5)));
        Assert.True(parks > 0, "the parker never parked: the test raced nothing");
    }

    [Theory]
    [MemberData(nameof(Mechanisms))]
    public void A_park_with_nothing_published_times_out(bool useFutex)
    {
        var ring = RingBuffer.CreateSingleProducer<long>(64, new BlockingWaitStrategy());
        var barrier = ring.NewBarrier(new BlockingWaitStrategy());
        var lot = new ParkingLot(useFutex);
        var started = Stopwatch.GetTimestamp();
        Assert.False(lot.Park(0, barrier, 20));
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(15));
    }
}
