using System.Threading.Channels;
using Engine.Control.V1;
using Google.Protobuf.WellKnownTypes;

namespace Engine.Control;

/// <summary>
/// The fan-out behind WatchEvents: whoever has something to tell (the health monitor, the command path, the host's
/// life cycle; later the brain's signals and execution's fills, from their own non-stage threads) publishes here, and
/// every watcher gets its own bounded queue. A watcher that does not keep up loses its oldest events, never slows the
/// publisher; <see cref="Subscription.Dropped"/> counts them.
/// </summary>
public sealed class EngineEvents
{
    /// <summary>Events a watcher may fall behind by before the oldest are dropped.</summary>
    public const int WatcherCapacity = 1024;

    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscriptions = [];
    private long _serial;
    private bool _completed;

    public long Published => Interlocked.Read(ref _serial);

    public void Publish(EngineEvent engineEvent)
    {
        ArgumentNullException.ThrowIfNull(engineEvent);
        engineEvent.Serial = Interlocked.Increment(ref _serial);
        engineEvent.At ??= Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
            {
                subscription.Offer(engineEvent);
            }
        }
    }

    /// <summary>Starts watching; dispose the subscription to stop. Its reader completes when the engine stops.</summary>
    public Subscription Subscribe()
    {
        var subscription = new Subscription(this);
        lock (_gate)
        {
            if (_completed)
            {
                subscription.Complete();
            }
            else
            {
                _subscriptions.Add(subscription);
            }
        }

        return subscription;
    }

    /// <summary>Ends every watch (shutdown).</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            foreach (var subscription in _subscriptions)
            {
                subscription.Complete();
            }

            _subscriptions.Clear();
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    public sealed class Subscription : IDisposable
    {
        private readonly EngineEvents _owner;
        private readonly Channel<EngineEvent> _channel;
        private long _dropped;

        internal Subscription(EngineEvents owner)
        {
            _owner = owner;
            _channel = Channel.CreateBounded<EngineEvent>(
                new BoundedChannelOptions(WatcherCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
                _ => Interlocked.Increment(ref _dropped));
        }

        public ChannelReader<EngineEvent> Reader => _channel.Reader;

        public long Dropped => Interlocked.Read(ref _dropped);

        internal void Offer(EngineEvent engineEvent) => _channel.Writer.TryWrite(engineEvent);

        internal void Complete() => _channel.Writer.TryComplete();

        public void Dispose()
        {
            _owner.Remove(this);
            Complete();
        }
    }
}
