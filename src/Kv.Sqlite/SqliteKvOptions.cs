namespace Kv;

/// <summary>Settings of <see cref="SqliteKv"/>. Bound from the <c>Kv:Sqlite</c> configuration section.</summary>
public sealed class SqliteKvOptions
{
    /// <summary>The configuration section the SQLite options bind from.</summary>
    public const string SectionName = "Kv:Sqlite";

    /// <summary>
    /// The database file, e.g. <c>data/kv.db</c>; a relative path is resolved against the current directory. The file
    /// and its folder are created on first use. Set this or <see cref="ConnectionString"/>, not both.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>
    /// A Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=data/kv.db</c>, for settings that
    /// <see cref="Path"/> cannot express. It must name a file (not <c>:memory:</c>). Kv sets the mode, pooling and
    /// timeout itself.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>How often the collection service deletes expired rows. Default 60 seconds; positive.</summary>
    public TimeSpan GcInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>What a completed write survives. Default <see cref="SqliteDurability.Full"/>.</summary>
    public SqliteDurability Durability { get; set; } = SqliteDurability.Full;

    /// <summary>
    /// How long an operation waits for the database's write lock while another connection (often another process)
    /// holds it, before it fails with <see cref="KvErrorCode.StoreOperationFailed"/>. Default 5 seconds; at least one
    /// second, at most ten minutes.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many queued writes one transaction commits at most (group commit). Default 256; 1 to 10,000. Writes that
    /// arrive together share one commit, and so one sync of the log to disk.
    /// </summary>
    public int MaxWritesPerTransaction { get; set; } = 256;

    /// <summary>Returns what is wrong with these options; empty when they are valid.</summary>
    internal IEnumerable<string> Validate()
    {
        bool hasPath = !string.IsNullOrWhiteSpace(Path);
        bool hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        if (hasPath == hasConnectionString)
        {
            yield return "Set exactly one of SqliteKvOptions.Path and SqliteKvOptions.ConnectionString (configuration Kv:Sqlite:Path).";
        }

        if (GcInterval <= TimeSpan.Zero)
        {
            yield return "SqliteKvOptions.GcInterval must be positive.";
        }

        if (!Enum.IsDefined(Durability))
        {
            yield return "SqliteKvOptions.Durability must be Full or Normal.";
        }

        if (BusyTimeout < TimeSpan.FromSeconds(1) || BusyTimeout > TimeSpan.FromMinutes(10))
        {
            yield return "SqliteKvOptions.BusyTimeout must be between 1 second and 10 minutes.";
        }

        if (MaxWritesPerTransaction is < 1 or > 10_000)
        {
            yield return "SqliteKvOptions.MaxWritesPerTransaction must be between 1 and 10000.";
        }
    }
}

/// <summary>What a write whose task has completed survives (<see cref="SqliteKvOptions.Durability"/>).</summary>
public enum SqliteDurability
{
    /// <summary>
    /// <c>PRAGMA synchronous=FULL</c>: every commit syncs the write-ahead log to disk before the write's task completes,
    /// so a completed write survives the process being killed, an operating-system crash and power loss (as far as the
    /// disk honours the sync).
    /// </summary>
    Full = 0,

    /// <summary>
    /// <c>PRAGMA synchronous=NORMAL</c>: a commit is written to the log (the operating system's page cache) but synced
    /// only at checkpoints, so a completed write survives the process being killed, but the last commits can be lost in
    /// an operating-system crash or power loss. The database is never corrupted either way.
    /// </summary>
    Normal = 1,
}
