using System.Globalization;
using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// A transaction as the commit script takes it (see <see cref="RedisScripts.Commit"/>, whose typed factory this is): the
/// KEYS (every root's version counter and registry, every namespace's index keys, every data key) and the ARGV that
/// describe the operations.
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
        var namespaces = new Dictionary<string, int>(StringComparer.Ordinal);
        var layouts = new List<RedisKeyLayout>();
        var roots = new Dictionary<string, int>(StringComparer.Ordinal);
        var rootLayouts = new List<RedisKeyLayout>();
        var dataKeys = new Dictionary<string, int>(StringComparer.Ordinal);
        var dataKeyList = new List<RedisKey>();
        var opNamespace = new int[operations.Count];
        var opDataKey = new int[operations.Count];

        for (int i = 0; i < operations.Count; i++)
        {
            KvTransactionOperation operation = operations[i];
            if (!namespaces.TryGetValue(operation.NamespacePath, out int number))
            {
                var layout = new RedisKeyLayout(kv.InstanceName, operation.NamespacePath);
                layouts.Add(layout);
                number = layouts.Count;
                namespaces.Add(operation.NamespacePath, number);
                if (!roots.ContainsKey(layout.Root))
                {
                    rootLayouts.Add(layout);
                    roots.Add(layout.Root, rootLayouts.Count);
                }
            }

            opNamespace[i] = number;
            string physical = layouts[number - 1].KeyPrefix + operation.Key;
            if (!dataKeys.TryGetValue(physical, out int position))
            {
                dataKeyList.Add(physical);
                position = dataKeyList.Count;
                dataKeys.Add(physical, position);
            }

            opDataKey[i] = position;
        }

        int rootCount = rootLayouts.Count;
        int dataBase = (2 * rootCount) + (3 * layouts.Count);
        var keys = new List<RedisKey>(dataBase + dataKeyList.Count);
        keys.AddRange(rootLayouts.Select(l => l.Version));
        keys.AddRange(rootLayouts.Select(l => l.Registry));
        foreach (RedisKeyLayout layout in layouts)
        {
            keys.Add(layout.Ordered);
            keys.Add(layout.Expiry);
            keys.Add(layout.Index);
        }

        keys.AddRange(dataKeyList);

        var args = new List<RedisValue>(3 + (2 * layouts.Count) + (7 * operations.Count))
        {
            rootCount,
            layouts.Count,
            operations.Count,
        };
        foreach (RedisKeyLayout layout in layouts)
        {
            args.Add(layout.NamespacePath);
            args.Add(roots[layout.Root]);
        }

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
            args.Add(dataBase + opDataKey[i]);
            args.Add(opNamespace[i]);
            args.Add(operation.Key);
            args.Add(argument);
            args.Add(operation.Ttl is { } ttl && operation.Kind is KvTransactionOperationKind.Set or KvTransactionOperationKind.Increment
                ? ttl.Ticks / TimeSpan.TicksPerMillisecond
                : empty);
            args.Add(metadata);
        }

        return new RedisTransactionCall(RedisScripts.Commit.Bind([.. keys], [.. args]), rootCount);
    }
}
