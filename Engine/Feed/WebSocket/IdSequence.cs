namespace Engine.Feed.WebSocket;

/// <summary>What <see cref="IdSequence.Next"/> made of an id.</summary>
internal enum IdVerdict : byte
{
    /// <summary>After the last id and within the jump: publish it.</summary>
    Next = 0,

    /// <summary>At or just before the last id: already published (reconnect or handover overlap).</summary>
    Duplicate,

    /// <summary>Farther from the last id than the jump allows, either way: refused, and noted as evidence of a new range.</summary>
    Refused,

    /// <summary>The last of enough consecutive refused ids that agree on one new range: the range is taken as the truth and this id published.</summary>
    Resynced,
}

/// <summary>
/// One symbol's ids of one stream (aggregate trade ids, book update ids, mark-price times): which come next, which
/// were seen, and which are too far from the last to be true.
/// </summary>
/// <remarks>
/// A venue's ids grow by small steps, so an id more than <c>maxJump</c> from the last is refused rather than taken
/// as the new last (one absurd id would otherwise make every true one after it a duplicate). If the stream really
/// moved (the venue renumbered, or the last id itself was the absurd one), the ids that follow agree with each
/// other on the new range: after <c>confirmFrames</c> consecutive such ids, each above the one before and within
/// the jump of it, the sequence moves there. The evidence belongs to one connection and is forgotten on a new one;
/// the last id is the venue's, and survives reconnects so that overlap is still recognised.
/// </remarks>
internal struct IdSequence
{
    private long _last;
    private long _candidate;
    private int _agreeing;
    private bool _started;
    private bool _openForward;

    /// <summary>The last id published (meaningless before the first).</summary>
    public readonly long Last => _last;

    /// <summary>Whether an id has been seen.</summary>
    public readonly bool IsStarted => _started;

    /// <summary>Whether refused ids are waiting for confirmation of a new range.</summary>
    public readonly bool IsSuspect => _agreeing > 0;

    /// <summary>Judges <paramref name="id"/> and, for <see cref="IdVerdict.Next"/> and <see cref="IdVerdict.Resynced"/>, makes it the last id.</summary>
    public IdVerdict Next(long id, long maxJump, int confirmFrames)
    {
        if (!_started)
        {
            _started = true;
            _last = id;
            return IdVerdict.Next;
        }

        // Differences as unsigned: exact for any two longs, whichever way they lie.
        if (id > _last)
        {
            if ((ulong)(id - _last) <= (ulong)maxJump || _openForward)
            {
                _last = id;
                _agreeing = 0;
                _openForward = false;
                return IdVerdict.Next;
            }
        }
        else if ((ulong)(_last - id) <= (ulong)maxJump)
        {
            return IdVerdict.Duplicate;
        }

        _agreeing = _agreeing > 0 && id > _candidate && (ulong)(id - _candidate) <= (ulong)maxJump ? _agreeing + 1 : 1;
        _candidate = id;
        if (_agreeing < confirmFrames)
        {
            return IdVerdict.Refused;
        }

        _last = id;
        _agreeing = 0;
        return IdVerdict.Resynced;
    }

    /// <summary>Forgets the refused ids gathered as evidence (a new connection gathers its own).</summary>
    public void ForgetEvidence() => _agreeing = 0;

    /// <summary>
    /// Lets the next id lie any distance after the last: for a sequence that moves with time (mark-price event times)
    /// after a connection was down, when the gap is as long as the outage and the times are bounded otherwise.
    /// </summary>
    public void OpenForward() => _openForward = true;
}
