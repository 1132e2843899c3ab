using Engine.Model;
using Microsoft.Extensions.Options;

namespace Engine.State.Reconciliation;

/// <summary>Settings of reconciliation (<c>Engine:Reconciliation</c>; the operators' <c>RECONCILIATION_INTERVAL</c> binds <see cref="Interval"/>).</summary>
public sealed class ReconciliationOptions
{
    public const string Section = "Engine:Reconciliation";

    /// <summary>Time between scheduled runs (default 900 s).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(900);

    /// <summary>Run once at start (before the first interval).</summary>
    public bool RunAtStart { get; set; } = true;

    /// <summary>
    /// A difference is corrected only if it is still the same after this wait (both sides re-read): a fill on its way
    /// through the user-data stream must not be mistaken for a mismatch.
    /// </summary>
    public TimeSpan ConfirmDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait for the tail to show a correction before reporting it as not seen.</summary>
    public TimeSpan ApplyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Entry prices differing by more than this fraction of the venue's are a mismatch (amounts must match exactly).</summary>
    public double EntryPriceTolerance { get; set; } = 0.0001;

    /// <summary>Cancel open venue orders with the engine's id form that the engine does not know.</summary>
    public bool CancelUnknownOrders { get; set; } = true;

    /// <summary>The asset whose balances the Account event carries.</summary>
    public string MarginAsset { get; set; } = "USDT";

    internal Price ToleranceOf(Price venueEntry) =>
        Price.FromMantissa((long)Math.Ceiling(Math.Abs(venueEntry.Mantissa) * EntryPriceTolerance));
}

/// <summary>Refuses settings reconciliation cannot work with, naming each.</summary>
public sealed class ReconciliationOptionsValidator : IValidateOptions<ReconciliationOptions>
{
    public ValidateOptionsResult Validate(string? name, ReconciliationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        const string prefix = ReconciliationOptions.Section;
        // At most a day: the schedule's timer takes no more than about 49.7 days, and a run a day is already far apart.
        if (options.Interval < TimeSpan.FromSeconds(1) || options.Interval > TimeSpan.FromDays(1))
        {
            failures.Add($"{prefix}:Interval must be 1 second to 1 day (got {options.Interval}).");
        }

        if (options.ConfirmDelay < TimeSpan.Zero || options.ConfirmDelay > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{prefix}:ConfirmDelay must be 0..60 s (got {options.ConfirmDelay}).");
        }

        if (options.ApplyTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{prefix}:ApplyTimeout must be positive (got {options.ApplyTimeout}).");
        }

        if (options.EntryPriceTolerance is < 0 or > 0.1 || double.IsNaN(options.EntryPriceTolerance))
        {
            failures.Add($"{prefix}:EntryPriceTolerance must be 0..0.1 (got {options.EntryPriceTolerance}).");
        }

        if (string.IsNullOrWhiteSpace(options.MarginAsset))
        {
            failures.Add($"{prefix}:MarginAsset must name an asset, e.g. USDT.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
