namespace Engine.Model;

/// <summary>
/// Why a fixed-point text was rejected. Returned instead of thrown so the hot parse path stays allocation-free;
/// <see cref="FixedPoint.Describe(FixedPointError)"/> turns it into a message for logs.
/// </summary>
public enum FixedPointError
{
    /// <summary>The text parsed.</summary>
    None,

    /// <summary>The text had no bytes at all.</summary>
    Empty,

    /// <summary>A byte other than an optional leading '-', digits and a single '.' (spaces, '+', ',' included).</summary>
    InvalidCharacter,

    /// <summary>Exponent notation such as "1e-8"; the exchange sends plain digits, so this means a bad source.</summary>
    Exponent,

    /// <summary>No digits before or after the '.', or a lone '-' (".5", "1.", "-").</summary>
    MissingDigits,

    /// <summary>A non-zero fractional digit beyond the eighth, which scale 8 cannot hold exactly.</summary>
    TooManyDecimals,

    /// <summary>The value does not fit the int64 mantissa at scale 8.</summary>
    Overflow,
}
