using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kv;

/// <summary>
/// Distributed locks kept in a Kv store: mutual exclusion across every process that shares the backend (one Redis for
/// many app instances; one process for the memory backend).
/// </summary>
/// <remarks>
/// <para>A lock is one key, named after the lock, holding a random owner token with a TTL of the lease. Taking it is
/// one transaction, <c>Check(name, missing) + Set(name, token, ttl: lease)</c>: one round trip on Redis. The commit's
/// version is the handle's <see cref="KvDistributedLockHandle.FencingToken"/>.</para>
/// <para>While held, the handle renews the lease every <see cref="KvDistributedLockOptions.RenewalInterval"/> with
/// <c>Check(name, version) + Set(name, token, ttl: lease)</c>, and releases it with <c>Check(name, version) + Delete(name)</c>,
/// so neither can touch a lock that someone else holds now. See <see cref="KvDistributedLockHandle"/>.</para>
/// <para>Time (leases, renewal, polling and timeouts) comes from the injected <see cref="TimeProvider"/>.</para>
/// </remarks>
public sealed class KvDistributedLockProvider
{
    private readonly KvDistributedLockOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly KvAspNetCoreMetrics? _metrics;

    /// <summary>Creates a provider whose locks live in <paramref name="store"/>.</summary>
    /// <param name="store">The store of the locks (for instance <c>kv.Namespace("locks")</c>). Lock names are its keys.</param>
    /// <param name="options">The options; validated now. <see langword="null"/> for the defaults.</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="loggerFactory">Logs lost locks and failed renewals; <see langword="null"/> for none.</param>
    /// <param name="metrics">Records acquisitions and losses; <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public KvDistributedLockProvider(
        IAtomicKvStore store,
        KvDistributedLockOptions? options = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        KvAspNetCoreMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _options = options ?? new KvDistributedLockOptions();
        string[] problems = [.. _options.Validate()];
        if (problems.Length > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        Store = store;
        _clock = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory?.CreateLogger<KvDistributedLockProvider>() ?? NullLogger<KvDistributedLockProvider>.Instance;
        _metrics = metrics;
    }

    /// <summary>The store the locks live in.</summary>
    public IAtomicKvStore Store { get; }

    /// <summary>Takes the lock <paramref name="name"/> if nobody holds it.</summary>
    /// <param name="name">The lock's name: a key of <see cref="Store"/> (the key rules apply).</param>
    /// <param name="lease">How long the lock lives without renewal; <see langword="null"/> for <see cref="KvDistributedLockOptions.Lease"/>.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The handle, or <see langword="null"/> when the lock is held.</returns>
    /// <exception cref="KvException">The name is not a valid key (<see cref="KvErrorCode.InvalidKey"/>), the lease is out of
    /// range (<see cref="KvErrorCode.InvalidArgument"/>), or the store failed
    /// (<see cref="KvErrorCode.StoreOperationFailed"/>; the lock may then have been taken, and frees itself when its lease ends).</exception>
    public async ValueTask<KvDistributedLockHandle?> TryAcquireAsync(string name, TimeSpan? lease = null, CancellationToken cancellationToken = default)
    {
        TimeSpan actualLease = ValidateArguments(name, lease);
        KvDistributedLockHandle? handle = await TryAcquireCoreAsync(name, actualLease, cancellationToken).ConfigureAwait(false);
        _metrics?.RecordLockAcquisition(handle is null ? KvLockAcquisitionResult.Busy : KvLockAcquisitionResult.Acquired);
        return handle;
    }

    /// <summary>
    /// Takes the lock <paramref name="name"/>, waiting while someone else holds it: it tries again after a wait that
    /// starts at <see cref="KvDistributedLockOptions.MinPollInterval"/> and doubles, with jitter, up to
    /// <see cref="KvDistributedLockOptions.MaxPollInterval"/>.
    /// </summary>
    /// <param name="name">The lock's name: a key of <see cref="Store"/>.</param>
    /// <param name="lease">How long the lock lives without renewal; <see langword="null"/> for <see cref="KvDistributedLockOptions.Lease"/>.</param>
    /// <param name="timeout">How long to wait; <see langword="null"/> or <see cref="Timeout.InfiniteTimeSpan"/> to wait until
    /// the lock is free or <paramref name="cancellationToken"/> is cancelled; <see cref="TimeSpan.Zero"/> for one attempt.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The handle.</returns>
    /// <exception cref="KvException">The lock was still held when <paramref name="timeout"/> passed
    /// (<see cref="KvErrorCode.LockTimeout"/>), the name is invalid (<see cref="KvErrorCode.InvalidKey"/>), the lease or
    /// timeout is out of range (<see cref="KvErrorCode.InvalidArgument"/>), or the store failed.</exception>
    public async ValueTask<KvDistributedLockHandle> AcquireAsync(
        string name,
        TimeSpan? lease = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        TimeSpan actualLease = ValidateArguments(name, lease);
        TimeSpan wait = timeout ?? Timeout.InfiniteTimeSpan;
        if (wait < TimeSpan.Zero && wait != Timeout.InfiniteTimeSpan)
        {
            throw new KvException(KvErrorCode.InvalidArgument, "A lock timeout is zero, positive, or Timeout.InfiniteTimeSpan.");
        }

        long start = _clock.GetTimestamp();
        TimeSpan poll = _options.MinPollInterval;
        while (true)
        {
            KvDistributedLockHandle? handle = await TryAcquireCoreAsync(name, actualLease, cancellationToken).ConfigureAwait(false);
            if (handle is not null)
            {
                _metrics?.RecordLockAcquisition(KvLockAcquisitionResult.Acquired);
                return handle;
            }

            TimeSpan delay = Jitter(poll);
            if (wait != Timeout.InfiniteTimeSpan)
            {
                TimeSpan remaining = wait - _clock.GetElapsedTime(start);
                if (remaining <= TimeSpan.Zero)
                {
                    _metrics?.RecordLockAcquisition(KvLockAcquisitionResult.TimedOut);
                    throw new KvException(
                        KvErrorCode.LockTimeout,
                        string.Create(CultureInfo.InvariantCulture, $"The lock was not acquired within {wait}."));
                }

                // One last attempt right at the deadline rather than a wait past it.
                delay = delay < remaining ? delay : remaining;
            }

            await Task.Delay(delay, _clock, cancellationToken).ConfigureAwait(false);
            poll = poll * 2 < _options.MaxPollInterval ? poll * 2 : _options.MaxPollInterval;
        }
    }

    private TimeSpan ValidateArguments(string name, TimeSpan? lease)
    {
        KvKeyRules.ValidateKey(name);
        TimeSpan actual = lease ?? _options.Lease;
        if (KvDistributedLockOptions.ValidateLease(actual) is { } problem)
        {
            throw new KvException(KvErrorCode.InvalidArgument, problem);
        }

        if (KvDistributedLockOptions.ValidateRenewal(_options.RenewalIntervalFor(actual), actual) is { } renewal)
        {
            throw new KvException(KvErrorCode.InvalidArgument, renewal);
        }

        return actual;
    }

    private async ValueTask<KvDistributedLockHandle?> TryAcquireCoreAsync(string name, TimeSpan lease, CancellationToken cancellationToken)
    {
        string owner = Guid.NewGuid().ToString("N");
        DateTimeOffset attemptStart = _clock.GetUtcNow();
        KvCommitResult result = await Store.CreateTransaction()
            .Check(Store, name, version: null)
            .Set(Store, name, owner, KvSetOptions.WithTtl(lease))
            .CommitAsync(cancellationToken)
            .ConfigureAwait(false);
        if (!result.Applied)
        {
            return null;
        }

        var handle = new KvDistributedLockHandle(
            Store, name, owner, result.Version, lease, _options.RenewalIntervalFor(lease), attemptStart + lease, _clock, _logger, _metrics);
        handle.StartRenewal();
        return handle;
    }

    // Between half and all of the interval: waiters that collided once do not collide again in step.
    private static TimeSpan Jitter(TimeSpan interval) =>
        TimeSpan.FromTicks(Math.Max(1, (long)(interval.Ticks * (0.5 + (Random.Shared.NextDouble() / 2)))));
}
