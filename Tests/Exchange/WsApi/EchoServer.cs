using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tests.Exchange.WsApi;

/// <summary>
/// ASP.NET Core's own WebSocket server on loopback, echoing every message: our framing checked against a real
/// implementation. "fragment:" messages come back in three fragments; "close-me" is answered with a close (4000).
/// </summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _connections;

    private EchoServer(WebApplication app) => _app = app;

    public Uri Uri { get; private set; } = null!;

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The last close status the server received from a client.</summary>
    public WebSocketCloseStatus? LastCloseStatus { get; private set; }

    public static async Task<EchoServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new EchoServer(app);
        app.UseWebSockets();
        app.Map("/echo", server.HandleAsync);
        await app.StartAsync();
        server.Uri = new Uri(app.Urls.First().Replace("http://", "ws://", StringComparison.Ordinal) + "/echo");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        Interlocked.Increment(ref _connections);
        var buffer = new byte[4 * 1024 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), context.RequestAborted);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    LastCloseStatus = socket.CloseStatus;
                    await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }

                var message = buffer.AsMemory(0, length);
                if (message.Span.SequenceEqual("close-me"u8))
                {
                    await socket.CloseAsync((WebSocketCloseStatus)4000, "asked to", CancellationToken.None);
                    return;
                }

                if (message.Span.StartsWith("fragment:"u8))
                {
                    var third = length / 3;
                    await socket.SendAsync(message[..third], result.MessageType, false, CancellationToken.None);
                    await socket.SendAsync(message[third..(2 * third)], result.MessageType, false, CancellationToken.None);
                    await socket.SendAsync(message[(2 * third)..], result.MessageType, true, CancellationToken.None);
                    continue;
                }

                await socket.SendAsync(message, result.MessageType, true, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            LastCloseStatus = socket.CloseStatus;
        }
    }
}
