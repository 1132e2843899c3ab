using Engine.Model;

namespace Engine.Brain;

/// <summary>One symbol's indicators, fed with each closed candle of the signal interval.</summary>
public sealed class IndicatorSet
{
    private Macd _macd;
    private Rsi _rsi;
    private Atr _atr;
    private Bollinger _bollinger;
    private Vwap _vwap;
    private VolumeZScore _volume;

    public IndicatorSet(BrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _macd = new Macd(options.EmaFastPeriod, options.EmaSlowPeriod, options.MacdSignalPeriod);
        _rsi = new Rsi(options.RsiPeriod);
        _atr = new Atr(options.AtrPeriod);
        _bollinger = new Bollinger(options.BollingerPeriod, options.BollingerWidth);
        _vwap = default;
        _volume = new VolumeZScore(options.VolumePeriod);
    }

    /// <summary>Every indicator has enough history to be read.</summary>
    public bool IsReady => _macd.IsReady && _rsi.IsReady && _atr.IsReady && _bollinger.IsReady && _volume.IsReady;

    public double Close { get; private set; }

    public double EmaFast => _macd.Fast.Value;

    public double EmaSlow => _macd.Slow.Value;

    public double MacdHistogram => _macd.Histogram;

    public double Rsi => _rsi.Value;

    public double Atr => _atr.Value;

    public double BollingerUpper => _bollinger.Upper;

    public double BollingerLower => _bollinger.Lower;

    public double Vwap => _vwap.Value;

    public double VolumeZ => _volume.Value;

    public void Update(in Candle candle)
    {
        var high = ToDouble(candle.High);
        var low = ToDouble(candle.Low);
        var close = ToDouble(candle.Close);
        var volume = ToDouble(candle.Volume.Mantissa);
        Close = close;
        _macd.Update(close);
        _rsi.Update(close);
        _atr.Update(high, low, close);
        _bollinger.Update(close);
        _vwap.Update(candle.OpenTimeMs, (high + low + close) / 3, volume);
        _volume.Update(volume);
    }

    internal static double ToDouble(Price price) => ToDouble(price.Mantissa);

    internal static double ToDouble(long mantissa) => mantissa / (double)FixedPoint.One;
}

/// <summary>The strategy's reading of one symbol at one candle close.</summary>
/// <param name="Agreement">Signed agreement of the four directional votes, −1 (all bearish) .. +1 (all bullish).</param>
/// <param name="Confidence">How strongly the indicators agree on the direction, in [0, 1].</param>
/// <param name="Direction">+1 long, −1 short, 0 none.</param>
/// <param name="VolumeConfirmation">The volume vote, 0..1.</param>
/// <param name="EntryAllowed">The volatility regime allows an entry in <paramref name="Direction"/> and the price is not overextended.</param>
public readonly record struct Reading(double Agreement, double Confidence, int Direction, double VolumeConfirmation, bool EntryAllowed)
{
    /// <summary>The current score of a position on side <paramref name="direction"/>: the confidence the indicators give that side now.</summary>
    public double ScoreFor(int direction) =>
        (Strategy.AgreementWeight * Math.Max(0, direction * Agreement)) + (Strategy.VolumeWeight * VolumeConfirmation);
}

/// <summary>
/// The rule set (docs/STRATEGY.md): four directional votes — EMA trend, MACD histogram, RSI momentum, price
/// against VWAP — and a volume confirmation, combined into a direction and a confidence. Pure and deterministic.
/// </summary>
public static class Strategy
{
    /// <summary>Share of the confidence that comes from the directional votes agreeing.</summary>
    public const double AgreementWeight = 0.8;

    /// <summary>Share of the confidence that comes from unusual volume.</summary>
    public const double VolumeWeight = 0.2;

    public static Reading Read(IndicatorSet indicators, BrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(indicators);
        ArgumentNullException.ThrowIfNull(options);
        var close = indicators.Close;
        double trend = SignOf(indicators.EmaFast - indicators.EmaSlow);
        double macd = SignOf(indicators.MacdHistogram);
        var momentum = Math.Clamp((indicators.Rsi - 50) / (options.RsiFull - 50), -1, 1);
        double vwap = SignOf(close - indicators.Vwap);
        var sum = trend + macd + momentum + vwap;
        var agreement = sum / 4;
        var direction = SignOf(sum);
        var volume = Math.Clamp(indicators.VolumeZ / options.VolumeZFull, 0, 1);
        var confidence = direction == 0 ? 0 : (AgreementWeight * Math.Abs(agreement)) + (VolumeWeight * volume);
        var atrFraction = close > 0 ? indicators.Atr / close : 0;
        var regime = atrFraction >= options.MinAtrFraction && atrFraction <= options.MaxAtrFraction;
        var overextended = direction > 0 ? close > indicators.BollingerUpper : close < indicators.BollingerLower;
        return new Reading(agreement, confidence, direction, volume, direction != 0 && regime && !overextended);
    }

    // Math.Sign throws on NaN; a vote that cannot be read is no vote.
    private static int SignOf(double value) => value > 0 ? 1 : value < 0 ? -1 : 0;
}
