using Engine.State.Journal;

namespace Tests.Hostile;

/// <summary>
/// One engine per journal: a second engine process started on a folder a running engine journals into exits 2 with one
/// line naming the holder's pid, before it reads, cuts or compacts anything; the first engine's segments are untouched
/// and it goes on to a clean stop with a whole journal.
/// </summary>
public sealed class JournalLockTests
{
    [Fact]
    public void A_second_engine_on_a_journal_in_use_exits_2_naming_the_holders_pid_and_touches_nothing()
    {
        var folder = JournalFixtures.NewFolder();
        try
        {
            using var first = JournalFixtures.Sim(folder);
            Assert.True(first.WaitForOutput("All stages running", TimeSpan.FromSeconds(120)), first.Output);
            var before = JournalFixtures.Contents(folder);
            Assert.NotEmpty(before);

            using (var second = JournalFixtures.Sim(folder))
            {
                var line = JournalFixtures.Refusal(second);
                var full = Path.GetFullPath(folder);
                Assert.Equal(
                    $"engine: journal folder {full} is in use by another engine (pid {first.Id} holds {Path.Combine(full, JournalFolder.LockFileName)}): one engine per journal",
                    line);
                Assert.DoesNotContain("Execution ready", second.Output, StringComparison.Ordinal);
            }

            // The same segment files, each what it was or grown by the first engine's own writes.
            var after = JournalFixtures.Contents(folder);
            Assert.Equal(before.Keys.Order(), after.Keys.Order());
            Assert.All(before, file => Assert.Equal(file.Value, after[file.Key][..file.Value.Length]));
            Assert.False(first.HasExited, first.Output);

            first.Terminate();
            Assert.Equal(0, first.WaitForExit(TimeSpan.FromSeconds(60)));
            var journal = JournalReader.Replay(folder);
            Assert.Equal(0, journal.TornBytes);
            Assert.True(journal.Records > 0);
        }
        finally
        {
            JournalFixtures.DeleteFolder(folder);
        }
    }
}
