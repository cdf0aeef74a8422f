using StackExchange.Redis;

namespace Kv.Internal;

// The synchronous cores: the same commands and scripts as the asynchronous ones (RedisScripts, with the same typed
// calls), sent through StackExchange.Redis's synchronous API, so no thread ever blocks on a task.
internal sealed partial class RedisKvStore
{
    protected override KvValue GetCore(string key, bool includeDetails) =>
        includeDetails
            ? ParseEntry(Evaluate(KvOperationNames.GetEntry, RedisScripts.GetEntryCall(_layout, PhysicalKey(key), key), CommandFlags.None))
            : ParseValue(_kv.Execute(KvOperationNames.Get, PhysicalKey(key), static (db, k) => db.StringGet(k)));

    protected override void SetCore(string key, KvValue value, TimeSpan? ttl) =>
        Evaluate(KvOperationNames.Set, SetCall(key, value, ttl, onlyIfMissing: false), CommandFlags.DemandMaster);

    protected override bool DeleteCore(string key) =>
        (long)Evaluate(KvOperationNames.Delete, RedisScripts.DeleteCall(_layout, PhysicalKey(key), key), CommandFlags.DemandMaster) == 1;

    protected override bool ExpireCore(string key, TimeSpan ttl) =>
        (long)Evaluate(KvOperationNames.Expire, RedisScripts.ExpireCall(_layout, PhysicalKey(key), key, Milliseconds(ttl)), CommandFlags.DemandMaster) == 1;

    /// <summary>Runs one script synchronously, as <see cref="EvaluateAsync{TResult}"/> does.</summary>
    internal RedisResult Evaluate(string operation, RedisScriptCall call, CommandFlags flags) =>
        _kv.Execute(
            operation,
            (Call: call, Flags: flags),
            static (db, s) => db.Execute("EVAL", EvalArguments(s.Call.Script.Text, s.Call.Keys, s.Call.Args), s.Flags));
}
