using Engine.Model;
using Microsoft.Extensions.Options;

namespace Engine.Feed.Replay;

/// <summary>Settings of the replay source (<c>Engine:Replay</c>): which Binance public-data CSV files, how fast, which symbol.</summary>
public sealed class ReplayOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string Section = "Engine:Replay";

    /// <summary>
    /// Binance public-data CSV files (futures aggTrades or klines layout, with or without a header), merged by time.
    /// On equal times the file listed first goes first.
    /// </summary>
    public List<string> Files { get; set; } = [];

    /// <summary>0: as fast as the ring takes events; N &gt; 0: N times the recorded pace (1 = real time).</summary>
    public double Speed { get; set; }

    /// <summary>
    /// The symbol of every file; empty to take each file's symbol from its name, the part before the first '-'
    /// (<c>BTCUSDT-1m-2020-01-01.csv</c>, <c>BTCUSD_PERP-aggTrades-2026-05-08.csv</c>).
    /// </summary>
    public string? Symbol { get; set; }

    /// <summary>
    /// A saved <c>GET /fapi/v1/exchangeInfo</c> answer giving the replayed symbols' filters (tick, step, minimum
    /// notional). A replay has no venue to ask; without this file the brain knows no rules and refuses every entry.
    /// </summary>
    public string? ExchangeInfo { get; set; }

    /// <summary>Every setting that cannot work, as "Engine:Replay:Name ..." messages; empty when all are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        if (Files.Count == 0)
        {
            failures.Add($"{Section}:Files must name at least one CSV file.");
        }

        for (var i = 0; i < Files.Count; i++)
        {
            var file = Files[i];
            if (string.IsNullOrWhiteSpace(file))
            {
                failures.Add($"{Section}:Files:{i} is empty.");
                continue;
            }

            if (!File.Exists(file))
            {
                failures.Add($"{Section}:Files:{i}: '{file}' does not exist.");
            }

            if (string.IsNullOrEmpty(Symbol) && !IsSymbol(SymbolFromFileName(file)))
            {
                failures.Add($"{Section}:Files:{i}: cannot take a symbol from the name '{Path.GetFileName(file)}' (expected SYMBOL-...csv); set {Section}:Symbol.");
            }
        }

        if (!string.IsNullOrWhiteSpace(ExchangeInfo) && !File.Exists(ExchangeInfo))
        {
            failures.Add($"{Section}:ExchangeInfo: '{ExchangeInfo}' does not exist.");
        }

        if (!double.IsFinite(Speed) || Speed < 0)
        {
            failures.Add($"{Section}:Speed must be 0 (as fast as possible) or a positive multiple of the recorded pace (got {Speed}).");
        }

        if (!string.IsNullOrEmpty(Symbol) && !IsSymbol(Symbol))
        {
            failures.Add($"{Section}:Symbol '{Symbol}' is not a symbol name (A-Z, 0-9 and '_', at most {SymbolTable.MaxNameLength} characters).");
        }

        return failures;
    }

    /// <summary>The symbol a file's name gives: the part of the file name before the first '-'.</summary>
    public static string SymbolFromFileName(string path)
    {
        var name = Path.GetFileName(path);
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 ? name[..dash] : "";
    }

    internal string SymbolOf(string path) => string.IsNullOrEmpty(Symbol) ? SymbolFromFileName(path) : Symbol;

    private static bool IsSymbol(string name) =>
        name.Length is > 0 and <= SymbolTable.MaxNameLength && name.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_');
}

/// <summary>Refuses replay settings that cannot work, saying which and why.</summary>
public sealed class ReplayOptionsValidator : IValidateOptions<ReplayOptions>
{
    public ValidateOptionsResult Validate(string? name, ReplayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Validate();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
