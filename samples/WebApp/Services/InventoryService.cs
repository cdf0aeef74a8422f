using Kv;

namespace WebApp.Services;

/// <summary>
/// A read-modify-write that must not lose updates across app instances: reserving stock reads the count, then writes
/// it back plus one. Two requests interleaving would both read 7 and both write 8; the distributed lock makes them take
/// turns. (For a plain counter, <c>IncrementAsync</c> is atomic by itself; the lock is for updates Kv cannot express
/// as one operation.)
/// </summary>
/// <remarks>
/// A lock alone cannot stop a holder that paused (a GC, a slow call) past its lease while someone else took the lock:
/// it would still write its stale result. So the write is conditional: it commits only if the item still has the
/// version this holder read (a transaction with a version check), and it records the lock's fencing token, so a holder
/// older than the last writer is refused even before it writes.
/// </remarks>
public sealed class InventoryService(AtomicKvAdaptor kv, KvDistributedLockProvider locks)
{
    private readonly IAtomicKvStore _inventory = kv.Namespace("inventory");

    public async Task<Reservation> ReserveAsync(string item, CancellationToken cancellationToken)
    {
        await using KvDistributedLockHandle handle = await locks.AcquireAsync(
            $"inventory:{item}", timeout: TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);

        // Work that must stop if the lock is lost: the request's token and the lock's, together.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, handle.HandleLostToken);
        KvEntry<Stock>? entry = await _inventory.GetEntryAsync<Stock>(item, linked.Token);
        Stock current = entry?.Value ?? new Stock(0, 0);
        if (current.FencingToken > handle.FencingToken)
        {
            throw new StaleLockHolderException("A newer lock holder already wrote this item.");
        }

        var next = new Stock(current.Reserved + 1, handle.FencingToken);
        KvCommitResult result = await _inventory.CreateTransaction()
            .Check(_inventory, item, entry?.Version) // still what was read (null: still missing)
            .Set(_inventory, item, next)
            .CommitAsync(linked.Token);
        if (!result.Applied)
        {
            throw new StaleLockHolderException("The item changed after it was read: this request's lock was lost to a newer holder.");
        }

        return new Reservation(item, next.Reserved, handle.FencingToken);
    }

    public async Task<long> GetReservedAsync(string item, CancellationToken cancellationToken) =>
        (await _inventory.GetAsync<Stock>(item, cancellationToken))?.Reserved ?? 0;

    /// <summary>What the inventory namespace stores per item.</summary>
    public sealed record Stock(long Reserved, long FencingToken);

    /// <summary>A reservation's outcome.</summary>
    public sealed record Reservation(string Item, long Reserved, long FencingToken);
}

/// <summary>This request held the lock once, but a newer holder has written since: nothing was written.</summary>
public sealed class StaleLockHolderException(string message) : InvalidOperationException(message);
