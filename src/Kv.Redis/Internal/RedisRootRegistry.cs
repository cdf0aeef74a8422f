using System.Text;
using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// The expired-index collection (<see cref="RedisKv.CollectExpiredAsync"/>): finds every root namespace that holds TTL
/// entries and removes each of its namespaces' due index records.
/// </summary>
/// <remarks>
/// <para>Each root keeps, in its own hash slot, the set of its namespaces that hold TTL entries
/// (<c>{root}::__kv:ns</c>), updated by the write scripts themselves, so a write stays one script in one slot. The
/// collection finds those sets with <c>SCAN … MATCH {InstanceName}{*}::__kv:ns</c> on every primary (incremental, in
/// pages of 1,000 keys, so Redis is never blocked), then removes each namespace's due records in bounded scripts. A
/// namespace whose <c>exp</c> set is empty leaves its root's set (atomically, in the collection script).</para>
/// <para>Earlier versions also kept an adaptor-wide set of roots (<c>{InstanceName}__kv:roots</c>), written by an extra
/// <c>SADD</c> beside the first TTL write under each root. It is no longer read or written; the collection deletes
/// it when it finds it.</para>
/// </remarks>
internal sealed class RedisRootRegistry
{
    private const int CollectBatch = 1000;
    private const int ScanPage = 1000;

    private readonly string _instanceName;
    private readonly RedisKey _legacyRoots;
    private readonly RedisValue _pattern;

    public RedisRootRegistry(string instanceName)
    {
        _instanceName = instanceName;
        _legacyRoots = instanceName + RedisKeyLayout.IndexPrefix + "roots";
        _pattern = EscapeGlob(instanceName) + "{*}" + KvKeyLayout.KeySeparator + RedisKeyLayout.IndexPrefix + "ns";
    }

    /// <summary>Removes the index records of every expired entry; see <see cref="RedisKv.CollectExpiredAsync"/>.</summary>
    public async ValueTask<long> CollectAsync(RedisKv kv, CancellationToken cancellationToken)
    {
        IReadOnlyList<RedisKey> registries = await kv.ExecuteAsync(KvOperationNames.CollectExpired, this, static (db, registry) => registry.FindAsync(db), cancellationToken)
            .ConfigureAwait(false);
        long removed = 0;
        foreach (RedisKey registry in registries)
        {
            RedisValue[] paths = await kv.ExecuteAsync(KvOperationNames.CollectExpired, registry, static (db, k) => db.SetMembersAsync(k), cancellationToken)
                .ConfigureAwait(false);
            foreach (RedisValue path in paths)
            {
                var layout = new RedisKeyLayout(_instanceName, (string?)path ?? string.Empty);
                if (layout.Registry != registry)
                {
                    continue; // Not a namespace of this root: nothing Kv wrote.
                }

                while (true)
                {
                    RedisResult result = await kv.ExecuteAsync(
                        KvOperationNames.CollectExpired,
                        RedisScripts.CollectCall(layout, CollectBatch),
                        static (db, call) => RedisKvStore.EvaluateAsync(db, call, CommandFlags.DemandMaster),
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

        await kv.ExecuteAsync(KvOperationNames.CollectExpired, _legacyRoots, static (db, k) => db.KeyDeleteAsync(k, CommandFlags.DemandMaster), cancellationToken)
            .ConfigureAwait(false);
        return removed;
    }

    /// <summary>The per-root registries of this instance name, on every primary.</summary>
    private async Task<IReadOnlyList<RedisKey>> FindAsync(IDatabase db)
    {
        var found = new HashSet<RedisKey>();
        IConnectionMultiplexer multiplexer = db.Multiplexer;
        foreach (IServer server in multiplexer.GetServers())
        {
            if (server.IsReplica || !server.IsConnected)
            {
                continue;
            }

            await foreach (RedisKey key in server.KeysAsync(db.Database, _pattern, ScanPage).ConfigureAwait(false))
            {
                found.Add(key);
            }
        }

        return [.. found];
    }

    // SCAN MATCH is a glob: the instance name's own *, ?, [, ] and \ must match themselves.
    private static string EscapeGlob(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
