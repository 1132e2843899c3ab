using System.Diagnostics;
using System.Net.Sockets;

namespace Engine.Exchange.Rest;

/// <summary>
/// When a request's bytes reached the socket: the <see cref="Stopwatch"/> time at which the first write of the request
/// into its connection's socket stream began (under TLS, the first write of ciphertext). Given to
/// <see cref="BinanceRestClient.SendStampedOrderAsync"/>;
/// written once by whichever thread performs that write, read by anyone once the call has completed.
/// </summary>
public sealed class SocketWriteStamp
{
    // The request being sent on this logical flow. HttpClient writes a request on the flow that called SendAsync
    // (connection set-up runs on a flow of its own), so the stream below sees the request's stamp and no other.
    private static readonly AsyncLocal<SocketWriteStamp?> s_current = new();
    private long _timestamp;

    /// <summary>Stopwatch time the request's first socket write began; 0 while nothing has been written.</summary>
    public long Timestamp => Volatile.Read(ref _timestamp);

    /// <summary>Sets the stamp the writes of this asynchronous flow report to (call inside the sending async method: the change stays in it).</summary>
    public static void Attach(SocketWriteStamp? stamp) => s_current.Value = stamp;

    /// <summary>Called by the stream at the start of every write: only the first write of the attached request counts.</summary>
    internal static void OnWrite()
    {
        if (s_current.Value is { } stamp && Volatile.Read(ref stamp._timestamp) == 0)
        {
            Interlocked.CompareExchange(ref stamp._timestamp, Stopwatch.GetTimestamp(), 0);
        }
    }

    /// <summary>
    /// <see cref="SocketsHttpHandler.ConnectCallback"/>: the handler's own connect (TCP, no Nagle) with the socket's stream
    /// wrapped so that writes can be stamped.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
            return new StampingStream(new NetworkStream(socket, ownsSocket: true));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The socket's stream, unchanged, except that each write first reports to <see cref="OnWrite"/>.</summary>
    private sealed class StampingStream(NetworkStream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count)
        {
            OnWrite();
            inner.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            OnWrite();
            inner.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            OnWrite();
            return inner.WriteAsync(buffer, offset, count, cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            OnWrite();
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
