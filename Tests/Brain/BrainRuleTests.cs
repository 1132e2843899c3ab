using Engine.Brain;
using Engine.Model;
using static Tests.Brain.BrainDriver;

namespace Tests.Brain;

/// <summary>The brain's rules, one by one, driven through real slots and the order-update contract.</summary>
public sealed class BrainRuleTests
{
    private const int Warmup = 40;
    private const double Spike = 20;

    [Fact]
    public void A_flat_history_gives_no_entry_and_a_volume_spike_gives_a_long_with_its_confidence()
    {
        var d = new BrainDriver(TestOptions(o => o.PendingTimeout = TimeSpan.FromMinutes(5)), 1);
        Assert.Empty(d.Warm(0, Warmup, 1));
        Assert.True(d.Brain.TryGetReading(S(1), out var flat));
        Assert.Equal(1.0, flat.Agreement);
        Assert.True(flat.Confidence is >= 0.8 and < 0.86, $"flat confidence {flat.Confidence}");

        var e = d.Kline(1, Warmup, Spike);
        var intent = Assert.Single(Intents(e));
        Assert.True(d.Brain.TryGetReading(S(1), out var spike));
        Assert.Equal(1.0, spike.Confidence); // every vote long and the volume far above its history
        Assert.Equal(IntentAction.Enter, intent.Action);
        Assert.Equal(Side.Buy, intent.Side);
        Assert.Equal(IntentReason.Signal, intent.Reason);
        Assert.Equal(10_000, intent.ConfidenceBasisPoints);
        Assert.False(intent.ReduceOnly);
        Assert.Equal(TrendCandle(Warmup).Close, intent.ReferencePrice);
        Assert.True(intent.StopDistance.Mantissa > 0 && intent.StopDistance.Mantissa % 1_000_000 == 0, "stop on the 0.01 tick");
        Assert.True(intent.Quantity.Mantissa > 0 && intent.Quantity.Mantissa % 100_000 == 0, "quantity on the 0.001 step");
        Assert.Equal(1, d.Brain.Counters[BrainCounter.Entries]);

        // While the entry is pending the symbol does not enter again.
        Assert.Empty(Intents(d.Kline(1, Warmup + 1, Spike)));
        Assert.Equal(1, d.Brain.Counters[BrainCounter.Entries]);
    }

    [Fact]
    public void Pending_entries_count_against_the_limit_and_cannot_be_rotated_out()
    {
        var d = new BrainDriver(TestOptions(), 4);
        d.Warm(0, Warmup, 1, 2, 3, 4);
        var entries = new List<OrderIntent>();
        for (var s = 1; s <= 4; s++)
        {
            entries.AddRange(Intents(d.Kline(s, Warmup, Spike)));
        }

        Assert.Equal([1, 2, 3], entries.Select(i => (int)i.Symbol.Value));
        Assert.Equal(1, d.Brain.Counters[BrainCounter.RotationsDeclined]);
    }

    [Fact]
    public void A_stronger_signal_rotates_out_the_weakest_position_and_a_tie_goes_to_the_oldest()
    {
        var d = new BrainDriver(TestOptions(), 4);
        var entries = Enter3(d);

        // Filled in the order C, A, B: all score the same below, so C, opened first, is the one to go.
        d.Fill(entries[2], CloseTime(Warmup) + 1_000);
        d.Fill(entries[0], CloseTime(Warmup) + 2_000);
        d.Fill(entries[1], CloseTime(Warmup) + 3_000);

        // Past the 5-minute minimum hold, three identical flat minutes for A, B, C and a spike for D.
        d.Warm(Warmup + 1, Warmup + 7, 1, 2, 3);
        var minute = Warmup + 7;
        d.Warm(minute, minute + 1, 1, 2, 3);
        d.Warm(Warmup + 1, minute, 4);
        var rotation = Intents(d.Kline(4, minute, 40));

        Assert.Equal(2, rotation.Count);
        Assert.Equal((IntentAction.Exit, 3, Side.Sell, IntentReason.RotatedOut, true), (rotation[0].Action, (int)rotation[0].Symbol.Value, rotation[0].Side, rotation[0].Reason, rotation[0].ReduceOnly));
        Assert.Equal(entries[2].Quantity, rotation[0].Quantity);
        Assert.Equal((IntentAction.Enter, 4, Side.Buy, IntentReason.RotationEntry), (rotation[1].Action, (int)rotation[1].Symbol.Value, rotation[1].Side, rotation[1].Reason));
        Assert.Equal(1, d.Brain.Counters[BrainCounter.Rotations]);
    }

    [Fact]
    public void A_signal_equal_to_the_weakest_score_plus_the_margin_is_ignored_and_counted()
    {
        // Margin 0 and a fourth symbol with exactly the others' history: its confidence equals their scores.
        var d = new BrainDriver(TestOptions(o => o.RotationMargin = 0), 4);
        var entries = Enter3(d);
        foreach (var intent in entries)
        {
            d.Fill(intent, CloseTime(Warmup) + 1_000);
        }

        var minute = Warmup + 7;
        d.Warm(Warmup + 1, minute, 1, 2, 3, 4);
        var declinedBefore = d.Brain.Counters[BrainCounter.RotationsDeclined];
        var signalsBefore = d.Brain.Counters[BrainCounter.EntrySignals];
        var intents = new List<OrderIntent>();
        for (var s = 1; s <= 4; s++)
        {
            intents.AddRange(Intents(d.Kline(s, minute, Spike)));
        }

        Assert.Empty(intents);
        Assert.True(d.Brain.TryGetReading(S(4), out var reading));
        Assert.True(reading.Confidence >= 0.9, $"D's confidence {reading.Confidence} is an entry signal");
        Assert.Equal(reading.Confidence, reading.ScoreFor(1)); // = the score A, B and C were just given
        Assert.Equal(signalsBefore + 1, d.Brain.Counters[BrainCounter.EntrySignals]);
        Assert.Equal(declinedBefore + 1, d.Brain.Counters[BrainCounter.RotationsDeclined]);
    }

    [Fact]
    public void A_position_younger_than_the_minimum_hold_is_not_rotated_out()
    {
        var d = new BrainDriver(TestOptions(), 4);
        var entries = Enter3(d);
        foreach (var intent in entries)
        {
            d.Fill(intent, CloseTime(Warmup) + 1_000);
        }

        // Two minutes later D spikes: everyone is younger than 5 minutes.
        d.Warm(Warmup + 1, Warmup + 3, 1, 2, 3, 4);
        var declined = d.Brain.Counters[BrainCounter.RotationsDeclined];
        Assert.Empty(Intents(d.Kline(4, Warmup + 3, 40)));
        Assert.Equal(declined + 1, d.Brain.Counters[BrainCounter.RotationsDeclined]);

        // With the hold at zero the same signal rotates.
        var quick = new BrainDriver(TestOptions(o => o.MinHold = TimeSpan.Zero), 4);
        foreach (var intent in Enter3(quick))
        {
            quick.Fill(intent, CloseTime(Warmup) + 1_000);
        }

        quick.Warm(Warmup + 1, Warmup + 3, 1, 2, 3, 4);
        Assert.Equal(2, Intents(quick.Kline(4, Warmup + 3, 40)).Count);
    }

    [Fact]
    public void A_failed_order_starts_a_cooldown_that_blocks_entries_and_ends_on_time()
    {
        var d = new BrainDriver(TestOptions(), 1);
        d.Warm(0, Warmup, 1);
        var entry = Assert.Single(Intents(d.Kline(1, Warmup, Spike)));

        var rejectedAt = CloseTime(Warmup) + 1_000;
        var rejected = d.Reject(entry, rejectedAt);
        Assert.Equal(BrainNotes.CooldownStarted, rejected.Notes & BrainNotes.CooldownStarted);
        Assert.Equal(1, d.Brain.Counters[BrainCounter.CooldownsStarted]);
        Assert.Equal(1, d.Brain.Counters[BrainCounter.ActiveCooldowns]);
        Assert.Equal(rejectedAt + 60_000, d.Brain.Counters.CooldownUntilMs(S(1)));

        // The next minute's spike falls inside the 60 s: refused and counted.
        var refused = d.Kline(1, Warmup + 1, Spike);
        Assert.Empty(Intents(refused));
        Assert.True((refused.Notes & BrainNotes.EntryRefused) != 0);
        Assert.Equal(1, d.Brain.Counters[BrainCounter.RefusedCooldown]);

        // Any event at or after the end closes it, visibly.
        var ended = d.Trade(1, rejectedAt + 60_000, TrendCandle(Warmup + 1).Close);
        Assert.True((ended.Notes & BrainNotes.CooldownEnded) != 0);
        Assert.Equal(1, d.Brain.Counters[BrainCounter.CooldownsEnded]);
        Assert.Equal(0, d.Brain.Counters[BrainCounter.ActiveCooldowns]);
        Assert.Equal(0, d.Brain.Counters.CooldownUntilMs(S(1)));

        Assert.Single(Intents(d.Kline(1, Warmup + 2, Spike)));
    }

    [Theory]
    [InlineData(OrderStatus.Canceled, false, false)]
    [InlineData(OrderStatus.Expired, true, false)]
    [InlineData(OrderStatus.Expired, false, true)]
    [InlineData(OrderStatus.Rejected, false, true)]
    public void Only_an_order_that_failed_without_a_fill_starts_a_cooldown(OrderStatus status, bool partlyFilled, bool cooldown)
    {
        var d = new BrainDriver(TestOptions(), 1);
        d.Warm(0, Warmup, 1);
        var entry = Assert.Single(Intents(d.Kline(1, Warmup, Spike)));
        var e = default(MarketEvent);
        e.Begin(MarketEventKind.OrderUpdate, entry.Symbol, CloseTime(Warmup) + 1, 0);
        e.OrderUpdate.Side = entry.Side;
        e.OrderUpdate.Status = status;
        e.OrderUpdate.Quantity = entry.Quantity;
        if (partlyFilled)
        {
            e.OrderUpdate.FilledQuantity = BrainData.Q("0.001");
            e.OrderUpdate.LastFillQuantity = BrainData.Q("0.001");
            e.OrderUpdate.LastFillPrice = entry.ReferencePrice;
        }

        e = d.Send(e);
        Assert.Equal(cooldown, (e.Notes & BrainNotes.CooldownStarted) != 0);
        Assert.Equal(cooldown ? 1 : 0, d.Brain.Counters[BrainCounter.ActiveCooldowns]);
        Assert.Equal(partlyFilled ? BrainData.Q("0.001") : Quantity.Zero, d.Brain.PositionOf(S(1)));
    }

    [Fact]
    public void Exits_are_allowed_during_a_cooldown_and_while_paused()
    {
        var d = new BrainDriver(TestOptions(), 1);
        d.Warm(0, Warmup, 1);
        var entry = Assert.Single(Intents(d.Kline(1, Warmup, Spike)));
        d.Fill(entry, CloseTime(Warmup) + 1);
        Assert.Equal(entry.Quantity, d.Brain.PositionOf(S(1)));

        // A failed exit puts the symbol in cooldown; the pause stops entries only.
        var exit = new OrderIntent { Symbol = entry.Symbol, Side = Side.Sell, Quantity = entry.Quantity, Flags = IntentFlags.ReduceOnly, ReferencePrice = entry.ReferencePrice };
        d.Reject(exit, CloseTime(Warmup) + 2);
        Assert.Equal(1, d.Brain.Counters[BrainCounter.ActiveCooldowns]);
        d.Command(CommandKind.Pause, CloseTime(Warmup) + 3);
        Assert.True(d.Brain.Counters.Paused);

        // The failed exit holds the next one back for ExitRetryDelay (1 s), not for the cooldown.
        var stopPrice = entry.ReferencePrice - entry.StopDistance;
        var retryAt = CloseTime(Warmup) + 2 + 1_000;
        var hit = Intents(d.Trade(1, retryAt, stopPrice));
        var stop = Assert.Single(hit);
        Assert.Equal((IntentAction.Exit, Side.Sell, IntentReason.StopHit, true), (stop.Action, stop.Side, stop.Reason, stop.ReduceOnly));
        Assert.Equal(entry.Quantity, stop.Quantity);

        // Exit fills: flat again; still paused, so a spike is refused.
        d.Fill(stop, retryAt + 1);
        Assert.True(d.Brain.PositionOf(S(1)).IsZero);
        Assert.Empty(Intents(d.Kline(1, Warmup + 2, Spike)));
        Assert.Equal(1, d.Brain.Counters[BrainCounter.RefusedPaused]);
        d.Command(CommandKind.Resume, CloseTime(Warmup + 2) + 1);
        Assert.Single(Intents(d.Kline(1, Warmup + 3, Spike)));
    }

    [Fact]
    public void A_refused_stop_exit_is_not_resent_on_every_trade_but_once_the_retry_delay_has_passed()
    {
        var d = new BrainDriver(TestOptions(), 1);
        d.Warm(0, Warmup, 1);
        var entry = Assert.Single(Intents(d.Kline(1, Warmup, Spike)));
        d.Fill(entry, CloseTime(Warmup) + 1);
        var stopPrice = entry.ReferencePrice - entry.StopDistance;

        var t = CloseTime(Warmup) + 10;
        var first = Assert.Single(Intents(d.Trade(1, t, stopPrice)));
        Assert.Equal(IntentReason.StopHit, first.Reason);

        // The venue refuses it (a 429 back-off answers every order this way): 50 trades at the stop within the next
        // second send nothing; the first trade after it sends the exit again.
        d.Reject(first, t + 1);
        for (var i = 0; i < 50; i++)
        {
            Assert.Empty(Intents(d.Trade(1, t + 2 + (i * 19), stopPrice)));
        }

        var again = Assert.Single(Intents(d.Trade(1, t + 1 + 1_000, stopPrice)));
        Assert.Equal((IntentAction.Exit, IntentReason.StopHit, entry.Quantity), (again.Action, again.Reason, again.Quantity));
    }

    [Fact]
    public void Flatten_drops_pending_entries_and_exits_every_position_two_per_slot()
    {
        var d = new BrainDriver(TestOptions(o => o.MaxPositions = 4), 4);
        d.Warm(0, Warmup, 1, 2, 3, 4);
        var entries = new List<OrderIntent>();
        for (var s = 1; s <= 4; s++)
        {
            entries.AddRange(Intents(d.Kline(s, Warmup, Spike)));
        }

        Assert.Equal(4, entries.Count);
        for (var i = 0; i < 3; i++)
        {
            d.Fill(entries[i], CloseTime(Warmup) + 1);
        }

        var t = CloseTime(Warmup) + 10;
        var first = Intents(d.Command(CommandKind.Flatten, t));
        Assert.Equal(2, first.Count);
        Assert.Equal(1, d.Brain.Counters[BrainCounter.EntriesDropped]);
        Assert.True(d.Brain.Counters.Paused && d.Brain.Counters.Flattening);
        var second = Intents(d.Trade(1, t + 1, TrendCandle(Warmup).Close));
        var all = first.Concat(second).ToList();
        Assert.Equal(3, all.Count);
        Assert.All(all, i => Assert.Equal((IntentAction.Exit, IntentReason.Flatten, true), (i.Action, i.Reason, i.ReduceOnly)));
        Assert.Equal([1, 2, 3], all.Select(i => (int)i.Symbol.Value).Order());

        // The dropped entry fills late: it is closed too.
        var late = Assert.Single(Intents(d.Fill(entries[3], t + 2)));
        Assert.Equal((4, IntentAction.Exit, IntentReason.Flatten), ((int)late.Symbol.Value, late.Action, late.Reason));

        // Nothing new enters until a resume.
        Assert.DoesNotContain(d.Warm(Warmup + 1, Warmup + 2, 1, 2, 3, 4), i => i.Action == IntentAction.Enter);
    }

    [Fact]
    public void A_position_event_replaces_the_position_built_from_fills_and_takes_or_frees_a_slot()
    {
        var d = new BrainDriver(TestOptions(), 4);
        var entries = Enter3(d);
        foreach (var entry in entries)
        {
            d.Fill(entry, CloseTime(Warmup) + 1);
        }

        var t = CloseTime(Warmup) + 100;

        // Reconciliation: the venue says symbol 1 is flat (closed behind the engine's back) and symbol 4 is short.
        d.Position(1, Quantity.Zero, Price.Zero, t);
        d.Position(4, -entries[0].Quantity, Px(150), t + 1, PositionSource.Journal);
        Assert.Equal(Quantity.Zero, d.Brain.PositionOf(S(1)));
        Assert.Equal(-entries[0].Quantity, d.Brain.PositionOf(S(4)));
        Assert.Equal(2, d.Brain.Counters[BrainCounter.PositionsReplaced]);

        // The same position again changes nothing.
        d.Position(4, -entries[0].Quantity, Px(150), t + 2);
        Assert.Equal(2, d.Brain.Counters[BrainCounter.PositionsReplaced]);

        // Flatten closes the adopted short too: a reduce-only buy for its whole size.
        var exits = Intents(d.Command(CommandKind.Flatten, t + 3)).Concat(Intents(d.Trade(2, t + 4, TrendCandle(Warmup).Close))).ToList();
        Assert.Equal([2, 3, 4], exits.Select(i => (int)i.Symbol.Value).Order());
        var short4 = Assert.Single(exits, i => i.Symbol == S(4));
        Assert.Equal((Side.Buy, true, entries[0].Quantity), (short4.Side, short4.ReduceOnly, short4.Quantity));
    }

    [Fact]
    public void Back_filled_candles_feed_the_indicators_but_decide_nothing_until_a_live_candle()
    {
        var d = new BrainDriver(TestOptions(), 1);
        for (var m = 0; m < Warmup; m++)
        {
            var history = BrainData.KlineEvent(S(1), TrendCandle(m));
            history.Candle.IsBackfilled = true;
            Assert.Equal(0, d.Send(history).IntentCount);
        }

        // The spike that enters on a live candle (first test) is ignored when it is history...
        var stale = BrainData.KlineEvent(S(1), TrendCandle(Warmup, Spike));
        stale.Candle.IsBackfilled = true;
        Assert.Equal(0, d.Send(stale).IntentCount);
        Assert.Equal(Warmup + 1, d.Brain.Counters[BrainCounter.BackfilledCandles]);
        Assert.Equal(0, d.Brain.Counters[BrainCounter.EntrySignals]);
        Assert.True(d.Brain.TryGetReading(S(1), out _));

        // ...and the next live candle, with the warmed history, decides.
        var live = Assert.Single(Intents(d.Kline(1, Warmup + 1, Spike)));
        Assert.Equal(IntentAction.Enter, live.Action);
    }

    [Fact]
    public void Equity_from_account_events_sizes_the_next_entry()
    {
        var small = new BrainDriver(TestOptions(), 1);
        small.Warm(0, Warmup, 1);
        var q1 = Assert.Single(Intents(small.Kline(1, Warmup, Spike))).Quantity;

        var large = new BrainDriver(TestOptions(), 1);
        large.Account(Notional.Parse("20000"u8), 1);
        Assert.Equal(Notional.Parse("20000"u8), large.Brain.Counters.Equity);
        large.Warm(0, Warmup, 1);
        var q2 = Assert.Single(Intents(large.Kline(1, Warmup, Spike))).Quantity;

        // Twice the equity risks twice as much (each rounded down to the 0.001 step once).
        Assert.InRange(q2.Mantissa - (2 * q1.Mantissa), 0, 2 * 100_000);
    }

    [Fact]
    public void A_pending_entry_that_hears_nothing_is_dropped_after_the_timeout()
    {
        var d = new BrainDriver(TestOptions(o => o.MaxPositions = 1), 2);
        d.Warm(0, Warmup, 1, 2);
        Assert.Single(Intents(d.Kline(1, Warmup, Spike)));
        Assert.Empty(Intents(d.Kline(2, Warmup, Spike)));
        d.Trade(1, CloseTime(Warmup) + 30_000, TrendCandle(Warmup).Close);
        Assert.Equal(1, d.Brain.Counters[BrainCounter.PendingTimeouts]);
        Assert.Single(Intents(d.Kline(2, Warmup + 1, Spike)));
    }

    [Fact]
    public void Events_of_symbols_beyond_the_capacity_are_counted_and_ignored()
    {
        var d = new BrainDriver(TestOptions(), 1);
        var e = d.Send(BrainData.TradeEvent(S(200), 1, BrainData.P("1"), BrainData.Q("1")));
        Assert.Equal(0, e.IntentCount);
        Assert.Equal(1, d.Brain.Counters[BrainCounter.UnknownSymbols]);
    }

    private static List<OrderIntent> Enter3(BrainDriver d)
    {
        d.Warm(0, Warmup, 1, 2, 3, 4);
        var entries = new List<OrderIntent>();
        for (var s = 1; s <= 3; s++)
        {
            entries.AddRange(Intents(d.Kline(s, Warmup, Spike)));
        }

        Assert.Equal(3, entries.Count);
        // D gets the same minute (the same history as the others) but every slot is held by a pending entry.
        Assert.Empty(Intents(d.Kline(4, Warmup, Spike)));
        return entries;
    }
}
