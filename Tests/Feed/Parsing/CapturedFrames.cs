using System.Text;

namespace Tests.Feed.Parsing;

/// <summary>The real WebSocket frames captured in Tests/Data, each as the exact bytes that arrived.</summary>
internal static class CapturedFrames
{
    /// <summary>cryptofeed's fstream capture: line 1 is the URL, then "&lt;epoch s&gt;: &lt;json&gt;" (aggTrade, kline_1m, bookTicker, depth).</summary>
    public const string Cryptofeed = "BINANCE_FUTURES.ws.1.0";

    /// <summary>hftbacktest's captures: "&lt;receive ns&gt; &lt;json&gt;" (raw trade, bookTicker, depth, one REST depth snapshot).</summary>
    public const string BtcUsdt = "btcusdt_20240718";

    public const string EthUsdt = "ethusdt_20240718";

    /// <summary>The symbols the captures carry.</summary>
    public static readonly string[] Symbols = ["SUSHIUSDT", "AKROUSDT", "KEEPUSDT", "CTKUSDT", "BTCUSDT", "ETHUSDT"];

    private static readonly Dictionary<string, byte[][]> _cache = [];

    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "Data", file);

    public static byte[][] Load(string file)
    {
        lock (_cache)
        {
            if (_cache.TryGetValue(file, out var cached))
            {
                return cached;
            }

            var frames = new List<byte[]>();
            var lines = File.ReadAllLines(PathOf(file), Encoding.UTF8);
            var cryptofeed = file == Cryptofeed;
            for (var i = cryptofeed ? 1 : 0; i < lines.Length; i++)
            {
                var line = lines[i];
                if (line.Length == 0)
                {
                    continue;
                }

                var start = cryptofeed ? line.IndexOf(": ", StringComparison.Ordinal) + 2 : line.IndexOf(' ', StringComparison.Ordinal) + 1;
                Assert.True(start > 1, $"{file}:{i + 1}: no timestamp prefix");
                frames.Add(Encoding.UTF8.GetBytes(line[start..]));
            }

            var result = frames.ToArray();
            _cache[file] = result;
            return result;
        }
    }

    public static Engine.Model.SymbolTable SymbolTable(params string[] except)
    {
        var table = new Engine.Model.SymbolTable(64);
        foreach (var symbol in Symbols)
        {
            if (!except.Contains(symbol))
            {
                table.Add(symbol);
            }
        }

        return table;
    }
}
