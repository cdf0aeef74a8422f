using Kv.Internal;
using Microsoft.Extensions.Logging;

namespace Kv;

/// <summary>
/// A held distributed lock, from <see cref="KvDistributedLockProvider"/>. Dispose it to release the lock.
/// </summary>
/// <remarks>
/// <para><b>Renewal.</b> While held, the lease is renewed every renewal interval by a transaction
/// <c>Check(name, version) + Set(name, token, ttl: lease)</c>; each renewal gives the entry a new version, which the
/// handle tracks. A renewal that fails because the store is unreachable is retried until the lease would have ended.</para>
/// <para><b>Loss.</b> <see cref="HandleLostToken"/> fires when a renewal finds the lock is no longer this handle's (the
/// key was deleted, someone else took it after the lease ran out, or Redis restarted without persistence and lost it),
/// or when no renewal succeeded before the lease ended. From then on the protected work may be running concurrently
/// with another holder: stop it. (A renewal that timed out may still have been applied late; the lock then frees itself
/// when that lease ends.)</para>
/// <para><b>Release.</b> <see cref="DisposeAsync"/> stops renewal (waiting for a renewal in flight, at most until the
/// lease would end) and deletes the key with
/// <c>Check(name, version) + Delete(name)</c>: it never deletes a lock someone else holds now.</para>
/// <para><b>Fencing.</b> <see cref="FencingToken"/> is the version of the acquiring commit. Versions strictly increase
/// per top-level namespace, so each acquisition of a lock name gets a larger token than every earlier one: a resource
/// that remembers the largest token it has seen can refuse a stale holder. On Redis the version counter lives in Redis;
/// a Redis restart without persistence resets it, and tokens start low again.</para>
/// </remarks>
public sealed class KvDistributedLockHandle : IAsyncDisposable
{
    private readonly IAtomicKvStore _store;
    private readonly string _owner;
    private readonly TimeSpan _lease;
    private readonly TimeSpan _renewalInterval;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly KvAspNetCoreMetrics? _metrics;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _renewal = Task.CompletedTask;
    private long _version;
    private long _leaseEndsAtTicks;
    private int _renewals;
    private int _disposed;

    internal KvDistributedLockHandle(
        IAtomicKvStore store,
        string name,
        string owner,
        long version,
        TimeSpan lease,
        TimeSpan renewalInterval,
        DateTimeOffset leaseEndsAt,
        TimeProvider clock,
        ILogger logger,
        KvAspNetCoreMetrics? metrics)
    {
        _store = store;
        Name = name;
        _owner = owner;
        _version = version;
        FencingToken = version;
        _lease = lease;
        _renewalInterval = renewalInterval;
        _leaseEndsAtTicks = leaseEndsAt.UtcTicks;
        _clock = clock;
        _logger = logger;
        _metrics = metrics;
        HandleLostToken = _lost.Token;
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>
    /// A number that strictly increases with each acquisition of this lock name (the version of the acquiring commit).
    /// Hand it to the protected resource, which rejects work carrying a token smaller than one it has seen.
    /// </summary>
    public long FencingToken { get; }

    /// <summary>Fires when the lock is found lost (see the remarks). Never fires after a release.</summary>
    public CancellationToken HandleLostToken { get; }

    /// <summary>Whether the lock was found lost.</summary>
    public bool IsLost => HandleLostToken.IsCancellationRequested;

    /// <summary>The latest moment the lease is known to last until (on the injected clock), pushed on by each renewal.</summary>
    public DateTimeOffset LeaseExpiresAt => new(Interlocked.Read(ref _leaseEndsAtTicks), TimeSpan.Zero);

    private TimeSpan LeaseRemaining => LeaseExpiresAt - _clock.GetUtcNow();

    /// <summary>How many renewals succeeded (for tests).</summary>
    internal int Renewals => Volatile.Read(ref _renewals);

    /// <summary>Stops renewal and releases the lock if it is still this handle's. Calling it again does nothing.</summary>
    /// <returns>A task that completes when the lock is released.</returns>
    /// <exception cref="KvException">The store failed (<see cref="KvErrorCode.StoreOperationFailed"/>): the lock was perhaps not
    /// deleted, and frees itself when its lease ends.</exception>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _renewal.ConfigureAwait(false);
            if (!IsLost)
            {
                // Compare-and-delete: only while the entry is still the one this handle wrote last (or, after a write of
                // this handle whose reply was lost, the entry that still holds this handle's owner token).
                for (int attempt = 0; attempt < 2; attempt++)
                {
                    KvCommitResult released = await _store.CreateTransaction()
                        .Check(_store, Name, Interlocked.Read(ref _version))
                        .Delete(_store, Name)
                        .CommitAsync(CancellationToken.None)
                        .ConfigureAwait(false);
                    if (released.Applied || !await TryAdoptOwnVersionAsync(CancellationToken.None).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            _stop.Dispose();
            _lost.Dispose();
        }
    }

    internal void StartRenewal()
    {
        if (_renewalInterval != Timeout.InfiniteTimeSpan)
        {
            _renewal = RenewLoopAsync(_stop.Token);
        }
    }

    private async Task RenewLoopAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_renewalInterval, _clock, stop).ConfigureAwait(false);
                string? lostReason = await RenewAsync(stop).ConfigureAwait(false);
                if (lostReason is not null)
                {
                    AspNetCoreLog.LockLost(_logger, FencingToken, lostReason);
                    _metrics?.RecordLockLost();
                    await _lost.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Released: renewal ends here, and DisposeAsync deletes the key.
            return;
        }
    }

    /// <summary>
    /// After a failed version check: whether the entry still holds this handle's owner token under another version. That
    /// happens when a write of this handle was applied but its reply was lost (a timeout after Redis applied it); the
    /// handle then takes that version on. The owner token is random and only this handle writes it, so a match proves
    /// the lock is still this handle's; anyone else's write since then fails the next version check.
    /// </summary>
    private async ValueTask<bool> TryAdoptOwnVersionAsync(CancellationToken cancellationToken)
    {
        KvEntry<string>? entry = await _store.GetEntryAsync<string>(Name, cancellationToken).ConfigureAwait(false);
        long known = Interlocked.Read(ref _version);
        if (entry is null || entry.Value != _owner || entry.Version == known)
        {
            return false;
        }

        Interlocked.Exchange(ref _version, entry.Version);
        return true;
    }

    /// <summary>Renews once, retrying store failures while the lease lasts.</summary>
    /// <returns><see langword="null"/> when renewed; otherwise why the lock is lost.</returns>
    private async Task<string?> RenewAsync(CancellationToken stop)
    {
        while (true)
        {
            DateTimeOffset attemptStart = _clock.GetUtcNow();
            TimeSpan remaining = LeaseExpiresAt - attemptStart;
            if (remaining <= TimeSpan.Zero)
            {
                return "the lease ended before a renewal succeeded";
            }

            // Only the lease's end cancels a renewal in flight, never a release: a cancelled commit that was already
            // sent still applies (a new version), and the release's compare-and-delete, holding the old version, would
            // then delete nothing and leave the lock taken for a whole lease. DisposeAsync waits for it instead.
            using var deadline = new CancellationTokenSource(remaining, _clock);
            try
            {
                KvCommitResult result = await _store.CreateTransaction()
                    .Check(_store, Name, Interlocked.Read(ref _version))
                    .Set(_store, Name, _owner, KvSetOptions.WithTtl(_lease))
                    .CommitAsync(deadline.Token)
                    .ConfigureAwait(false);
                if (!result.Applied)
                {
                    if (await TryAdoptOwnVersionAsync(deadline.Token).ConfigureAwait(false))
                    {
                        continue; // Still this handle's: renew now, with the version the entry has.
                    }

                    return "the lock's entry changed or disappeared (deleted, expired and taken, or the store restarted)";
                }

                Interlocked.Exchange(ref _version, result.Version);
                Interlocked.Exchange(ref _leaseEndsAtTicks, (attemptStart + _lease).UtcTicks);
                Interlocked.Increment(ref _renewals);
                return null;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stop.IsCancellationRequested)
            {
                return "the lease ended while a renewal was in flight";
            }
            catch (KvException ex) when (ex.Code == KvErrorCode.StoreOperationFailed)
            {
                AspNetCoreLog.LockRenewalFailed(_logger, FencingToken, remaining, ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                AspNetCoreLog.LockRenewalError(_logger, FencingToken, ex);
                return "a renewal failed with an unexpected error";
            }

            // Retry soon, but not in a tight loop: a quarter of the renewal interval, within what is left of the lease.
            TimeSpan left = LeaseRemaining;
            TimeSpan pause = _renewalInterval / 4 < left ? _renewalInterval / 4 : left;
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, _clock, stop).ConfigureAwait(false);
            }
        }
    }
}
