using Engine.Exchange.Wire;

namespace Tests.Exchange.Wire;

/// <summary>The send-path warmer on a real loopback connection: it never blocks or fills up, and allocates nothing.</summary>
public sealed class SendPathWarmerTests
{
    [Fact]
    public void Warming_far_more_than_a_socket_buffer_holds_never_blocks_and_allocates_nothing()
    {
        using var warmer = SendPathWarmer.Open(messageBytes: 4096);
        warmer.Warm();
        var before = GC.GetAllocatedBytesForCurrentThread();

        // 40 MB through the connection: without reading back, the writer's buffer would fill and every send refuse.
        for (var i = 0; i < 10_000; i++)
        {
            warmer.Warm();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(10_001, warmer.Warmings);
    }

}
