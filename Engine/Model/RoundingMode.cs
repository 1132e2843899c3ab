namespace Engine.Model;

/// <summary>
/// How a value that falls between two representable results is resolved.
/// Every rounding in the model is explicit so that nothing sent to the exchange is rounded silently.
/// </summary>
public enum RoundingMode
{
    /// <summary>Truncate: drop the excess toward zero (e.g. sizing a position so it never exceeds a limit).</summary>
    TowardZero,

    /// <summary>Move away from zero whenever anything is dropped.</summary>
    AwayFromZero,

    /// <summary>Toward negative infinity.</summary>
    Floor,

    /// <summary>Toward positive infinity.</summary>
    Ceiling,

    /// <summary>To nearest; an exact half goes away from zero (commercial rounding).</summary>
    HalfUp,

    /// <summary>To nearest; an exact half goes to the even neighbour (banker's rounding, unbiased over many values).</summary>
    HalfEven,
}
