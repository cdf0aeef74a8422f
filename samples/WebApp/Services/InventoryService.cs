using Kv;

namespace WebApp.Services;

/// <summary>
/// A read-modify-write that must not lose updates across app instances: reserving stock reads the count, then writes
/// it back plus one. Two requests interleaving would both read 7 and both write 8; the distributed lock makes them take
/// turns. (For a plain counter, <c>IncrementAsync</c> is atomic by itself; the lock is for updates Kv cannot express
/// as one operation.) The lock's fencing token is stored with the value, so a holder that lost its lock while paused
/// cannot overwrite a newer holder's write.
/// </summary>
public sealed class InventoryService(AtomicKvAdaptor kv, KvDistributedLockProvider locks)
{
    private readonly IAtomicKvStore _inventory = kv.Namespace("inventory");

    public async Task<Reservation> ReserveAsync(string item, CancellationToken cancellationToken)
    {
        await using KvDistributedLockHandle handle = await locks.AcquireAsync(
            $"inventory:{item}", timeout: TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);

        // Work that must stop if the lock is lost: the request's token and the lock's, together.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, handle.HandleLostToken);
        Stock current = await _inventory.GetAsync<Stock>(item, linked.Token) ?? new Stock(0, 0);
        if (current.FencingToken > handle.FencingToken)
        {
            throw new InvalidOperationException("A newer lock holder already wrote this item.");
        }

        var next = new Stock(current.Reserved + 1, handle.FencingToken);
        await _inventory.SetAsync(item, next, options: null, linked.Token);
        return new Reservation(item, next.Reserved, handle.FencingToken);
    }

    public async Task<long> GetReservedAsync(string item, CancellationToken cancellationToken) =>
        (await _inventory.GetAsync<Stock>(item, cancellationToken))?.Reserved ?? 0;

    /// <summary>What the inventory namespace stores per item.</summary>
    public sealed record Stock(long Reserved, long FencingToken);

    /// <summary>A reservation's outcome.</summary>
    public sealed record Reservation(string Item, long Reserved, long FencingToken);
}
