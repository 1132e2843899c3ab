using System.Text;
using Engine.Brain;
using Engine.Hosting;

namespace Engine.Control.Metrics;

/// <summary>The brain's decisions, refusals and cooldowns, read from the counters its thread publishes.</summary>
public sealed class BrainMetrics(RingPipeline pipeline, Engine.Model.SymbolTable symbols) : IMetricsSource
{
    // Counter names as Prometheus label values, computed once: "RefusedBelowMinNotional" → "refused_below_min_notional".
    private static readonly (BrainCounter Counter, string Label)[] s_counters =
        [.. Enum.GetValues<BrainCounter>().Where(c => c != BrainCounter.ActiveCooldowns).Select(c => (c, SnakeCase(c.ToString())))];

    public void Collect(PrometheusWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var counters = pipeline.Brain.Counters;
        writer.Family("engine_brain_events_total", "counter", "What the brain did: trades read, candles closed, signals, entries, exits, rotations, refusals by reason, cooldowns.");
        foreach (var (counter, label) in s_counters)
        {
            writer.Sample("engine_brain_events_total", counters[counter], ("event", label));
        }

        // A symbol appears once it has had a signal: 300 symbols × 2 sides of zeros would only bloat every scrape.
        writer.Family("engine_signals_total", "counter", "Entry signals by symbol and side (confidence over the threshold in an allowed regime), refused ones included.");
        var known = Math.Min(symbols.Count, counters.MaxSymbols);
        for (var id = 1; id <= known; id++)
        {
            var symbol = new Engine.Model.SymbolId((ushort)id);
            var buys = counters.Signals(symbol, Engine.Model.Side.Buy);
            var sells = counters.Signals(symbol, Engine.Model.Side.Sell);
            if (buys + sells == 0)
            {
                continue;
            }

            var name = symbols.NameOf(symbol);
            writer.Sample("engine_signals_total", buys, ("symbol", name), ("side", "buy"));
            writer.Sample("engine_signals_total", sells, ("symbol", name), ("side", "sell"));
        }

        writer.Family("engine_cooldowns_active", "gauge", "Symbols refusing new entries after a failed order.")
            .Sample("engine_cooldowns_active", counters[BrainCounter.ActiveCooldowns]);
        writer.Family("engine_entries_paused", "gauge", "1 while new entries are paused (Pause command or flatten).")
            .Sample("engine_entries_paused", counters.Paused ? 1 : 0);
    }

    private static string SnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }
}
