namespace Simulator;

/// <summary>The hostile-venue switches of the stream side: a starved symbol and an oversized frame.</summary>
internal sealed partial class StreamHub
{
    private readonly Dictionary<string, Starvation> _starved = new(StringComparer.Ordinal);

    /// <summary>What a starved symbol's streams send at one step.</summary>
    private enum Starving : byte
    {
        /// <summary>Everything, as usual.</summary>
        No,

        /// <summary>No trades (@aggTrade, @trade); klines, book ticker, mark price and depth go on.</summary>
        Trades,

        /// <summary>Nothing at all, except the closed kline of a minute before the starvation began.</summary>
        Silent,
    }

    /// <summary>
    /// Starves <paramref name="symbol"/> for <paramref name="minutes"/> minutes of market time from the next minute
    /// boundary: with <paramref name="tradesOnly"/> its trade streams send nothing while its klines still close;
    /// otherwise none of its streams send anything, and when the time is up they come back with its first trade, as a
    /// quiet symbol's do (the trade arrives minutes after the last closed kline, before any kline of its own minute).
    /// </summary>
    public long Starve(string symbol, int minutes, bool tradesOnly)
    {
        var venue = Venue ?? throw new InvalidOperationException("hub has no venue");
        ArgumentOutOfRangeException.ThrowIfLessThan(minutes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minutes, 1440);
        if (!venue.Symbols.Any(s => string.Equals(s.Spec.Symbol, symbol, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"unknown symbol '{symbol}'");
        }

        var now = venue.Now;
        var from = now - (((now % 60_000) + 60_000) % 60_000) + 60_000;
        lock (_gate)
        {
            _starved[symbol] = new Starvation(from, from + (minutes * 60_000L), tradesOnly);
        }

        return from;
    }

    /// <summary>Ends every starvation (the reset switch).</summary>
    public void ClearStarvation()
    {
        lock (_gate)
        {
            _starved.Clear();
        }
    }

    /// <summary>
    /// Sends one text message of exactly <paramref name="bytes"/> bytes to every market-data connection (or, with
    /// <paramref name="user"/>, every user-data connection): a well-formed frame padded to that size. Returns how many
    /// connections it was queued for.
    /// </summary>
    public int SendOversized(int bytes, bool user)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 64);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, 1 << 30);
        var message = Padded(bytes, user ? "{\"e\":\"padding\",\"E\":0,\"pad\":\""u8 : "{\"stream\":\"padding\",\"data\":{\"e\":\"padding\",\"E\":0,\"pad\":\""u8, user ? "\"}"u8 : "\"}}"u8);
        var sent = 0;
        lock (_gate)
        {
            foreach (var s in _sessions)
            {
                if ((s.ListenKey is not null) == user)
                {
                    s.Send(message);
                    sent++;
                }
            }
        }

        return sent;
    }

    private static byte[] Padded(int bytes, ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail)
    {
        var message = new byte[bytes];
        head.CopyTo(message);
        message.AsSpan(head.Length, bytes - head.Length - tail.Length).Fill((byte)'x');
        tail.CopyTo(message.AsSpan(bytes - tail.Length));
        return message;
    }

    /// <summary>How <paramref name="symbol"/>'s streams are starved at this step (under the gate).</summary>
    private Starving StarvingAt(string symbol, long timeMs, bool trades)
    {
        if (_starved.Count == 0 || !_starved.TryGetValue(symbol, out var s) || timeMs < s.FromMs)
        {
            return Starving.No;
        }

        if (timeMs < s.UntilMs)
        {
            return s.TradesOnly ? Starving.Trades : Starving.Silent;
        }

        if (s.TradesOnly || trades)
        {
            _starved.Remove(symbol);
            return Starving.No;
        }

        return Starving.Silent;
    }

    /// <summary>A silent symbol still sends the closed kline of a minute before its starvation began.</summary>
    private bool SendsClosedKline(string symbol, long openTimeMs) =>
        !_starved.TryGetValue(symbol, out var s) || s.TradesOnly || openTimeMs < s.FromMs;

    private sealed record Starvation(long FromMs, long UntilMs, bool TradesOnly);
}
