using System.Buffers.Binary;
using System.Diagnostics;
using Engine.State.Journal;
using Tests.Control;

namespace Tests.EndToEnd;

/// <summary>What the end-to-end tests share: enginectl as a child process, metrics scrapes, the journal's intents.</summary>
internal static class EndToEnd
{
    /// <summary>ControlCli's own build output (same configuration and framework as the tests): its deps file is its own.</summary>
    private static readonly string s_cli = Path.GetFullPath(Path.Combine(
        AppContext.BaseDirectory.Replace($"{Path.DirectorySeparatorChar}Tests{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", $"{Path.DirectorySeparatorChar}ControlCli{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal),
        "ControlCli.dll"));

    public static string CliPath => s_cli;

    public static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);

    public static string TempDirectory(string prefix) => Path.Combine(Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N"));

    /// <summary>Runs enginectl with <paramref name="args"/> to completion (generous bound: a loaded machine starts .NET slowly).</summary>
    public static (int Exit, string Out, string Err) Enginectl(params string[] args)
    {
        Assert.True(File.Exists(s_cli), $"enginectl not built at {s_cli}");
        var start = new ProcessStartInfo("dotnet", ["exec", s_cli, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("ENGINECTL_ADDRESS");
        start.Environment.Remove("ENGINECTL_TOKEN");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            Assert.Fail($"enginectl {string.Join(' ', args)} did not finish");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>enginectl <paramref name="args"/> must exit 0; returns what it printed.</summary>
    public static string EnginectlOk(string address, params string[] args)
    {
        var (exit, output, error) = Enginectl([.. args, "--address", address]);
        Assert.True(exit == 0, $"enginectl {string.Join(' ', args)} exited {exit}: {error}{output}");
        return output;
    }

    public static async Task<Dictionary<string, PrometheusText.Family>> ScrapeAsync(HttpClient metrics) =>
        PrometheusText.Parse(await metrics.GetStringAsync(new Uri("/metrics", UriKind.Relative)));

    /// <summary>The sum of every sample of <paramref name="name"/> whose labels include <paramref name="labels"/> (0 when none).</summary>
    public static double Sum(Dictionary<string, PrometheusText.Family> families, string name, params (string Key, string Value)[] labels)
    {
        var family = families.TryGetValue(name, out var exact) ? exact : families.GetValueOrDefault(name[..name.LastIndexOf('_')]);
        return family is null
            ? 0
            : family.Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);
    }

    /// <summary>Per label value of <paramref name="label"/>, the samples of <paramref name="name"/>.</summary>
    public static Dictionary<string, double> ByLabel(Dictionary<string, PrometheusText.Family> families, string name, string label) =>
        families.TryGetValue(name, out var family)
            ? family.Samples.Where(s => s.Name == name && s.Labels.ContainsKey(label)).ToDictionary(s => s.Labels[label], s => s.Value)
            : [];

    /// <summary>
    /// Every Intent record of the journal (with the status and venue id of its last Update record; <paramref name="known"/>
    /// collects them across scans, so the updates of an order journaled before a compaction still find it) in <paramref name="directory"/>, in the order written (read-only: unlike
    /// <see cref="JournalReader.Replay"/> it never cuts a torn tail, so it may run beside a live engine).
    /// </summary>
    public static List<JournalOrder> JournalIntents(string directory, Dictionary<long, JournalOrder>? known = null)
    {
        var intents = new List<JournalOrder>();
        known ??= [];
        foreach (var (_, path) in JournalReader.Segments(directory))
        {
            var bytes = File.ReadAllBytes(path);
            var offset = 0;
            while (bytes.Length - offset >= JournalWriter.HeaderSize)
            {
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
                if (length <= 0 || length > bytes.Length - offset - JournalWriter.HeaderSize)
                {
                    break;
                }

                var payload = bytes.AsSpan(offset + JournalWriter.HeaderSize, length);
                var reader = new JournalCodec.SpanReader(payload[1..]);
                if (payload[0] == (byte)JournalRecordType.Intent)
                {
                    var intent = JournalCodec.ReadOrderHead(ref reader);
                    intents.Add(intent);
                    known[intent.ClientOrderId] = intent;
                }
                else if (payload[0] == (byte)JournalRecordType.Update)
                {
                    // The intent's object carries the last status the journal gives it (client id, symbol, side, venue id, status).
                    var id = reader.Long();
                    reader.Symbol();
                    reader.Byte();
                    var orderId = reader.Long();
                    var status = (Engine.Model.OrderStatus)reader.Byte();
                    if (known.TryGetValue(id, out var intent))
                    {
                        intent.Status = status;
                        intent.OrderId = orderId;
                    }
                }

                offset += JournalWriter.HeaderSize + length;
            }
        }

        return intents;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, int pollMs = 250)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(pollMs);
        }
    }
}
