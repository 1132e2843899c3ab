using Engine.Control.V1;
using Grpc.Core;
using Tests.Control;

namespace Tests.Hostile;

/// <summary>
/// A hostile control-plane client: a request far larger than any of ours, a symbol of kilobytes with line breaks, reasons
/// with characters that would forge or disguise a log line. Each is refused with a bounded status message that never
/// echoes the input as given, and the engine keeps serving.
/// </summary>
public sealed class RpcInputBoundsTests(RunningEngine fixture) : IClassFixture<RunningEngine>
{
    private ControlClient Client => fixture.Client;

    [Fact]
    public async Task ListOrders_with_an_unbounded_symbol_is_refused_without_echoing_it()
    {
        var hostile = "btc\nusdt" + new string('A', 10_000);
        var refused = await Assert.ThrowsAsync<RpcException>(() => Client.Control.ListOrdersAsync(new ListOrdersRequest { Symbol = hostile }, deadline: ControlClient.Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.True(refused.Status.Detail.Length < 300, refused.Status.Detail);
        Assert.DoesNotContain('\n', refused.Status.Detail);
        var shown = "btc?usdt" + new string('A', Engine.Model.SymbolTable.MaxNameLength - 8);
        Assert.Contains($"'{shown}…' (10008 characters)", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_larger_than_any_of_ours_is_refused_unread()
    {
        var huge = new string('A', 1024 * 1024);
        var refused = await Assert.ThrowsAsync<RpcException>(() => Client.Control.ListOrdersAsync(new ListOrdersRequest { Symbol = huge }, deadline: ControlClient.Deadline).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.DoesNotContain("AAAA", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("paragraph\u2029forged line")]
    [InlineData("line\u2028separator")]
    [InlineData("right-to-left \u202Eoverride")]
    [InlineData("zero\u200Bwidth")]
    public async Task Reasons_that_would_forge_or_disguise_a_log_line_are_refused(string reason)
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => Client.Control.PauseAsync(new PauseRequest { Reason = reason }, deadline: ControlClient.Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.DoesNotContain(reason, refused.Status.Detail, StringComparison.Ordinal);
        Assert.True((await Client.Control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline)).Overall == HealthState.Serving);
    }

    [Fact]
    public async Task An_ordinary_reason_in_any_script_is_taken()
    {
        var reply = await Client.Control.PauseAsync(new PauseRequest { Reason = "maintenance — Wartung 保守" }, deadline: ControlClient.Deadline);
        Assert.Equal("Pause", reply.Command);
        await Client.Control.ResumeAsync(new ResumeRequest { Reason = "done" }, deadline: ControlClient.Deadline);
    }
}
