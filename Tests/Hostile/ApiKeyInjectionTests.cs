using Engine.Exchange;
using Tests.Hosting;

namespace Tests.Hostile;

/// <summary>
/// An API key with a line break in it would go raw into the X-MBX-APIKEY header and start a header of its own. Keys and
/// secrets are printable ASCII without spaces, checked at start: the real engine process refuses anything else with
/// one line and exit code 2, and never prints the key.
/// </summary>
public sealed class ApiKeyInjectionTests
{
    private const string Key = "AbCdEfGh0123456789";
    private const string Secret = "SeCrEt0123456789xyz";

    [Theory]
    [InlineData("BINANCE_API_KEY", Key + "\r\nX-Injected: 1", "BINANCE_API_KEY contains a line break at position 19")]
    [InlineData("BINANCE_API_KEY", "AbCd EfGh0123456789", "BINANCE_API_KEY contains whitespace at position 5")]
    [InlineData("BINANCE_API_SECRET", Secret + "\u0007tail", "BINANCE_API_SECRET contains a control character at position 20")]
    [InlineData("BINANCE_API_SECRET", Secret + "é", "BINANCE_API_SECRET contains a character that is not ASCII")]
    public void A_key_or_secret_that_is_not_printable_ascii_is_refused_with_one_line_that_does_not_print_it(string name, string value, string expected)
    {
        (string, string)[] keys = [("BINANCE_API_KEY", Key), ("BINANCE_API_SECRET", Secret)];
        using var engine = new EngineProcess(
            ["--mode", "live"],
            [.. keys.Where(k => k.Item1 != name), (name, value), ("Engine__Control__Port", "0"), ("Engine__Metrics__Port", "0")]);

        Assert.Equal(2, engine.WaitForExit(TimeSpan.FromSeconds(60)));
        var line = Assert.Single(engine.ErrorLines);
        Assert.StartsWith("engine: " + expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("AbCd", engine.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("SeCrEt", engine.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Venue:", engine.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_cannot_be_made_from_a_key_that_would_break_a_header_and_the_refusal_does_not_quote_it()
    {
        var thrown = Assert.Throws<ArgumentException>(() => new ApiCredentials(Key + "\nX-Injected: 1", Secret));
        Assert.DoesNotContain(Key, thrown.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ApiCredentials(Key, new string('s', ApiCredentials.MaxLength + 1)));

        // Surrounding whitespace (a trailing newline from an env file) is trimmed, as before.
        var trimmed = new ApiCredentials(" " + Key + "\n", Secret + "\r\n");
        Assert.Equal(Key, trimmed.ApiKey);
        Assert.Null(ApiCredentials.Problem("key", Key));
    }
}
