using System.Net;
using System.Net.Sockets;

namespace Engine.Exchange.Wire;

/// <summary>
/// A private loopback TCP connection that the sending thread writes one request-sized message into and reads back
/// while it has nothing else to do, so the kernel's TCP send path (the socket layer, TCP and IP output, and on
/// loopback the receive side too) is still in the caches when a real order is sent. Nothing reaches the venue.
/// </summary>
/// <remarks>
/// On this kind of virtual machine the first loopback send after 20 ms of quiet took about 100 µs in the system call
/// against 6 µs for the next one, and every order decided meanwhile waited behind it; with this warmed every
/// millisecond, about 45 µs (<c>send-path warming</c> in docs/ARCHITECTURE.md). It warms code shared by every TCP
/// socket, not the venue connection's own state or a network card's driver. Costs two non-blocking system calls per
/// warm-up on a thread that is spinning idle anyway; nothing waits on the reading end, so no other thread is woken.
/// </remarks>
public sealed class SendPathWarmer : IDisposable
{
    private readonly Socket _writer;
    private readonly Socket _reader;
    private readonly byte[] _message;
    private readonly byte[] _drain;

    private SendPathWarmer(Socket writer, Socket reader, int messageBytes)
    {
        _writer = writer;
        _reader = reader;
        _message = new byte[messageBytes];
        _drain = new byte[Math.Max(4096, messageBytes * 4)];
    }

    /// <summary>Warm-ups done.</summary>
    public long Warmings { get; private set; }

    /// <summary>Opens the connection (127.0.0.1, an ephemeral port, closed to anyone else once accepted).</summary>
    /// <param name="messageBytes">The size of a typical request on the real connection.</param>
    public static SendPathWarmer Open(int messageBytes = 512)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messageBytes, 1);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var writer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            writer.Connect(listener.LocalEndPoint!);
            var reader = listener.Accept();
            writer.Blocking = false;
            reader.Blocking = false;
            return new SendPathWarmer(writer, reader, messageBytes);
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <summary>Sends one message and reads back whatever has arrived; never blocks, allocates nothing, never throws for the sockets.</summary>
    public void Warm()
    {
        _writer.Send(_message, SocketFlags.None, out _);
        for (var i = 0; i < 4; i++)
        {
            var read = _reader.Receive(_drain, SocketFlags.None, out var error);
            if (error != SocketError.Success || read < _drain.Length)
            {
                break;
            }
        }

        Warmings++;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _reader.Dispose();
    }
}
