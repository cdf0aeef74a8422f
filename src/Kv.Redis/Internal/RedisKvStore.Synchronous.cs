using StackExchange.Redis;

namespace Kv.Internal;

// The synchronous cores: the same commands and scripts as the asynchronous ones, sent through StackExchange.Redis's
// synchronous API, so no thread ever blocks on a task.
internal sealed partial class RedisKvStore
{
    protected override KvValue GetCore(string key, bool includeDetails) =>
        includeDetails
            ? ParseEntry(Evaluate(KvOperationNames.GetEntry, RedisScripts.GetEntryCall(_layout, PhysicalKey(key)), CommandFlags.DemandMaster))
            : ParseValue(_kv.Execute(KvOperationNames.Get, PhysicalKey(key), static (db, k) => db.StringGet(k)));

    protected override void SetCore(string key, KvValue value, TimeSpan? ttl) =>
        _kv.Execute(
            KvOperationNames.Set,
            (Key: PhysicalKey(key), Value: (RedisValue)RedisValueFormat.Pack(value), Ttl: Expiry(ttl)),
            static (db, s) => db.StringSet(s.Key, s.Value, s.Ttl, When.Always, CommandFlags.DemandMaster));

    protected override bool DeleteCore(string key) =>
        _kv.Execute(KvOperationNames.Delete, PhysicalKey(key), static (db, k) => db.KeyDelete(k, CommandFlags.DemandMaster));

    protected override bool ExpireCore(string key, TimeSpan ttl) =>
        (long)Evaluate(KvOperationNames.Expire, RedisScripts.ExpireCall(PhysicalKey(key), Milliseconds(ttl)), CommandFlags.DemandMaster) == 1;

    /// <summary>Runs one script synchronously, as <see cref="EvaluateAsync{TResult}"/> does.</summary>
    internal RedisResult Evaluate(string operation, RedisScriptCall call, CommandFlags flags) =>
        _kv.Execute(
            operation,
            (Call: call, Flags: flags),
            static (db, s) => db.Execute("EVAL", EvalArguments(s.Call.Script.Text, s.Call.Keys, s.Call.Args), s.Flags));
}
