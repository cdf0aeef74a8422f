using System.Globalization;
using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// The store of one namespace of a <see cref="RedisKv"/>. A key's Redis key is the adaptor's instance name, the
/// namespace path, <c>::</c> and the key (<see cref="KvKeyLayout"/>). Every method is one round trip.
/// </summary>
internal sealed class RedisKvStore : KvStoreBase
{
    private readonly RedisKv _kv;
    private readonly string _keyPrefix;

    public RedisKvStore(RedisKv kv, string namespacePath)
        : base(namespacePath, kv.Serializer)
    {
        _kv = kv;
        _keyPrefix = kv.InstanceName + KvKeyLayout.KeyPrefix(namespacePath);
    }

    protected override IAtomicKvStore CreateChild(string namespacePath) => new RedisKvStore(_kv, namespacePath);

    protected override async ValueTask<KvValue> GetCoreAsync(string key, bool includeExpiry, CancellationToken cancellationToken)
    {
        if (!includeExpiry)
        {
            RedisValue value = await _kv.ExecuteAsync(
                "Get", PhysicalKey(key), static (db, k) => db.StringGetAsync(k), cancellationToken).ConfigureAwait(false);
            return (byte[]?)value is { } stored ? new KvValue(stored) : KvValue.Missing;
        }

        RedisResult result = await EvaluateAsync("GetEntry", RedisScripts.GetWithTtl, key, [], CommandFlags.None, cancellationToken)
            .ConfigureAwait(false);
        if (result.IsNull)
        {
            return KvValue.Missing;
        }

        if ((RedisResult[]?)result is not [var payload, var ttl] || (byte[]?)payload is not { } bytes)
        {
            throw UnexpectedReply("GetEntry");
        }

        long remaining = (long)ttl;

        // PTTL is -1 for a permanent key. Redis counts the TTL on its own clock; the instant is placed on the
        // application's clock, to the millisecond.
        DateTimeOffset? expiresAt = remaining >= 0 ? _kv.TimeProvider.GetUtcNow().AddMilliseconds(remaining) : null;
        return new KvValue(bytes, decoded: null, expiresAt);
    }

    protected override async ValueTask SetCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        // SET without a TTL also clears an earlier one; with one, SET … PX writes value and TTL in one command.
        object[] args = ttl is { } t
            ? [PhysicalKey(key), value.Payload!, "PX", Milliseconds(t)]
            : [PhysicalKey(key), value.Payload!];
        await _kv.ExecuteAsync("Set", args, static (db, a) => db.ExecuteAsync("SET", a, CommandFlags.DemandMaster), cancellationToken)
            .ConfigureAwait(false);
    }

    protected override async ValueTask<bool> SetIfNotExistsCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        // One SET … NX PX: the key never exists without its TTL.
        object[] args = ttl is { } t
            ? [PhysicalKey(key), value.Payload!, "NX", "PX", Milliseconds(t)]
            : [PhysicalKey(key), value.Payload!, "NX"];
        RedisResult result = await _kv.ExecuteAsync(
            "SetIfNotExists", args, static (db, a) => db.ExecuteAsync("SET", a, CommandFlags.DemandMaster), cancellationToken).ConfigureAwait(false);
        return !result.IsNull;
    }

    protected override ValueTask<bool> DeleteCoreAsync(string key, CancellationToken cancellationToken) =>
        _kv.ExecuteAsync("Delete", PhysicalKey(key), static (db, k) => db.KeyDeleteAsync(k, CommandFlags.DemandMaster), cancellationToken);

    protected override ValueTask<bool> ExistsCoreAsync(string key, CancellationToken cancellationToken) =>
        _kv.ExecuteAsync("Exists", PhysicalKey(key), static (db, k) => db.KeyExistsAsync(k), cancellationToken);

    protected override async ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken)
    {
        object[] args = [PhysicalKey(key), Milliseconds(ttl)];
        RedisResult result = await _kv.ExecuteAsync(
            "Expire", args, static (db, a) => db.ExecuteAsync("PEXPIRE", a, CommandFlags.DemandMaster), cancellationToken).ConfigureAwait(false);
        return (long)result == 1;
    }

    protected override async ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        RedisValue[] args =
        [
            by.ToString(CultureInfo.InvariantCulture),
            ttl is { } t ? Milliseconds(t).ToString(CultureInfo.InvariantCulture) : string.Empty,
        ];
        RedisResult result = await EvaluateAsync("Increment", RedisScripts.Increment, key, args, CommandFlags.DemandMaster, cancellationToken)
            .ConfigureAwait(false);
        switch ((RedisResult[]?)result)
        {
            case [var status, var value] when (string?)status == RedisScripts.Ok
                && (byte[]?)value is { } digits && KvValueSerializer.TryParseInteger(digits, out long next):
                return next;
            case [var status] when (string?)status == RedisScripts.NotNumeric:
                throw NotNumeric();
            case [var status] when (string?)status == RedisScripts.Overflow:
                throw Overflow();
            default:
                throw UnexpectedReply("Increment");
        }
    }

    private ValueTask<RedisResult> EvaluateAsync(
        string operation, string script, string key, RedisValue[] args, CommandFlags flags, CancellationToken cancellationToken) =>
        _kv.ExecuteAsync(operation, (Script: script, Keys: new RedisKey[] { PhysicalKey(key) }, Args: args, Flags: flags), EvaluateAsync, cancellationToken);

    private static async Task<RedisResult> EvaluateAsync(IDatabase db, (string Script, RedisKey[] Keys, RedisValue[] Args, CommandFlags Flags) call)
    {
        try
        {
            return await db.ScriptEvaluateAsync(call.Script, call.Keys, call.Args, call.Flags).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // The server's script cache was flushed (SCRIPT FLUSH) behind the multiplexer's back. The multiplexer has
            // now forgotten the script too, so this retry loads it again: still one operation, bounded by its timeout.
            return await db.ScriptEvaluateAsync(call.Script, call.Keys, call.Args, call.Flags).ConfigureAwait(false);
        }
    }

    private RedisKey PhysicalKey(string key) => _keyPrefix + key;

    private static long Milliseconds(TimeSpan ttl) => ttl.Ticks / TimeSpan.TicksPerMillisecond;

    private static KvException UnexpectedReply(string operation) =>
        new(KvErrorCode.StoreOperationFailed, $"Redis answered the operation {operation} with a reply Kv does not understand.");
}
