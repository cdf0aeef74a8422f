using System.Globalization;
using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// A transaction as the commit script takes it (see <see cref="RedisScripts.Commit"/>, whose typed factory this is): the
/// KEYS (every root's version counter, then every data key) and the ARGV that describe the operations.
/// </summary>
internal sealed class RedisTransactionCall
{
    private RedisTransactionCall(RedisScriptCall script, int rootCount)
    {
        Script = script;
        RootCount = rootCount;
    }

    /// <summary>The commit script's call; the first <see cref="RootCount"/> KEYS are the roots' version counters.</summary>
    public RedisScriptCall Script { get; }

    /// <summary>How many root namespaces are involved (more than one fails with CrossSlot on Redis Cluster).</summary>
    public int RootCount { get; }

    public static RedisTransactionCall Build(RedisKv kv, IReadOnlyList<KvTransactionOperation> operations)
    {
        var layouts = new Dictionary<string, RedisKeyLayout>(StringComparer.Ordinal);
        var roots = new Dictionary<string, RedisKey>(StringComparer.Ordinal);
        var dataKeys = new Dictionary<string, int>(StringComparer.Ordinal);
        var dataKeyList = new List<RedisKey>();
        var opDataKey = new int[operations.Count];

        for (int i = 0; i < operations.Count; i++)
        {
            KvTransactionOperation operation = operations[i];
            if (!layouts.TryGetValue(operation.NamespacePath, out RedisKeyLayout? layout))
            {
                layout = new RedisKeyLayout(kv.InstanceName, operation.NamespacePath);
                layouts.Add(operation.NamespacePath, layout);
                roots.TryAdd(layout.Root, layout.Version);
            }

            string physical = layout.KeyPrefix + operation.Key;
            if (!dataKeys.TryGetValue(physical, out int position))
            {
                dataKeyList.Add(physical);
                position = dataKeyList.Count;
                dataKeys.Add(physical, position);
            }

            opDataKey[i] = position;
        }

        int rootCount = roots.Count;
        var keys = new List<RedisKey>(rootCount + dataKeyList.Count);
        keys.AddRange(roots.Values);
        keys.AddRange(dataKeyList);

        var args = new List<RedisValue>(2 + (5 * operations.Count)) { rootCount, operations.Count };
        RedisValue empty = string.Empty;
        for (int i = 0; i < operations.Count; i++)
        {
            KvTransactionOperation operation = operations[i];
            (string kind, RedisValue argument, RedisValue metadata) = operation.Kind switch
            {
                KvTransactionOperationKind.Check => ("check", operation.ExpectedVersion is { } v ? v.ToString(CultureInfo.InvariantCulture) : empty, empty),
                KvTransactionOperationKind.Set => ("set", (RedisValue)operation.Value.Payload!, (RedisValue)(operation.Value.Metadata ?? [])),
                KvTransactionOperationKind.Delete => ("delete", empty, empty),
                KvTransactionOperationKind.Increment => ("increment", (RedisValue)operation.By.ToString(CultureInfo.InvariantCulture), (RedisValue)(operation.Metadata ?? [])),
                _ => throw new ArgumentOutOfRangeException(nameof(operations), operation.Kind, "Unknown transaction operation."),
            };
            args.Add(kind);
            args.Add(rootCount + opDataKey[i]);
            args.Add(argument);
            args.Add(operation.Ttl is { } ttl && operation.Kind is KvTransactionOperationKind.Set or KvTransactionOperationKind.Increment
                ? ttl.Ticks / TimeSpan.TicksPerMillisecond
                : empty);
            args.Add(metadata);
        }

        return new RedisTransactionCall(RedisScripts.Commit.Bind([.. keys], [.. args]), rootCount);
    }
}
