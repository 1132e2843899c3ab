using System.Net;
using System.Net.Sockets;
using Engine.Hosting;
using Microsoft.Extensions.Options;
using Tests.Hosting;

namespace Tests.Hostile;

/// <summary>
/// A careless operator at start: settings that do not convert, a ring this machine cannot hold, a port another process
/// listens on, a journal folder that is a file, an interval past what timers take. Each is refused by the real engine
/// process with one line per reason on stderr, naming the setting, and exit code 2 — no stack trace, and nothing
/// started before the refusal that need not have.
/// </summary>
public sealed class StartupRefusalTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("Engine__Ring__Size", "abc", "'abc' at 'Engine:Ring:Size'")]
    [InlineData("Engine__Ring__WaitStrategy", "Bogus", "'Bogus' at 'Engine:Ring:WaitStrategy'")]
    [InlineData("Engine__Control__Port", "abc", "'abc' at 'Engine:Control:Port'")]
    [InlineData("Engine__ShutdownTimeout", "abc", "'abc' at 'Engine:ShutdownTimeout'")]
    [InlineData("Engine__Journal__Fsync", "Sometimes", "'Sometimes' at 'Engine:Journal:Fsync'")]
    [InlineData("Engine__Ring__Size", "1073741824", "Engine:Ring:Size 1073741824 needs")]
    [InlineData("Engine__Reconciliation__Interval", "50.00:00:00", "Engine:Reconciliation:Interval must be at most 24 hours")]
    [InlineData("Engine__Feed__StaleTimeout", "60.00:00:00", "Engine:Feed:StaleTimeout must be at most 24 hours")]
    public void A_setting_that_cannot_be_used_is_one_line_naming_it_and_exit_2_before_anything_starts(string name, string value, string expected)
    {
        using var engine = new EngineProcess([], [(name, value), ("Engine__Control__Port", name.EndsWith("Port", StringComparison.Ordinal) ? value : "0"), ("Engine__Metrics__Port", "0")]);

        Assert.Equal(2, engine.WaitForExit(ExitTimeout));
        var line = Assert.Single(engine.ErrorLines);
        Assert.StartsWith("engine: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", engine.Output, StringComparison.Ordinal);
        // Refused while reading the settings: not even the embedded simulator was started.
        Assert.DoesNotContain("Venue:", engine.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_control_port_another_process_listens_on_is_found_before_the_venue_the_journal_or_the_feed_start()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen(1);
        var port = ((IPEndPoint)holder.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        using var engine = new EngineProcess([], [("Engine__Control__Port", port), ("Engine__Metrics__Port", "0")]);

        Assert.Equal(2, engine.WaitForExit(ExitTimeout));
        var line = Assert.Single(engine.ErrorLines);
        Assert.StartsWith($"engine: Engine:Control:Port {port} on 127.0.0.1 cannot be listened on", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", engine.Output, StringComparison.Ordinal);
        foreach (var started in (string[])["Venue:", "Execution ready", "Ring buffer ready", "Feed starting", "User-data stream"])
        {
            Assert.DoesNotContain(started, engine.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_journal_folder_that_is_a_file_is_one_line_and_exit_2()
    {
        var file = Path.GetTempFileName();
        try
        {
            using var engine = new EngineProcess([], [("Engine__Journal__Directory", file), ("Engine__Control__Port", "0"), ("Engine__Metrics__Port", "0")]);

            Assert.Equal(2, engine.WaitForExit(ExitTimeout));
            var line = Assert.Single(engine.ErrorLines);
            Assert.StartsWith("engine: ", line, StringComparison.Ordinal);
            Assert.Contains(file, line, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", engine.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Several_bad_settings_are_each_one_line()
    {
        using var engine = new EngineProcess([], [
            ("Engine__Ring__Size", "1000"), ("Engine__ReportInterval", "-00:00:01"), ("Engine__Control__Port", "0"), ("Engine__Metrics__Port", "0")]);

        Assert.Equal(2, engine.WaitForExit(ExitTimeout));
        Assert.Collection(
            engine.ErrorLines,
            line => Assert.Equal("engine: Engine:Ring:Size must be a power of two of at least 64 (got 1000).", line),
            line => Assert.Equal("engine: Engine:ReportInterval must be positive (got -00:00:01).", line));
    }

    [Fact]
    public void What_start_up_throws_is_a_refusal_only_when_the_operator_can_fix_it()
    {
        // The journal's and the host's ways of failing a start: each a refusal, alone or wrapped.
        Assert.Equal(["journal folder /x is locked by pid 42"], StartupRefusal.Reasons(new IOException("journal folder /x is locked by pid 42")));
        Assert.Equal(["a", "b"], StartupRefusal.Reasons(new AggregateException(new InvalidDataException("a"), new UnauthorizedAccessException("b"))));
        Assert.Equal(["Engine:X must be positive."], StartupRefusal.Reasons(new OptionsValidationException("Engine", typeof(object), ["Engine:X must be positive."])));
        Assert.Single(StartupRefusal.Reasons(OutOfMemory()));
        Assert.Equal(["line one line two"], StartupRefusal.Reasons(new IOException("line one\nline two")));

        // A bug is not: its trace belongs in the log, and one bug among refusals makes the whole a fault.
        Assert.Empty(StartupRefusal.Reasons(new FormatException("bug")));
        Assert.Empty(StartupRefusal.Reasons(new InvalidOperationException("state")));
        Assert.Empty(StartupRefusal.Reasons(new AggregateException(new IOException("disk"), new ArgumentException("bug"))));

        // An operator's input inside a message is cut to one bounded line.
        var long_ = StartupRefusal.OneLine(new string('x', 10_000) + "\r\nforged");
        Assert.True(long_.Length <= StartupRefusal.MaxLineLength + 1);
        Assert.DoesNotContain('\n', long_);
    }

    /// <summary>A real out-of-memory exception, as the ring's allocation would throw it.</summary>
    private static OutOfMemoryException OutOfMemory()
    {
        try
        {
            // Longer than any array may be: refused before a byte is taken.
            _ = new long[Array.MaxLength + 1L];
        }
        catch (OutOfMemoryException thrown)
        {
            return thrown;
        }

        throw new InvalidOperationException("no allocation failed");
    }
}
