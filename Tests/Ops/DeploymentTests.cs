using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Tests.Ops;

/// <summary>
/// ops/systemd and ops/docker agree with the engine they run: the stop timeout outlasts Engine:ShutdownTimeout, the
/// exposed ports are the listeners' defaults, every project the engine builds from is in the image's build context.
/// The unit is also checked by systemd-analyze where it is installed. No image is built here (no registry access).
/// </summary>
public sealed partial class DeploymentTests
{
    private static readonly string[] s_entrypoint = ["dotnet", "/app/Engine.dll"];
    private static readonly string s_unitPath = OpsFiles.PathOf("ops", "systemd", "trading-engine.service");

    [Fact]
    public void The_systemd_unit_runs_live_as_a_dedicated_user_and_outlasts_the_graceful_stop()
    {
        var unit = Directives(File.ReadAllText(s_unitPath));
        Assert.Equal("trading-engine", Assert.Single(unit["User"]));
        Assert.Equal("exec", Assert.Single(unit["Type"]));
        Assert.Equal("on-failure", Assert.Single(unit["Restart"]));
        Assert.Equal("SIGTERM", Assert.Single(unit["KillSignal"]));
        Assert.Equal("yes", Assert.Single(unit["NoNewPrivileges"]));
        Assert.Equal("strict", Assert.Single(unit["ProtectSystem"]));
        Assert.EndsWith("--mode live", Assert.Single(unit["ExecStart"]), StringComparison.Ordinal);
        Assert.StartsWith("/etc/", Assert.Single(unit["EnvironmentFile"]), StringComparison.Ordinal);
        Assert.DoesNotContain(unit["CapabilityBoundingSet"], v => v.Length > 0);

        // The journal is under the state directory, the one place ProtectSystem=strict leaves writable.
        var state = Assert.Single(unit["StateDirectory"]);
        Assert.Contains($"Engine__Journal__Directory=%S/{state}/journal", unit["Environment"]);

        // systemd's SIGKILL must not cut the engine's own bounded stop short.
        var shutdown = TimeSpan.Parse(Settings().GetProperty("Engine").GetProperty("ShutdownTimeout").GetString()!, CultureInfo.InvariantCulture);
        var stop = Seconds(Assert.Single(unit["TimeoutStopSec"]));
        Assert.True(stop > shutdown + TimeSpan.FromSeconds(5), $"TimeoutStopSec {stop} does not outlast Engine:ShutdownTimeout {shutdown} with room to flush");

        // Where systemd's own tool is installed (it is on this project's machines; a bare container may lack it),
        // it verifies the unit and rates its hardening.
        var analyze = OpsFiles.OnPath("systemd-analyze");
        if (analyze is not null)
        {
            Analyze(analyze);
        }
    }

    private static void Analyze(string analyze)
    {
        var dir = Path.GetDirectoryName(s_unitPath)!;
        var (exit, output) = OpsFiles.Run(analyze, dir, "verify", "--man=no", "./trading-engine.service");
        Assert.True(exit == 0 && output.Trim().Length == 0, $"systemd-analyze verify:\n{output}");

        (exit, output) = OpsFiles.Run(analyze, dir, "security", "--offline=yes", "./trading-engine.service");
        var level = Exposure().Match(output);
        Assert.True(level.Success, $"systemd-analyze security:\n{output}");
        var exposure = double.Parse(level.Groups["level"].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= 2.0, $"exposure {exposure} (10 is an unhardened service):\n{output}");
    }

    [Fact]
    public void The_dockerfile_publishes_every_project_the_engine_needs_and_runs_it_as_pid_1_without_root()
    {
        var dockerfile = OpsFiles.Read("ops", "docker", "Dockerfile");
        var allowed = OpsFiles.Read(".dockerignore").Split('\n').Where(l => l.StartsWith('!')).Select(l => l[1..].TrimEnd('/')).ToHashSet(StringComparer.Ordinal);
        var copied = dockerfile.Split('\n').Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1]).Select(s => s.TrimEnd('/').Split('/')[0]).ToHashSet(StringComparer.Ordinal);

        // The engine's project and everything it references, and the root files every build reads.
        var needed = ProjectClosure("Engine").Concat(["global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig"]).ToList();
        foreach (var entry in needed)
        {
            Assert.True(copied.Contains(entry), $"the Dockerfile does not COPY {entry}");
            Assert.True(allowed.Contains(entry), $".dockerignore does not let {entry} into the build context");
            Assert.True(File.Exists(OpsFiles.PathOf(entry)) || Directory.Exists(OpsFiles.PathOf(entry)), $"{entry} is not in the repository");
        }

        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0", dockerfile, StringComparison.Ordinal);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:10.0", dockerfile, StringComparison.Ordinal);
        Assert.Contains("dotnet publish Engine/Engine.csproj -c Release", dockerfile, StringComparison.Ordinal);
        Assert.Matches(@"apt-get install [^\n]*libssl3", dockerfile);

        // Exec form: the engine itself is PID 1 and gets docker stop's SIGTERM (a shell would swallow it).
        var entrypoint = Single(dockerfile, "ENTRYPOINT");
        var command = JsonSerializer.Deserialize<string[]>(entrypoint)!;
        Assert.Equal(s_entrypoint, command);
        var user = Single(dockerfile, "USER");
        Assert.DoesNotMatch("^(root|0)$", user);

        // EXPOSE names the listeners' default ports.
        var engine = Settings().GetProperty("Engine");
        var ports = Single(dockerfile, "EXPOSE").Split(' ').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).Order().ToList();
        var defaults = new[] { engine.GetProperty("Control").GetProperty("Port").GetInt32(), engine.GetProperty("Metrics").GetProperty("Port").GetInt32() }.Order().ToList();
        Assert.Equal(defaults, ports);

        // The journal directory is on the volume.
        var volume = JsonSerializer.Deserialize<string[]>(Single(dockerfile, "VOLUME"))!;
        var journal = JournalDirectory().Match(dockerfile).Groups["dir"].Value;
        Assert.Contains(volume, v => journal.StartsWith(v + "/", StringComparison.Ordinal));
    }

    private static JsonElement Settings()
    {
        using var document = JsonDocument.Parse(OpsFiles.Read("Engine", "appsettings.json"));
        return document.RootElement.Clone();
    }

    private static string Single(string dockerfile, string instruction) =>
        Assert.Single(dockerfile.Split('\n'), l => l.StartsWith(instruction + " ", StringComparison.Ordinal))[(instruction.Length + 1)..].Trim();

    /// <summary>A project's folder and the folders of every project it references, transitively.</summary>
    private static HashSet<string> ProjectClosure(string project)
    {
        var closure = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var name))
        {
            if (!closure.Add(name))
            {
                continue;
            }

            var csproj = XDocument.Load(OpsFiles.PathOf(name, name + ".csproj"));
            foreach (var reference in csproj.Descendants("ProjectReference"))
            {
                var path = reference.Attribute("Include")!.Value.Replace('\\', '/');
                var folder = path.Split('/')[^2];
                pending.Push(folder);
            }
        }

        return closure;
    }

    private static Dictionary<string, List<string>> Directives(string unit)
    {
        var directives = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var line in unit.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] is not ('#' or '[')))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var key = line[..eq];
            if (!directives.TryGetValue(key, out var values))
            {
                directives[key] = values = [];
            }

            values.Add(line[(eq + 1)..]);
        }

        return new Dictionary<string, List<string>>(directives, StringComparer.Ordinal);
    }

    private static TimeSpan Seconds(string value)
    {
        var match = TimeSpanValue().Match(value);
        Assert.True(match.Success, $"unsupported time span '{value}'");
        var n = int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        return match.Groups["unit"].Value == "min" ? TimeSpan.FromMinutes(n) : TimeSpan.FromSeconds(n);
    }

    [GeneratedRegex(@"Engine__Journal__Directory=(?<dir>\S+)")]
    private static partial Regex JournalDirectory();

    [GeneratedRegex("^(?<n>[0-9]+)(?<unit>s|min)?$")]
    private static partial Regex TimeSpanValue();

    [GeneratedRegex(@"Overall exposure level for trading-engine\.service: (?<level>[0-9.]+)")]
    private static partial Regex Exposure();
}
