using Microsoft.Extensions.Logging;

namespace Kv.Internal;

/// <summary>Kv.AspNetCore's log messages (event ids 4001-4099). None of them carries a key, a lock name or a value.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4001, EventName = "KvLockLost", Level = LogLevel.Warning,
        Message = "A Kv distributed lock (fencing token {FencingToken}) was lost: {Reason}.")]
    public static partial void LockLost(ILogger logger, long fencingToken, string reason);

    [LoggerMessage(EventId = 4002, EventName = "KvLockRenewalFailed", Level = LogLevel.Warning,
        Message = "Renewing a Kv distributed lock (fencing token {FencingToken}) failed; retrying while the lease lasts ({Remaining} left).")]
    public static partial void LockRenewalFailed(ILogger logger, long fencingToken, TimeSpan remaining, Exception exception);

    [LoggerMessage(EventId = 4003, EventName = "KvLockRenewalError", Level = LogLevel.Error,
        Message = "Renewing a Kv distributed lock (fencing token {FencingToken}) failed with an unexpected error; the lock is treated as lost.")]
    public static partial void LockRenewalError(ILogger logger, long fencingToken, Exception exception);

    [LoggerMessage(EventId = 4004, EventName = "KvHealthCheckFailed", Level = LogLevel.Warning,
        Message = "The Kv health check found the {Backend} backend failing.")]
    public static partial void HealthCheckFailed(ILogger logger, string backend, Exception exception);
}
