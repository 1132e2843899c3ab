using System.Diagnostics;
using Engine.Feed.Parsing;
using Engine.Model;
using Engine.Ring;
using Microsoft.Extensions.Logging;

namespace Engine.Feed.Replay;

/// <summary>
/// Replays Binance public-data CSV files (futures aggTrades and klines) into the ring on its own thread: the files
/// merged by time, as fast as the ring takes them or at N times the recorded pace. The same files give the same
/// events in the same order on every run.
/// </summary>
/// <remarks>
/// <para>
/// Merge order: the smallest time first (a trade's <c>transact_time</c>, a candle's <c>close_time</c>); on equal
/// times the file listed first in <see cref="ReplayOptions.Files"/>, and within a file the row order. Each event's
/// <see cref="MarketEvent.ExchangeTimeMs"/> is that time; <see cref="MarketEvent.ReceivedTimestamp"/> is the
/// <see cref="Stopwatch"/> time at publication.
/// </para>
/// <para>
/// A row that cannot be read stops the replay (rather than skipping it, which would quietly replay a different
/// market): the events before it are published, <see cref="Error"/> holds <c>file:line: reason</c>, it is logged,
/// and <see cref="Completion"/> faults with the <see cref="ReplayFormatException"/>. A file whose header or first
/// row is unreadable fails the constructor the same way, before anything is published.
/// </para>
/// <para>
/// The constructor registers each file's symbol in the <see cref="SymbolTable"/>, so build the source before the
/// table is shared with other threads (as with the synthetic source).
/// </para>
/// </remarks>
public sealed class ReplayMarketSource : IDisposable
{
    private readonly RingBuffer<MarketEvent> _ring;
    private readonly ILogger _logger;
    private readonly CsvReplayFile[] _files;
    private readonly MarketEvent[] _pending;
    private readonly bool[] _hasPending;
    private readonly double _speed;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _published;
    private volatile bool _stopping;
    private volatile bool _reachedEnd;
    private volatile ReplayFormatException? _error;
    private Thread? _thread;

    /// <exception cref="ArgumentException">The options are invalid (every reason in the message).</exception>
    /// <exception cref="ReplayFormatException">A file's header or first row cannot be read.</exception>
    public ReplayMarketSource(RingBuffer<MarketEvent> ring, SymbolTable symbols, ReplayOptions options, ILogger logger)
    {
        _ring = ring ?? throw new ArgumentNullException(nameof(ring));
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        var failures = options.Validate();
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, failures), nameof(options));
        }

        _speed = options.Speed;
        _files = new CsvReplayFile[options.Files.Count];
        _pending = new MarketEvent[_files.Length];
        _hasPending = new bool[_files.Length];
        try
        {
            for (var i = 0; i < _files.Length; i++)
            {
                var path = options.Files[i];
                _files[i] = new CsvReplayFile(path, symbols.Add(options.SymbolOf(path)));
                _hasPending[i] = _files[i].TryRead(ref _pending[i]);
            }
        }
        catch
        {
            DisposeFiles();
            throw;
        }
    }

    /// <summary>Events published so far (readable from any thread).</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>True while the replay thread runs.</summary>
    public bool IsRunning => _thread is { IsAlive: true };

    /// <summary>True once every row of every file has been published.</summary>
    public bool ReachedEnd => _reachedEnd;

    /// <summary>The unreadable row that stopped the replay, if one did.</summary>
    public ReplayFormatException? Error => _error;

    /// <summary>Completes when the replay thread ends: at the end of the files or on <see cref="Stop"/>; faults on an unreadable row.</summary>
    public Task Completion => _completion.Task;

    /// <summary>The files in merge-priority order with the layout each was read as.</summary>
    public IReadOnlyList<(string Path, ReplayLayout Layout, bool HasHeader)> Files =>
        [.. _files.Select(f => (f.Path, f.Layout, f.HasHeader))];

    public void Start()
    {
        if (_thread is not null)
        {
            throw new InvalidOperationException("The replay has already been started.");
        }

        _thread = new Thread(Run) { Name = "feed-replay", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Stops publishing and waits for the thread; nothing is published after this returns true.</summary>
    public bool Stop(TimeSpan timeout)
    {
        _stopping = true;
        return _thread is null || _thread.Join(timeout);
    }

    public void Dispose()
    {
        if (Stop(TimeSpan.FromSeconds(5)))
        {
            DisposeFiles();
        }
    }

    private void Run()
    {
        ReplayLog.Started(_logger, _files.Length, _speed);
        try
        {
            var startTime = long.MinValue;
            long startTimestamp = 0;
            while (!_stopping)
            {
                var next = NextFile();
                if (next < 0)
                {
                    _reachedEnd = true;
                    break;
                }

                ref var evt = ref _pending[next];
                if (_speed > 0)
                {
                    if (startTime == long.MinValue)
                    {
                        startTime = evt.ExchangeTimeMs;
                        startTimestamp = Stopwatch.GetTimestamp();
                    }

                    if (!WaitUntil(startTimestamp + (long)((evt.ExchangeTimeMs - startTime) / _speed * Stopwatch.Frequency / 1000.0)))
                    {
                        break;
                    }
                }

                evt.ReceivedTimestamp = Stopwatch.GetTimestamp();
                RingPublish.Publish(_ring, in evt);
                Volatile.Write(ref _published, _published + 1);
                _hasPending[next] = _files[next].TryRead(ref evt);
            }

            ReplayLog.Ended(_logger, _published, _reachedEnd ? "end of files" : "stopped");
            _completion.TrySetResult();
        }
        catch (ReplayFormatException e)
        {
            _error = e;
            ReplayLog.Failed(_logger, _published, e.Message);
            _completion.TrySetException(e);
        }
        catch (IOException e)
        {
            var error = new ReplayFormatException($"reading the replay files failed after {_published} events: {e.Message}", e);
            _error = error;
            ReplayLog.Failed(_logger, _published, error.Message);
            _completion.TrySetException(error);
        }
    }

    // The file whose pending event comes first: smallest time, then the file listed first.
    private int NextFile()
    {
        var best = -1;
        var bestTime = long.MaxValue;
        for (var i = 0; i < _files.Length; i++)
        {
            if (_hasPending[i] && (best < 0 || _pending[i].ExchangeTimeMs < bestTime))
            {
                best = i;
                bestTime = _pending[i].ExchangeTimeMs;
            }
        }

        return best;
    }

    // Sleeps while the due time is far, yields while it is near; false if stopped meanwhile.
    private bool WaitUntil(long dueTimestamp)
    {
        var twoMilliseconds = Stopwatch.Frequency / 500;
        while (!_stopping)
        {
            var remaining = dueTimestamp - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return true;
            }

            if (remaining > twoMilliseconds)
            {
                Thread.Sleep((int)Math.Min(100, (remaining - (twoMilliseconds / 2)) * 1000 / Stopwatch.Frequency));
            }
            else
            {
                Thread.Yield();
            }
        }

        return false;
    }

    private void DisposeFiles()
    {
        foreach (var file in _files)
        {
            file?.Dispose();
        }
    }
}

internal static partial class ReplayLog
{
    [LoggerMessage(EventId = 610, Level = LogLevel.Information, Message = "Replay started: {Files} files, speed {Speed} (0 = as fast as the ring takes it)")]
    public static partial void Started(ILogger logger, int files, double speed);

    [LoggerMessage(EventId = 611, Level = LogLevel.Information, Message = "Replay ended after {Published} events ({Reason})")]
    public static partial void Ended(ILogger logger, long published, string reason);

    [LoggerMessage(EventId = 612, Level = LogLevel.Error, Message = "Replay stopped after {Published} events on an unreadable row: {Error}")]
    public static partial void Failed(ILogger logger, long published, string error);
}
