using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// The adaptor-wide registry of root namespaces that hold TTL entries (the Redis set <c>{InstanceName}__kv:roots</c>),
/// and the expired-index collection that walks it.
/// </summary>
/// <remarks>
/// <para>On Redis Cluster the registry lives in a slot of its own, so a write script cannot update it. Instead an
/// adaptor adds a root the first time it writes a TTL under it (an <c>SADD</c> pipelined with that write's script,
/// awaited with it), and remembers that it did. Each root keeps, in its own slot, the set of its namespaces that hold
/// TTL entries (<c>{root}::__kv:ns</c>), updated by the write scripts themselves.</para>
/// <para>Collection therefore never scans the keyspace: it reads the root registry, each root's namespace registry,
/// and removes each namespace's due index records in bounded batches. A namespace whose <c>exp</c> set is empty
/// leaves its root's registry (atomically, in the collection script); roots are never removed, since another adaptor
/// may have remembered them.</para>
/// </remarks>
internal sealed class RedisRootRegistry
{
    private const int CollectBatch = 1000;

    private readonly ConcurrentDictionary<string, bool> _registered = new(StringComparer.Ordinal);
    private readonly string _instanceName;

    public RedisRootRegistry(string instanceName)
    {
        _instanceName = instanceName;
        Key = RedisKeyLayout.RootRegistry(instanceName);
    }

    /// <summary>The Redis set of root names.</summary>
    public RedisKey Key { get; }

    /// <summary>Adds a root to the registry unless this adaptor did already; <see langword="null"/> when nothing is sent.</summary>
    public Task? RegisterAsync(IDatabase db, string root) =>
        _registered.ContainsKey(root) ? null : RegisterCoreAsync(db, [root]);

    /// <summary>Adds a root to the registry unless this adaptor did already, with a synchronous call.</summary>
    public void Register(IDatabase db, string root)
    {
        if (!_registered.ContainsKey(root))
        {
            db.SetAdd(Key, root, CommandFlags.DemandMaster);
            _registered.TryAdd(root, true);
        }
    }

    /// <summary>Adds roots to the registry unless this adaptor did already; <see langword="null"/> when nothing is sent.</summary>
    public Task? RegisterAsync(IDatabase db, IReadOnlyList<string> roots)
    {
        RedisValue[] missing = [.. roots.Where(r => !_registered.ContainsKey(r)).Select(r => (RedisValue)r)];
        return missing.Length == 0 ? null : RegisterCoreAsync(db, missing);
    }

    /// <summary>Removes the index records of every expired entry; see <see cref="RedisKv.CollectExpiredAsync"/>.</summary>
    public async ValueTask<long> CollectAsync(RedisKv kv, CancellationToken cancellationToken)
    {
        RedisValue[] roots = await kv.ExecuteAsync("CollectExpired", Key, static (db, k) => db.SetMembersAsync(k), cancellationToken)
            .ConfigureAwait(false);
        long removed = 0;
        foreach (RedisValue root in roots)
        {
            string rootName = (string?)root ?? string.Empty;
            RedisValue[] paths = await kv.ExecuteAsync(
                "CollectExpired", RedisKeyLayout.RootRegistryOf(_instanceName, rootName), static (db, k) => db.SetMembersAsync(k), cancellationToken)
                .ConfigureAwait(false);
            foreach (RedisValue path in paths)
            {
                var layout = new RedisKeyLayout(_instanceName, (string?)path ?? string.Empty);
                if (layout.Root != rootName)
                {
                    continue; // Not a namespace of this root: nothing Kv wrote.
                }

                while (true)
                {
                    RedisResult result = await kv.ExecuteAsync(
                        "CollectExpired",
                        layout,
                        static (db, l) => RedisKvStore.EvaluateWithRetryAsync(
                            db, RedisScripts.Collect, [l.Ordered, l.Expiry, l.Index, l.Registry], [l.NamespacePath, CollectBatch], CommandFlags.DemandMaster),
                        cancellationToken).ConfigureAwait(false);
                    long batch = (long)result;
                    removed += batch;
                    if (batch < CollectBatch)
                    {
                        break;
                    }
                }
            }
        }

        return removed;
    }

    private async Task RegisterCoreAsync(IDatabase db, RedisValue[] roots)
    {
        await db.SetAddAsync(Key, roots, CommandFlags.DemandMaster).ConfigureAwait(false);
        foreach (RedisValue root in roots)
        {
            _registered.TryAdd((string)root!, true);
        }
    }
}
