using Microsoft.Extensions.Options;

namespace Engine.State.Journal;

/// <summary>When the journal asks the disk to make appended records durable (fsync).</summary>
public enum FsyncPolicy
{
    /// <summary>Records reach the operating system before an order is sent (they survive a process crash), never forced to disk.</summary>
    None,

    /// <summary>Group commit: forced to disk every <see cref="JournalOptions.GroupCommitInterval"/> or <see cref="JournalOptions.GroupCommitRecords"/> records, whichever comes first.</summary>
    Batched,

    /// <summary>Forced to disk at every commit (each batch of records the I/O loop writes before it sends).</summary>
    EveryRecord,
}

/// <summary>The write-ahead journal's settings; bound from <see cref="Section"/>.</summary>
public sealed class JournalOptions
{
    public const string Section = "Engine:Journal";

    /// <summary>Folder of the segment files (created when missing).</summary>
    public string Directory { get; set; } = "journal";

    public FsyncPolicy Fsync { get; set; } = FsyncPolicy.Batched;

    /// <summary>Longest time appended records wait for an fsync under <see cref="FsyncPolicy.Batched"/>.</summary>
    public TimeSpan GroupCommitInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Records after which <see cref="FsyncPolicy.Batched"/> forces an fsync at the next commit.</summary>
    public int GroupCommitRecords { get; set; } = 64;

    /// <summary>A segment that grows past this is closed; the next one starts with a snapshot and the older segments are deleted.</summary>
    public long SegmentMaxBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Size of each pre-allocated, memory-mapped segment of the intent log (<see cref="IntentLog"/>, the folder
    /// <see cref="IntentLog.FolderName"/> in <see cref="Directory"/>): about 50,000 intents each. A multiple of 4096.
    /// </summary>
    public long IntentSegmentBytes { get; set; } = 4L * 1024 * 1024;
}

/// <summary>Refuses journal settings that cannot work, naming each.</summary>
public sealed class JournalOptionsValidator : IValidateOptions<JournalOptions>
{
    public ValidateOptionsResult Validate(string? name, JournalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            failures.Add($"{JournalOptions.Section}:Directory must name a folder.");
        }

        if (!Enum.IsDefined(options.Fsync))
        {
            failures.Add($"{JournalOptions.Section}:Fsync must be None, Batched or EveryRecord (got {options.Fsync}).");
        }

        if (options.GroupCommitInterval <= TimeSpan.Zero || options.GroupCommitInterval > TimeSpan.FromSeconds(10))
        {
            failures.Add($"{JournalOptions.Section}:GroupCommitInterval must be in (0, 10 s] (got {options.GroupCommitInterval}).");
        }

        if (options.GroupCommitRecords < 1)
        {
            failures.Add($"{JournalOptions.Section}:GroupCommitRecords must be at least 1 (got {options.GroupCommitRecords}).");
        }

        if (options.SegmentMaxBytes < 4096)
        {
            failures.Add($"{JournalOptions.Section}:SegmentMaxBytes must be at least 4096 (got {options.SegmentMaxBytes}).");
        }

        if (options.IntentSegmentBytes < IntentLog.MinSegmentBytes || options.IntentSegmentBytes > IntentLog.MaxSegmentBytes || options.IntentSegmentBytes % 4096 != 0)
        {
            failures.Add($"{JournalOptions.Section}:IntentSegmentBytes must be a multiple of 4096 in [{IntentLog.MinSegmentBytes}, {IntentLog.MaxSegmentBytes}] (got {options.IntentSegmentBytes}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
