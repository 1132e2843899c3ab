using System.Diagnostics.CodeAnalysis;

namespace Engine.Exchange.Rest;

/// <summary>The answer to one REST call: a value, or a typed <see cref="VenueError"/>. Expected venue errors never throw.</summary>
public readonly struct RestResult<T>
{
    internal RestResult(T? value, VenueError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The parsed answer when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }

    /// <summary>What went wrong, when not <see cref="IsSuccess"/>.</summary>
    public VenueError? Error { get; }

    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>The value, or an exception carrying the error (for callers, such as start-up, that cannot go on without it).</summary>
    /// <exception cref="VenueException">The call failed.</exception>
    public T GetValueOrThrow() => IsSuccess ? Value! : throw new VenueException(Error);

    public override string ToString() => IsSuccess ? $"Success({Value})" : $"Failure({Error})";
}

/// <summary>Creates <see cref="RestResult{T}"/> values.</summary>
public static class RestResult
{
    public static RestResult<T> Success<T>(T value) => new(value, null);

    public static RestResult<T> Failure<T>(VenueError error) => new(default, error ?? throw new ArgumentNullException(nameof(error)));
}

/// <summary>Thrown only where a caller asks for it (<see cref="RestResult{T}.GetValueOrThrow"/>); carries the typed error.</summary>
public sealed class VenueException : Exception
{
    public VenueException(VenueError error)
        : base(error?.ToString())
        => Error = error ?? throw new ArgumentNullException(nameof(error));

    public VenueException()
        : this(new VenueError(VenueErrorCategory.BadResponse, VenueError.LocalCode, "unspecified", 0, sent: false))
    {
    }

    public VenueException(string message)
        : this(new VenueError(VenueErrorCategory.BadResponse, VenueError.LocalCode, message, 0, sent: false))
    {
    }

    public VenueException(string message, Exception innerException)
        : base(message, innerException)
        => Error = new VenueError(VenueErrorCategory.BadResponse, VenueError.LocalCode, message, 0, sent: false);

    public VenueError Error { get; }
}
