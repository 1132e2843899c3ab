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
    // The request being sent on this logical flow. HttpClient writes a request on the flow that called SendAsync, so
    // the stream below sees the request's stamp and no other (a connection is set up on the flow of the request that
    // needed it: see StampingStream for the TLS handshake).
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
            var tls = string.Equals(context.InitialRequestMessage.RequestUri?.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase);
            return new StampingStream(new NetworkStream(socket, ownsSocket: true), tls);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The socket's stream, unchanged, except that each write first reports to <see cref="OnWrite"/>. The connection is
    /// set up on the flow of the request that needed it, so under TLS the handshake's first flight would be stamped as
    /// that request's write: writes before the first read are not reported. (With TLS 1.2 the client's Finished, sent
    /// one round trip before the request can follow, still is: the first order on a new TLS 1.2 connection may be
    /// stamped up to a round trip early. Keep-alive connections, the normal case, and plain HTTP are exact.)
    /// </summary>
    private sealed class StampingStream(NetworkStream inner, bool tls) : Stream
    {
        private volatile bool _handshakeRead = !tls;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            _handshakeRead = true;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _handshakeRead ? inner.ReadAsync(buffer, cancellationToken) : FirstReadAsync(buffer, cancellationToken);

        private async ValueTask<int> FirstReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _handshakeRead = true;
            return read;
        }

        private void Stamp()
        {
            if (_handshakeRead)
            {
                OnWrite();
            }
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Stamp();
            inner.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Stamp();
            inner.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Stamp();
            return inner.WriteAsync(buffer, offset, count, cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Stamp();
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
