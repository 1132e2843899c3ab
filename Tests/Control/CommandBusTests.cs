using Engine.Control.Commands;
using Engine.Feed.Synthetic;
using Engine.Hosting;
using Engine.Model;
using Engine.Ring;
using Tests.Ring;
using Xunit.Abstractions;

namespace Tests.Control;

/// <summary>Commands through the real ring: the control plane as a second producer, replies from the tail.</summary>
[Collection(RingThreadsCollection.Name)]
public sealed class CommandBusTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private static CommandBus BusFor(RingPipeline pipeline) =>
        new(pipeline.Ring, pipeline.Replies, pipeline.CommandOwners, CommandOwnership.MissingOwner);

    [Fact]
    public async Task A_command_published_between_ticks_completes_after_every_stage_handled_everything_before_it()
    {
        var pipeline = new RingPipeline(new RingOptions { Size = 1024 });
        var bus = BusFor(pipeline);
        var source = new SyntheticMarketSource(pipeline.Ring, new SymbolTable(), new SyntheticMarketOptions { Seed = 3 });
        pipeline.Start();
        using var stop = new CancellationTokenSource();
        var producer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                source.PublishNext();
            }
        });

        var previous = -1L;
        var roundTrips = new List<double>();
        for (var i = 0; i < 50; i++)
        {
            var result = await bus.SendAsync(CommandKind.Shutdown, i, s_timeout, CancellationToken.None);
            roundTrips.Add(result.RoundTrip.TotalMicroseconds);
            Assert.Equal(CommandStatus.Completed, result.Status);
            Assert.True(result.Sequence > previous);
            previous = result.Sequence;

            // Every stage was at or past the command's sequence when its reply arrived.
            foreach (var stage in pipeline.Stages.Take(2))
            {
                Assert.True(stage.Sequence.Value >= result.Sequence, "brain and execution had handled the command");
            }

            Assert.True(pipeline.Statistics[2].Events >= result.Sequence, "the tail had handled everything before the command");
            Assert.Equal(["tail"], result.HandledBy);
        }

        await stop.CancelAsync();
        await producer;
        roundTrips.Sort();
        output.WriteLine($"command round trip through the ring under a saturating producer: median {roundTrips[25]:F0} µs, max {roundTrips[^1]:F0} µs");
        Assert.True(pipeline.HaltAndDrain(s_timeout));
        Assert.Equal(50, pipeline.Replies.Completed);
        Assert.Equal(50, pipeline.TailCounters.Read(MarketEventKind.Command, 0));
        Assert.Equal(source.Published + 50, pipeline.Statistics[2].Events);
    }

    [Fact]
    public async Task At_the_synthetic_market_rate_every_command_comes_back_and_the_round_trip_is_reported()
    {
        var pipeline = new RingPipeline(new RingOptions { Size = 4096 });
        var bus = BusFor(pipeline);
        var source = new SyntheticMarketSource(pipeline.Ring, new SymbolTable(), new SyntheticMarketOptions());
        pipeline.Start();
        source.Start();
        var roundTrips = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            var result = await bus.SendAsync(CommandKind.Shutdown, i, s_timeout, CancellationToken.None);
            Assert.Equal(CommandStatus.Completed, result.Status);
            roundTrips.Add(result.RoundTrip.TotalMicroseconds);
        }

        Assert.True(source.Stop(s_timeout));
        Assert.True(pipeline.HaltAndDrain(s_timeout));
        Assert.Equal(200, pipeline.Replies.Completed);
        roundTrips.Sort();
        output.WriteLine($"command round trip at 2,000 market events/s (spin-then-block stages): p50 {roundTrips[100]:F0} µs, p90 {roundTrips[180]:F0} µs, max {roundTrips[^1]:F0} µs");
    }

    [Fact]
    public async Task A_command_no_stage_owns_is_refused_without_touching_the_ring()
    {
        var pipeline = new RingPipeline(new RingOptions { Size = 64 });
        var bus = BusFor(pipeline);

        var result = await bus.SendAsync(CommandKind.Flatten, 0, s_timeout, CancellationToken.None);

        Assert.Equal(CommandStatus.NoOwner, result.Status);
        Assert.Contains("needs execution", result.Detail, StringComparison.Ordinal);
        Assert.Equal(-1, pipeline.Ring.Cursor);
    }

    [Fact]
    public async Task A_full_ring_fails_the_command_in_time_instead_of_hanging_and_a_closed_bus_takes_none()
    {
        var pipeline = new RingPipeline(new RingOptions { Size = 64 });
        var bus = BusFor(pipeline);
        var source = new SyntheticMarketSource(pipeline.Ring, new SymbolTable(), new SyntheticMarketOptions());
        for (var i = 0; i < 64; i++)
        {
            source.PublishNext();
        }

        var full = await bus.SendAsync(CommandKind.Shutdown, 0, TimeSpan.FromMilliseconds(200), CancellationToken.None);
        Assert.Equal(CommandStatus.Busy, full.Status);

        // Once the stages run, the ring drains and the next command goes through.
        pipeline.Start();
        var through = await bus.SendAsync(CommandKind.Shutdown, 0, s_timeout, CancellationToken.None);
        Assert.Equal(CommandStatus.Completed, through.Status);
        Assert.Equal(64, through.Sequence);

        bus.Close();
        var closed = await bus.SendAsync(CommandKind.Shutdown, 0, s_timeout, CancellationToken.None);
        Assert.Equal(CommandStatus.Closed, closed.Status);
        Assert.True(pipeline.HaltAndDrain(s_timeout));
    }

    [Fact]
    public void The_bus_refuses_a_single_producer_ring()
    {
        var ring = RingBuffer.CreateSingleProducer<MarketEvent>(64, new BlockingWaitStrategy());
        Assert.Throws<ArgumentException>(() => new CommandBus(ring, new CommandReplies(), new Dictionary<CommandKind, string[]>(), CommandOwnership.MissingOwner));
    }

    [Fact]
    public async Task The_reply_table_completes_only_the_registered_id_and_frees_abandoned_slots()
    {
        var replies = new CommandReplies();
        Assert.True(replies.TryRegister(out var id, out var completion));
        replies.Complete(id + CommandReplies.Capacity, 5);
        Assert.False(completion.IsCompleted);
        replies.Complete(id, 7);
        Assert.Equal(7, await completion);

        Assert.True(replies.TryRegister(out var abandoned, out var never));
        replies.Abandon(abandoned);
        Assert.True(never.IsCanceled);
        for (var i = 0; i < CommandReplies.Capacity; i++)
        {
            Assert.True(replies.TryRegister(out _, out _));
        }

        Assert.False(replies.TryRegister(out _, out _));
        Assert.Equal(1, replies.Completed);
    }
}
