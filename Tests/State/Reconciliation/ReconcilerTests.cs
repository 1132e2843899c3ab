using System.Globalization;
using Engine.Model;
using Engine.State.Reconciliation;
using Microsoft.Extensions.Logging;
using Tests.Exchange.Rest;

namespace Tests.State.Reconciliation;

/// <summary>Reconciliation against the simulator: differences made behind the engine's back are found, reported and fixed.</summary>
public sealed class ReconcilerTests
{
    [Fact]
    public async Task A_position_changed_behind_the_engines_back_is_found_reported_and_fixed_and_a_dry_run_changes_nothing()
    {
        using var logs = new CollectingLoggerProvider();
        using var factory = logs.CreateFactory();
        await using var h = await StateHarness.StartAsync(logs: factory);
        var stream = h.Stream();
        await stream.StartAsync(CancellationToken.None);
        await StateHarness.WaitUntilAsync(() => h.Ledger.Ups == 1, "the stream to connect");

        await h.PlaceAsync("BTCUSDT", Side.Buy, OrderKind.Market, "0.5");
        await StateHarness.WaitUntilAsync(h.Ledger.AllTerminal, "the engine's own order");

        // Behind the engine's back: someone trades on the same account with their own ids.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await h.Direct.OrderAsync("symbol=ETHUSDT&side=SELL&type=MARKET&quantity=1.3&newClientOrderId=manual-1")).Status);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await h.Direct.OrderAsync("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.2&newClientOrderId=manual-2")).Status);
        await StateHarness.WaitUntilAsync(() => h.Ledger.ForeignUpdates >= 4, "the foreign orders on the stream");
        await StateHarness.WaitUntilAsync(() => h.Ring.Cursor == h.Tail.Sequence.Value, "the tail to drain");
        var btcBefore = h.Book.Get(h.Id("BTCUSDT"));
        Assert.Equal(Quantity.FromMantissa(50000000), btcBefore.Amount);
        Assert.True(h.Book.Get(h.Id("ETHUSDT")).Amount.IsZero);

        var reconciler = h.Reconciler();
        var accountsBefore = h.Accounts.Count;
        var dry = await reconciler.ReconcileAsync(dryRun: true, CancellationToken.None);
        Assert.True(dry.Succeeded, dry.Error);
        Assert.True(dry.DryRun);
        Assert.Equal(["BTCUSDT", "ETHUSDT"], dry.Positions.Select(p => p.Symbol).OrderBy(s => s, StringComparer.Ordinal));
        Assert.All(dry.Mismatches, m => Assert.Equal(string.Empty, m.Action));
        Assert.All(dry.Positions, p => Assert.Null(p.AfterAmount));
        Assert.Equal(0, h.StageCounters.Sets);
        Assert.Equal(btcBefore, h.Book.Get(h.Id("BTCUSDT")));
        Assert.True(h.Book.Get(h.Id("ETHUSDT")).Amount.IsZero);
        Assert.Equal(accountsBefore, h.Accounts.Count);
        Assert.Equal(0, reconciler.Counters.LastSuccessUnixMs);

        var run = await reconciler.ReconcileAsync(dryRun: false, CancellationToken.None);
        Assert.True(run.Succeeded, run.Error);
        var risk = (await h.Rest.GetPositionRiskAsync()).GetValueOrThrow();
        var btcVenue = risk.Single(r => r.Symbol == "BTCUSDT");
        var ethVenue = risk.Single(r => r.Symbol == "ETHUSDT");
        var btc = run.Positions.Single(p => p.Symbol == "BTCUSDT");
        Assert.Equal(Quantity.FromMantissa(50000000), btc.EngineAmount);
        Assert.Equal(btcBefore.EntryPrice, btc.EngineEntryPrice);
        Assert.Equal(btcVenue.PositionAmt, btc.VenueAmount);
        Assert.Equal(Quantity.FromMantissa(70000000), btc.AfterAmount);
        Assert.Equal(btcVenue.EntryPrice, btc.AfterEntryPrice);
        var eth = run.Positions.Single(p => p.Symbol == "ETHUSDT");
        Assert.True(eth.EngineAmount.IsZero);
        Assert.Equal(Quantity.FromMantissa(-130000000), eth.AfterAmount);
        Assert.Equal(ethVenue.EntryPrice, eth.AfterEntryPrice);
        Assert.All(run.Mismatches, m => Assert.StartsWith("set to the venue's position (run ", m.Action, StringComparison.Ordinal));
        Assert.Contains(run.Mismatches, m => m.What == "position ETHUSDT" && m.Engine == "flat" && m.Venue.StartsWith("-1.3 @ ", StringComparison.Ordinal));

        // The book holds the venue's positions now, with the run's id on the Position events.
        Assert.Equal(btcVenue.PositionAmt, h.Book.Get(h.Id("BTCUSDT")).Amount);
        Assert.Equal(ethVenue.PositionAmt, h.Book.Get(h.Id("ETHUSDT")).Amount);
        Assert.Equal(2, h.StageCounters.Sets);
        Assert.Equal(2, reconciler.Counters.PositionCorrections);
        Assert.Equal(2, reconciler.Counters.Mismatches);
        Assert.True(reconciler.Counters.LastSuccessUnixMs > 0);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Text.StartsWith("Position mismatches detected: 2 in run " + run.RunId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

        // The Account event from the account endpoint reached the tail.
        var account = (await h.Rest.GetAccountAsync()).GetValueOrThrow().Assets.Single(a => a.Asset == "USDT");
        await StateHarness.WaitUntilAsync(() => h.Accounts.Count > accountsBefore, "the reconciler's Account event");
        Assert.Equal(account.WalletBalance, h.Accounts.Wallet);
        Assert.Equal(run.WalletBalance, h.Accounts.Wallet);
        Assert.Equal(run.Equity, h.Accounts.Equity);

        var again = await reconciler.ReconcileAsync(dryRun: false, CancellationToken.None);
        Assert.True(again.Clean, string.Join("; ", again.Mismatches));
        Assert.Equal(2, again.PositionsCompared);
    }

    [Fact]
    public async Task Orders_unknown_to_either_side_are_settled_and_foreign_orders_left_alone()
    {
        await using var h = await StateHarness.StartAsync();
        var stream = h.Stream();
        await stream.StartAsync(CancellationToken.None);
        await StateHarness.WaitUntilAsync(() => h.Ledger.Ups == 1, "the stream to connect");
        var (bid, ask) = await h.Direct.BookAsync("BTCUSDT");
        var far = (bid * 0.97m).ToString("F1", CultureInfo.InvariantCulture);
        var farAsk = (ask * 1.03m).ToString("F1", CultureInfo.InvariantCulture);

        // 1. An order the engine thinks open, canceled at the venue while the engine was not listening.
        var resting = await h.PlaceAsync("BTCUSDT", Side.Buy, OrderKind.Limit, "0.01", far);
        await StateHarness.WaitUntilAsync(() => h.Ledger.CopyOpenOrders([]) == 1, "the resting order acknowledged");
        await stream.StopAsync(CancellationToken.None);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await h.Direct.SignedAsync(HttpMethod.Delete, "fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=" + resting.ClientOrderId)).Status);

        // 2. An open order in the engine's id form that the engine does not know (a previous run's, say).
        Assert.Equal(System.Net.HttpStatusCode.OK, (await h.Direct.OrderAsync("symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.01&price=" + farAsk + "&newClientOrderId=e99000000001")).Status);

        // 3. A foreign open order.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await h.Direct.OrderAsync("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=" + far + "&newClientOrderId=by-hand")).Status);

        var reconciler = h.Reconciler();
        var dry = await reconciler.ReconcileAsync(dryRun: true, CancellationToken.None);
        Assert.True(dry.Succeeded, dry.Error);
        Assert.Equal(
            [MismatchKind.OrderNotOpenAtVenue, MismatchKind.OrderUnknownToEngine, MismatchKind.ForeignOrder],
            dry.Mismatches.Select(m => m.Kind).Order());
        Assert.Equal(OrderStatus.New, h.Ledger.Of(long.Parse(resting.ClientOrderId.AsSpan(1), CultureInfo.InvariantCulture)).Status);
        Assert.Equal(2, (await h.Rest.GetOpenOrdersAsync("BTCUSDT")).GetValueOrThrow().Length);

        var run = await reconciler.ReconcileAsync(dryRun: false, CancellationToken.None);
        Assert.True(run.Succeeded, run.Error);
        var byKind = run.Mismatches.ToDictionary(m => m.Kind);
        Assert.Equal("order BTCUSDT " + resting.ClientOrderId, byKind[MismatchKind.OrderNotOpenAtVenue].What);
        Assert.Equal("venue's state handed to the order ledger", byKind[MismatchKind.OrderNotOpenAtVenue].Action);
        Assert.Equal("canceled", byKind[MismatchKind.OrderUnknownToEngine].Action);
        Assert.Equal("left alone: not placed by the engine", byKind[MismatchKind.ForeignOrder].Action);

        // The ledger took the venue's word; the stray order of ours is gone, the foreign one stays.
        Assert.Equal(OrderStatus.Canceled, h.Ledger.Of(long.Parse(resting.ClientOrderId.AsSpan(1), CultureInfo.InvariantCulture)).Status);
        var open = (await h.Rest.GetOpenOrdersAsync("BTCUSDT")).GetValueOrThrow();
        Assert.Equal(["by-hand"], open.Select(o => o.ClientOrderId));
        Assert.Equal(1, reconciler.Counters.OrdersCanceled);

        var again = await reconciler.ReconcileAsync(dryRun: false, CancellationToken.None);
        Assert.Equal([MismatchKind.ForeignOrder], again.Mismatches.Select(m => m.Kind));
    }

    [Fact]
    public async Task It_runs_at_start_and_on_its_interval_and_a_venue_failure_is_a_failed_run()
    {
        await using var h = await StateHarness.StartAsync();
        var reconciler = h.Reconciler(o =>
        {
            o.RunAtStart = true;
            o.Interval = TimeSpan.FromSeconds(1);
        });
        await reconciler.StartAsync(CancellationToken.None);
        await StateHarness.WaitUntilAsync(() => reconciler.Counters.RunsCompleted >= 3, "a run at start and two scheduled ones", 10);
        Assert.True(reconciler.LastReport!.Clean);
        await StateHarness.WaitUntilAsync(() => h.Accounts.Count >= 3, "an Account event per run");
        Assert.Equal(Notional.FromInteger(10000), h.Accounts.Wallet);
        Assert.Equal(Notional.FromInteger(10000), h.Accounts.Equity);

        // The venue answers 500s: the run fails, says why, and the last success time stays where it was.
        await reconciler.StopAsync(CancellationToken.None);
        var lastSuccess = reconciler.Counters.LastSuccessUnixMs;
        await h.Direct.AdminAsync("fail?count=3&status=500");
        var failed = await reconciler.ReconcileAsync(dryRun: false, CancellationToken.None);
        Assert.False(failed.Succeeded);
        Assert.StartsWith("positionRisk: ", failed.Error, StringComparison.Ordinal);
        Assert.True(reconciler.Counters.LastRunFailed);
        Assert.Equal(1, reconciler.Counters.RunsFailed);
        Assert.Equal(lastSuccess, reconciler.Counters.LastSuccessUnixMs);
    }
}
