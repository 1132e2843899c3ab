using System.Diagnostics.CodeAnalysis;

namespace Engine.Model;

/// <summary>The wire text of one enum value, as static UTF-8.</summary>
internal delegate ReadOnlySpan<byte> WireNameOf<TEnum>(TEnum value);

/// <summary>What the enum wire-name helpers share: the reverse lookup and the failure paths.</summary>
internal static class WireNames
{
    /// <summary>Finds the value among <paramref name="values"/> whose wire text is exactly <paramref name="utf8"/>, without allocating.</summary>
    public static bool TryParse<TEnum>(ReadOnlySpan<byte> utf8, TEnum[] values, WireNameOf<TEnum> nameOf, out TEnum value)
        where TEnum : struct, Enum
    {
        foreach (var candidate in values)
        {
            if (utf8.SequenceEqual(nameOf(candidate)))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }

    public static ArgumentOutOfRangeException Undefined<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        new(nameof(value), value, $"{value} is not a defined {typeof(TEnum).Name}.");

    [DoesNotReturn]
    public static ReadOnlySpan<byte> ThrowUndefined<TEnum>(TEnum value)
        where TEnum : struct, Enum => throw Undefined(value);
}
