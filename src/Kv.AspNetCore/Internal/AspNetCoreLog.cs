using Microsoft.Extensions.Logging;

namespace Kv.Internal;

/// <summary>
/// Kv.AspNetCore's log messages: locks and health (event ids 4001-4099), rate limiters (4101-4103) and the Data
/// Protection repository (4201). None of them carries a key, a lock name, a partition key (usually a client's address)
/// or a value.
/// </summary>
internal static partial class AspNetCoreLog
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

    public const int FailedOpenEventId = 4101;
    public const int FailedClosedEventId = 4102;
    public const int RejectedEventId = 4103;

    [LoggerMessage(EventId = FailedOpenEventId, EventName = "KvRateLimiterFailedOpen", Level = LogLevel.Warning,
        Message = "The store of a Kv {Algorithm} rate limiter failed ({Cause}); the request was admitted without a limit (FailureMode = FailOpen).")]
    public static partial void FailedOpen(ILogger logger, string algorithm, string cause);

    [LoggerMessage(EventId = FailedClosedEventId, EventName = "KvRateLimiterFailedClosed", Level = LogLevel.Warning,
        Message = "The store of a Kv {Algorithm} rate limiter failed ({Cause}); the request was rejected (FailureMode = FailClosed).")]
    public static partial void FailedClosed(ILogger logger, string algorithm, string cause);

    [LoggerMessage(EventId = RejectedEventId, EventName = "KvRateLimiterRejected", Level = LogLevel.Debug,
        Message = "A Kv {Algorithm} rate limiter rejected {Permits} permit(s); retry after {RetryAfter}.")]
    public static partial void Rejected(ILogger logger, string algorithm, int permits, TimeSpan retryAfter);

    [LoggerMessage(EventId = 4201, EventName = "KvDataProtectionDeleteFailed", Level = LogLevel.Error,
        Message = "Deleting an element of the Data Protection key ring from Kv failed; the remaining deletions were skipped.")]
    public static partial void DataProtectionDeleteFailed(ILogger logger, Exception exception);
}
