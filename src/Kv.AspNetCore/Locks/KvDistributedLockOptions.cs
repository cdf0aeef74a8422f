using System.Globalization;

namespace Kv;

/// <summary>Options of <see cref="KvDistributedLockProvider"/>, bound from the configuration section <c>Kv:Locks</c>.</summary>
public sealed class KvDistributedLockOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Kv:Locks";

    /// <summary>The top-level namespace the locks live in, when registered with <c>AddKvDistributedLocks()</c>. Default <c>locks</c>.</summary>
    public string Namespace { get; set; } = "locks";

    /// <summary>
    /// How long a lock lives without renewal: if its holder dies, the lock frees itself this long after the last
    /// renewal. Default 30 s. Positive, at most <see cref="KvSetOptions.MaxTtl"/>; a call may pass its own.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a held lock renews its lease; <see langword="null"/> (the default) for a third of the lease, so two
    /// renewals can fail before the lease ends; <see cref="Timeout.InfiniteTimeSpan"/> for no renewal (the lock then
    /// ends with its lease, and <see cref="KvDistributedLockHandle.HandleLostToken"/> never fires). Otherwise positive
    /// and shorter than every lease it is used with.
    /// </summary>
    public TimeSpan? RenewalInterval { get; set; }

    /// <summary>The first wait of <see cref="KvDistributedLockProvider.AcquireAsync"/> between two attempts; it doubles,
    /// with jitter, up to <see cref="MaxPollInterval"/>. Default 10 ms; positive.</summary>
    public TimeSpan MinPollInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>The longest wait between two attempts. Default 500 ms; at least <see cref="MinPollInterval"/>.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Checks the options.</summary>
    /// <returns>One message per problem; none when the options are valid.</returns>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Namespace))
        {
            yield return "KvDistributedLockOptions.Namespace must be a namespace name.";
        }

        if (ValidateLease(Lease) is { } lease)
        {
            yield return lease;
        }

        if (RenewalInterval is { } renewal && ValidateRenewal(renewal, Lease) is { } problem)
        {
            yield return problem;
        }

        if (MinPollInterval <= TimeSpan.Zero)
        {
            yield return "KvDistributedLockOptions.MinPollInterval must be positive.";
        }

        if (MaxPollInterval < MinPollInterval)
        {
            yield return "KvDistributedLockOptions.MaxPollInterval must be at least MinPollInterval.";
        }
    }

    internal static string? ValidateLease(TimeSpan lease) =>
        lease <= TimeSpan.Zero || lease > KvSetOptions.MaxTtl
            ? string.Create(CultureInfo.InvariantCulture, $"A lock lease must be positive and at most {KvSetOptions.MaxTtl.TotalDays} days.")
            : null;

    internal static string? ValidateRenewal(TimeSpan renewal, TimeSpan lease) =>
        renewal == Timeout.InfiniteTimeSpan || (renewal > TimeSpan.Zero && renewal < lease)
            ? null
            : "KvDistributedLockOptions.RenewalInterval must be positive and shorter than the lease (or Timeout.InfiniteTimeSpan for no renewal).";

    // The cadence for one lease: the configured interval, or a third of the lease.
    internal TimeSpan RenewalIntervalFor(TimeSpan lease) => RenewalInterval ?? lease / 3;
}
