using System.Globalization;
using Engine.Control.V1;
using Engine.State.Journal;
using Grpc.Net.Client;
using Simulator;
using Tests.Control;
using Tests.Hosting;
using Tests.Simulator;

namespace Tests.Hostile;

/// <summary>
/// Damage inside the journal is told apart from a torn tail by real engine processes: a flipped bit in the middle of the
/// last segment refuses the start (exit 2, file and offset named, nothing changed, nothing deleted); with
/// <c>--recover-from-venue</c> the damaged journal is kept aside and the engine starts from the venue's positions, which
/// its new journal then holds.
/// </summary>
public sealed class JournalCorruptionTests
{
    [Fact]
    public async Task A_flipped_bit_in_the_middle_of_the_last_segment_refuses_the_start_naming_file_and_offset()
    {
        await using var sim = await SimulatorHost.StartAsync(SimClient.Options(symbols: 20));
        var folder = JournalFixtures.NewFolder();
        try
        {
            var (_, last) = JournalFixtures.WriteTwoRuns(folder);
            var offset = JournalFixtures.Damage(last, record: 2);
            var before = JournalFixtures.Contents(folder);
            using var engine = EngineProcess.LiveAgainst(sim, folder);
            var line = JournalFixtures.Refusal(engine);
            Assert.Contains($"journal segment {last} is damaged at offset {offset} (CRC mismatch) and an intact record follows", line, StringComparison.Ordinal);
            Assert.Contains("--recover-from-venue", line, StringComparison.Ordinal);
            Assert.DoesNotContain("torn last record", engine.Output, StringComparison.Ordinal);
            Assert.Equal(before, JournalFixtures.Contents(folder));
        }
        finally
        {
            JournalFixtures.DeleteFolder(folder);
        }
    }

    [Fact]
    public async Task With_recover_from_venue_the_damaged_journal_is_kept_aside_and_the_venues_positions_are_taken()
    {
        await using var sim = await SimulatorHost.StartAsync(SimClient.Options(symbols: 20));
        using var venue = new SimClient(sim);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await venue.OrderAsync("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.2&newClientOrderId=by-hand-1")).Status);
        var folder = JournalFixtures.NewFolder();
        try
        {
            // The journal says ETHUSDT 5 long and an open BTCUSDT order; the venue holds BTCUSDT 0.2 long and nothing else.
            var (first, last) = JournalFixtures.WriteTwoRuns(folder);
            JournalFixtures.Damage(last, record: 2);
            var damaged = File.ReadAllBytes(last);
            var older = File.ReadAllBytes(first);

            // No start-up reconciliation: the venue's positions must come from the recovery itself.
            using var engine = EngineProcess.LiveAgainst(sim, folder, ["--recover-from-venue"], ("Engine__Reconciliation__RunAtStart", "false"));
            var controlPort = engine.WaitForPort("Control plane", TimeSpan.FromSeconds(120));
            Assert.True(engine.WaitForOutput("All stages running", TimeSpan.FromSeconds(60)), engine.Output);
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{controlPort}");
            var control = new EngineControl.EngineControlClient(channel);
            await control.PauseAsync(new PauseRequest { Reason = "recovery test: compare with the venue" }, deadline: ControlClient.Deadline);

            Assert.Contains("Journal damaged and set aside", engine.Output, StringComparison.Ordinal);
            var aside = Path.Combine(folder, JournalFolder.DamagedFolderName);
            Assert.Equal(damaged, File.ReadAllBytes(Directory.GetFiles(aside, "wal-00000002.log.damaged-*").Single()));
            Assert.Equal(older, File.ReadAllBytes(Directory.GetFiles(aside, "wal-00000001.log.set-aside-*").Single()));
            Assert.DoesNotContain(JournalReader.Segments(folder), s => s.Number <= 2);

            // The engine holds what the venue holds (the brain may have traded since: both sides moved alike).
            var venuePositions = await venue.OpenPositionsAsync();
            Assert.Contains("BTCUSDT", venuePositions.Keys);
            Assert.DoesNotContain("ETHUSDT", venuePositions.Keys);
            var enginePositions = (await control.ListPositionsAsync(new ListPositionsRequest(), deadline: ControlClient.Deadline)).Positions
                .ToDictionary(p => p.Symbol, p => decimal.Parse(p.Quantity, CultureInfo.InvariantCulture) * (p.Side == "SHORT" ? -1 : 1));
            Assert.Equal(venuePositions.OrderBy(p => p.Key), enginePositions.Where(p => p.Value != 0).OrderBy(p => p.Key));

            // The new journal starts from them: a plain restart would find them there.
            engine.Terminate();
            Assert.Equal(0, engine.WaitForExit(TimeSpan.FromSeconds(60)));
            var journal = JournalReader.Replay(folder);
            Assert.Equal(
                venuePositions.OrderBy(p => p.Key),
                journal.Positions.All().Where(p => !p.Amount.IsZero).Select(p => KeyValuePair.Create(p.Symbol, p.Amount.Mantissa / 100_000_000m)).OrderBy(p => p.Key));
        }
        finally
        {
            JournalFixtures.DeleteFolder(folder);
        }
    }

    [Fact]
    public void Recover_from_venue_is_refused_in_a_mode_without_a_venue()
    {
        using var engine = new EngineProcess(["--mode", "paper", "--recover-from-venue"], []);
        Assert.Equal(2, engine.WaitForExit(JournalFixtures.ExitTimeout));
        Assert.Equal(
            ["engine: --recover-from-venue applies to --mode live or sim only: paper mode has no venue whose positions could replace a damaged journal."],
            engine.ErrorLines);
    }

    [Fact]
    public void Recover_from_venue_is_parsed_for_live_and_sim_and_off_by_default()
    {
        var errors = new List<string>();
        static string? Keys(string name) => name switch { "BINANCE_API_KEY" => "key", "BINANCE_API_SECRET" => "secret", _ => null };
        Assert.True(Engine.Hosting.EngineLaunch.Parse(["--mode", "live", "--recover-from-venue"], Keys, errors).RecoverFromVenue);
        Assert.True(Engine.Hosting.EngineLaunch.Parse(["--recover-from-venue"], Keys, errors).RecoverFromVenue);
        Assert.False(Engine.Hosting.EngineLaunch.Parse(["--mode", "live"], Keys, errors).RecoverFromVenue);
        Assert.Empty(errors);
        Engine.Hosting.EngineLaunch.Parse(["--mode", "replay", "--file", "x.csv", "--recover-from-venue"], Keys, errors);
        Assert.Contains("--recover-from-venue applies to --mode live or sim only: replay mode has no venue whose positions could replace a damaged journal.", errors);
    }
}
