using System.Globalization;

namespace Kv;

/// <summary>The TTL rule: positive, at most <see cref="KvSetOptions.MaxTtl"/>, kept to the millisecond.</summary>
internal static class KvTtl
{
    public static TimeSpan Normalize(TimeSpan ttl)
    {
        if (ttl <= TimeSpan.Zero || ttl > KvSetOptions.MaxTtl)
        {
            throw new KvException(
                KvErrorCode.InvalidTtl,
                string.Create(CultureInfo.InvariantCulture, $"A TTL must be positive and at most {KvSetOptions.MaxTtl.TotalDays} days; got {ttl}."));
        }

        // Kept to the millisecond; a fraction of a millisecond rounds up, so a TTL never shortens.
        long remainder = ttl.Ticks % TimeSpan.TicksPerMillisecond;
        return remainder == 0 ? ttl : TimeSpan.FromTicks(ttl.Ticks - remainder + TimeSpan.TicksPerMillisecond);
    }

    /// <summary>Turns an absolute expiry into a TTL from now; a time not in the future is <see cref="KvErrorCode.InvalidTtl"/>.</summary>
    public static TimeSpan FromExpiresAt(DateTimeOffset expiresAt, TimeProvider timeProvider)
    {
        TimeSpan ttl = expiresAt - timeProvider.GetUtcNow();
        if (ttl <= TimeSpan.Zero)
        {
            throw new KvException(KvErrorCode.InvalidTtl, "An expiry time must lie in the future.");
        }

        return Normalize(ttl);
    }

    public static TimeSpan? Normalize(KvSetOptions? options, TimeProvider timeProvider)
    {
        if (options is null)
        {
            return null;
        }

        if (options.Ttl is { } ttl)
        {
            return options.ExpiresAt is null
                ? Normalize(ttl)
                : throw new KvException(KvErrorCode.InvalidTtl, "Set either Ttl or ExpiresAt, not both.");
        }

        return options.ExpiresAt is { } at ? FromExpiresAt(at, timeProvider) : null;
    }
}
