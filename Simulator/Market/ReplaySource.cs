using System.Globalization;
using System.Text.RegularExpressions;

namespace Simulator;

/// <summary>One price point read from a public-data file.</summary>
internal readonly record struct ReplayRecord(long Time, decimal Price, decimal Quantity, bool BuyerMaker);

/// <summary>
/// Binance public-data CSV as a price source. aggTrades rows (7 columns) replay as trades; klines rows (12 columns)
/// become four trades per bar (open, then the nearer extreme, the other extreme, close) spread over the minute. A
/// header line is detected by a non-numeric first field. Bad rows stop the load with the file name and line number.
/// </summary>
internal sealed partial class ReplaySource
{
    private readonly List<ReplayRecord> _records;
    private int _next;

    private ReplaySource(List<ReplayRecord> records) => _records = records;

    public int Count => _records.Count;

    public bool Finished => _next >= _records.Count;

    public long FirstTime => _records.Count > 0 ? _records[0].Time : 0;

    public static ReplaySource Open(string path)
    {
        var records = new List<ReplayRecord>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0)
            {
                continue;
            }

            var f = line.Split(',');
            if (lineNo == 1 && !long.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }

            try
            {
                if (f.Length == 7)
                {
                    records.Add(new ReplayRecord(
                        long.Parse(f[5], CultureInfo.InvariantCulture),
                        decimal.Parse(f[1], NumberStyles.Number, CultureInfo.InvariantCulture),
                        decimal.Parse(f[2], NumberStyles.Number, CultureInfo.InvariantCulture),
                        bool.Parse(f[6])));
                }
                else if (f.Length == 12)
                {
                    var t = long.Parse(f[0], CultureInfo.InvariantCulture);
                    var o = decimal.Parse(f[1], NumberStyles.Number, CultureInfo.InvariantCulture);
                    var h = decimal.Parse(f[2], NumberStyles.Number, CultureInfo.InvariantCulture);
                    var l = decimal.Parse(f[3], NumberStyles.Number, CultureInfo.InvariantCulture);
                    var c = decimal.Parse(f[4], NumberStyles.Number, CultureInfo.InvariantCulture);
                    var q = decimal.Parse(f[5], NumberStyles.Number, CultureInfo.InvariantCulture) / 4m;
                    var up = c >= o;
                    records.Add(new ReplayRecord(t, o, q, !up));
                    records.Add(new ReplayRecord(t + 15_000, up ? l : h, q, up));
                    records.Add(new ReplayRecord(t + 30_000, up ? h : l, q, !up));
                    records.Add(new ReplayRecord(t + 45_000, c, q, !up));
                }
                else
                {
                    throw new FormatException($"{f.Length} columns (expected 7 for aggTrades or 12 for klines)");
                }
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new InvalidDataException($"{path}:{lineNo}: {e.Message}", e);
            }
        }

        if (records.Count == 0)
        {
            throw new InvalidDataException($"{path}: no rows");
        }

        records.Sort((a, b) => a.Time.CompareTo(b.Time));
        return new ReplaySource(records);
    }

    /// <summary>Symbol from a public-data file name such as BTCUSDT-1m-2020-01-01.csv or BTCUSDT-aggTrades-2024-01-01.csv.</summary>
    public static string? SymbolFromFileName(string path)
    {
        var m = FileName().Match(Path.GetFileName(path));
        return m.Success ? m.Groups[1].Value : null;
    }

    public void SkipBefore(long time)
    {
        while (_next < _records.Count && _records[_next].Time < time)
        {
            _next++;
        }
    }

    public bool TryPeek(out ReplayRecord record)
    {
        var ok = _next < _records.Count;
        record = ok ? _records[_next] : default;
        return ok;
    }

    public bool TryNext(long upTo, out ReplayRecord record)
    {
        if (_next < _records.Count && _records[_next].Time <= upTo)
        {
            record = _records[_next++];
            return true;
        }

        record = default;
        return false;
    }

    [GeneratedRegex("^([A-Z0-9]+)-")]
    private static partial Regex FileName();
}
