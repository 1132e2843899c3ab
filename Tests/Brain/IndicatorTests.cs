using Engine.Brain;

namespace Tests.Brain;

/// <summary>
/// Each incremental indicator against a direct, non-incremental computation from its textbook definition over three
/// days of real BTCUSDT 1-minute klines (4,320 candles), every value to 1e-9 relative.
/// </summary>
public sealed class IndicatorTests
{
    private const double Tolerance = 1e-9;

    private static readonly List<Engine.Brain.Candle> s_candles = BrainData.BtcUsdtKlines();
    private static readonly double[] s_close = [.. s_candles.Select(c => IndicatorSetDouble(c.Close.Mantissa))];
    private static readonly double[] s_high = [.. s_candles.Select(c => IndicatorSetDouble(c.High.Mantissa))];
    private static readonly double[] s_low = [.. s_candles.Select(c => IndicatorSetDouble(c.Low.Mantissa))];
    private static readonly double[] s_volume = [.. s_candles.Select(c => IndicatorSetDouble(c.Volume.Mantissa))];

    [Fact]
    public void Data_is_the_three_days()
    {
        Assert.Equal(4_320, s_candles.Count);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(20)]
    [InlineData(200)]
    public void Sma_matches_the_window_average(int period)
    {
        var sma = new Sma(period);
        for (var i = 0; i < s_close.Length; i++)
        {
            sma.Update(s_close[i]);
            Assert.Equal(i + 1 >= period, sma.IsReady);
            var from = Math.Max(0, i + 1 - period);
            AssertClose(Average(s_close, from, i + 1), sma.Value, i);
        }
    }

    [Theory]
    [InlineData(12)]
    [InlineData(26)]
    public void Ema_matches_the_recursive_definition(int period)
    {
        var ema = new Ema(period);
        var expected = TextbookEma(s_close, period);
        for (var i = 0; i < s_close.Length; i++)
        {
            ema.Update(s_close[i]);
            Assert.Equal(!double.IsNaN(expected[i]), ema.IsReady);
            if (ema.IsReady)
            {
                AssertClose(expected[i], ema.Value, i);
            }
        }
    }

    [Theory]
    [InlineData(20)]
    [InlineData(60)]
    public void Rolling_standard_deviation_and_bollinger_match_two_pass_statistics(int period)
    {
        var stats = new RollingStats(period);
        var bands = new Bollinger(period, 2.0);
        for (var i = 0; i < s_close.Length; i++)
        {
            stats.Update(s_close[i]);
            bands.Update(s_close[i]);
            var from = Math.Max(0, i + 1 - period);
            var mean = Average(s_close, from, i + 1);
            var sd = PopulationStdDev(s_close, from, i + 1);
            AssertClose(mean, stats.Mean, i);
            if (i >= period - 1)
            {
                AssertClose(sd, stats.StandardDeviation, i);
                AssertClose(mean + (2 * sd), bands.Upper, i);
                AssertClose(mean - (2 * sd), bands.Lower, i);
            }
        }
    }

    [Fact]
    public void Rolling_statistics_stay_exact_on_a_large_offset()
    {
        // Values ~1e9 varying by ~0.04: a naive sum of squares (~1e18, resolution ~1e2) keeps no digit of the variance;
        // the windowed Welford update stays within 1e-4 of the deviation (the inputs themselves carry ~1e-7 absolute, ~3e-6 of it).
        var stats = new RollingStats(20);
        var values = s_close.Select(c => 1e9 + (c - 7000) / 100).ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            stats.Update(values[i]);
            if (i >= 19)
            {
                var expected = PopulationStdDev(values, i - 19, i + 1);
                Assert.True(Math.Abs(stats.StandardDeviation - expected) <= 1e-4 * expected, $"at {i}: {stats.StandardDeviation} vs {expected}");
            }
        }
    }

    [Fact]
    public void Rsi_matches_wilder()
    {
        const int period = 14;
        var rsi = new Rsi(period);
        var gains = new double[s_close.Length];
        var losses = new double[s_close.Length];
        for (var i = 1; i < s_close.Length; i++)
        {
            gains[i] = Math.Max(0, s_close[i] - s_close[i - 1]);
            losses[i] = Math.Max(0, s_close[i - 1] - s_close[i]);
        }

        double avgGain = 0, avgLoss = 0;
        for (var i = 0; i < s_close.Length; i++)
        {
            rsi.Update(s_close[i]);
            if (i < period)
            {
                Assert.False(rsi.IsReady);
                continue;
            }

            if (i == period)
            {
                avgGain = gains.Skip(1).Take(period).Average();
                avgLoss = losses.Skip(1).Take(period).Average();
            }
            else
            {
                avgGain = ((avgGain * (period - 1)) + gains[i]) / period;
                avgLoss = ((avgLoss * (period - 1)) + losses[i]) / period;
            }

            var expected = avgLoss == 0 ? 100 : 100 - (100 / (1 + (avgGain / avgLoss)));
            Assert.True(rsi.IsReady);
            AssertClose(expected, rsi.Value, i);
        }
    }

    [Fact]
    public void Atr_matches_wilder()
    {
        const int period = 14;
        var atr = new Atr(period);
        var ranges = new double[s_close.Length];
        for (var i = 0; i < s_close.Length; i++)
        {
            ranges[i] = i == 0
                ? s_high[i] - s_low[i]
                : new[] { s_high[i] - s_low[i], Math.Abs(s_high[i] - s_close[i - 1]), Math.Abs(s_low[i] - s_close[i - 1]) }.Max();
        }

        var expected = 0.0;
        for (var i = 0; i < s_close.Length; i++)
        {
            atr.Update(s_high[i], s_low[i], s_close[i]);
            if (i < period - 1)
            {
                Assert.False(atr.IsReady);
                continue;
            }

            expected = i == period - 1 ? ranges.Take(period).Average() : ((expected * (period - 1)) + ranges[i]) / period;
            AssertClose(expected, atr.Value, i);
        }
    }

    [Fact]
    public void Macd_matches_the_difference_of_emas_and_its_signal()
    {
        var macd = new Macd(12, 26, 9);
        var fast = TextbookEma(s_close, 12);
        var slow = TextbookEma(s_close, 26);
        var line = fast.Zip(slow, (f, s) => f - s).ToArray();
        var signal = TextbookEma([.. line.Skip(25)], 9);
        for (var i = 0; i < s_close.Length; i++)
        {
            macd.Update(s_close[i]);
            var j = i - 25;
            if (j < 8)
            {
                Assert.False(macd.IsReady);
                continue;
            }

            // The MACD line is a small difference of two large EMAs: compare relative to the EMAs' scale, which is
            // where the 1e-9 relative precision of the inputs is set.
            var scale = Math.Abs(slow[i]);
            Assert.True(Math.Abs(line[i] - macd.Line) <= Tolerance * scale, $"line at {i}");
            Assert.True(Math.Abs(signal[j] - macd.Signal) <= Tolerance * scale, $"signal at {i}");
            Assert.True(Math.Abs(line[i] - signal[j] - macd.Histogram) <= Tolerance * scale, $"histogram at {i}");
        }
    }

    [Fact]
    public void Vwap_matches_the_session_sum_recomputed_from_the_start_of_each_day()
    {
        var vwap = new Vwap();
        for (var i = 0; i < s_candles.Count; i++)
        {
            var typical = (s_high[i] + s_low[i] + s_close[i]) / 3;
            vwap.Update(s_candles[i].OpenTimeMs, typical, s_volume[i]);
            var dayStart = s_candles[i].OpenTimeMs - (s_candles[i].OpenTimeMs % 86_400_000);
            double pv = 0, v = 0;
            for (var k = i; k >= 0 && s_candles[k].OpenTimeMs >= dayStart; k--)
            {
                pv += (s_high[k] + s_low[k] + s_close[k]) / 3 * s_volume[k];
                v += s_volume[k];
            }

            AssertClose(pv / v, vwap.Value, i);
        }
    }

    [Fact]
    public void Volume_zscore_matches_the_two_pass_zscore_of_the_previous_window()
    {
        const int period = 20;
        var z = new VolumeZScore(period);
        for (var i = 0; i < s_volume.Length; i++)
        {
            z.Update(s_volume[i]);
            if (i < period)
            {
                Assert.False(z.IsReady);
                continue;
            }

            var mean = Average(s_volume, i - period, i);
            var sd = PopulationStdDev(s_volume, i - period, i);
            var expected = (s_volume[i] - mean) / sd;
            // A z-score is a ratio of differences; compare relative to the magnitude of its parts.
            Assert.True(Math.Abs(expected - z.Value) <= Tolerance * Math.Max(1, Math.Abs(expected)), $"at {i}: {z.Value} vs {expected}");
        }
    }

    private static double[] TextbookEma(double[] values, int period)
    {
        var result = new double[values.Length];
        var alpha = 2.0 / (period + 1);
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = i < period - 1 ? double.NaN
                : i == period - 1 ? values.Take(period).Average()
                : (alpha * values[i]) + ((1 - alpha) * result[i - 1]);
        }

        return result;
    }

    private static double Average(double[] values, int from, int to)
    {
        var sum = 0.0;
        for (var i = from; i < to; i++)
        {
            sum += values[i];
        }

        return sum / (to - from);
    }

    private static double PopulationStdDev(double[] values, int from, int to)
    {
        var mean = Average(values, from, to);
        var sum = 0.0;
        for (var i = from; i < to; i++)
        {
            sum += (values[i] - mean) * (values[i] - mean);
        }

        return Math.Sqrt(sum / (to - from));
    }

    private static double IndicatorSetDouble(long mantissa) => mantissa / 1e8;

    private static void AssertClose(double expected, double actual, int index) =>
        Assert.True(Math.Abs(expected - actual) <= Tolerance * Math.Abs(expected), $"at {index}: expected {expected:R}, got {actual:R}");
}
