using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simulator;

/// <summary>
/// The poison fault: the next N messages of one market stream carry a chosen value in one field (a price of 0, a
/// negative quantity, an absurd id), everything else as the venue would send it. Set through <c>/_sim/poison</c>.
/// </summary>
internal sealed class StreamPoisons
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Poison> _pending = new(StringComparer.Ordinal);
    private volatile bool _any;

    /// <summary>Poisons the next <paramref name="count"/> messages of <paramref name="stream"/> (replacing any earlier poison of it).</summary>
    public void Set(string stream, string field, string value, int count)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentException.ThrowIfNullOrEmpty(field);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_gate)
        {
            _pending[stream] = new Poison(field, value, count);
            _any = true;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _pending.Clear();
            _any = false;
        }
    }

    /// <summary>Takes one message's worth of the stream's poison, if any is left.</summary>
    public bool TryTake(string stream, out string field, out string value)
    {
        field = value = "";
        if (!_any)
        {
            return false;
        }

        lock (_gate)
        {
            if (!_pending.TryGetValue(stream, out var poison))
            {
                return false;
            }

            if (poison.Remaining <= 1)
            {
                _pending.Remove(stream);
                _any = _pending.Count > 0;
            }
            else
            {
                _pending[stream] = poison with { Remaining = poison.Remaining - 1 };
            }

            (field, value) = (poison.Field, poison.Value);
            return true;
        }
    }

    /// <summary>
    /// <paramref name="payload"/> with <paramref name="field"/> (of the event, or of its kline object <c>k</c>) set to
    /// <paramref name="value"/>: as a string where the field is a string ("p":"0"), as raw JSON otherwise ("a":9e18).
    /// A payload without the field is returned as it is.
    /// </summary>
    public static byte[] Apply(byte[] payload, string field, string value)
    {
        var root = JsonNode.Parse(payload)?.AsObject();
        var target = root is null ? null : root.ContainsKey(field) ? root : root["k"] is JsonObject k && k.ContainsKey(field) ? k : null;
        if (target is null)
        {
            return payload;
        }

        target[field] = target[field]?.GetValueKind() == JsonValueKind.String ? JsonValue.Create(value) : RawOrString(value);
        return Encoding.UTF8.GetBytes(root!.ToJsonString());
    }

    private static JsonNode? RawOrString(string value)
    {
        try
        {
            return JsonNode.Parse(value);
        }
        catch (JsonException)
        {
            return JsonValue.Create(value);
        }
    }

    private sealed record Poison(string Field, string Value, int Remaining);
}
