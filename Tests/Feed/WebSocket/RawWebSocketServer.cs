using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Tests.Feed.WebSocket;

/// <summary>
/// A WebSocket server written against RFC 6455 on a bare TCP socket, for what the simulator cannot be asked to do:
/// send ping frames on demand and check the pong, split messages into fragments, send bursts of pre-built frames.
/// One connection at a time; every method runs on the test's thread.
/// </summary>
public sealed class RawWebSocketServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private TcpClient? _client;
    private NetworkStream? _stream;

    public RawWebSocketServer()
    {
        _listener.Start();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string BaseAddress => $"ws://127.0.0.1:{Port}/";

    /// <summary>The path of the upgrade request (e.g. <c>/market/stream</c>).</summary>
    public string? RequestPath { get; private set; }

    /// <summary>Accepts one client and completes the opening handshake.</summary>
    public async Task AcceptAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        _client = await _listener.AcceptTcpClientAsync(cts.Token);
        _client.NoDelay = true;
        _stream = _client.GetStream();
        var request = new StringBuilder();
        var one = new byte[1];
        while (!request.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await _stream.ReadAsync(one, cts.Token);
            if (n == 0)
            {
                throw new IOException("client closed during the handshake");
            }

            request.Append((char)one[0]);
        }

        var lines = request.ToString().Split("\r\n");
        RequestPath = lines[0].Split(' ')[1];
        var key = lines.First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for the handshake; nothing here is secret
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
        var response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n";
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(response), cts.Token);
    }

    /// <summary>Reads one client frame (clients mask theirs): opcode, FIN and unmasked payload.</summary>
    public async Task<(int Opcode, bool Fin, byte[] Payload)> ReadFrameAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var head = await ReadExactlyAsync(2, cts.Token);
        var fin = (head[0] & 0x80) != 0;
        var opcode = head[0] & 0x0F;
        var masked = (head[1] & 0x80) != 0;
        long length = head[1] & 0x7F;
        if (length == 126)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(await ReadExactlyAsync(2, cts.Token));
        }
        else if (length == 127)
        {
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(await ReadExactlyAsync(8, cts.Token));
        }

        var mask = masked ? await ReadExactlyAsync(4, cts.Token) : [0, 0, 0, 0];
        var payload = await ReadExactlyAsync((int)length, cts.Token);
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] ^= mask[i % 4];
        }

        return (opcode, fin, payload);
    }

    /// <summary>Reads client frames until a text message (a SUBSCRIBE), skipping pongs the client sends on its own.</summary>
    public async Task<string> ReadTextAsync(TimeSpan timeout)
    {
        while (true)
        {
            var (opcode, _, payload) = await ReadFrameAsync(timeout);
            if (opcode == 1)
            {
                return Encoding.UTF8.GetString(payload);
            }
        }
    }

    /// <summary>Builds one unmasked server frame.</summary>
    public static byte[] Frame(int opcode, bool fin, ReadOnlySpan<byte> payload)
    {
        var headerLength = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        var frame = new byte[headerLength + payload.Length];
        frame[0] = (byte)((fin ? 0x80 : 0) | opcode);
        if (payload.Length < 126)
        {
            frame[1] = (byte)payload.Length;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        else
        {
            frame[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
        }

        payload.CopyTo(frame.AsSpan(headerLength));
        return frame;
    }

    /// <summary>Sends raw bytes (one or more frames) synchronously: no allocation on this side.</summary>
    public void Send(byte[] bytes) => _stream!.Write(bytes);

    public void SendText(string text) => Send(Frame(1, fin: true, Encoding.UTF8.GetBytes(text)));

    public void Dispose()
    {
        _stream?.Dispose();
        _client?.Dispose();
        _listener.Stop();
        _listener.Dispose();
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken token)
    {
        var buffer = new byte[count];
        await _stream!.ReadExactlyAsync(buffer, token);
        return buffer;
    }
}
