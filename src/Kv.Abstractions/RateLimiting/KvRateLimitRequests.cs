namespace Kv;

/// <summary>The argument rules the rate-limit requests share.</summary>
internal static class KvRateLimitRequests
{
    /// <summary>The longest window or period: state TTLs stay well within <see cref="KvSetOptions.MaxTtl"/>.</summary>
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(365);

    public static void ValidateLimit(int permits, int limit, string limitName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, limitName);
        if (permits < 0 || permits > limit)
        {
            throw new ArgumentOutOfRangeException(nameof(permits), permits, $"A request takes 0 to {limitName} ({limit}) permits.");
        }
    }

    public static void ValidatePeriod(TimeSpan period, string name)
    {
        if (period <= TimeSpan.Zero || period > MaxPeriod)
        {
            throw new ArgumentOutOfRangeException(name, period, $"Must be positive and at most {MaxPeriod.TotalDays} days.");
        }
    }

    /// <summary>Whole milliseconds; a fraction rounds up, as TTLs do.</summary>
    public static long Milliseconds(TimeSpan period) => (period.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
}
