using System.Diagnostics.CodeAnalysis;

namespace Engine.Model;

/// <summary>Failure paths shared by the enum wire-name helpers, kept out of line so the helpers stay small.</summary>
internal static class WireNames
{
    public static ArgumentOutOfRangeException Undefined<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        new(nameof(value), value, $"{value} is not a defined {typeof(TEnum).Name}.");

    [DoesNotReturn]
    public static ReadOnlySpan<byte> ThrowUndefined<TEnum>(TEnum value)
        where TEnum : struct, Enum => throw Undefined(value);
}
