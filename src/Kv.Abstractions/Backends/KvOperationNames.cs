namespace Kv;

/// <summary>
/// The one spelling of each operation's name, used by Kv's metrics and traces (<c>db.operation.name</c>) and by every
/// backend's log messages, so a name in a log line matches the series and spans of the same operation.
/// </summary>
/// <remarks>For backend authors: name the operation with these constants in your own logs.</remarks>
public static class KvOperationNames
{
    /// <summary><c>GetAsync</c>: a read of the value alone.</summary>
    public const string Get = "get";

    /// <summary><c>GetEntryAsync</c>: a read of the value with its expiry, metadata and version.</summary>
    public const string GetEntry = "get_entry";

    /// <summary><c>SetAsync</c>.</summary>
    public const string Set = "set";

    /// <summary><c>SetIfNotExistsAsync</c>.</summary>
    public const string SetIfNotExists = "set_if_not_exists";

    /// <summary><c>DeleteAsync</c>.</summary>
    public const string Delete = "delete";

    /// <summary><c>ExistsAsync</c>.</summary>
    public const string Exists = "exists";

    /// <summary><c>ExpireAsync</c>: a relative TTL.</summary>
    public const string Expire = "expire";

    /// <summary><c>ExpireAtAsync</c>: an absolute expiry.</summary>
    public const string ExpireAt = "expire_at";

    /// <summary><c>IncrementAsync</c>.</summary>
    public const string Increment = "increment";

    /// <summary><c>GetManyAsync</c>.</summary>
    public const string GetMany = "get_many";

    /// <summary><c>SetManyAsync</c>.</summary>
    public const string SetMany = "set_many";

    /// <summary><c>DeleteManyAsync</c>.</summary>
    public const string DeleteMany = "delete_many";

    /// <summary><c>GetTimeToLiveAsync</c>.</summary>
    public const string GetTimeToLive = "get_ttl";

    /// <summary><c>PersistAsync</c>.</summary>
    public const string Persist = "persist";

    /// <summary><c>ListAsync</c> and the listing conveniences.</summary>
    public const string List = "list";

    /// <summary><c>CountAsync</c>.</summary>
    public const string Count = "count";

    /// <summary><c>GetStorageSizeAsync</c> and <c>GetNamespaceSizeAsync</c>.</summary>
    public const string StorageSize = "storage_size";

    /// <summary>A transaction's <c>CommitAsync</c>.</summary>
    public const string Commit = "commit";

    /// <summary><c>KvAdaptor.CollectExpiredAsync</c>: one GC pass.</summary>
    public const string CollectExpired = "collect_expired";

    /// <summary>A health check of the backend (<c>KvAdaptor.PingAsync</c>).</summary>
    public const string Ping = "ping";

    /// <summary>A check of the backend's configuration (<c>KvAdaptor.CheckConfigurationAsync</c>).</summary>
    public const string CheckConfiguration = "check_configuration";

    /// <summary>An online backup of a file-backed store.</summary>
    public const string Backup = "backup";

    /// <summary>A fixed-window rate-limit decision (also the limiter's <c>kv.ratelimit.algorithm</c>).</summary>
    public const string FixedWindow = "fixed_window";

    /// <summary>A sliding-window rate-limit decision (also the limiter's <c>kv.ratelimit.algorithm</c>).</summary>
    public const string SlidingWindow = "sliding_window";

    /// <summary>A token-bucket rate-limit decision (also the limiter's <c>kv.ratelimit.algorithm</c>).</summary>
    public const string TokenBucket = "token_bucket";
}
