using Engine.Model;
using Microsoft.Extensions.Options;

namespace Engine.Execution;

/// <summary>Where new orders go.</summary>
public enum VenueMode
{
    /// <summary>The exchange (or the simulator) over REST.</summary>
    Live = 1,

    /// <summary>Simulated locally against the latest bookTicker, with fees.</summary>
    Paper = 2,
}

/// <summary>Fault injection for the crash-safety test: end the process (like kill -9) at exactly this point.</summary>
public enum CrashPoint
{
    None = 0,

    /// <summary>After an intent is journaled (committed by the I/O loop, or appended to the intent log by the stage), before its request is sent.</summary>
    JournaledBeforeSend,

    /// <summary>After the venue's answer to a new order arrived, before it is journaled or published.</summary>
    SentBeforeAck,
}

/// <summary>Execution settings; bound from <see cref="Section"/>.</summary>
public sealed class ExecutionOptions
{
    public const string Section = "Engine:Execution";

    /// <summary>Slots of the stage → I/O queue (power of two). A full queue fails the intent (Rejected, cooldown).</summary>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>Bytes of each slot's pre-allocated request buffer (an order signed with an Ed25519 key takes up to about 540).</summary>
    public int RequestBufferBytes { get; set; } = 1024;

    /// <summary>How intents are sent: MARKET, or LIMIT GTC at the intent's reference price.</summary>
    public OrderKind OrderKind { get; set; } = OrderKind.Market;

    /// <summary>Mode at start.</summary>
    public VenueMode InitialMode { get; set; } = VenueMode.Live;

    /// <summary>Venue failures in a row (transport, 5xx, unknown outcomes, 429) after which execution switches to paper.</summary>
    public int MaxConsecutiveFailures { get; set; } = 5;

    /// <summary>Sends of a new order after definite, retry-safe failures (-1001, -1008, 503 "Service Unavailable", no connection).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>First back-off between retries; doubles each time.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Delay before the first order query after an unknown outcome.</summary>
    public TimeSpan QueryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Order queries (after an unknown outcome) before the order is given up as Rejected.</summary>
    public int MaxQueries { get; set; } = 8;

    /// <summary>Resends of an order the venue said it never saw (-2013).</summary>
    public int MaxResends { get; set; } = 1;

    /// <summary>Margin past <c>timestamp + recvWindow</c> after which the venue can no longer accept a request still in flight.</summary>
    public TimeSpan RecvWindowMargin { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Paper taker fee rate (market orders, crossing limits), e.g. 0.0005.</summary>
    public decimal PaperTakerFee { get; set; } = 0.0005m;

    /// <summary>Paper maker fee rate (resting limits), e.g. 0.0002.</summary>
    public decimal PaperMakerFee { get; set; } = 0.0002m;

    /// <summary>Paper wallet when no account event was seen before paper trading started.</summary>
    public decimal PaperInitialWallet { get; set; } = 10_000m;

    /// <summary>
    /// While the journal cannot be written, how often the commit is tried again (as a full flush to disk); in reduce-only
    /// mode, how often positions still open are checked for a close.
    /// </summary>
    public TimeSpan JournalRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Orders over the venue's WebSocket API (<c>ws-fapi/v1</c>) when the venue offers one; false: over the engine's own
    /// REST connections. Either way the execution stage puts each order on the wire itself when it can (not under the
    /// journal's <c>EveryRecord</c> fsync policy) and the I/O loop's REST client is the fallback.
    /// </summary>
    public bool WebSocketApi { get; set; } = true;

    /// <summary>
    /// While the execution stage keeps its send warm (a busy-spinning stage, <c>Engine:Ring:KeepWarmInterval</c>), it also
    /// sends a request-sized message over a private loopback connection, keeping the kernel's TCP send path in the caches
    /// (<see cref="Engine.Exchange.Wire.SendPathWarmer"/>). Nothing reaches the venue.
    /// </summary>
    public bool WarmSendPath { get; set; } = true;

    /// <summary>Fault injection (tests only): see <see cref="CrashPoint"/>.</summary>
    public CrashPoint CrashAfter { get; set; } = CrashPoint.None;

    /// <summary>Exit code of an injected crash.</summary>
    public int CrashExitCode { get; set; } = 86;
}

/// <summary>Refuses execution settings that cannot work, naming each.</summary>
public sealed class ExecutionOptionsValidator : IValidateOptions<ExecutionOptions>
{
    public ValidateOptionsResult Validate(string? name, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new List<string>();
        var p = ExecutionOptions.Section;
        if (options.QueueCapacity < 2 || (options.QueueCapacity & (options.QueueCapacity - 1)) != 0 || options.QueueCapacity > 1 << 20)
        {
            f.Add($"{p}:QueueCapacity must be a power of two in 2..1048576 (got {options.QueueCapacity}).");
        }

        if (options.RequestBufferBytes is < 512 or > 16384)
        {
            f.Add($"{p}:RequestBufferBytes must be 512..16384 (got {options.RequestBufferBytes}).");
        }

        if (options.OrderKind is not (OrderKind.Market or OrderKind.Limit))
        {
            f.Add($"{p}:OrderKind must be Market or Limit (got {options.OrderKind}).");
        }

        if (!Enum.IsDefined(options.InitialMode))
        {
            f.Add($"{p}:InitialMode must be Live or Paper (got {options.InitialMode}).");
        }

        if (options.MaxConsecutiveFailures < 2)
        {
            f.Add($"{p}:MaxConsecutiveFailures must be at least 2: one transient failure must never switch the venue (got {options.MaxConsecutiveFailures}).");
        }

        if (options.MaxRetries < 0 || options.MaxQueries < 1 || options.MaxResends < 0)
        {
            f.Add($"{p}:MaxRetries and MaxResends must be >= 0 and MaxQueries >= 1 (got {options.MaxRetries}, {options.MaxResends}, {options.MaxQueries}).");
        }

        if (options.RetryBackoff <= TimeSpan.Zero || options.QueryDelay <= TimeSpan.Zero || options.RecvWindowMargin < TimeSpan.Zero)
        {
            f.Add($"{p}:RetryBackoff and QueryDelay must be positive, RecvWindowMargin not negative.");
        }

        if (options.PaperTakerFee is < 0 or > 0.01m || options.PaperMakerFee is < -0.01m or > 0.01m)
        {
            f.Add($"{p}:PaperTakerFee must be 0..0.01 and PaperMakerFee -0.01..0.01 (got {options.PaperTakerFee}, {options.PaperMakerFee}).");
        }

        if (options.PaperInitialWallet <= 0)
        {
            f.Add($"{p}:PaperInitialWallet must be positive (got {options.PaperInitialWallet}).");
        }

        if (options.JournalRetryInterval < TimeSpan.FromMilliseconds(10) || options.JournalRetryInterval > TimeSpan.FromMinutes(1))
        {
            f.Add($"{p}:JournalRetryInterval must be 10 ms..1 min (got {options.JournalRetryInterval}).");
        }

        if (!Enum.IsDefined(options.CrashAfter))
        {
            f.Add($"{p}:CrashAfter must be None, JournaledBeforeSend or SentBeforeAck (got {options.CrashAfter}).");
        }

        return f.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(f);
    }
}
