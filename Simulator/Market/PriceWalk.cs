namespace Simulator;

/// <summary>
/// A seeded log-price random walk with GARCH(1,1)-style volatility clustering and rare jumps. The sequence depends only
/// on the seed and the number of steps taken, so two venues with the same seed quote the same prices.
/// </summary>
internal sealed class PriceWalk
{
    private const double SecondsPerYear = 365.25 * 24 * 3600;
    private const double Alpha = 0.06;
    private const double Beta = 0.93;
    private const double JumpProbabilityPerSecond = 1.0 / 900;

    private readonly Random _rng;
    private readonly double _annualVol;
    private double _logPrice;
    private double _variance = 1.0;

    public PriceWalk(int seed, int index, double startPrice, double annualVolatility)
    {
        _rng = new Random(unchecked((seed * 7919) + (index * 104729) + 17));
        _logPrice = Math.Log(startPrice);
        _annualVol = annualVolatility;
    }

    public double Price => Math.Exp(_logPrice);

    /// <summary>Advances by <paramref name="seconds"/> of market time and returns the new price.</summary>
    public double Step(double seconds)
    {
        var sigma = _annualVol * Math.Sqrt(seconds / SecondsPerYear);
        var z = Gaussian();
        var shock = Math.Sqrt(_variance) * z;
        _variance = Math.Clamp((1 - Alpha - Beta) + (Alpha * shock * shock) + (Beta * _variance), 0.05, 30);
        var r = sigma * shock;
        if (_rng.NextDouble() < JumpProbabilityPerSecond * seconds)
        {
            r += sigma * 25 * Gaussian();
        }

        _logPrice += r - (0.5 * sigma * sigma);
        return Price;
    }

    public double NextUniform() => _rng.NextDouble();

    /// <summary>Moves the walk to an externally given price (replay) so a later walk continues from it.</summary>
    public void Reset(double price) => _logPrice = Math.Log(price);

    private double Gaussian()
    {
        var u1 = 1.0 - _rng.NextDouble();
        var u2 = _rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
