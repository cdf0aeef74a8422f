namespace Kv.RateLimiting;

/// <summary>The outcome of one rate-limit decision (see <see cref="IKvRateLimitStore"/>).</summary>
/// <param name="Acquired">Whether the permits were granted.</param>
/// <param name="RemainingPermits">The permits left after the decision, as the store saw them (never negative).</param>
/// <param name="RetryAfter">When rejected: how long until the same request could succeed if nobody else takes
/// permits meanwhile. <see cref="TimeSpan.Zero"/> when acquired.</param>
public readonly record struct KvRateLimitDecision(bool Acquired, long RemainingPermits, TimeSpan RetryAfter);
