using System.Net.WebSockets;

namespace Simulator;

/// <summary>
/// Reads whole messages off a server-side WebSocket into one growing buffer, answering the client's close: the one
/// receive loop of the market streams and the WebSocket API.
/// </summary>
internal sealed class WebSocketMessageReader(WebSocket socket)
{
    private byte[] _buffer = new byte[16 * 1024];

    /// <summary>The last message read (valid until the next read).</summary>
    public ReadOnlySpan<byte> Message => _buffer.AsSpan(0, Length);

    /// <summary>Bytes of <see cref="Message"/>.</summary>
    public int Length { get; private set; }

    /// <summary>Whether the last message was text.</summary>
    public bool IsText { get; private set; }

    /// <summary>Reads the next message; false once the client has closed (the close answered) or the socket is no longer open.</summary>
    public async Task<bool> ReadAsync(CancellationToken ct)
    {
        if (socket.State != WebSocketState.Open)
        {
            return false;
        }

        var count = 0;
        ValueWebSocketReceiveResult r;
        do
        {
            if (count == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            r = await socket.ReceiveAsync(_buffer.AsMemory(count), ct).ConfigureAwait(false);
            count += r.Count;
        }
        while (!r.EndOfMessage);

        if (r.MessageType == WebSocketMessageType.Close)
        {
            if (socket.State == WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", ct).ConfigureAwait(false);
            }

            return false;
        }

        Length = count;
        IsText = r.MessageType == WebSocketMessageType.Text;
        return true;
    }
}
