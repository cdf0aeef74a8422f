using StackExchange.Redis;

namespace Kv.Internal;

// The synchronous cores: the same commands and scripts as the asynchronous ones (RedisScripts), sent through
// StackExchange.Redis's synchronous API, so no thread ever blocks on a task.
internal sealed partial class RedisKvStore
{
    protected override KvValue GetCore(string key, bool includeDetails) =>
        includeDetails
            ? ParseEntry(Evaluate("GetEntry", RedisScripts.GetEntry, [PhysicalKey(key), _layout.Index], [key], CommandFlags.None))
            : ParseValue(_kv.Execute("Get", PhysicalKey(key), static (db, k) => db.StringGet(k)));

    protected override void SetCore(string key, KvValue value, TimeSpan? ttl) =>
        Evaluate("Set", RedisScripts.Set, WriteKeys(key), WriteArguments(key, value, ttl, "set"), CommandFlags.DemandMaster, registerRoot: ttl is not null);

    protected override bool DeleteCore(string key) =>
        (long)Evaluate(
            "Delete", RedisScripts.Delete, [PhysicalKey(key), _layout.Ordered, _layout.Expiry, _layout.Index], [key], CommandFlags.DemandMaster) == 1;

    protected override bool ExpireCore(string key, TimeSpan ttl) =>
        (long)Evaluate(
            "Expire",
            RedisScripts.Expire,
            [PhysicalKey(key), _layout.Ordered, _layout.Expiry, _layout.Index, _layout.Registry],
            [key, _namespacePath, Milliseconds(ttl)],
            CommandFlags.DemandMaster,
            registerRoot: true) == 1;

    /// <summary>Runs one script synchronously, as <see cref="EvaluateAsync"/> does; a TTL write first registers its root.</summary>
    private RedisResult Evaluate(string operation, string script, RedisKey[] keys, RedisValue[] args, CommandFlags flags, bool registerRoot = false) =>
        _kv.Execute(
            operation,
            (Kv: _kv, Script: script, Keys: keys, Args: args, Flags: flags, Root: registerRoot ? _layout.Root : null),
            static (db, call) =>
            {
                if (call.Root is not null)
                {
                    call.Kv.RootRegistry.Register(db, call.Root);
                }

                try
                {
                    return db.Execute("EVAL", EvalArguments(call.Script, call.Keys, call.Args), call.Flags);
                }
                catch (RedisException ex) when (IsCrossSlot(ex))
                {
                    throw CrossSlot(ex);
                }
            });
}
