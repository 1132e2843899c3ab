using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;

namespace Engine.Exchange.Wire;

/// <summary>
/// One TCP connection (TLS optional) for order traffic: a dedicated reader thread that receives into a pre-allocated
/// buffer and hands the bytes to an <see cref="IWireReceiver"/>, and <see cref="TrySend"/>, a send any thread can try
/// that never blocks, never allocates (plain TCP; see <see cref="TrySend"/> for TLS) and takes no lock.
/// </summary>
/// <remarks>
/// <para>
/// Writers share the socket through a write token taken with one compare-and-swap: a thread that finds it held gets
/// <see cref="WireSendResult.WouldBlock"/> and goes elsewhere rather than wait. The socket is non-blocking, so a send
/// is one <c>send</c> system call that takes what the kernel's buffer has room for. When the kernel takes only part,
/// the rest is copied to the connection's pending buffer and a thread-pool work item (pre-allocated, so queueing it
/// allocates nothing) finishes it; the token stays held until the last byte is out, so nothing can overtake it.
/// </para>
/// <para>
/// Lifecycle: <see cref="ConnectAsync"/> connects, runs the TLS handshake, and starts the reader. The connection ends
/// when the peer closes, on a socket error, a receiver failure, or <see cref="Close"/>; the receiver's
/// <see cref="IWireReceiver.OnLost"/> is told once, with the reason. After that every send answers
/// <see cref="WireSendResult.Down"/>. A connection is never reopened: the owner makes a new one.
/// </para>
/// </remarks>
public sealed class WireConnection : IDisposable
{
    private const int TokenFree = 0;
    private const int TokenHeld = 1;

    // Taken for good by the reader's exit before it disposes the socket: no send can touch a disposed socket.
    private const int TokenRetired = 2;

    private const int StateOpen = 0;
    private const int StateClosing = 1;
    private const int StateClosed = 2;

    private static int s_lastId;

    private readonly Socket _socket;
    private readonly IWireReceiver _receiver;
    private readonly SocketPipe _pipe;
    private readonly SslStream? _tls;
    private readonly byte[] _receiveBuffer;
    private readonly byte[] _pending;
    private readonly byte[]? _plainScratch;
    private readonly PendingFlush _flush;
    private readonly string _threadName;
    private Thread? _reader;
    private int _writeToken;
    private int _state;
    private int _lostReported;
    private int _pendingLength;
    private int _pendingOffset;
    private string? _closeReason;
    private long _partialWrites;
    private long _bytesSent;

    // The TLS write in progress: which thread holds the token for a non-blocking write, and the stamp of its first syscall.
    private int _nonBlockingWriter;
    private int _blockingWriter;
    private long _tlsWriteStamp;

    private WireConnection(Socket socket, SslStream? tls, SocketPipe pipe, WireEndpoint endpoint, IWireReceiver receiver, WireConnectionOptions options)
    {
        _socket = socket;
        _tls = tls;
        _pipe = pipe;
        _receiver = receiver;
        Endpoint = endpoint;
        Id = Interlocked.Increment(ref s_lastId);
        _receiveBuffer = GC.AllocateUninitializedArray<byte>(options.ReceiveBufferBytes, pinned: true);
        _pending = GC.AllocateUninitializedArray<byte>(options.PendingBufferBytes, pinned: true);
        _plainScratch = tls is null ? null : GC.AllocateUninitializedArray<byte>(options.PendingBufferBytes);
        _flush = new PendingFlush(this);
        _threadName = options.ThreadName;
    }

    /// <summary>This connection's number, unique in the process (connections of every path share the sequence).</summary>
    public int Id { get; }

    /// <summary>Where the connection goes.</summary>
    public WireEndpoint Endpoint { get; }

    /// <summary>Whether sends may still succeed (not closing or closed).</summary>
    public bool IsOpen => Volatile.Read(ref _state) == StateOpen;

    /// <summary>Why the connection ended, once it has (null while open).</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>Sends whose first write the kernel took only in part (the rest finished from the pending buffer).</summary>
    public long PartialWrites => Interlocked.Read(ref _partialWrites);

    /// <summary>Bytes handed to the socket (TLS: ciphertext) since the connection opened.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>
    /// Connects to <paramref name="endpoint"/> (TCP_NODELAY; TLS handshake when it asks for TLS, with the host as
    /// server name) and starts the reader thread, which hands every received byte to <paramref name="receiver"/>.
    /// </summary>
    /// <exception cref="IOException">The connect or the handshake failed or timed out (the message says which).</exception>
    public static async Task<WireConnection> ConnectAsync(WireEndpoint endpoint, IWireReceiver receiver, WireConnectionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint.Host);
        options.Validate();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? tls = null;
        try
        {
            try
            {
                await socket.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new IOException($"Connecting to {endpoint} took longer than {options.ConnectTimeout.TotalSeconds:0.###} s.");
            }
            catch (SocketException e)
            {
                throw new IOException($"Connecting to {endpoint} failed: {e.SocketErrorCode} ({e.Message}).", e);
            }

            // Every later operation is one non-blocking system call; the reader waits in poll(2) itself.
            socket.Blocking = false;
            var pipe = new SocketPipe(socket);
            if (endpoint.Tls)
            {
                tls = new SslStream(pipe, leaveInnerStreamOpen: true);
                var authentication = new SslClientAuthenticationOptions
                {
                    TargetHost = endpoint.Host,
                    RemoteCertificateValidationCallback = options.RemoteCertificateValidation,
                };
                pipe.HandshakeDeadline = Stopwatch.GetTimestamp() + (long)(options.ConnectTimeout.TotalSeconds * Stopwatch.Frequency);

                // The pipe's reads and writes are synchronous (poll and send/recv); the handshake runs them off the caller.
                await Task.Run(() => tls.AuthenticateAsClient(authentication), timeout.Token).ConfigureAwait(false);
                pipe.HandshakeDeadline = 0;
            }

            var connection = new WireConnection(socket, tls, pipe, endpoint, receiver, options);
            pipe.Owner = connection;
            connection.StartReader();
            return connection;
        }
        catch (Exception e) when (e is not IOException and not OperationCanceledException)
        {
            tls?.Dispose();
            socket.Dispose();
            throw new IOException($"TLS handshake with {endpoint} failed: {e.Message}", e);
        }
        catch
        {
            tls?.Dispose();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Tries to put <paramref name="bytes"/> on the wire now, from any thread: never waits, takes no lock, allocates
    /// nothing on plain TCP.
    /// </summary>
    /// <param name="bytes">The whole message; at most the pending buffer's size.</param>
    /// <param name="writeStamp">
    /// <see cref="Stopwatch.GetTimestamp"/> taken immediately before the send system call (TLS: before the first
    /// ciphertext's), 0 when nothing was written.
    /// </param>
    /// <returns>
    /// <see cref="WireSendResult.Sent"/>: every byte is in the kernel or queued behind the part that is (the
    /// connection finishes it). <see cref="WireSendResult.WouldBlock"/>: nothing was written — another thread is
    /// writing, or the kernel's send buffer is full. <see cref="WireSendResult.Down"/>: the connection is closing or
    /// closed. Under TLS, the record is encrypted once the token is held, so a full kernel buffer queues the whole
    /// record rather than answering WouldBlock; SslStream's own allocation per write is measured in the tests.
    /// </returns>
    public WireSendResult TrySend(ReadOnlySpan<byte> bytes, out long writeStamp)
    {
        writeStamp = 0;
        if (bytes.Length > _pending.Length)
        {
            ThrowTooLarge(bytes.Length);
        }

        if (Volatile.Read(ref _state) != StateOpen)
        {
            return WireSendResult.Down;
        }

        if (Interlocked.CompareExchange(ref _writeToken, TokenHeld, TokenFree) != TokenFree)
        {
            return Volatile.Read(ref _state) == StateOpen ? WireSendResult.WouldBlock : WireSendResult.Down;
        }

        // The reader's exit retires the token after marking the state: re-check now that the token is ours.
        if (Volatile.Read(ref _state) != StateOpen)
        {
            ReleaseToken();
            return WireSendResult.Down;
        }

        return _tls is null ? TrySendPlain(bytes, out writeStamp) : TrySendTls(bytes, out writeStamp);
    }

    /// <summary>
    /// Sends <paramref name="bytes"/>, waiting for the write token and for room in the socket up to
    /// <paramref name="timeout"/>: the I/O loop's path and the protocol's own messages (handshake, pong, close).
    /// Returns <see cref="WireSendResult.WouldBlock"/> when the token stayed busy for the whole time-out (nothing was
    /// written), <see cref="WireSendResult.Down"/> when the connection is closed or failed while sending.
    /// </summary>
    public WireSendResult Send(ReadOnlySpan<byte> bytes, TimeSpan timeout)
    {
        if (bytes.Length > _pending.Length)
        {
            ThrowTooLarge(bytes.Length);
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref _writeToken, TokenHeld, TokenFree) != TokenFree)
        {
            if (Volatile.Read(ref _state) != StateOpen)
            {
                return WireSendResult.Down;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                return WireSendResult.WouldBlock;
            }

            spin.SpinOnce(sleep1Threshold: 30);
        }

        if (Volatile.Read(ref _state) != StateOpen)
        {
            ReleaseToken();
            return WireSendResult.Down;
        }

        try
        {
            if (_tls is null)
            {
                return SendAllBlocking(bytes) ? WireSendResult.Sent : WireSendResult.Down;
            }

            // Registered as the blocking writer: the pipe writes the ciphertext to the end.
            bytes.CopyTo(_plainScratch);
            Volatile.Write(ref _blockingWriter, Environment.CurrentManagedThreadId);
            _tls.Write(_plainScratch!, 0, bytes.Length);
            return IsOpen ? WireSendResult.Sent : WireSendResult.Down;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            Fail("TLS write failed: " + e.Message);
            return WireSendResult.Down;
        }
        finally
        {
            Volatile.Write(ref _blockingWriter, 0);
            ReleaseToken();
        }
    }

    /// <summary>
    /// Ends the connection: no more sends; the reader stops, tells the receiver <paramref name="reason"/> and releases
    /// the socket. Returns at once (safe to call from the receiver itself); idempotent.
    /// </summary>
    public void Close(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (Interlocked.CompareExchange(ref _state, StateClosing, StateOpen) != StateOpen)
        {
            return;
        }

        Interlocked.CompareExchange(ref _closeReason, reason, null);
        try
        {
            // Wakes the reader's poll (the socket reads as ended) and sends FIN.
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already torn down by the peer: the reader sees it the same way.
        }

        if (_reader is null)
        {
            Finish();
        }
    }

    /// <summary>Closes the connection (reason "disposed") and waits briefly for the reader to finish.</summary>
    public void Dispose()
    {
        Close("disposed");
        if (_reader is { } reader && reader != Thread.CurrentThread)
        {
            reader.Join(TimeSpan.FromSeconds(5));
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"wire#{Id} {Endpoint}";

    [StackTraceHidden]
    private static void ThrowTooLarge(int length) =>
        throw new ArgumentException($"A send of {length} bytes is larger than the connection's pending buffer; raise PendingBufferBytes.", nameof(length));

    private WireSendResult TrySendPlain(ReadOnlySpan<byte> bytes, out long writeStamp)
    {
        writeStamp = Stopwatch.GetTimestamp();
        var sent = _socket.Send(bytes, SocketFlags.None, out var error);
        if (error == SocketError.Success)
        {
            Interlocked.Add(ref _bytesSent, sent);
            if (sent == bytes.Length)
            {
                ReleaseToken();
                return WireSendResult.Sent;
            }

            if (sent > 0)
            {
                QueueRemainder(bytes[sent..]);
                return WireSendResult.Sent;
            }
        }

        ReleaseToken();
        writeStamp = 0;
        if (error is SocketError.WouldBlock or SocketError.Success)
        {
            return WireSendResult.WouldBlock;
        }

        Fail("send failed: " + error);
        return WireSendResult.Down;
    }

    private WireSendResult TrySendTls(ReadOnlySpan<byte> bytes, out long writeStamp)
    {
        // SslStream has no span write that avoids a pooled copy: give it the pre-allocated array it can use directly.
        bytes.CopyTo(_plainScratch);
        Volatile.Write(ref _tlsWriteStamp, 0);
        Volatile.Write(ref _nonBlockingWriter, Environment.CurrentManagedThreadId);
        try
        {
            _tls!.Write(_plainScratch!, 0, bytes.Length);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            Volatile.Write(ref _nonBlockingWriter, 0);
            ReleaseToken();
            writeStamp = 0;
            Fail("TLS write failed: " + e.Message);
            return WireSendResult.Down;
        }

        Volatile.Write(ref _nonBlockingWriter, 0);
        writeStamp = Volatile.Read(ref _tlsWriteStamp);
        if (_pendingLength > _pendingOffset)
        {
            ScheduleFlush();
        }
        else
        {
            ReleaseToken();
        }

        return WireSendResult.Sent;
    }

    /// <summary>The pipe's write while a non-blocking TLS send holds the token: one send, the rest queued.</summary>
    private void WriteCiphertextNonBlocking(ReadOnlySpan<byte> ciphertext)
    {
        if (_pendingLength > _pendingOffset)
        {
            AppendPending(ciphertext);
            return;
        }

        if (Volatile.Read(ref _tlsWriteStamp) == 0)
        {
            Volatile.Write(ref _tlsWriteStamp, Stopwatch.GetTimestamp());
        }

        var sent = _socket.Send(ciphertext, SocketFlags.None, out var error);
        if (error == SocketError.Success)
        {
            Interlocked.Add(ref _bytesSent, sent);
            if (sent < ciphertext.Length)
            {
                Interlocked.Increment(ref _partialWrites);
                AppendPending(ciphertext[sent..]);
            }

            return;
        }

        if (error == SocketError.WouldBlock)
        {
            Interlocked.Increment(ref _partialWrites);
            AppendPending(ciphertext);
            return;
        }

        throw new IOException("send failed: " + error);
    }

    private void AppendPending(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _pending.Length - _pendingLength)
        {
            throw new IOException($"the unsent rest of a write ({bytes.Length} bytes) does not fit the pending buffer");
        }

        bytes.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += bytes.Length;
    }

    private void QueueRemainder(ReadOnlySpan<byte> rest)
    {
        Interlocked.Increment(ref _partialWrites);
        rest.CopyTo(_pending);
        _pendingOffset = 0;
        _pendingLength = rest.Length;
        ScheduleFlush();
    }

    private void ScheduleFlush() => ThreadPool.UnsafeQueueUserWorkItem(_flush, preferLocal: false);

    /// <summary>The writer side: sends the pending rest to the end, then releases the token it inherited.</summary>
    private void FlushPending()
    {
        try
        {
            while (_pendingOffset < _pendingLength && Volatile.Read(ref _state) == StateOpen)
            {
                var sent = _socket.Send(_pending.AsSpan(_pendingOffset, _pendingLength - _pendingOffset), SocketFlags.None, out var error);
                if (error == SocketError.Success)
                {
                    Interlocked.Add(ref _bytesSent, sent);
                    _pendingOffset += sent;
                }
                else if (error == SocketError.WouldBlock)
                {
                    _socket.Poll(100_000, SelectMode.SelectWrite);
                }
                else
                {
                    Fail("send of the pending rest failed: " + error);
                    break;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Fail("send of the pending rest failed: " + e.Message);
        }
        finally
        {
            _pendingOffset = 0;
            _pendingLength = 0;
            ReleaseToken();
        }
    }

    /// <summary>Writes all of <paramref name="bytes"/> with the token held, waiting in poll(2) while the kernel's buffer is full.</summary>
    private bool SendAllBlocking(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (Volatile.Read(ref _state) != StateOpen)
            {
                return false;
            }

            var sent = _socket.Send(bytes, SocketFlags.None, out var error);
            if (error == SocketError.Success)
            {
                Interlocked.Add(ref _bytesSent, sent);
                bytes = bytes[sent..];
            }
            else if (error == SocketError.WouldBlock)
            {
                _socket.Poll(100_000, SelectMode.SelectWrite);
            }
            else
            {
                Fail("send failed: " + error);
                return false;
            }
        }

        return true;
    }

    /// <summary>Bytes that are already wire-ready (TLS's own records): taken token, written to the end, token released.</summary>
    private bool SendRaw(ReadOnlySpan<byte> bytes)
    {
        var spin = default(SpinWait);
        var deadline = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
        while (Interlocked.CompareExchange(ref _writeToken, TokenHeld, TokenFree) != TokenFree)
        {
            if (Volatile.Read(ref _state) != StateOpen || Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            spin.SpinOnce(sleep1Threshold: 30);
        }

        try
        {
            return SendAllBlocking(bytes);
        }
        finally
        {
            ReleaseToken();
        }
    }

    private void ReleaseToken() => Interlocked.CompareExchange(ref _writeToken, TokenFree, TokenHeld);

    private void Fail(string reason) => Close(reason);

    private void StartReader()
    {
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = _threadName };
        _reader.Start();
    }

    private void ReadLoop()
    {
        var filled = 0;
        var buffer = _receiveBuffer;
        Stream source = _tls is null ? _pipe : _tls;
        try
        {
            while (Volatile.Read(ref _state) == StateOpen)
            {
                var read = source.Read(buffer, filled, buffer.Length - filled);
                if (read <= 0)
                {
                    Close(Volatile.Read(ref _state) == StateOpen ? "the peer closed the connection" : "closed");
                    break;
                }

                filled += read;
                var consumed = _receiver.OnReceived(buffer.AsSpan(0, filled));
                if ((uint)consumed > (uint)filled)
                {
                    Close($"the receiver consumed {consumed} of {filled} bytes");
                    break;
                }

                if (consumed > 0 && consumed < filled)
                {
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                }

                filled -= consumed;
                if (filled == buffer.Length)
                {
                    Close($"a message larger than the receive buffer ({buffer.Length} bytes)");
                    break;
                }
            }
        }
        catch (Exception e)
        {
            // A socket error, a TLS failure, or the receiver's own: the connection ends with the reason, never the process.
            Close(e is IOException or SocketException ? "receive failed: " + e.Message : $"receiver failed: {e.GetType().Name}: {e.Message}");
        }

        Finish();
    }

    /// <summary>The connection's end: retire the write token (waiting out a send in progress), release the socket, tell the receiver.</summary>
    private void Finish()
    {
        Volatile.Write(ref _state, StateClosed);
        var spin = default(SpinWait);
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
        while (Interlocked.CompareExchange(ref _writeToken, TokenRetired, TokenFree) != TokenFree
            && Volatile.Read(ref _writeToken) != TokenRetired
            && Stopwatch.GetTimestamp() < deadline)
        {
            spin.SpinOnce(sleep1Threshold: 30);
        }

        _tls?.Dispose();
        _socket.Dispose();
        if (Interlocked.Exchange(ref _lostReported, 1) == 0)
        {
            _receiver.OnLost(Volatile.Read(ref _closeReason) ?? "closed");
        }
    }

    private sealed class PendingFlush(WireConnection connection) : IThreadPoolWorkItem
    {
        public void Execute() => connection.FlushPending();
    }

    /// <summary>
    /// The socket as a stream for SslStream and the reader: reads wait in poll(2) then take what is there; writes go
    /// non-blocking when a <see cref="TrySend"/> holds the token, otherwise to the end (taking the token when the
    /// writer does not hold it — TLS's own messages written from the reader, the handshake).
    /// </summary>
    private sealed class SocketPipe(Socket socket) : Stream
    {
        public WireConnection? Owner { get; set; }

        /// <summary>Stopwatch time the handshake must end by (0 once connected).</summary>
        public long HandshakeDeadline { get; set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (true)
            {
                if (Owner is { } owner && Volatile.Read(ref owner._state) != StateOpen)
                {
                    return 0;
                }

                if (HandshakeDeadline != 0 && Stopwatch.GetTimestamp() > HandshakeDeadline)
                {
                    throw new IOException("the TLS handshake timed out");
                }

                // A bounded wait, so a close that did not wake the poll is still seen.
                if (!socket.Poll(250_000, SelectMode.SelectRead))
                {
                    continue;
                }

                var read = socket.Receive(buffer, SocketFlags.None, out var error);
                switch (error)
                {
                    case SocketError.Success:
                        return read;
                    case SocketError.WouldBlock:
                        continue;
                    default:
                        throw new IOException("receive failed: " + error);
                }
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var owner = Owner;
            if (owner is null)
            {
                // The TLS handshake, before the connection exists: nothing else writes yet.
                WriteAll(buffer);
                return;
            }

            if (Volatile.Read(ref owner._nonBlockingWriter) == Environment.CurrentManagedThreadId)
            {
                owner.WriteCiphertextNonBlocking(buffer);
                return;
            }

            if (Volatile.Read(ref owner._blockingWriter) == Environment.CurrentManagedThreadId)
            {
                WriteAll(buffer);
                return;
            }

            // TLS's own record written by the reader (an alert, a post-handshake message): wait for the token.
            if (!owner.SendRaw(buffer))
            {
                throw new IOException("the connection closed while TLS wrote its own record");
            }
        }

        private void WriteAll(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                var sent = socket.Send(buffer, SocketFlags.None, out var error);
                if (error == SocketError.Success)
                {
                    buffer = buffer[sent..];
                }
                else if (error == SocketError.WouldBlock)
                {
                    socket.Poll(100_000, SelectMode.SelectWrite);
                }
                else
                {
                    throw new IOException("send failed: " + error);
                }
            }
        }
    }
}
