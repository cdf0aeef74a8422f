using Kv.RateLimiting;

namespace Kv;

/// <summary>Options of a <see cref="KvTokenBucketRateLimiter"/> (see <see cref="KvTokenBucketRequest"/> for the algorithm).</summary>
public sealed class KvTokenBucketRateLimiterOptions : KvRateLimiterOptions
{
    /// <summary>The bucket's size, the largest burst; at least 1. A new bucket starts full. Required.</summary>
    public int TokenLimit { get; set; }

    /// <summary>How often <see cref="TokensPerPeriod"/> tokens are added: 1 ms to 365 days, kept to the millisecond. Required.</summary>
    public TimeSpan ReplenishmentPeriod { get; set; }

    /// <summary>The tokens added each period; at least 1. Required.</summary>
    public int TokensPerPeriod { get; set; }

    internal override int Limit => TokenLimit;

    internal override void Validate()
    {
        base.Validate();
        ValidateLimit(TokenLimit, nameof(TokenLimit));
        ValidatePeriod(ReplenishmentPeriod, nameof(ReplenishmentPeriod));
        ValidateLimit(TokensPerPeriod, nameof(TokensPerPeriod));
    }
}
