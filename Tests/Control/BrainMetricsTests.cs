using Engine.Control.Metrics;
using Engine.Hosting;
using Engine.Model;
using Tests.Brain;

namespace Tests.Control;

public sealed class BrainMetricsTests
{
    [Fact]
    public void Signals_are_exported_by_symbol_and_side_once_a_symbol_has_one()
    {
        var driver = new BrainDriver(BrainDriver.TestOptions(), 2);
        var symbols = new SymbolTable();
        Assert.Equal(1, symbols.Add("BTCUSDT").Value);
        Assert.Equal(2, symbols.Add("ETHUSDT").Value);
        driver.Warm(0, 40, 1, 2);
        var decided = driver.Kline(1, 40, volume: 20);
        Assert.Equal(1, decided.IntentCount);

        var writer = new PrometheusWriter();
        new BrainMetrics(new RingPipeline(new RingOptions { Size = 64 }, driver.Brain), symbols).Collect(writer);
        var families = PrometheusText.Parse(writer.ToString());

        Assert.Equal(1, PrometheusText.Value(families, "engine_signals_total", ("symbol", "BTCUSDT"), ("side", "buy")));
        Assert.Equal(0, PrometheusText.Value(families, "engine_signals_total", ("symbol", "BTCUSDT"), ("side", "sell")));
        Assert.DoesNotContain(families["engine_signals_total"].Samples, s => s.Labels["symbol"] == "ETHUSDT");
        Assert.Equal(1, PrometheusText.Value(families, "engine_brain_events_total", ("event", "entry_signals")));
    }
}
