using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Engine.Model;

namespace Benchmarks.EndToEnd;

/// <summary>
/// The kernel's view of the engine's orders: <c>tcpdump</c> on the loopback interface records every packet the engine
/// sends to the venue's port with the kernel's nanosecond timestamp; each order's first packet is found by the client
/// order id it carries (a WebSocket API frame is unmasked first; a REST request carries <c>newClientOrderId=</c>). The
/// engine's own "first socket write" stamp (Stopwatch, CLOCK_MONOTONIC) is mapped onto the capture's clock
/// (CLOCK_REALTIME) by pairs of readings taken at start and at stop, interpolated, so NTP slewing between the two
/// clocks over the window does not show up as disagreement.
/// </summary>
public sealed class WireCapture : IDisposable
{
    private const uint MagicMicros = 0xa1b2c3d4;
    private const uint MagicNanos = 0xa1b23c4d;

    private static readonly string[] s_tcpdumpPaths = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"];
    private static readonly System.Buffers.SearchValues<byte> s_idBytes = System.Buffers.SearchValues.Create("e0123456789"u8);

    private readonly Process _tcpdump;
    private readonly string _file;
    private readonly ClockPair _start;
    private ClockPair _stop;
    private string _stderr = "";

    private WireCapture(Process tcpdump, string file, ClockPair start)
    {
        _tcpdump = tcpdump;
        _file = file;
        _start = start;
    }

    /// <summary>Starts capturing packets to <paramref name="port"/> on loopback; null (with the reason in <paramref name="why"/>) when it cannot.</summary>
    public static WireCapture? TryStart(int port, string directory, out string why)
    {
        why = "";
        if (!OperatingSystem.IsLinux())
        {
            why = "packet capture needs Linux";
            return null;
        }

        var tcpdump = s_tcpdumpPaths.FirstOrDefault(File.Exists);
        if (tcpdump is null)
        {
            why = "tcpdump is not installed (apt-get install tcpdump)";
            return null;
        }

        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, $"orders-{port}-{Environment.ProcessId}.pcap");
        var info = new ProcessStartInfo(tcpdump)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "-i", "lo", "-n", "-U", "-B", "16384", "-s", "2048", "--time-stamp-precision=nano", "-w", file,
                     $"tcp dst port {port.ToString(CultureInfo.InvariantCulture)}",
                 })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info);
        if (process is null)
        {
            why = "tcpdump did not start";
            return null;
        }

        // tcpdump says "listening on lo" once the capture is open; a refusal (no permission) ends it.
        var stderr = process.StandardError;
        var listening = stderr.ReadLineAsync();
        if (!listening.Wait(TimeSpan.FromSeconds(10)) || listening.Result is not { } line || !line.Contains("listening", StringComparison.Ordinal))
        {
            process.Kill();
            why = "tcpdump refused: " + (listening.IsCompletedSuccessfully ? listening.Result : "no answer in 10 s");
            return null;
        }

        var capture = new WireCapture(process, file, ClockPair.Read());
        _ = Task.Run(async () => capture._stderr = await stderr.ReadToEndAsync().ConfigureAwait(false));
        return capture;
    }

    /// <summary>Ends the capture (SIGINT, so tcpdump flushes) and takes the second clock pair.</summary>
    public void Stop()
    {
        _stop = ClockPair.Read();
        using (var kill = Process.Start("kill", ["-INT", _tcpdump.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        if (!_tcpdump.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            _tcpdump.Kill();
        }

        _tcpdump.WaitForExit();
    }

    /// <summary>tcpdump's own summary (packets captured, dropped by the kernel).</summary>
    public string Summary => string.Join("; ", _stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Maps a Stopwatch stamp onto the capture's clock (Unix ns).</summary>
    public long ToRealtimeNanoseconds(long stopwatch)
    {
        var span = _stop.Stopwatch - _start.Stopwatch;
        var slope = span > 0 ? (double)(_stop.RealtimeNs - _start.RealtimeNs) / span : 1e9 / Stopwatch.Frequency;
        return _start.RealtimeNs + (long)((stopwatch - _start.Stopwatch) * slope);
    }

    /// <summary>Each client order id's first packet in the capture: kernel time (Unix ns).</summary>
    public Dictionary<long, long> FirstPackets()
    {
        var first = new Dictionary<long, long>();
        var bytes = File.ReadAllBytes(_file);
        if (bytes.Length < 24)
        {
            return first;
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        var nanos = magic == MagicNanos;
        if (!nanos && magic != MagicMicros)
        {
            throw new InvalidDataException($"{_file}: not a little-endian pcap file (magic {magic:x8})");
        }

        var linkType = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20));
        var offset = 24;
        while (offset + 16 <= bytes.Length)
        {
            var seconds = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
            var fraction = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4));
            var captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8));
            offset += 16;
            if (offset + captured > bytes.Length)
            {
                break;
            }

            var time = (seconds * 1_000_000_000L) + (nanos ? fraction : fraction * 1_000L);
            var payload = TcpPayload(bytes.AsSpan(offset, captured), linkType);
            offset += captured;
            foreach (var id in ClientOrderIds(payload))
            {
                first.TryAdd(id, time);
            }
        }

        return first;
    }

    public void Dispose()
    {
        if (!_tcpdump.HasExited)
        {
            _tcpdump.Kill();
        }

        _tcpdump.Dispose();
        File.Delete(_file);
    }

    private static ReadOnlySpan<byte> TcpPayload(ReadOnlySpan<byte> frame, uint linkType)
    {
        // Linux loopback captures as Ethernet (1); the cooked forms (113, 276) appear with -i any.
        var ip = linkType switch
        {
            1 when frame.Length >= 14 => frame[14..],
            113 when frame.Length >= 16 => frame[16..],
            276 when frame.Length >= 20 => frame[20..],
            _ => [],
        };
        if (ip.Length < 20)
        {
            return [];
        }

        int tcpStart;
        var version = ip[0] >> 4;
        if (version == 4 && ip[9] == 6)
        {
            tcpStart = (ip[0] & 0xf) * 4;
        }
        else if (version == 6 && ip.Length >= 40 && ip[6] == 6)
        {
            tcpStart = 40;
        }
        else
        {
            return [];
        }

        if (ip.Length < tcpStart + 20)
        {
            return [];
        }

        var tcp = ip[tcpStart..];
        var dataOffset = (tcp[12] >> 4) * 4;
        return tcp.Length > dataOffset ? tcp[dataOffset..] : [];
    }

    /// <summary>The client order ids a segment's requests carry: new orders only (WebSocket API frames unmasked; REST bodies).</summary>
    private static List<long> ClientOrderIds(ReadOnlySpan<byte> payload)
    {
        var ids = new List<long>();
        if (payload.StartsWith("POST "u8))
        {
            if (IdAfter(payload, "newClientOrderId="u8) is { } id)
            {
                ids.Add(id);
            }

            return ids;
        }

        // WebSocket frames, client to server, masked (RFC 6455 §5.3); one segment may hold several or the start of one.
        while (payload.Length >= 6)
        {
            var masked = (payload[1] & 0x80) != 0;
            long length = payload[1] & 0x7f;
            var header = 2;
            if (length == 126 && payload.Length >= 4)
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
                header = 4;
            }
            else if (length == 127 && payload.Length >= 10)
            {
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(payload[2..]);
                header = 10;
            }

            if (!masked || payload.Length < header + 4)
            {
                break;
            }

            var mask = payload.Slice(header, 4);
            var body = payload[(header + 4)..];
            var available = (int)Math.Min(length, body.Length);
            var text = new byte[available];
            for (var i = 0; i < available; i++)
            {
                text[i] = (byte)(body[i] ^ mask[i & 3]);
            }

            if ((payload[0] & 0x0f) == 1 && text.AsSpan().IndexOf("\"order.place\""u8) >= 0 && IdAfter(text, "\"id\":\""u8) is { } id)
            {
                ids.Add(id);
            }

            if (available < length)
            {
                break;
            }

            payload = body[available..];
        }

        return ids;
    }

    private static long? IdAfter(ReadOnlySpan<byte> text, ReadOnlySpan<byte> marker)
    {
        var at = text.IndexOf(marker);
        if (at < 0)
        {
            return null;
        }

        var rest = text[(at + marker.Length)..];
        var end = rest.IndexOfAnyExcept(s_idBytes);
        return ClientOrderId.TryParse(end < 0 ? rest : rest[..end], out var id) ? id : null;
    }

    /// <summary>A Stopwatch reading and a CLOCK_REALTIME reading taken as close together as this machine allows.</summary>
    private readonly record struct ClockPair(long Stopwatch, long RealtimeNs)
    {
        public static ClockPair Read()
        {
            var best = long.MaxValue;
            var pair = default(ClockPair);
            for (var i = 0; i < 2000; i++)
            {
                var before = System.Diagnostics.Stopwatch.GetTimestamp();
                var realtime = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
                var after = System.Diagnostics.Stopwatch.GetTimestamp();
                if (after - before < best)
                {
                    best = after - before;
                    pair = new ClockPair(before + ((after - before) / 2), realtime);
                }
            }

            return pair;
        }
    }
}
