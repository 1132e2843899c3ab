using System.Buffers.Text;
using Engine.Model;

namespace Engine.Feed.Replay;

/// <summary>The row layouts of Binance public-data CSV files the replay understands.</summary>
public enum ReplayLayout : byte
{
    None = 0,

    /// <summary><c>agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker</c>: one trade per row.</summary>
    AggTrades,

    /// <summary>
    /// <c>open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore</c>:
    /// one closed candle per row.
    /// </summary>
    Klines,
}

/// <summary>
/// Reads one Binance public-data CSV file row by row into market events, allocation-free after opening: a fixed
/// 64 KiB byte buffer, fields parsed in place with <see cref="FixedPoint.TryParse"/> and <see cref="Utf8Parser"/>.
/// </summary>
/// <remarks>
/// The layout comes from the header line when there is one (its first field is not a number) and otherwise from
/// the number of columns (7 aggTrades, 12 klines). Times are milliseconds. A trade's time is its
/// <c>transact_time</c>; a candle's is its <c>close_time</c>, the moment it closed (so candles merge after the trades
/// they hold). A row that cannot be read, or whose time goes backwards, throws <see cref="ReplayFormatException"/>
/// with <c>file:line: reason</c>.
/// </remarks>
internal sealed class CsvReplayFile : IDisposable
{
    private const int BufferSize = 64 * 1024;
    private const int AggTradeColumns = 7;
    private const int KlineColumns = 12;

    private readonly FileStream _stream;
    private readonly byte[] _buffer = new byte[BufferSize];
    private readonly SymbolId _symbol;
    private int _start;
    private int _end;
    private bool _endOfFile;
    private long _line;
    private long _lastTime = long.MinValue;

    public CsvReplayFile(string path, SymbolId symbol)
    {
        Path = path;
        _symbol = symbol;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        Layout = DetectLayout();
    }

    public string Path { get; }

    public ReplayLayout Layout { get; }

    public bool HasHeader { get; private set; }

    /// <summary>Rows read so far.</summary>
    public long Rows { get; private set; }

    public void Dispose() => _stream.Dispose();

    /// <summary>Reads the next row into <paramref name="evt"/> (header and payload; the received time is the publisher's).</summary>
    /// <returns>False at the end of the file.</returns>
    /// <exception cref="ReplayFormatException">The row cannot be read.</exception>
    public bool TryRead(ref MarketEvent evt)
    {
        ReadOnlySpan<byte> line;
        do
        {
            if (!TryReadLine(out line))
            {
                return false;
            }
        }
        while (line.IsEmpty);

        Span<Range> fields = stackalloc Range[KlineColumns + 1];
        var count = Split(line, fields);
        var time = Layout == ReplayLayout.AggTrades ? ReadTrade(line, fields[..count], ref evt) : ReadKline(line, fields[..count], ref evt);
        if (time < _lastTime)
        {
            throw Error($"time {time} is before the previous row's {_lastTime}; rows must be in time order");
        }

        _lastTime = time;
        Rows++;
        return true;
    }

    private ReplayLayout DetectLayout()
    {
        ReadOnlySpan<byte> line;
        do
        {
            if (!TryReadLine(out line))
            {
                throw new ReplayFormatException(Path, Math.Max(1, _line), "the file is empty");
            }
        }
        while (line.IsEmpty);

        Span<Range> fields = stackalloc Range[KlineColumns + 1];
        var count = Split(line, fields);
        var first = line[fields[0]];
        if (!first.IsEmpty && (uint)(first[0] - '0') > 9)
        {
            HasHeader = true;
            if (first.SequenceEqual("agg_trade_id"u8) && count == AggTradeColumns)
            {
                return ReplayLayout.AggTrades;
            }

            if (first.SequenceEqual("open_time"u8) && count == KlineColumns)
            {
                return ReplayLayout.Klines;
            }

            throw Error($"unknown header '{System.Text.Encoding.UTF8.GetString(line[..Math.Min(line.Length, 120)])}': expected the aggTrades (agg_trade_id,... 7 columns) or klines (open_time,... 12 columns) layout");
        }

        var layout = count switch
        {
            AggTradeColumns => ReplayLayout.AggTrades,
            KlineColumns => ReplayLayout.Klines,
            _ => throw Error($"{count} columns: neither the aggTrades layout (7) nor the klines layout (12)"),
        };

        // No header: the line just read is the first row; read it again from the start of the file.
        _stream.Position = 0;
        _start = _end = 0;
        _endOfFile = false;
        _line = 0;
        return layout;
    }

    private long ReadTrade(ReadOnlySpan<byte> line, ReadOnlySpan<Range> fields, ref MarketEvent evt)
    {
        if (fields.Length != AggTradeColumns)
        {
            throw Error($"{fields.Length} columns where the aggTrades layout has {AggTradeColumns}");
        }

        var id = Long(line[fields[0]], "agg_trade_id");
        var price = Fixed(line[fields[1]], "price");
        var quantity = Fixed(line[fields[2]], "quantity");
        var first = Long(line[fields[3]], "first_trade_id");
        var last = Long(line[fields[4]], "last_trade_id");
        var time = Long(line[fields[5]], "transact_time");
        var buyerIsMaker = Bool(line[fields[6]], "is_buyer_maker");
        evt.Begin(MarketEventKind.Trade, _symbol, time, 0);
        evt.Trade.Price = Price.FromMantissa(price);
        evt.Trade.Quantity = Quantity.FromMantissa(quantity);
        evt.Trade.TradeId = id;
        evt.Trade.FirstTradeId = first;
        evt.Trade.LastTradeId = last;
        evt.Trade.BuyerIsMaker = buyerIsMaker;
        return time;
    }

    private long ReadKline(ReadOnlySpan<byte> line, ReadOnlySpan<Range> fields, ref MarketEvent evt)
    {
        if (fields.Length != KlineColumns)
        {
            throw Error($"{fields.Length} columns where the klines layout has {KlineColumns}");
        }

        var openTime = Long(line[fields[0]], "open_time");
        var open = Fixed(line[fields[1]], "open");
        var high = Fixed(line[fields[2]], "high");
        var low = Fixed(line[fields[3]], "low");
        var close = Fixed(line[fields[4]], "close");
        var volume = Fixed(line[fields[5]], "volume");
        var closeTime = Long(line[fields[6]], "close_time");
        var quoteVolume = Fixed(line[fields[7]], "quote_volume");
        if (!Utf8Parser.TryParse(line[fields[8]], out int count, out var used) || used != line[fields[8]].Length || count < 0)
        {
            throw Error($"count '{Text(line[fields[8]])}' is not a non-negative whole number");
        }

        Fixed(line[fields[9]], "taker_buy_volume");
        Fixed(line[fields[10]], "taker_buy_quote_volume");

        // Binance's close time is the last millisecond of the candle: open + interval - 1.
        var span = closeTime + 1 - openTime;
        if (span <= 0 || span % 60_000 != 0 || span / 60_000 > ushort.MaxValue)
        {
            throw Error($"open_time {openTime} and close_time {closeTime} do not span a whole number of minutes (up to {ushort.MaxValue})");
        }

        if (low > high || open > high || close > high || open < low || close < low)
        {
            throw Error("open, high, low and close are inconsistent (low <= open, close <= high)");
        }

        evt.Begin(MarketEventKind.Candle, _symbol, closeTime, 0);
        evt.Candle.OpenTimeMs = openTime;
        evt.Candle.Open = Price.FromMantissa(open);
        evt.Candle.High = Price.FromMantissa(high);
        evt.Candle.Low = Price.FromMantissa(low);
        evt.Candle.Close = Price.FromMantissa(close);
        evt.Candle.Volume = Quantity.FromMantissa(volume);
        evt.Candle.QuoteVolume = Notional.FromMantissa(quoteVolume);
        evt.Candle.TradeCount = count;
        evt.Candle.IntervalMinutes = (ushort)(span / 60_000);
        evt.Candle.IsClosed = true;
        evt.Candle.IsBackfilled = false;
        return closeTime;
    }

    private long Long(ReadOnlySpan<byte> field, string name)
    {
        if (!Utf8Parser.TryParse(field, out long value, out var used) || used != field.Length || field.IsEmpty || field[0] == (byte)'+')
        {
            throw Error($"{name} '{Text(field)}' is not a whole number");
        }

        return value;
    }

    private long Fixed(ReadOnlySpan<byte> field, string name)
    {
        if (!FixedPoint.TryParse(field, out var mantissa, out var error))
        {
            throw Error($"{name} '{Text(field)}': {FixedPoint.Describe(error)}");
        }

        if (mantissa < 0)
        {
            throw Error($"{name} '{Text(field)}' is negative");
        }

        return mantissa;
    }

    private bool Bool(ReadOnlySpan<byte> field, string name)
    {
        // Futures files write lowercase, spot files capitalised.
        if (field.SequenceEqual("true"u8) || field.SequenceEqual("True"u8))
        {
            return true;
        }

        if (field.SequenceEqual("false"u8) || field.SequenceEqual("False"u8))
        {
            return false;
        }

        throw Error($"{name} '{Text(field)}' is neither true nor false");
    }

    private static int Split(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        var count = 0;
        var start = 0;
        for (var i = 0; i <= line.Length; i++)
        {
            if (i == line.Length || line[i] == (byte)',')
            {
                if (count == fields.Length)
                {
                    return count + 1;
                }

                fields[count++] = new Range(start, i);
                start = i + 1;
            }
        }

        return count;
    }

    private bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            var newline = pending.IndexOf((byte)'\n');
            if (newline >= 0 || (_endOfFile && !pending.IsEmpty))
            {
                var length = newline >= 0 ? newline : pending.Length;
                line = pending[..length];
                _start += newline >= 0 ? length + 1 : length;
                _line++;
                if (!line.IsEmpty && line[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }

                return true;
            }

            if (_endOfFile)
            {
                line = default;
                return false;
            }

            if (_start > 0)
            {
                pending.CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                throw new ReplayFormatException(Path, _line + 1, $"a line longer than {BufferSize} bytes; not a Binance CSV file");
            }

            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _endOfFile = true;
            }
            else
            {
                _end += read;
            }
        }
    }

    private ReplayFormatException Error(string reason) => new(Path, _line, reason);

    private static string Text(ReadOnlySpan<byte> field) =>
        System.Text.Encoding.UTF8.GetString(field[..Math.Min(field.Length, 40)]) + (field.Length > 40 ? "..." : "");
}
