using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Engine.Exchange.Wire;
using Engine.Execution;
using Engine.Model;
using Simulator;

namespace Tests.Execution;

/// <summary>
/// A plain client of the simulator's WebSocket API (<c>order.place</c> over a real loopback WebSocket, HMAC-signed as
/// BINANCE_USDM.md §12 says: every param but the signature, sorted by name), standing where the engine's own session
/// goes: the execution stage calls <see cref="TrySend"/>, answers and the connection's end go to the
/// <see cref="IOrderAnswerSink"/> from its reader task. It allocates and waits for the send (a test's stage thread may).
/// </summary>
internal sealed class SimWebSocketApiWire : IOrderWire, IAsyncDisposable
{
    private static int s_ids = 1000;
    private readonly ClientWebSocket _socket = new();
    private readonly SimulatorHost _sim;
    private readonly IOrderAnswerSink _sink;
    private Task? _reader;

    private SimWebSocketApiWire(SimulatorHost sim, IOrderAnswerSink sink)
    {
        _sim = sim;
        _sink = sink;
        ConnectionId = Interlocked.Increment(ref s_ids);
    }

    public WirePath Path => WirePath.WebSocketApi;

    public int ConnectionId { get; }

    public bool IsOpen => _socket.State == WebSocketState.Open;

    public static async Task<SimWebSocketApiWire> ConnectAsync(SimulatorHost sim, IOrderAnswerSink sink)
    {
        var wire = new SimWebSocketApiWire(sim, sink);
        await wire._socket.ConnectAsync(sim.WebSocketApiUri, CancellationToken.None);
        wire._reader = Task.Run(wire.ReadAsync);
        sink.OnConnectionReady(WirePath.WebSocketApi, wire.ConnectionId);
        return wire;
    }

    public WireSendResult TrySend(in WireOrder order, out int connectionId, out long writeStamp)
    {
        connectionId = 0;
        writeStamp = 0;
        if (_socket.State != WebSocketState.Open)
        {
            return WireSendResult.Down;
        }

        var values = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["apiKey"] = _sim.ApiKey,
            ["symbol"] = Encoding.ASCII.GetString(order.Symbol),
            ["side"] = order.Side == Side.Buy ? "BUY" : "SELL",
            ["type"] = order.Kind == OrderKind.Limit ? "LIMIT" : "MARKET",
            ["quantity"] = Format(order.Quantity.Mantissa, order.QuantityDecimals),
            ["newClientOrderId"] = "e" + order.ClientOrderId.ToString(CultureInfo.InvariantCulture),
            ["newOrderRespType"] = "RESULT",
            ["recvWindow"] = order.RecvWindowMs.ToString(CultureInfo.InvariantCulture),
            ["timestamp"] = order.TimestampMs.ToString(CultureInfo.InvariantCulture),
        };
        if (order.Kind == OrderKind.Limit)
        {
            values["price"] = Format(order.Price.Mantissa, order.PriceDecimals);
            values["timeInForce"] = "GTC";
        }

        if (order.ReduceOnly)
        {
            values["reduceOnly"] = "true";
        }

        var payload = string.Join('&', values.Select(kv => kv.Key + "=" + kv.Value));
        values["signature"] = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_sim.ApiSecret), Encoding.UTF8.GetBytes(payload)));
        var request = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["id"] = "p" + order.ClientOrderId.ToString(CultureInfo.InvariantCulture),
            ["method"] = "order.place",
            ["params"] = values,
        });
        writeStamp = Stopwatch.GetTimestamp();
        try
        {
            _socket.SendAsync(request, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception exception) when (exception is WebSocketException or IOException or ObjectDisposedException)
        {
            writeStamp = 0;
            return WireSendResult.Down;
        }

        connectionId = ConnectionId;
        return WireSendResult.Sent;
    }

    private static string Format(long mantissa, int decimals) =>
        (mantissa / (decimal)FixedPoint.One).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        var reason = "closed by the venue";
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult r;
                do
                {
                    r = await _socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += r.Count;
                }
                while (!r.EndOfMessage);

                if (r.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                Deliver(buffer.AsSpan(0, count));
            }
        }
        catch (Exception exception) when (exception is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            reason = exception.Message;
        }

        _sink.OnConnectionLost(WirePath.WebSocketApi, ConnectionId, reason);
    }

    private void Deliver(ReadOnlySpan<byte> frame)
    {
        using var doc = JsonDocument.Parse(frame.ToArray());
        var root = doc.RootElement;
        var id = root.GetProperty("id").GetString();
        if (id is null || !id.StartsWith('p'))
        {
            return;
        }

        var answer = new OrderAnswer
        {
            Request = OrderRequestKind.Place,
            Path = WirePath.WebSocketApi,
            ConnectionId = ConnectionId,
            ClientOrderId = long.Parse(id.AsSpan(1), CultureInfo.InvariantCulture),
            Status = root.GetProperty("status").GetInt32(),
            ReceivedTimestamp = Stopwatch.GetTimestamp(),
        };
        if (root.TryGetProperty("error", out var error))
        {
            answer.ErrorCode = error.GetProperty("code").GetInt32();
            var message = Encoding.UTF8.GetBytes(error.GetProperty("msg").GetString() ?? "");
            answer.MessageLength = Math.Min(message.Length, AnswerMessage.Length);
            message.AsSpan(0, answer.MessageLength).CopyTo(answer.Message);
        }
        else if (root.TryGetProperty("result", out var result))
        {
            answer.OrderId = result.GetProperty("orderId").GetInt64();
            answer.OrderStatus = result.GetProperty("status").GetString() switch
            {
                "NEW" => OrderStatus.New,
                "PARTIALLY_FILLED" => OrderStatus.PartiallyFilled,
                "FILLED" => OrderStatus.Filled,
                "CANCELED" => OrderStatus.Canceled,
                "EXPIRED" => OrderStatus.Expired,
                _ => OrderStatus.Rejected,
            };
            answer.ExecutedQuantity = Quantity.Parse(Encoding.ASCII.GetBytes(result.GetProperty("executedQty").GetString()!));
            answer.CumulativeQuote = Notional.Parse(Encoding.ASCII.GetBytes(result.GetProperty("cumQuote").GetString()!));
            answer.AveragePrice = Price.Parse(Encoding.ASCII.GetBytes(result.GetProperty("avgPrice").GetString()!));
        }

        _sink.OnAnswer(in answer);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or IOException)
        {
            // Gone already.
        }

        if (_reader is not null)
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(5));
        }

        _socket.Dispose();
    }
}
