using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Exchange.Wire;
using Xunit.Abstractions;

namespace Tests.Exchange.Wire;

public sealed class WireConnectionTests(ITestOutputHelper output)
{
    private static readonly WireConnectionOptions Plain = new() { ThreadName = "wire-test" };

    [Fact]
    public async Task Sends_and_receives_on_loopback_with_a_stamp_before_the_write()
    {
        using var listener = Listen();
        var receiver = new CollectingReceiver();
        var before = Stopwatch.GetTimestamp();
        using var connection = await WireConnection.ConnectAsync(Endpoint(listener), receiver, Plain, default);
        using var server = await listener.AcceptSocketAsync();

        Assert.Equal(WireSendResult.Sent, connection.TrySend("hello venue"u8, out var stamp));
        Assert.InRange(stamp, before, Stopwatch.GetTimestamp());
        Assert.Equal("hello venue", System.Text.Encoding.ASCII.GetString(await ReadExactly(server, 11)));

        await server.SendAsync("hello engine"u8.ToArray());
        Assert.True(receiver.WaitFor(12, TimeSpan.FromSeconds(5)));
        Assert.Equal("hello engine", System.Text.Encoding.ASCII.GetString(receiver.Received));
        Assert.True(connection.IsOpen);
    }

    [Fact]
    public async Task A_full_socket_answers_would_block_and_every_sent_byte_arrives_in_order()
    {
        using var listener = Listen();
        var receiver = new CollectingReceiver();
        using var connection = await WireConnection.ConnectAsync(Endpoint(listener), receiver, Plain, default);
        using var server = await listener.AcceptSocketAsync();

        // The server reads nothing until the kernel's buffers are full: the connection must refuse, not wait.
        var message = new byte[1000];
        var sent = 0;
        var wouldBlock = false;
        for (var i = 0; i < 1_000_000 && !wouldBlock; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(message, sent);
            message.AsSpan(4).Fill((byte)sent);
            switch (connection.TrySend(message, out _))
            {
                case WireSendResult.Sent:
                    sent++;
                    break;
                case WireSendResult.WouldBlock:
                    wouldBlock = true;
                    break;
                default:
                    Assert.Fail("the connection went down");
                    break;
            }
        }

        Assert.True(wouldBlock, "a socket nobody reads never pushed back");
        output.WriteLine($"{sent} messages taken before WouldBlock; partial writes {connection.PartialWrites}");

        // Drain: every message taken (the partly written one included, finished by the writer side) arrives whole, in order.
        for (var i = 0; i < sent; i++)
        {
            var got = await ReadExactly(server, message.Length);
            Assert.Equal(i, BinaryPrimitives.ReadInt32LittleEndian(got));
            Assert.True(got.AsSpan(4).IndexOfAnyExcept((byte)i) < 0, $"message {i} corrupted");
        }

        // The token is free again once the rest is out: the next send goes through.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        WireSendResult result;
        while ((result = connection.TrySend("x"u8, out _)) == WireSendResult.WouldBlock && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(1);
        }

        Assert.Equal(WireSendResult.Sent, result);
        Assert.Equal((byte)'x', (await ReadExactly(server, 1))[0]);
    }

    [Fact]
    public async Task Threads_sending_at_once_never_interleave_their_bytes()
    {
        using var listener = Listen();
        using var connection = await WireConnection.ConnectAsync(Endpoint(listener), new CollectingReceiver(), Plain, default);
        using var server = await listener.AcceptSocketAsync();
        const int threads = 4;
        const int perThread = 3000;
        const int size = 300;

        var reading = Task.Run(async () =>
        {
            var seen = new int[threads];
            for (var i = 0; i < threads * perThread; i++)
            {
                var got = await ReadExactly(server, size);
                var thread = got[0];
                Assert.True(got.AsSpan(0, size).IndexOfAnyExcept(thread) < 0, "two messages interleaved");
                seen[thread]++;
            }

            return seen;
        });

        var refused = 0L;
        var senders = Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            var message = new byte[size];
            message.AsSpan().Fill((byte)t);
            for (var i = 0; i < perThread; i++)
            {
                WireSendResult result;
                while ((result = connection.TrySend(message, out _)) == WireSendResult.WouldBlock)
                {
                    Interlocked.Increment(ref refused);
                    Thread.SpinWait(20);
                }

                Assert.Equal(WireSendResult.Sent, result);
            }
        })).ToArray();
        await Task.WhenAll(senders);
        var counts = await reading.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(counts, c => Assert.Equal(perThread, c));
        output.WriteLine($"WouldBlock answers under contention: {refused}");
    }

    [Fact]
    public async Task The_peer_closing_is_reported_once_and_sends_then_answer_down()
    {
        using var listener = Listen();
        var receiver = new CollectingReceiver();
        using var connection = await WireConnection.ConnectAsync(Endpoint(listener), receiver, Plain, default);
        using (var server = await listener.AcceptSocketAsync())
        {
            server.Close();
        }

        Assert.True(receiver.Lost.Wait(TimeSpan.FromSeconds(5)));
        Assert.Equal("the peer closed the connection", receiver.LostReason);
        Assert.Equal(WireSendResult.Down, connection.TrySend("late"u8, out var stamp));
        Assert.Equal(0, stamp);
        Assert.Equal(WireSendResult.Down, connection.Send("late"u8, TimeSpan.FromSeconds(1)));
        Assert.False(connection.IsOpen);
        Assert.Equal(1, receiver.LostCalls);
    }

    [Fact]
    public async Task Close_tells_the_receiver_the_reason_and_the_peer_sees_the_end()
    {
        using var listener = Listen();
        var receiver = new CollectingReceiver();
        var connection = await WireConnection.ConnectAsync(Endpoint(listener), receiver, Plain, default);
        using var server = await listener.AcceptSocketAsync();

        connection.Close("switching to a new connection");
        connection.Dispose();
        Assert.True(receiver.Lost.Wait(TimeSpan.FromSeconds(5)));
        Assert.Equal("switching to a new connection", receiver.LostReason);
        Assert.Equal("switching to a new connection", connection.CloseReason);
        Assert.Equal(0, await server.ReceiveAsync(new byte[16]));
        Assert.Equal(1, receiver.LostCalls);
    }

    [Fact]
    public async Task A_message_larger_than_the_receive_buffer_ends_the_connection()
    {
        using var listener = Listen();
        var receiver = new CollectingReceiver { ConsumeNothing = true };
        using var connection = await WireConnection.ConnectAsync(Endpoint(listener), receiver, new WireConnectionOptions { ReceiveBufferBytes = 1024 }, default);
        using var server = await listener.AcceptSocketAsync();

        await server.SendAsync(new byte[4096]);
        Assert.True(receiver.Lost.Wait(TimeSpan.FromSeconds(5)));
        Assert.Equal("a message larger than the receive buffer (1024 bytes)", receiver.LostReason);
    }

    [Fact]
    public async Task A_receiver_that_throws_ends_the_connection_not_the_process()
    {
        using var listener = Listen();
        var receiver = new CollectingReceiver { Throw = true };
        using var connection = await WireConnection.ConnectAsync(Endpoint(listener), receiver, Plain, default);
        using var server = await listener.AcceptSocketAsync();

        await server.SendAsync("boom"u8.ToArray());
        Assert.True(receiver.Lost.Wait(TimeSpan.FromSeconds(5)));
        Assert.Equal("receiver failed: InvalidOperationException: bad frame", receiver.LostReason);
    }

    [Fact]
    public async Task Connecting_to_a_closed_port_fails_with_a_clear_error()
    {
        using var listener = Listen();
        var endpoint = Endpoint(listener);
        listener.Stop();
        var error = await Assert.ThrowsAsync<IOException>(() => WireConnection.ConnectAsync(endpoint, new CollectingReceiver(), Plain, default));
        Assert.Contains("ConnectionRefused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new WireConnectionOptions { ReceiveBufferBytes = 10 }.Validate());
        Assert.Throws<ArgumentException>(() => new WireConnectionOptions { PendingBufferBytes = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new WireConnectionOptions { ConnectTimeout = TimeSpan.Zero }.Validate());
        Assert.Equal(new WireEndpoint("fstream.binance.com", 443, true), WireEndpoint.FromUri(new Uri("wss://fstream.binance.com/ws")));
        Assert.Equal(new WireEndpoint("127.0.0.1", 8080, false), WireEndpoint.FromUri(new Uri("ws://127.0.0.1:8080/ws-fapi/v1")));
        Assert.Equal(new WireEndpoint("fapi.binance.com", 443, true), WireEndpoint.FromUri(new Uri("https://fapi.binance.com")));
        Assert.Throws<ArgumentException>(() => WireEndpoint.FromUri(new Uri("ftp://x")));
    }

    [Fact]
    public async Task TrySend_allocates_nothing_on_plain_tcp()
    {
        using var listener = Listen();
        using var connection = await WireConnection.ConnectAsync(Endpoint(listener), new CollectingReceiver(), Plain, default);
        using var server = await listener.AcceptSocketAsync();
        using var drain = new CancellationTokenSource();
        var draining = Drain(server, drain.Token);
        var message = new byte[300];

        void SendMany()
        {
            for (var i = 0; i < 2000; i++)
            {
                while (connection.TrySend(message, out _) != WireSendResult.Sent)
                {
                    Thread.SpinWait(10);
                }
            }
        }

        SendMany();
        Assert.Equal(0, AllocationMeter.OnThisThread(SendMany));
        await drain.CancelAsync();
        await draining;
    }

    [Fact]
    public async Task Tls_sends_and_receives_and_its_allocation_is_measured()
    {
        using var certificate = SelfSigned();
        using var listener = Listen();
        var receiver = new CollectingReceiver();
        var options = new WireConnectionOptions { RemoteCertificateValidation = (_, c, _, _) => c is not null && c.GetCertHashString() == certificate.GetCertHashString() };
        var accepting = Task.Run(async () =>
        {
            var socket = await listener.AcceptSocketAsync();
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            await tls.AuthenticateAsServerAsync(certificate);
            return tls;
        });
        using var connection = await WireConnection.ConnectAsync(new WireEndpoint("localhost", ((IPEndPoint)listener.LocalEndpoint).Port, true), receiver, options, default);
        await using var server = await accepting;

        Assert.Equal(WireSendResult.Sent, connection.TrySend("over tls"u8, out var stamp));
        Assert.NotEqual(0, stamp);
        var got = new byte[8];
        await server.ReadExactlyAsync(got);
        Assert.Equal("over tls", System.Text.Encoding.ASCII.GetString(got));
        await server.WriteAsync("tls answer"u8.ToArray());
        Assert.True(receiver.WaitFor(10, TimeSpan.FromSeconds(5)));
        Assert.Equal("tls answer", System.Text.Encoding.ASCII.GetString(receiver.Received));

        using var drain = new CancellationTokenSource();
        var draining = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            try
            {
                while (await server.ReadAsync(buffer, drain.Token) > 0)
                {
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var message = new byte[300];
        void SendMany()
        {
            for (var i = 0; i < 1000; i++)
            {
                while (connection.TrySend(message, out _) != WireSendResult.Sent)
                {
                    Thread.SpinWait(10);
                }
            }
        }

        SendMany();
        var perSend = AllocationMeter.OnThisThread(SendMany) / 1000.0;
        output.WriteLine($"TLS TrySend allocates {perSend:0.#} B per send (SslStream)");

        // SslStream's synchronous write completes its internal ValueTask in place and rents from ArrayPool: 0 B.
        Assert.Equal(0, perSend);
        await drain.CancelAsync();
        await draining;
    }

    internal static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    internal static WireEndpoint Endpoint(TcpListener listener) => new("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, false);

    private static async Task<byte[]> ReadExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            Assert.True(n > 0, "the connection ended early");
            read += n;
        }

        return buffer;
    }

    private static Task Drain(Socket socket, CancellationToken cancellation) => Task.Run(async () =>
    {
        var buffer = new byte[65536];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellation) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
        }
    }, CancellationToken.None);

    internal static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        // Through PKCS#12 so the private key is usable by SslStream on Linux.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Keeps what the reader hands over; the test thread waits for a byte count or the end.</summary>
    internal sealed class CollectingReceiver : IWireReceiver
    {
        private readonly Lock _lock = new();
        private readonly List<byte> _bytes = [];
        private int _lostCalls;

        public bool ConsumeNothing { get; init; }

        public bool Throw { get; init; }

        public ManualResetEventSlim Lost { get; } = new();

        public string? LostReason { get; private set; }

        public int LostCalls => Volatile.Read(ref _lostCalls);

        public byte[] Received
        {
            get
            {
                lock (_lock)
                {
                    return [.. _bytes];
                }
            }
        }

        public int OnReceived(ReadOnlySpan<byte> data)
        {
            if (Throw)
            {
                throw new InvalidOperationException("bad frame");
            }

            if (ConsumeNothing)
            {
                return 0;
            }

            lock (_lock)
            {
                _bytes.AddRange(data);
            }

            return data.Length;
        }

        public void OnLost(string reason)
        {
            LostReason = reason;
            Interlocked.Increment(ref _lostCalls);
            Lost.Set();
        }

        public bool WaitFor(int count, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                lock (_lock)
                {
                    if (_bytes.Count >= count)
                    {
                        return true;
                    }
                }

                Thread.Sleep(5);
            }

            return false;
        }
    }
}
