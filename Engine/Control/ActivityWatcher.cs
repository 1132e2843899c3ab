using Engine.Control.V1;
using Engine.Hosting;
using Engine.Model;
using Engine.Telemetry;
using Microsoft.Extensions.Hosting;

namespace Engine.Control;

/// <summary>
/// Turns what the tail copied out (signals and fills) and the run's mode into WatchEvents events, on its own timer:
/// the stages never format or allocate for the control plane.
/// </summary>
public sealed class ActivityWatcher(RingPipeline pipeline, SymbolTable symbols, EngineRuntime runtime, EngineEvents events) : BackgroundService
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(100);
    private EngineMode _mode = runtime.Mode;

    /// <summary>Publishes everything waiting; returns how many events (also what the timer does).</summary>
    public int Poll()
    {
        var published = 0;
        var mode = runtime.Mode;
        if (mode != _mode)
        {
            events.Publish(new EngineEvent { Mode = new ModeChanged { From = Grpc.EngineControlService.ToProto(_mode), To = Grpc.EngineControlService.ToProto(mode) } });
            _mode = mode;
            published++;
        }

        Span<byte> id = stackalloc byte[ClientOrderId.MaxLength];
        while (pipeline.Activity.TryRead(out var activity))
        {
            var symbol = symbols.NameOf(activity.Symbol);
            var side = activity.Side == Side.Buy ? "BUY" : "SELL";
            if (activity.Kind == ActivityKind.Signal)
            {
                events.Publish(new EngineEvent
                {
                    Signal = new Signal { Symbol = symbol, Side = side, Confidence = activity.ConfidenceBasisPoints / (double)OrderIntent.ConfidenceScale, Price = activity.Price.ToString() },
                });
            }
            else
            {
                var written = activity.ClientOrderId > 0 ? ClientOrderId.Format(activity.ClientOrderId, id) : 0;
                events.Publish(new EngineEvent
                {
                    Fill = new Fill
                    {
                        Symbol = symbol, Side = side, Price = activity.Price.ToString(), Quantity = activity.Quantity.ToString(),
                        OrderId = activity.OrderId, ClientOrderId = System.Text.Encoding.ASCII.GetString(id[..written]),
                    },
                });
            }

            published++;
        }

        return published;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(s_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Poll();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is left in the tap is not needed by anyone (the watchers' streams end with the host).
        }
    }
}
