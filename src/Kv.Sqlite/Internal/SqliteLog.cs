using Microsoft.Extensions.Logging;

namespace Kv.Internal;

/// <summary>The SQLite backend's log events. None carries a key or a value: operations are named by kind.</summary>
internal static partial class SqliteLog
{
    public const int OpenedEventId = 5001;
    public const int OperationFailedEventId = 5002;
    public const int CommitFailedEventId = 5003;
    public const int CollectedEventId = 5004;

    [LoggerMessage(EventId = OpenedEventId, EventName = "SqliteKvOpened", Level = LogLevel.Information,
        Message = "SQLite Kv opened {Path} (schema {Schema}, durability {Durability}).")]
    public static partial void Opened(ILogger logger, string path, int schema, SqliteDurability durability);

    [LoggerMessage(EventId = OperationFailedEventId, EventName = "SqliteKvOperationFailed", Level = LogLevel.Warning,
        Message = "SQLite Kv operation {Operation} failed with SQLite error {SqliteErrorCode}.")]
    public static partial void OperationFailed(ILogger logger, string operation, int sqliteErrorCode);

    [LoggerMessage(EventId = CommitFailedEventId, EventName = "SqliteKvCommitFailed", Level = LogLevel.Warning,
        Message = "SQLite Kv could not commit a group of {Writes} writes (SQLite error {SqliteErrorCode}); none of them was applied.")]
    public static partial void CommitFailed(ILogger logger, int writes, int sqliteErrorCode);

    [LoggerMessage(EventId = CollectedEventId, EventName = "SqliteKvCollected", Level = LogLevel.Debug,
        Message = "SQLite Kv deleted {Rows} expired rows.")]
    public static partial void Collected(ILogger logger, long rows);
}
