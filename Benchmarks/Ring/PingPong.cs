using System.Threading.Channels;
using Engine.Ring;

namespace Benchmarks.Ring;

/// <summary>
/// Two rings between two threads: the caller publishes a ping, an echo stage answers on the pong ring, and the
/// caller spins until the answer is there. One call of <see cref="RoundTrip"/> is one round trip.
/// </summary>
public sealed class RingPingPong : IDisposable
{
    private readonly RingBuffer<PerfEvent> _ping;
    private readonly RingBuffer<PerfEvent> _pong;
    private readonly BatchEventProcessor<PerfEvent, EchoHandler> _echo;
    private readonly Sequence _pongRead = new();
    private readonly bool _callerYields;
    private long _expected = -1;

    /// <param name="wait">The echo's wait strategy.</param>
    /// <param name="echoCpu">CPU to pin the echo to (none when negative).</param>
    /// <param name="spin">Spin phase of the strategy (its default when null).</param>
    /// <param name="callerYields">The caller yields while it waits for the pong (it shares the echo's core).</param>
    public RingPingPong(WaitStrategyKind wait, int echoCpu = -1, TimeSpan? spin = null, bool callerYields = false)
    {
        _callerYields = callerYields;
        _ping = RingBuffer.CreateSingleProducer<PerfEvent>(1024, WaitStrategyFactory.Create(wait, spin));
        _pong = RingBuffer.CreateSingleProducer<PerfEvent>(1024, WaitStrategyFactory.Create(wait, spin));
        _pong.AddGatingSequences(_pongRead);
        _echo = new BatchEventProcessor<PerfEvent, EchoHandler>("echo", _ping, _ping.NewBarrier(), new EchoHandler(_pong));
        _ping.AddGatingSequences(_echo.Sequence);
        _echo.Start(echoCpu >= 0 ? () => Engine.Native.ThreadAffinity.PinCurrentThread(echoCpu) : null);
    }

    /// <summary>Sends a ping and spins until its pong comes back; returns the echoed value.</summary>
    public long RoundTrip(long value)
    {
        var sequence = _ping.Next();
        _ping[sequence].Value = value;
        _ping.Publish(sequence);

        var expected = ++_expected;
        while (_pong.Cursor < expected)
        {
            if (_callerYields)
            {
                Thread.Yield();
            }
        }

        var echoed = _pong[expected].Value;
        _pongRead.SetValue(expected);
        return echoed;
    }

    public void Dispose()
    {
        _echo.Halt();
        _echo.Join(TimeSpan.FromSeconds(10));
    }

    private readonly struct EchoHandler(RingBuffer<PerfEvent> pong) : IEventHandler<PerfEvent>
    {
        public void OnEvent(ref PerfEvent data, long sequence, bool endOfBatch)
        {
            var reply = pong.Next();
            pong[reply].Value = data.Value;
            pong.Publish(reply);
        }
    }
}

/// <summary>
/// The same round trip over two bounded single-reader/single-writer channels, both sides polling with
/// <c>TryRead</c> (the fastest way to use a channel; awaiting would add a thread-pool hop).
/// </summary>
public sealed class ChannelPingPong : IDisposable
{
    private readonly Channel<PerfEvent> _ping = Create();
    private readonly Channel<PerfEvent> _pong = Create();
    private readonly Thread _echo;
    private volatile bool _stopping;

    public ChannelPingPong()
    {
        _echo = new Thread(() =>
        {
            var reader = _ping.Reader;
            var writer = _pong.Writer;
            while (!_stopping)
            {
                if (reader.TryRead(out var item))
                {
                    writer.TryWrite(item);
                }
            }
        })
        { IsBackground = true, Name = "channel-echo" };
        _echo.Start();
    }

    public long RoundTrip(long value)
    {
        _ping.Writer.TryWrite(new PerfEvent { Value = value });
        PerfEvent item;
        while (!_pong.Reader.TryRead(out item))
        {
        }

        return item.Value;
    }

    public void Dispose()
    {
        _stopping = true;
        _echo.Join(TimeSpan.FromSeconds(10));
    }

    private static Channel<PerfEvent> Create() => Channel.CreateBounded<PerfEvent>(new BoundedChannelOptions(1024)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });
}
