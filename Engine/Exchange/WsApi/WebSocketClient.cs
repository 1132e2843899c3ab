using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Engine.Exchange.Wire;

namespace Engine.Exchange.WsApi;

/// <summary>What a <see cref="WebSocketClient"/> delivers, on its connection's reader thread (must not block).</summary>
public interface IWebSocketHandler
{
    /// <summary>A whole text or binary message (fragments joined). The span is valid during the call only.</summary>
    void OnMessage(ReadOnlySpan<byte> message, bool text, long receivedTimestamp);

    /// <summary>A pong arrived (an answer to <see cref="WebSocketClient.SendPing"/>).</summary>
    void OnPong(ReadOnlySpan<byte> payload);

    /// <summary>The connection ended (close handshake, peer gone, protocol error, <see cref="WebSocketClient.Abort"/>); once.</summary>
    void OnClosed(string reason);
}

/// <summary>Limits and time-outs of a <see cref="WebSocketClient"/>.</summary>
public sealed class WebSocketClientOptions
{
    /// <summary>Largest message accepted (fragments joined); a longer one is refused with close 1009 (Message Too Big).</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024;

    /// <summary>How long the TCP connect, TLS and the HTTP upgrade may take together.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a control frame (pong, ping, close) may wait for the write token.</summary>
    public TimeSpan ControlSendTimeout { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The transport's settings (buffers, reader thread's name, TLS validation); the receive buffer is sized from <see cref="MaxMessageBytes"/>.</summary>
    public WireConnectionOptions Wire { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (MaxMessageBytes is < 1024 or > 16 * 1024 * 1024)
        {
            throw new ArgumentException($"MaxMessageBytes must be 1 KiB..16 MiB (was {MaxMessageBytes}).", nameof(MaxMessageBytes));
        }

        if (HandshakeTimeout <= TimeSpan.Zero || ControlSendTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("HandshakeTimeout and ControlSendTimeout must be positive.", nameof(HandshakeTimeout));
        }

        ArgumentNullException.ThrowIfNull(Wire);
        Wire.Validate();
    }
}

/// <summary>
/// A WebSocket client (RFC 6455) on a <see cref="WireConnection"/>: the HTTP/1.1 upgrade with its
/// Sec-WebSocket-Accept check, masked client frames, and a reader that takes text, binary, continuation, ping, pong
/// and close frames on the connection's reader thread without allocating. Data frames leave through
/// <see cref="TrySend"/> (the wire's non-blocking send of a frame the caller built, see
/// <see cref="WebSocketFrames"/>); pongs, pings and close frames take the same write token, waiting for it briefly.
/// </summary>
public sealed class WebSocketClient : IWireReceiver, IDisposable
{
    private static readonly byte[] s_headerEnd = "\r\n\r\n"u8.ToArray();

    private readonly IWebSocketHandler _handler;
    private readonly WebSocketClientOptions _options;
    private readonly byte[] _message;
    private readonly TaskCompletionSource<string?> _upgraded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string _expectedAccept = string.Empty;
    private WireConnection? _wire;
    private bool _open;
    private int _messageLength;
    private WebSocketOpcode _messageOpcode;
    private bool _inFragmentedMessage;
    private int _closeSent;
    private int _closedReported;
    private long _protocolErrors;

    private WebSocketClient(IWebSocketHandler handler, WebSocketClientOptions options)
    {
        _handler = handler;
        _options = options;
        _message = new byte[options.MaxMessageBytes];
    }

    /// <summary>The transport (its id names the connection in answers and logs).</summary>
    public WireConnection Wire => _wire ?? throw new InvalidOperationException("not connected");

    /// <summary>Whether the upgrade is done and no close has been sent or received.</summary>
    public bool IsOpen => Volatile.Read(ref _open) && Volatile.Read(ref _closeSent) == 0 && _wire is { IsOpen: true };

    /// <summary>Frames that broke the protocol (each ended the connection).</summary>
    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    /// <summary>
    /// Connects to <paramref name="uri"/> (<c>ws://</c> or <c>wss://</c>), performs the upgrade and returns an open
    /// client whose reader delivers to <paramref name="handler"/>.
    /// </summary>
    /// <exception cref="IOException">The connect, TLS, or the upgrade failed (the message says which and why).</exception>
    public static async Task<WebSocketClient> ConnectAsync(Uri uri, IWebSocketHandler handler, WebSocketClientOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (uri.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException($"'{uri}' is not a ws:// or wss:// URI.", nameof(uri));
        }

        var client = new WebSocketClient(handler, options);
        var wireOptions = new WireConnectionOptions
        {
            ReceiveBufferBytes = Math.Max(options.Wire.ReceiveBufferBytes, options.MaxMessageBytes + WebSocketFrames.MaxClientHeaderLength),
            PendingBufferBytes = options.Wire.PendingBufferBytes,
            ConnectTimeout = options.HandshakeTimeout,
            ThreadName = options.Wire.ThreadName,
            RemoteCertificateValidation = options.Wire.RemoteCertificateValidation,
        };
        var endpoint = WireEndpoint.FromUri(uri);
        client._wire = await WireConnection.ConnectAsync(endpoint, client, wireOptions, cancellationToken).ConfigureAwait(false);
        try
        {
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            client._expectedAccept = AcceptFor(key);
            var hostHeader = uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}";
            var request = Encoding.ASCII.GetBytes(
                $"GET {uri.PathAndQuery} HTTP/1.1\r\nHost: {hostHeader}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: engine\r\n\r\n");
            if (client._wire.Send(request, options.HandshakeTimeout) != WireSendResult.Sent)
            {
                throw new IOException($"Sending the WebSocket upgrade to {endpoint} failed: {client._wire.CloseReason ?? "the connection was busy"}.");
            }

            string? failure;
            try
            {
                failure = await client._upgraded.Task.WaitAsync(options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                failure = $"no upgrade answer within {options.HandshakeTimeout.TotalSeconds:0.###} s";
            }

            if (failure is not null)
            {
                throw new IOException($"WebSocket upgrade with {uri.GetLeftPart(UriPartial.Authority)} failed: {failure}.");
            }

            return client;
        }
        catch
        {
            client._wire.Dispose();
            throw;
        }
    }

    /// <summary>The Sec-WebSocket-Accept a server must answer to <paramref name="key"/> (RFC 6455 §4.2.2).</summary>
    public static string AcceptFor(string key)
    {
        // SHA-1 is what the RFC fixes for this check; it protects nothing secret.
#pragma warning disable CA5350
        return Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
    }

    /// <summary>
    /// Sends a frame the caller built (masked, see <see cref="WebSocketFrames"/>) without blocking: the wire's
    /// <see cref="WireConnection.TrySend"/>. Any thread; allocates nothing.
    /// </summary>
    public WireSendResult TrySend(ReadOnlySpan<byte> frame, out long writeStamp)
    {
        if (!Volatile.Read(ref _open) || Volatile.Read(ref _closeSent) != 0)
        {
            writeStamp = 0;
            return WireSendResult.Down;
        }

        return _wire!.TrySend(frame, out writeStamp);
    }

    /// <summary>Sends a text message (framed into <paramref name="scratch"/>), waiting up to the control time-out for the token: for requests off the hot path.</summary>
    public WireSendResult SendText(ReadOnlySpan<byte> text, Span<byte> scratch)
    {
        var length = WebSocketFrames.WriteFrame(scratch, text, WebSocketOpcode.Text, WebSocketFrames.NextMaskKey());
        return IsOpen ? _wire!.Send(scratch[..length], _options.ControlSendTimeout) : WireSendResult.Down;
    }

    /// <summary>Sends a ping with <paramref name="payload"/> (at most 125 bytes); a pong comes back to <see cref="IWebSocketHandler.OnPong"/>.</summary>
    public WireSendResult SendPing(ReadOnlySpan<byte> payload) => SendControl(WebSocketOpcode.Ping, payload);

    /// <summary>Starts the close handshake: sends close with <paramref name="code"/>; the server's close ends the connection. A second call does nothing.</summary>
    public void Close(ushort code, string reason)
    {
        if (!IsOpen)
        {
            return;
        }

        Span<byte> payload = stackalloc byte[125];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        var length = 2 + Encoding.UTF8.GetBytes(reason.AsSpan(0, Math.Min(reason.Length, 60)), payload[2..]);
        SendClose(payload[..length]);
    }

    /// <summary>Ends the connection now, without the close handshake.</summary>
    public void Abort(string reason) => _wire?.Close(reason);

    /// <inheritdoc/>
    public void Dispose() => _wire?.Dispose();

    int IWireReceiver.OnReceived(ReadOnlySpan<byte> data)
    {
        if (!_open)
        {
            return ReadUpgrade(data);
        }

        var consumed = 0;
        while (consumed < data.Length)
        {
            var used = ReadFrame(data[consumed..]);
            if (used <= 0)
            {
                // 0: the frame is not all here yet. Negative: the connection is ending; drop the rest.
                return used == 0 ? consumed : data.Length;
            }

            consumed += used;
        }

        return consumed;
    }

    void IWireReceiver.OnLost(string reason)
    {
        _upgraded.TrySetResult(reason);
        Volatile.Write(ref _open, false);
        if (Interlocked.Exchange(ref _closedReported, 1) == 0)
        {
            _handler.OnClosed(reason);
        }
    }

    private int ReadUpgrade(ReadOnlySpan<byte> data)
    {
        var end = data.IndexOf(s_headerEnd);
        if (end < 0)
        {
            if (data.Length > 16 * 1024)
            {
                Fail("the upgrade answer's headers are longer than 16 KiB");
                return data.Length;
            }

            return 0;
        }

        // The upgrade happens once per connection: strings here are fine.
        var head = Encoding.ASCII.GetString(data[..end]);
        var lines = head.Split("\r\n");
        string? failure = null;
        if (!lines[0].StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            failure = $"the server answered '{lines[0]}' instead of 101 Switching Protocols";
        }
        else
        {
            string? upgrade = null, connection = null, accept = null;
            foreach (var line in lines.AsSpan(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    continue;
                }

                var name = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
                {
                    upgrade = value;
                }
                else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                {
                    connection = value;
                }
                else if (name.Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase))
                {
                    accept = value;
                }
            }

            if (!string.Equals(upgrade, "websocket", StringComparison.OrdinalIgnoreCase))
            {
                failure = $"the Upgrade header is '{upgrade}', not 'websocket'";
            }
            else if (connection is null || !connection.Contains("upgrade", StringComparison.OrdinalIgnoreCase))
            {
                failure = $"the Connection header is '{connection}', not 'Upgrade'";
            }
            else if (!string.Equals(accept, _expectedAccept, StringComparison.Ordinal))
            {
                failure = $"Sec-WebSocket-Accept is '{accept}', expected '{_expectedAccept}'";
            }
        }

        if (failure is not null)
        {
            _upgraded.TrySetResult(failure);
            _wire?.Close("WebSocket upgrade refused: " + failure);
            return data.Length;
        }

        Volatile.Write(ref _open, true);
        _upgraded.TrySetResult(null);

        // Frames may follow the headers in the same read.
        var consumed = end + s_headerEnd.Length;
        var rest = ((IWireReceiver)this).OnReceived(data[consumed..]);
        return consumed + rest;
    }

    /// <summary>Reads one frame from the start of <paramref name="data"/>: its length, 0 when incomplete, -1 when the connection is ending.</summary>
    private int ReadFrame(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2)
        {
            return 0;
        }

        var first = data[0];
        var second = data[1];
        var fin = (first & 0x80) != 0;
        var opcode = (WebSocketOpcode)(first & 0x0F);
        if ((first & 0x70) != 0)
        {
            return ProtocolError(1002, "a frame with reserved bits set (no extension was negotiated)");
        }

        if ((second & 0x80) != 0)
        {
            return ProtocolError(1002, "a masked frame from the server");
        }

        long length = second & 0x7F;
        var headerLength = 2;
        if (length == 126)
        {
            if (data.Length < 4)
            {
                return 0;
            }

            length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
            headerLength = 4;
        }
        else if (length == 127)
        {
            if (data.Length < 10)
            {
                return 0;
            }

            length = (long)BinaryPrimitives.ReadUInt64BigEndian(data[2..]);
            headerLength = 10;
        }

        var isControl = ((byte)opcode & 0x8) != 0;
        if (isControl && (length > 125 || !fin))
        {
            return ProtocolError(1002, "a control frame longer than 125 bytes or fragmented");
        }

        if (length < 0 || length > _options.MaxMessageBytes || (!isControl && _messageLength + length > _options.MaxMessageBytes))
        {
            return ProtocolError(1009, $"a message longer than {_options.MaxMessageBytes} bytes");
        }

        if (data.Length < headerLength + length)
        {
            return 0;
        }

        var payload = data.Slice(headerLength, (int)length);
        var frameLength = headerLength + (int)length;
        switch (opcode)
        {
            case WebSocketOpcode.Text or WebSocketOpcode.Binary:
                if (_inFragmentedMessage)
                {
                    return ProtocolError(1002, "a new message inside a fragmented one");
                }

                if (fin)
                {
                    _handler.OnMessage(payload, opcode == WebSocketOpcode.Text, Stopwatch.GetTimestamp());
                }
                else
                {
                    _inFragmentedMessage = true;
                    _messageOpcode = opcode;
                    payload.CopyTo(_message);
                    _messageLength = payload.Length;
                }

                return frameLength;

            case WebSocketOpcode.Continuation:
                if (!_inFragmentedMessage)
                {
                    return ProtocolError(1002, "a continuation frame outside a fragmented message");
                }

                payload.CopyTo(_message.AsSpan(_messageLength));
                _messageLength += payload.Length;
                if (fin)
                {
                    _inFragmentedMessage = false;
                    var length0 = _messageLength;
                    _messageLength = 0;
                    _handler.OnMessage(_message.AsSpan(0, length0), _messageOpcode == WebSocketOpcode.Text, Stopwatch.GetTimestamp());
                }

                return frameLength;

            case WebSocketOpcode.Ping:
                // The venue drops a connection that does not echo its ping: the reader waits for the token briefly.
                SendControl(WebSocketOpcode.Pong, payload);
                return frameLength;

            case WebSocketOpcode.Pong:
                _handler.OnPong(payload);
                return frameLength;

            case WebSocketOpcode.Close:
                // Echo the close (unless ours went first), then end the connection: the server closes TCP after it.
                if (Volatile.Read(ref _closeSent) == 0)
                {
                    SendClose(payload.Length >= 2 ? payload[..2] : default);
                }

                var code = payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : (ushort)1005;
                var text = payload.Length > 2 ? Encoding.UTF8.GetString(payload[2..]) : string.Empty;
                _wire!.Close($"the server closed the WebSocket ({code}{(text.Length > 0 ? ": " + text : string.Empty)})");
                return -1;

            default:
                return ProtocolError(1002, $"an unknown opcode 0x{(byte)opcode:X}");
        }
    }

    private int ProtocolError(ushort code, string reason)
    {
        Interlocked.Increment(ref _protocolErrors);
        Span<byte> payload = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        SendClose(payload);
        Fail($"protocol error, closed with {code}: {reason}");
        return -1;
    }

    private void Fail(string reason) => _wire?.Close(reason);

    private void SendClose(ReadOnlySpan<byte> payload)
    {
        if (Interlocked.Exchange(ref _closeSent, 1) == 0)
        {
            SendControlFrame(WebSocketOpcode.Close, payload);
        }
    }

    private WireSendResult SendControl(WebSocketOpcode opcode, ReadOnlySpan<byte> payload) =>
        Volatile.Read(ref _closeSent) != 0 ? WireSendResult.Down : SendControlFrame(opcode, payload);

    private WireSendResult SendControlFrame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > 125)
        {
            throw new ArgumentException("A control frame's payload is at most 125 bytes.", nameof(payload));
        }

        var wire = _wire;
        if (wire is null)
        {
            return WireSendResult.Down;
        }

        // Control frames are built on the stack: pings come from the session's timer while the reader may be ponging.
        Span<byte> frame = stackalloc byte[WebSocketFrames.MaxClientHeaderLength + 125];
        var length = WebSocketFrames.WriteFrame(frame, payload, opcode, WebSocketFrames.NextMaskKey());
        return wire.Send(frame[..length], _options.ControlSendTimeout);
    }
}
