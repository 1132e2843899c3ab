namespace Engine.Feed.Parsing;

/// <summary>What <see cref="StreamFrameParser.Parse"/> made of one frame.</summary>
public enum FrameOutcome : byte
{
    /// <summary>The frame became a market event; publish it.</summary>
    Event = 0,

    /// <summary>A well-formed frame of a kind the engine does not use (depth, subscription replies, non-market trades, ...).</summary>
    Skipped,

    /// <summary>A well-formed event for a symbol the symbol table does not hold.</summary>
    UnknownSymbol,

    /// <summary>Valid JSON that is not a stream event we know (no or unknown event type, array payloads).</summary>
    UnknownStream,

    /// <summary>Not valid JSON, or a known event with a missing, mistyped or unparsable field.</summary>
    Malformed,

    /// <summary>
    /// A well-formed event whose values cannot be true (a price of zero, a negative quantity, an event time far from
    /// the venue's clock, ...); counted per <see cref="FrameRefusal"/>. The event's header names the kind and symbol
    /// refused; it must not be published.
    /// </summary>
    Refused,
}

/// <summary>
/// Why a well-formed event was refused as impossible; counted per reason (<see cref="FrameCounters"/>,
/// <see cref="FeedRefusals"/>). Few on purpose: each is one value of the <c>reason</c> label of
/// <c>engine_feed_frames_refused_total</c>.
/// </summary>
public enum FrameRefusal : byte
{
    None = 0,

    /// <summary>A price that must be positive is zero or negative (trade, kline open/high/low/close, bid, ask, mark), or an index or settle price is negative.</summary>
    Price,

    /// <summary>A quantity that must be positive is zero or negative (trade quantity, bid and ask quantity), or a kline volume is negative.</summary>
    Quantity,

    /// <summary>A kline whose low is above its open or close, or whose high is below them.</summary>
    KlineRange,

    /// <summary>An event time farther from the venue's clock than <c>Engine:Feed:MaxEventTimeSkew</c>.</summary>
    EventTime,

    /// <summary>A negative id, or one far from the symbol's last id (more than <c>Engine:Feed:MaxIdJump</c> away).</summary>
    Id,
}

/// <summary>Why a well-formed frame was skipped; counted per reason in <see cref="FrameCounters"/>.</summary>
public enum SkipReason : byte
{
    None = 0,

    /// <summary>A <c>depthUpdate</c> (diff or partial depth): the engine keeps no book.</summary>
    DepthUpdate,

    /// <summary>A reply to a subscription request, such as <c>{"result":null,"id":1}</c>.</summary>
    SubscriptionReply,

    /// <summary>An error reply to a request, such as <c>{"code":2,"msg":"Invalid request"}</c> (also logged once).</summary>
    ErrorReply,

    /// <summary>A raw <c>trade</c> whose type <c>X</c> is not <c>MARKET</c> (insurance fund, ADL, ...).</summary>
    NonMarketTrade,

    /// <summary>A kline whose interval is not a whole number of minutes up to 65535 (<c>1s</c>, <c>1M</c>).</summary>
    UnsupportedInterval,

    /// <summary>Another documented market stream event the engine does not use (tickers, liquidations, ...).</summary>
    UnusedEvent,
}

/// <summary>What was wrong with a frame that produced no event; counted per problem and logged once per problem.</summary>
public enum FrameProblem : byte
{
    None = 0,

    /// <summary>Not valid JSON: truncated, bad syntax, trailing bytes, nested deeper than 64.</summary>
    InvalidJson,

    /// <summary>The frame (or its <c>data</c>) is a JSON value that is neither an object nor an array.</summary>
    NotAnObject,

    /// <summary>A field the parser reads appears twice in one object; which one is meant is unknowable.</summary>
    DuplicateField,

    /// <summary>A field the event needs is absent.</summary>
    MissingField,

    /// <summary>A field has the wrong JSON type (<c>"p":1.5</c> instead of <c>"p":"1.5"</c>, a fractional id, ...).</summary>
    WrongType,

    /// <summary>A decimal string that fixed-point cannot hold exactly (exponent, more than 8 decimals, overflow, stray bytes).</summary>
    BadNumber,

    /// <summary>A negative kline trade count (negative prices and quantities are refused, see <see cref="FrameRefusal"/>).</summary>
    NegativeValue,

    /// <summary>No event type (<c>e</c>) and not a reply to a request.</summary>
    NoEventType,

    /// <summary>An event type the parser does not know.</summary>
    UnknownEventType,

    /// <summary>An array payload (<c>!markPrice@arr</c> style); the engine subscribes per symbol.</summary>
    ArrayPayload,

    /// <summary>A symbol the symbol table does not hold.</summary>
    UnknownSymbol,
}
