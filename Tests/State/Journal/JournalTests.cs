using System.Text;
using Engine.Model;
using Engine.State.Journal;

namespace Tests.State.Journal;

/// <summary>The write-ahead journal on real files: framing, replay, torn tails, corruption, rotation and compaction.</summary>
public sealed class JournalTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "journal-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute([]));
        var data = Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog");
        Assert.Equal(0x414FA339u, Crc32.Compute(data));
        Assert.Equal(Crc32.Compute(data), Crc32.Append(Crc32.Compute(data.AsSpan(0, 13)), data.AsSpan(13)));
    }

    [Fact]
    public void Replay_rebuilds_open_orders_positions_and_run_id()
    {
        var expected = WriteSession(_dir, FsyncPolicy.EveryRecord, complete: false);
        var state = JournalReader.Replay(_dir);
        Assert.Equal(7, state.LastRunId);
        Assert.Null(state.TornReason);
        Assert.Equal([2L], state.OpenOrders.Keys.Order());
        var open = state.OpenOrders[2];
        Assert.Equal("ETHUSDT", open.Symbol);
        Assert.Equal(OrderStatus.PartiallyFilled, open.Status);
        Assert.Equal(Quantity.Parse("0.4"u8), open.Filled);
        Assert.Equal(expected, state.Positions.All());
    }

    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    public void A_torn_last_record_is_reported_cut_and_ignored(int bytesLost)
    {
        var expected = WriteSession(_dir, FsyncPolicy.None, complete: true);
        var (_, path) = JournalReader.Segments(_dir)[^1];
        var full = new FileInfo(path).Length;
        using (var file = new FileStream(path, FileMode.Open))
        {
            file.SetLength(full - bytesLost);
        }

        var torn = File.ReadAllBytes(path);
        var state = JournalReader.Replay(_dir);
        Assert.NotNull(state.TornReason);
        Assert.True(state.TornBytes > 0);

        // The last record (the fill that completed order 2) is gone; everything before it is there.
        Assert.Equal(OrderStatus.PartiallyFilled, state.OpenOrders[2].Status);
        Assert.Equal(expected, state.Positions.All());
        Assert.Equal(full - bytesLost - state.TornBytes, new FileInfo(path).Length);

        // The cut bytes are kept aside, not thrown away.
        Assert.Equal(Path.Combine(_dir, JournalFolder.DamagedFolderName), Path.GetDirectoryName(state.TornKeptIn));
        Assert.Equal(torn[(int)(full - bytesLost - state.TornBytes)..], File.ReadAllBytes(state.TornKeptIn!));
        var again = JournalReader.Replay(_dir);
        Assert.Null(again.TornReason);
        Assert.Equal(state.Records, again.Records);
    }

    [Fact]
    public void A_flipped_bit_in_the_last_record_fails_its_crc_and_is_cut()
    {
        WriteSession(_dir, FsyncPolicy.None, complete: true);
        var (_, path) = JournalReader.Segments(_dir)[^1];
        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var state = JournalReader.Replay(_dir);
        Assert.Contains("CRC mismatch", state.TornReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Damage_in_an_older_segment_stops_the_replay_naming_file_and_offset()
    {
        var options = new JournalOptions { Directory = _dir, Fsync = FsyncPolicy.None };
        using (var writer = new JournalWriter(options, 0))
        {
            writer.Append(Run(1));
            writer.Commit();
        }

        using (var writer = new JournalWriter(options, 1))
        {
            writer.Append(Run(2));
            writer.Commit();
        }

        var first = JournalReader.Segments(_dir)[0].Path;
        var bytes = File.ReadAllBytes(first);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(first, bytes);
        var error = Assert.Throws<JournalDamagedException>(() => JournalReader.Replay(_dir));
        Assert.Contains(Path.GetFileName(first), error.Message, StringComparison.Ordinal);
        Assert.Contains("offset 0", error.Message, StringComparison.Ordinal);
        Assert.Equal((first, 0L), (error.SegmentPath, error.Offset));
        Assert.Equal(bytes, File.ReadAllBytes(first));
    }

    [Fact]
    public void Rotation_compacts_into_a_snapshot_and_replay_is_equal()
    {
        var expected = WriteSession(_dir, FsyncPolicy.Batched, complete: false);
        var before = JournalReader.Replay(_dir);
        var options = new JournalOptions { Directory = _dir, Fsync = FsyncPolicy.Batched, SegmentMaxBytes = 4096 };
        using (var writer = new JournalWriter(options, before.LastSegment))
        {
            var buffer = new byte[JournalCodec.MaxOrderRecordSize];
            for (var i = 0; !writer.RotationDue; i++)
            {
                writer.Append(buffer.AsSpan(0, JournalCodec.WriteRunStarted(buffer, 3)));
            }

            writer.RotateWithSnapshot(JournalCodec.WriteSnapshot(before.LastRunId, before.OpenOrders.Values, before.Positions.All()));
        }

        var segments = JournalReader.Segments(_dir);
        Assert.Single(segments);
        var after = JournalReader.Replay(_dir);
        Assert.Equal(before.LastRunId, after.LastRunId);
        Assert.Equal(expected, after.Positions.All());
        Assert.Equal(before.OpenOrders.Keys.Order(), after.OpenOrders.Keys.Order());
        var a = before.OpenOrders[2];
        var b = after.OpenOrders[2];
        Assert.Equal((a.Symbol, a.Side, a.Kind, a.Price, a.Quantity, a.Filled, a.FilledQuote, a.Status, a.OrderId, a.SignedTimestampMs),
            (b.Symbol, b.Side, b.Kind, b.Price, b.Quantity, b.Filled, b.FilledQuote, b.Status, b.OrderId, b.SignedTimestampMs));
    }

    [Fact]
    public void Batched_policy_groups_fsyncs_and_every_record_syncs_each_commit()
    {
        var everyDir = Path.Combine(_dir, "every");
        using (var writer = new JournalWriter(new JournalOptions { Directory = everyDir, Fsync = FsyncPolicy.EveryRecord }, 0))
        {
            for (var i = 0; i < 10; i++)
            {
                writer.Append(Run(i));
                writer.Commit();
            }

            Assert.Equal(10, writer.Fsyncs);
        }

        var batchedDir = Path.Combine(_dir, "batched");
        using (var writer = new JournalWriter(new JournalOptions { Directory = batchedDir, Fsync = FsyncPolicy.Batched, GroupCommitRecords = 5, GroupCommitInterval = TimeSpan.FromSeconds(10) }, 0))
        {
            for (var i = 0; i < 10; i++)
            {
                writer.Append(Run(i));
                writer.Commit();
            }

            Assert.Equal(2, writer.Fsyncs);
        }

        Assert.Equal(9, JournalReader.Replay(batchedDir).LastRunId);
    }

    private static byte[] Run(long id)
    {
        var buffer = new byte[16];
        return buffer[..JournalCodec.WriteRunStarted(buffer, id)];
    }

    /// <summary>Two runs: an order filled in two parts, one partly filled and open, then completed last; returns the positions expected before the last record.</summary>
    internal static IReadOnlyList<JournalPosition> WriteSession(string dir, FsyncPolicy fsync, bool complete)
    {
        var options = new JournalOptions { Directory = dir, Fsync = fsync };
        var buffer = new byte[JournalCodec.MaxOrderRecordSize];
        var btc = new JournalOrder { ClientOrderId = 1, Symbol = "BTCUSDT", Side = Side.Buy, Kind = OrderKind.Market, Quantity = Quantity.Parse("0.010"u8), SignedTimestampMs = 1000 };
        var eth = new JournalOrder { ClientOrderId = 2, Symbol = "ETHUSDT", Side = Side.Sell, Kind = OrderKind.Limit, TimeInForce = TimeInForce.Gtc, Price = Price.Parse("3400"u8), Quantity = Quantity.Parse("1"u8), SignedTimestampMs = 2000 };
        using (var writer = new JournalWriter(options, 0))
        {
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteRunStarted(buffer, 6)));
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteIntent(buffer, btc)));
            writer.Commit();
            btc.OrderId = 77;
            btc.Acknowledged = true;
            btc.Status = OrderStatus.PartiallyFilled;
            btc.Filled = Quantity.Parse("0.004"u8);
            btc.FilledQuote = Notional.Parse("260"u8);
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteUpdate(buffer, btc, Quantity.Parse("0.004"u8), Price.Parse("65000"u8))));
            btc.Status = OrderStatus.Filled;
            btc.Filled = Quantity.Parse("0.010"u8);
            btc.FilledQuote = Notional.Parse("650.06"u8);
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteUpdate(buffer, btc, Quantity.Parse("0.006"u8), Price.Parse("65010"u8))));
            writer.Commit();
        }

        using (var writer = new JournalWriter(options, JournalReader.Replay(dir).LastSegment))
        {
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteRunStarted(buffer, 7)));
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteIntent(buffer, eth)));
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteResent(buffer, 2, 2500)));
            eth.OrderId = 78;
            eth.Acknowledged = true;
            eth.Status = OrderStatus.PartiallyFilled;
            eth.Filled = Quantity.Parse("0.4"u8);
            eth.FilledQuote = Notional.Parse("1360"u8);
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteUpdate(buffer, eth, Quantity.Parse("0.4"u8), Price.Parse("3400"u8))));
            writer.Commit();
            var expected = JournalReader.Replay(dir).Positions.All();
            if (!complete)
            {
                return expected;
            }

            eth.Status = OrderStatus.Filled;
            eth.Filled = Quantity.Parse("1"u8);
            eth.FilledQuote = Notional.Parse("3400"u8);
            writer.Append(buffer.AsSpan(0, JournalCodec.WriteUpdate(buffer, eth, Quantity.Parse("0.6"u8), Price.Parse("3400"u8))));
            writer.Commit();
            var final = JournalReader.Replay(dir);
            Assert.Empty(final.OpenOrders);
            Assert.Equal(Quantity.Parse("-1"u8), final.Positions.Get("ETHUSDT").Amount);

            // Positions as a plain fold of the fills says: BTC 0.010 at the volume-weighted 65006, ETH −0.4 at 3400 (before the last record).
            Assert.Equal(new JournalPosition("BTCUSDT", Quantity.Parse("0.010"u8), Price.Parse("65006"u8), Notional.Zero), expected[0]);
            Assert.Equal(new JournalPosition("ETHUSDT", Quantity.Parse("-0.4"u8), Price.Parse("3400"u8), Notional.Zero), expected[1]);
            return expected;
        }
    }
}
