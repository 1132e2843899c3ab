using System.Net.WebSockets;
using System.Text;
using Engine.Exchange.Wire;
using Engine.Exchange.WsApi;

namespace Tests.Exchange.WsApi;

/// <summary>Our WebSocket client against ASP.NET Core's WebSocket server on loopback.</summary>
public sealed class WebSocketClientTests : IAsyncLifetime
{
    private EchoServer _server = null!;

    public async Task InitializeAsync() => _server = await EchoServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Masked_frames_of_every_length_class_come_back_intact()
    {
        var handler = new Collector();
        using var client = await WebSocketClient.ConnectAsync(_server.Uri, handler, new WebSocketClientOptions { MaxMessageBytes = 256 * 1024, Wire = new WireConnectionOptions { PendingBufferBytes = 256 * 1024 } }, default);
        var buffer = new byte[256 * 1024];
        foreach (var size in new[] { 0, 1, 7, 125, 126, 1000, 65535, 65536, 200_000 })
        {
            var payload = new byte[size];
            new Random(size).NextBytes(payload);
            var length = WebSocketFrames.WriteFrame(buffer, payload, WebSocketOpcode.Binary, WebSocketFrames.NextMaskKey());
            Assert.Equal(WireSendResult.Sent, Send(client, buffer.AsSpan(0, length)));
            var (message, text) = await handler.NextAsync();
            Assert.False(text);
            Assert.Equal(payload, message);
        }
    }

    [Fact]
    public async Task A_frame_built_in_place_goes_out_with_TrySend()
    {
        var handler = new Collector();
        using var client = await WebSocketClient.ConnectAsync(_server.Uri, handler, new WebSocketClientOptions(), default);
        var buffer = new byte[512];
        var json = "{\"id\":\"e1\",\"method\":\"order.status\"}"u8.ToArray();
        json.CopyTo(buffer.AsSpan(8));
        var start = WebSocketFrames.FrameInPlace(buffer, 8, json.Length, WebSocketOpcode.Text, WebSocketFrames.NextMaskKey());
        Assert.Equal(WireSendResult.Sent, client.TrySend(buffer.AsSpan(start, 8 + json.Length - start), out var stamp));
        Assert.NotEqual(0, stamp);
        var (message, text) = await handler.NextAsync();
        Assert.True(text);
        Assert.Equal(json, message);
    }

    [Fact]
    public async Task Fragmented_messages_are_joined()
    {
        var handler = new Collector();
        using var client = await WebSocketClient.ConnectAsync(_server.Uri, handler, new WebSocketClientOptions(), default);
        var text = "fragment:" + new string('z', 3000);
        Assert.Equal(WireSendResult.Sent, client.SendText(Encoding.ASCII.GetBytes(text), new byte[4096]));
        var (message, isText) = await handler.NextAsync();
        Assert.True(isText);
        Assert.Equal(text, Encoding.ASCII.GetString(message));
    }

    [Fact]
    public async Task A_ping_is_answered_with_a_pong()
    {
        var handler = new Collector();
        using var client = await WebSocketClient.ConnectAsync(_server.Uri, handler, new WebSocketClientOptions(), default);
        Assert.Equal(WireSendResult.Sent, client.SendPing("are you there"u8));
        Assert.Equal("are you there", Encoding.ASCII.GetString(await handler.Pongs.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5))));
    }

    [Fact]
    public async Task A_message_over_the_limit_closes_with_1009()
    {
        var handler = new Collector();
        using var client = await WebSocketClient.ConnectAsync(_server.Uri, handler, new WebSocketClientOptions { MaxMessageBytes = 4096 }, default);
        var big = new byte[10_000];
        var buffer = new byte[big.Length + 14];
        var length = WebSocketFrames.WriteFrame(buffer, big, WebSocketOpcode.Binary, WebSocketFrames.NextMaskKey());
        Assert.Equal(WireSendResult.Sent, Send(client, buffer.AsSpan(0, length)));
        var reason = await handler.Closed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("1009", reason, StringComparison.Ordinal);
        Assert.Equal(1, client.ProtocolErrors);
        await WaitUntil(() => _server.LastCloseStatus == WebSocketCloseStatus.MessageTooBig);
    }

    [Fact]
    public async Task The_server_closing_is_echoed_and_reported()
    {
        var handler = new Collector();
        using var client = await WebSocketClient.ConnectAsync(_server.Uri, handler, new WebSocketClientOptions(), default);
        Assert.Equal(WireSendResult.Sent, client.SendText("close-me"u8, new byte[64]));
        var reason = await handler.Closed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("the server closed the WebSocket (4000: asked to)", reason);
        Assert.False(client.IsOpen);
        Assert.Equal(WireSendResult.Down, client.TrySend("x"u8, out _));
    }

    [Fact]
    public async Task Our_close_handshake_ends_the_connection()
    {
        var handler = new Collector();
        using var client = await WebSocketClient.ConnectAsync(_server.Uri, handler, new WebSocketClientOptions(), default);
        client.Close(1000, "done");
        var reason = await handler.Closed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("1000", reason, StringComparison.Ordinal);
        await WaitUntil(() => _server.LastCloseStatus == WebSocketCloseStatus.NormalClosure);
    }

    [Fact]
    public async Task A_refused_upgrade_is_a_clear_error()
    {
        var wrongPath = new Uri(_server.Uri, "/nothing-here");
        var error = await Assert.ThrowsAsync<IOException>(() => WebSocketClient.ConnectAsync(wrongPath, new Collector(), new WebSocketClientOptions(), default));
        Assert.Contains("instead of 101", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mask_keys_differ_and_masking_twice_restores_the_payload()
    {
        var keys = Enumerable.Range(0, 1000).Select(_ => WebSocketFrames.NextMaskKey()).ToHashSet();
        Assert.True(keys.Count > 990);
        var payload = Enumerable.Range(0, 1001).Select(i => (byte)i).ToArray();
        var copy = (byte[])payload.Clone();
        WebSocketFrames.Mask(copy, 0x01020304);
        Assert.Equal((byte)(payload[0] ^ 1), copy[0]);
        Assert.Equal((byte)(payload[5] ^ 2), copy[5]);
        Assert.Equal((byte)(payload[1000] ^ 1), copy[1000]);
        WebSocketFrames.Mask(copy, 0x01020304);
        Assert.Equal(payload, copy);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketClient.AcceptFor("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    private static WireSendResult Send(WebSocketClient client, ReadOnlySpan<byte> frame)
    {
        WireSendResult result;
        while ((result = client.TrySend(frame, out _)) == WireSendResult.WouldBlock)
        {
            Thread.Yield();
        }

        return result;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    private sealed class Collector : IWebSocketHandler
    {
        public System.Threading.Channels.Channel<(byte[] Message, bool Text)> Messages { get; } = System.Threading.Channels.Channel.CreateUnbounded<(byte[], bool)>();

        public System.Threading.Channels.Channel<byte[]> Pongs { get; } = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();

        public TaskCompletionSource<string> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnMessage(ReadOnlySpan<byte> message, bool text, long receivedTimestamp) => Messages.Writer.TryWrite((message.ToArray(), text));

        public void OnPong(ReadOnlySpan<byte> payload) => Pongs.Writer.TryWrite(payload.ToArray());

        public void OnClosed(string reason) => Closed.TrySetResult(reason);

        public Task<(byte[] Message, bool Text)> NextAsync() => Messages.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }
}
