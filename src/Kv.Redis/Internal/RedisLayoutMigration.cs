using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// The one-time migration from the index layout of earlier Kv versions (<see cref="RedisKv.MigrateLayoutAsync"/>).
/// </summary>
/// <remarks>
/// <para>That layout kept, per namespace, a sorted set of keys (<c>…::__kv:ord</c>), a sorted set of expiry instants
/// (<c>…::__kv:exp</c>) and a hash of records (<c>…::__kv:ix</c>, key → <c>version:payloadLength:metadata</c>), per
/// root a set of namespaces with TTL entries (<c>{root}::__kv:ns</c>), and per instance a set of roots
/// (<c>{InstanceName}__kv:roots</c>). Values were stored as they are now, without a header.</para>
/// <para>The migration finds every record hash of the instance with <c>SCAN</c> on every primary, moves each entry's
/// version and metadata into the header of its value (<see cref="RedisScripts.Migrate"/>, in batches of 500, each one
/// script in the namespace's slot, leaving the TTL as it is), then deletes the namespace's three index keys; at the end
/// it deletes the per-root and per-instance sets. The roots' version counters (<c>{root}::__kv:ver</c>) stay: versions
/// go on growing from where they were. Running it again finds nothing to do; running it while the application writes is
/// safe (a value that already has a header, or is gone, is left alone).</para>
/// </remarks>
internal static class RedisLayoutMigration
{
    /// <summary>The operation's name in logs and errors.</summary>
    public const string Operation = "migrate_layout";

    private const int Batch = 500;
    private const string Records = "__kv:ix";

    public static async ValueTask<long> MigrateAsync(RedisKv kv, CancellationToken cancellationToken)
    {
        string instance = RedisKeyLayout.EscapeGlob(kv.InstanceName);
        string separator = KvKeyLayout.KeySeparator;
        IDatabase db = await kv.GetDatabaseAsync().ConfigureAwait(false);
        IReadOnlyList<RedisKey> indexes = await FindAsync(db, instance + "{*" + separator + Records, cancellationToken).ConfigureAwait(false);
        long migrated = 0;
        foreach (RedisKey index in indexes)
        {
            if (NamespacePrefix(kv.InstanceName, index) is not { } prefix)
            {
                continue; // A user key that only looks like a record hash: "{root}::a::__kv:ix".
            }

            var keys = new List<RedisKey>(Batch);
            var records = new List<RedisValue>(Batch);
            await foreach (HashEntry entry in db.HashScanAsync(index, pageSize: Batch).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                keys.Add(prefix + (string?)entry.Name);
                records.Add(entry.Value);
                if (keys.Count == Batch)
                {
                    migrated += await MigrateBatchAsync(kv, keys, records, cancellationToken).ConfigureAwait(false);
                }
            }

            migrated += await MigrateBatchAsync(kv, keys, records, cancellationToken).ConfigureAwait(false);
            RedisKey[] legacy = [index, prefix + "__kv:ord", prefix + "__kv:exp"];
            await kv.ExecuteAsync(Operation, legacy, static (db, k) => db.KeyDeleteAsync(k, CommandFlags.DemandMaster), cancellationToken)
                .ConfigureAwait(false);
        }

        var sets = new List<RedisKey>(await FindAsync(db, instance + "{*}" + separator + "__kv:ns", cancellationToken).ConfigureAwait(false))
        {
            kv.InstanceName + "__kv:roots",
        };
        foreach (RedisKey set in sets)
        {
            await kv.ExecuteAsync(Operation, set, static (db, k) => db.KeyDeleteAsync(k, CommandFlags.DemandMaster), cancellationToken)
                .ConfigureAwait(false);
        }

        return migrated;
    }

    private static async ValueTask<long> MigrateBatchAsync(RedisKv kv, List<RedisKey> keys, List<RedisValue> records, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return 0;
        }

        RedisScriptCall call = RedisScripts.MigrateCall([.. keys], [.. records]);
        keys.Clear();
        records.Clear();
        return await kv.ExecuteAsync(
            Operation, call, static (db, c) => RedisKvStore.EvaluateAsync(db, c, CommandFlags.DemandMaster), static (_, r) => (long)r, cancellationToken)
            .ConfigureAwait(false);
    }

    // "{InstanceName}{root}:path::" when the key is exactly that followed by "__kv:ix", else null. The root's tag ends at
    // the first '}' (a '}' in a root name is written ":7d"), and the path at the first "::" after it.
    private static string? NamespacePrefix(string instanceName, RedisKey key)
    {
        string name = (string?)key ?? string.Empty;
        int tagEnd = name.IndexOf('}', instanceName.Length);
        int pathEnd = tagEnd < 0 ? -1 : name.IndexOf(KvKeyLayout.KeySeparator, tagEnd, StringComparison.Ordinal);
        if (pathEnd < 0 || !name.StartsWith(instanceName, StringComparison.Ordinal) || name.Length - pathEnd - 2 != Records.Length
            || !name.EndsWith(Records, StringComparison.Ordinal))
        {
            return null;
        }

        return name[..(pathEnd + 2)];
    }

    // The keys matching a SCAN pattern on every primary.
    private static async ValueTask<IReadOnlyList<RedisKey>> FindAsync(IDatabase db, string pattern, CancellationToken cancellationToken)
    {
        var found = new HashSet<RedisKey>();
        foreach (IServer server in db.Multiplexer.GetServers().Where(s => !s.IsReplica))
        {
            await foreach (RedisKey key in server.KeysAsync(db.Database, pattern, pageSize: 1000).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                found.Add(key);
            }
        }

        return [.. found];
    }
}
