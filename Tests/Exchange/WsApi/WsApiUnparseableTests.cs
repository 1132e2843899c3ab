using Engine.Exchange;
using Engine.Exchange.Signing;
using Engine.Exchange.Wire;
using Engine.Exchange.WsApi;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tests.Exchange.WsApi;

/// <summary>A peer that answers with something other than WebSocket API answers: counted, the connection lives on.</summary>
public sealed class WsApiUnparseableTests
{
    [Fact]
    public async Task Messages_that_are_not_answers_are_counted_and_the_connection_stays_up()
    {
        await using var echo = await EchoServer.StartAsync();
        using var signer = HmacSha256Signer.Create("secret"u8);
        var sink = new CountingSink();
        var session = new WsApiSession(new WsApiOptions { Endpoint = echo.Uri }, "key", signer, new RateLimitTracker(), new ServerClock(), sink, NullLogger<WsApiSession>.Instance);
        await using (session)
        {
            // Warm-up with HMAC is a ping round trip, which ASP.NET Core's server answers.
            await session.StartAsync(default);
            Assert.True(session.IsReady);

            var buffer = new byte[1024];
            var order = new OrderDescription
            {
                Request = OrderRequestKind.Status, Symbol = "BTCUSDT"u8, ClientOrderId = 5, RecvWindowMs = 5000, TimestampMs = 1,
            };
            Assert.True(session.TryWriteOrder(order, signer, buffer, out var frame, out _));
            Assert.Equal(WireSendResult.Sent, session.TrySend(buffer.AsSpan(frame), out _, out _));

            // The echo is our own request: no status, so not an answer.
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (session.UnparseableMessages == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.Equal(1, session.UnparseableMessages);
            Assert.Equal(0, sink.Answers);
            Assert.True(session.IsReady);
        }
    }

    private sealed class CountingSink : IOrderAnswerSink
    {
        public int Answers { get; private set; }

        public void OnAnswer(in OrderAnswer answer) => Answers++;

        public void OnConnectionLost(WirePath path, int connectionId, string reason)
        {
        }

        public void OnConnectionReady(WirePath path, int connectionId)
        {
        }
    }
}
