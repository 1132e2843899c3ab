using System.Security.Cryptography;
using System.Text;
using Engine.Exchange.Signing;
using Engine.Hosting;

namespace Tests.Exchange.Signing;

/// <summary>The operator's key variables: the key type follows from what is set, and every wrong combination or file is refused without quoting it.</summary>
public sealed class KeyTypeLaunchTests : IDisposable
{
    private const string ApiKey = "4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO";
    private const string Secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
    private readonly string _folder = Directory.CreateTempSubdirectory("ed25519-launch-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static LaunchSettings Parse(List<string> errors, params (string Name, string Value)[] environment)
    {
        var variables = environment.ToDictionary(v => v.Name, v => v.Value);
        return EngineLaunch.Parse(["--mode", "live", "--testnet"], name => variables.GetValueOrDefault(name), errors);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_secret_makes_an_HMAC_key_and_a_private_key_file_an_Ed25519_key()
    {
        var hmacErrors = new List<string>();
        var hmac = Parse(hmacErrors, ("BINANCE_API_KEY", ApiKey), ("BINANCE_API_SECRET", Secret));
        Assert.Empty(hmacErrors);
        Assert.Equal(SignatureScheme.HmacSha256, hmac.Credentials!.Scheme);

        var file = Write("binance.pem", Ed25519TestKeys.BinanceDocPem);
        var edErrors = new List<string>();
        var ed = Parse(edErrors, ("BINANCE_API_KEY", ApiKey), ("BINANCE_API_PRIVATE_KEY_FILE", file));
        Assert.Empty(edErrors);
        Assert.Equal(SignatureScheme.Ed25519, ed.Credentials!.Scheme);
        Assert.Equal(ApiKey, ed.Credentials.ApiKey);

        using var signer = RequestSigners.Create(ed.Credentials);
        var json = new byte[Ed25519Signer.SignatureLength];
        signer.SignForJson(Ed25519TestKeys.BinanceDocPayload, json);
        Assert.Equal(Ed25519TestKeys.BinanceDocSignature, Encoding.ASCII.GetString(json));
    }

    [Fact]
    public void The_PEM_itself_in_a_variable_is_an_Ed25519_key_too_even_on_one_line()
    {
        var errors = new List<string>();
        var launch = Parse(errors, ("BINANCE_API_KEY", ApiKey), ("BINANCE_API_PRIVATE_KEY", Ed25519TestKeys.BinanceDocPem.ReplaceLineEndings(" ")));

        Assert.Empty(errors);
        Assert.Equal(SignatureScheme.Ed25519, launch.Credentials!.Scheme);
    }

    [Fact]
    public void Two_kinds_of_key_material_at_once_are_refused_naming_both()
    {
        var file = Write("k.pem", Ed25519TestKeys.RandomPem());
        var errors = new List<string>();
        var launch = Parse(errors, ("BINANCE_API_KEY", ApiKey), ("BINANCE_API_SECRET", Secret), ("BINANCE_API_PRIVATE_KEY_FILE", file));

        Assert.Null(launch.Credentials);
        var error = Assert.Single(errors);
        Assert.StartsWith("BINANCE_API_SECRET and BINANCE_API_PRIVATE_KEY_FILE are both set: set one", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error, StringComparison.Ordinal);

        var three = new List<string>();
        Parse(three, ("BINANCE_API_KEY", ApiKey), ("BINANCE_API_SECRET", Secret), ("BINANCE_API_PRIVATE_KEY_FILE", file), ("BINANCE_API_PRIVATE_KEY", Ed25519TestKeys.BinanceDocPem));
        Assert.StartsWith("BINANCE_API_SECRET and BINANCE_API_PRIVATE_KEY_FILE and BINANCE_API_PRIVATE_KEY are all set", Assert.Single(three), StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_key_file_is_refused_by_its_path_never_by_its_content()
    {
        using var rsa = RSA.Create(2048);
        var rsaPem = rsa.ExportPkcs8PrivateKeyPem();
        var rsaFile = Write("rsa.pem", rsaPem);
        var errors = new List<string>();
        Parse(errors, ("BINANCE_API_KEY", ApiKey), ("BINANCE_API_PRIVATE_KEY_FILE", rsaFile));

        var error = Assert.Single(errors);
        Assert.Equal($"BINANCE_API_PRIVATE_KEY_FILE ('{rsaFile}') is an RSA private key, not Ed25519: the engine signs with Ed25519 or HMAC-SHA256 API keys.", error);
        Assert.DoesNotContain(rsaPem.Split('\n')[1][..20], error, StringComparison.Ordinal);

        var missing = new List<string>();
        Parse(missing, ("BINANCE_API_KEY", ApiKey), ("BINANCE_API_PRIVATE_KEY_FILE", Path.Combine(_folder, "absent.pem")));
        Assert.Equal($"BINANCE_API_PRIVATE_KEY_FILE ('{Path.Combine(_folder, "absent.pem")}') does not exist.", Assert.Single(missing));

        var huge = Write("huge.pem", new string('A', Ed25519PrivateKeyPem.MaxLength + 10));
        var tooLarge = new List<string>();
        Parse(tooLarge, ("BINANCE_API_KEY", ApiKey), ("BINANCE_API_PRIVATE_KEY_FILE", huge));
        Assert.Contains("more than the 16384 a PEM private key may have", Assert.Single(tooLarge), StringComparison.Ordinal);

        var publicFile = Write("public.pem", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGUIKv9dSpWXBViXp2m6vAIb8QMFJYBgyFEQsFJlqgA0=\n-----END PUBLIC KEY-----\n");
        var wrongHalf = new List<string>();
        Parse(wrongHalf, ("BINANCE_API_KEY", ApiKey), ("BINANCE_API_PRIVATE_KEY_FILE", publicFile));
        Assert.Contains("is a public key: the engine needs the private key", Assert.Single(wrongHalf), StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_without_its_API_key_and_an_API_key_without_either_are_reported_in_every_mode()
    {
        var file = Write("k.pem", Ed25519TestKeys.RandomPem());
        var variables = new Dictionary<string, string> { ["BINANCE_API_PRIVATE_KEY_FILE"] = file };
        var sim = new List<string>();
        EngineLaunch.Parse(["--mode", "sim"], name => variables.GetValueOrDefault(name), sim);
        Assert.Equal(["BINANCE_API_PRIVATE_KEY_FILE is set without BINANCE_API_KEY; set both or neither."], sim);

        var keyOnly = new Dictionary<string, string> { ["BINANCE_API_KEY"] = ApiKey };
        var paper = new List<string>();
        EngineLaunch.Parse(["--mode", "paper"], name => keyOnly.GetValueOrDefault(name), paper);
        Assert.Equal(["BINANCE_API_KEY is set without BINANCE_API_SECRET or BINANCE_API_PRIVATE_KEY_FILE; set both or neither."], paper);

        var live = new List<string>();
        Parse(live, ("BINANCE_API_PRIVATE_KEY_FILE", file));
        Assert.Equal(["live mode needs API keys: BINANCE_API_KEY is not set."], live);
    }
}
