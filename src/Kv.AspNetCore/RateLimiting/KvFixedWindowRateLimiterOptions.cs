using Kv.RateLimiting;

namespace Kv;

/// <summary>Options of a <see cref="KvFixedWindowRateLimiter"/> (see <see cref="KvFixedWindowRequest"/> for the algorithm).</summary>
public sealed class KvFixedWindowRateLimiterOptions : KvRateLimiterOptions
{
    /// <summary>The permits per window; at least 1. Required.</summary>
    public int PermitLimit { get; set; }

    /// <summary>The window: 1 ms to 365 days, kept to the millisecond. Windows are aligned to the Unix epoch. Required.</summary>
    public TimeSpan Window { get; set; }

    internal override int Limit => PermitLimit;

    internal override void Validate()
    {
        base.Validate();
        ValidateLimit(PermitLimit, nameof(PermitLimit));
        ValidatePeriod(Window, nameof(Window));
    }
}
