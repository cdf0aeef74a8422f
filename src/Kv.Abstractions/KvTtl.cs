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

    public static TimeSpan? Normalize(KvSetOptions? options) =>
        options?.Ttl is { } ttl ? Normalize(ttl) : null;
}
