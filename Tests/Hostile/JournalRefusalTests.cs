using Engine.State.Journal;

namespace Tests.Hostile;

/// <summary>
/// Start-time refusals of a journal the engine cannot use, each by a real engine process: exit code 2 and one stderr
/// line (<c>engine: …</c>, no stack trace) naming the folder or segment and why, before anything trades, and nothing in
/// the journal changed.
/// </summary>
public sealed class JournalRefusalTests
{
    [Fact]
    public void A_damaged_segment_that_is_not_the_last_is_refused()
    {
        var folder = JournalFixtures.NewFolder();
        try
        {
            var (first, _) = JournalFixtures.WriteTwoRuns(folder);
            var offset = JournalFixtures.Damage(first, record: 1);
            var before = JournalFixtures.Contents(folder);
            using var engine = JournalFixtures.Sim(folder);
            var line = JournalFixtures.Refusal(engine);
            Assert.Contains($"journal segment {first} is damaged at offset {offset} (CRC mismatch); it is not the last segment", line, StringComparison.Ordinal);
            Assert.Equal(before, JournalFixtures.Contents(folder));
        }
        finally
        {
            JournalFixtures.DeleteFolder(folder);
        }
    }

    [Fact]
    public void A_journal_folder_that_is_a_file_is_refused()
    {
        var file = JournalFixtures.NewFolder();
        File.WriteAllText(file, "not a folder");
        try
        {
            using var engine = JournalFixtures.Sim(file);
            Assert.Equal($"engine: journal folder {file} is a file, not a folder: point Engine:Journal:Directory at a folder", JournalFixtures.Refusal(engine));
            Assert.Equal("not a folder", File.ReadAllText(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_segment_that_is_a_folder_is_refused()
    {
        var folder = JournalFixtures.NewFolder();
        try
        {
            JournalFixtures.WriteTwoRuns(folder);
            var impostor = Path.Combine(folder, "wal-00000003.log");
            Directory.CreateDirectory(impostor);
            var before = JournalFixtures.Contents(folder);
            using var engine = JournalFixtures.Sim(folder);
            Assert.Equal($"engine: journal segment {impostor} is a folder, not a file: move it out of the journal folder", JournalFixtures.Refusal(engine));
            Assert.Equal(before, JournalFixtures.Contents(folder));
        }
        finally
        {
            JournalFixtures.DeleteFolder(folder);
        }
    }

    /// <summary>Root reads any file; the engine runs here without that override (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH), as a service user would.</summary>
    [RootFact]
    public void An_unreadable_segment_is_refused()
    {
        var folder = JournalFixtures.NewFolder();
        try
        {
            var (_, last) = JournalFixtures.WriteTwoRuns(folder);
            JournalFixtures.Run("chmod", "000", last);
            var before = JournalFixtures.Contents(folder);
            using var engine = JournalFixtures.Sim(folder, runUnder: ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all"]);
            Assert.Equal($"engine: journal segment {last} cannot be read: Access to the path '{last}' is denied.", JournalFixtures.Refusal(engine));
            Assert.Equal(before, JournalFixtures.Contents(folder));
        }
        finally
        {
            JournalFixtures.DeleteFolder(folder);
        }
    }

    [RootFact]
    public void A_journal_on_a_read_only_file_system_is_refused()
    {
        var mount = JournalFixtures.NewFolder();
        Directory.CreateDirectory(mount);
        JournalFixtures.Run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount);
        try
        {
            var folder = Path.Combine(mount, "journal");
            JournalFixtures.WriteTwoRuns(folder);
            var before = JournalFixtures.Contents(folder);
            JournalFixtures.Run("mount", "-o", "remount,ro", mount);
            using var engine = JournalFixtures.Sim(folder);
            Assert.Equal(
                $"engine: journal folder {folder} cannot be used: Read-only file system (opening {Path.Combine(folder, JournalFolder.LockFileName)} for writing)",
                JournalFixtures.Refusal(engine));
            Assert.Equal(before, JournalFixtures.Contents(folder));
        }
        finally
        {
            JournalFixtures.Run("umount", "-l", mount);
            Directory.Delete(mount);
        }
    }

    // The disk is 1 MiB: the stage's intent log segments (4 MiB by default, two allocated ahead) must fit on it once it has room.
    private const string SmallIntentSegments = "--Engine:Journal:IntentSegmentBytes=65536";

    /// <summary>Without a lock file the pid cannot be written; with one left by an earlier run it can (its page is reused) and the start-up snapshot cannot.</summary>
    [RootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_journal_on_a_full_disk_is_refused(bool lockFileLeftBehind)
    {
        var mount = JournalFixtures.NewFolder();
        Directory.CreateDirectory(mount);
        JournalFixtures.Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount);
        try
        {
            var folder = Path.Combine(mount, "journal");
            JournalFixtures.WriteTwoRuns(folder);
            if (lockFileLeftBehind)
            {
                File.WriteAllText(Path.Combine(folder, JournalFolder.LockFileName), "1\n");
            }

            Fill(Path.Combine(mount, "filler"));
            var before = JournalFixtures.Contents(folder);
            using var engine = JournalFixtures.Sim(folder, null, SmallIntentSegments);
            var line = JournalFixtures.Refusal(engine);
            var intents = Path.Combine(folder, IntentLog.FolderName);
            if (line.StartsWith($"engine: intent log folder {intents} ", StringComparison.Ordinal))
            {
                // The stage's intent log is pre-allocated when the order wire is attached, before execution's start-up
                // snapshot: on a disk without room for its first segment it is what refuses.
                Assert.StartsWith($"engine: intent log folder {intents} cannot be used: No space left on device (allocating", line, StringComparison.Ordinal);
            }
            else
            {
                Assert.True(line.StartsWith($"engine: journal folder {folder} cannot be written: No space left on device", StringComparison.Ordinal), line);
                Assert.EndsWith(lockFileLeftBehind ? $"'{Path.Combine(folder, "wal-00000003.log")}'" : $"(writing the pid into {Path.Combine(folder, JournalFolder.LockFileName)})", line, StringComparison.Ordinal);
            }

            Assert.Equal(before, JournalFixtures.Contents(folder));

            // With space back, the same journal starts (and the refusal left nothing behind that stops it).
            File.Delete(Path.Combine(mount, "filler"));
            using var again = JournalFixtures.Sim(folder, null, SmallIntentSegments);
            Assert.True(again.WaitForOutput("All stages running", TimeSpan.FromSeconds(120)), again.Output);
            again.Terminate();
            Assert.Equal(0, again.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.True(JournalReader.Replay(folder).LastRunId > 6, "the run after the refusal journaled its start");
        }
        finally
        {
            JournalFixtures.Run("umount", "-l", mount);
            Directory.Delete(mount);
        }
    }

    private static void Fill(string path)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                file.Write(block);
            }
        }
        catch (IOException)
        {
            // Full: what fits is written.
        }

        var one = new byte[1];
        try
        {
            while (true)
            {
                file.Write(one);
            }
        }
        catch (IOException)
        {
            // Not one byte more.
        }
    }
}
