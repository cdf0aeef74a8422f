namespace Kv;

/// <summary>
/// A token-bucket decision: take <see cref="Permits"/> tokens from a bucket of at most <see cref="TokenLimit"/>
/// tokens that gains <see cref="TokensPerPeriod"/> tokens every <see cref="ReplenishmentPeriod"/>.
/// </summary>
/// <remarks>
/// Exact: the bucket starts full, never holds more than <see cref="TokenLimit"/> (the burst), and refills in whole
/// periods counted from the last refill, as the built-in <c>TokenBucketRateLimiter</c> does; so over any time
/// <c>t</c> it admits at most <c>TokenLimit + ⌊t / ReplenishmentPeriod⌋ · TokensPerPeriod</c> tokens. The state is two
/// numbers per partition (tokens and the time of the last refill); a bucket that has refilled completely is
/// deleted by its TTL, which is the same as full.
/// </remarks>
/// <param name="Permits">The tokens to take: 0 (only asks whether any token is left) to <see cref="TokenLimit"/>.</param>
/// <param name="TokenLimit">The bucket's size, the largest burst; at least 1.</param>
/// <param name="ReplenishmentPeriod">How often tokens are added: 1 ms to 365 days, kept to the millisecond.</param>
/// <param name="TokensPerPeriod">The tokens added each period; at least 1.</param>
public readonly record struct KvTokenBucketRequest(int Permits, int TokenLimit, TimeSpan ReplenishmentPeriod, int TokensPerPeriod)
{
    /// <summary>The replenishment period in whole milliseconds (a fraction rounds up).</summary>
    public long PeriodMilliseconds => KvRateLimitRequests.Milliseconds(ReplenishmentPeriod);

    internal void Validate()
    {
        KvRateLimitRequests.ValidateLimit(Permits, TokenLimit, nameof(TokenLimit));
        KvRateLimitRequests.ValidatePeriod(ReplenishmentPeriod, nameof(ReplenishmentPeriod));
        ArgumentOutOfRangeException.ThrowIfLessThan(TokensPerPeriod, 1, nameof(TokensPerPeriod));
    }
}
