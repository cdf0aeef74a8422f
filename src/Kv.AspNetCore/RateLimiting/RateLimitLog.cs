using Microsoft.Extensions.Logging;

namespace Kv.Internal;

/// <summary>The rate limiters' logs (event ids 4101-4103). Never a partition key: it is usually a client's address.</summary>
internal static partial class RateLimitLog
{
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
}
