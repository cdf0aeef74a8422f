namespace Kv.RateLimiting;

/// <summary>
/// A token-bucket decision: take <see cref="Permits"/> tokens from a bucket of at most <see cref="TokenLimit"/>
/// tokens that gains <see cref="TokensPerPeriod"/> tokens every <see cref="PeriodMilliseconds"/>.
/// </summary>
/// <remarks>
/// Exact: the bucket starts full, never holds more than <see cref="TokenLimit"/> (the burst), and refills in whole
/// periods counted from the last refill, as the built-in <c>TokenBucketRateLimiter</c> does. The state is two numbers
/// per partition (tokens and the time of the last refill); a bucket that has refilled completely may expire, which is
/// the same as full.
/// </remarks>
/// <param name="Permits">The tokens to take: 0 (only asks whether any token is left) to <see cref="TokenLimit"/>.</param>
/// <param name="TokenLimit">The bucket's size, the largest burst; at least 1.</param>
/// <param name="PeriodMilliseconds">How often tokens are added, in whole milliseconds: 1 ms to 365 days.</param>
/// <param name="TokensPerPeriod">The tokens added each period; at least 1.</param>
public readonly record struct KvTokenBucketRequest(int Permits, int TokenLimit, long PeriodMilliseconds, int TokensPerPeriod);
