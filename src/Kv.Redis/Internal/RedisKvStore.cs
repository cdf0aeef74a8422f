using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// The store of one namespace of a <see cref="RedisKv"/>. Keys and index keys follow <see cref="RedisKeyLayout"/>: all
/// of a root namespace shares one Redis Cluster hash slot. Every point operation is one round trip: a plain command
/// (GET, EXISTS, PTTL, MGET) or one script that updates the data key and the namespace's index together.
/// </summary>
internal sealed partial class RedisKvStore : KvStoreBase
{
    // How many index members one listing script reads at most: bounded, so a script never blocks Redis for long.
    private const int MaxChunk = 1000;

    private static readonly RedisValue Empty = string.Empty;

    private readonly RedisKv _kv;
    private readonly RedisKeyLayout _layout;
    private readonly RedisValue _namespacePath;

    public RedisKvStore(RedisKv kv, string namespacePath)
        : base(kv, namespacePath, kv.Serializer, kv.TimeProvider)
    {
        _kv = kv;
        _layout = new RedisKeyLayout(kv.InstanceName, namespacePath);
        _namespacePath = namespacePath;
    }

    protected override IAtomicKvStore CreateChild(string namespacePath) => new RedisKvStore(_kv, namespacePath);

    protected override async ValueTask<KvValue> GetCoreAsync(string key, bool includeDetails, CancellationToken cancellationToken)
    {
        if (!includeDetails)
        {
            RedisValue value = await _kv.ExecuteAsync(
                "Get", PhysicalKey(key), static (db, k) => db.StringGetAsync(k), cancellationToken).ConfigureAwait(false);
            return ParseValue(value);
        }

        return ParseEntry(await EvaluateAsync(
            "GetEntry", RedisScripts.GetEntry, [PhysicalKey(key), _layout.Index], [key], CommandFlags.None, cancellationToken).ConfigureAwait(false));
    }

    private static KvValue ParseValue(RedisValue value) => (byte[]?)value is { } stored ? new KvValue(stored) : KvValue.Missing;

    private KvValue ParseEntry(RedisResult result)
    {
        if (result.IsNull)
        {
            return KvValue.Missing;
        }

        if ((RedisResult[]?)result is not [var payload, var ttl, var record] || (byte[]?)payload is not { } bytes)
        {
            throw UnexpectedReply("GetEntry");
        }

        long remaining = (long)ttl;

        // PTTL is -1 for a permanent key. Redis counts the TTL on its own clock; the instant is placed on the
        // application's clock, to the millisecond.
        DateTimeOffset? expiresAt = remaining >= 0 ? _kv.TimeProvider.GetUtcNow().AddMilliseconds(remaining) : null;
        IndexRecord parsed = IndexRecord.Parse((byte[]?)record);
        return new KvValue(bytes, decoded: null, expiresAt, parsed.Metadata, parsed.Version);
    }

    protected override async ValueTask SetCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
        await WriteAsync("Set", key, value, ttl, "set", cancellationToken).ConfigureAwait(false);

    protected override async ValueTask<bool> SetIfNotExistsCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
        await WriteAsync("SetIfNotExists", key, value, ttl, "nx", cancellationToken).ConfigureAwait(false) > 0;

    protected override async ValueTask<bool> DeleteCoreAsync(string key, CancellationToken cancellationToken)
    {
        RedisResult result = await EvaluateAsync(
            "Delete", RedisScripts.Delete, [PhysicalKey(key), _layout.Ordered, _layout.Expiry, _layout.Index], [key], CommandFlags.DemandMaster, cancellationToken)
            .ConfigureAwait(false);
        return (long)result == 1;
    }

    protected override ValueTask<bool> ExistsCoreAsync(string key, CancellationToken cancellationToken) =>
        _kv.ExecuteAsync("Exists", PhysicalKey(key), static (db, k) => db.KeyExistsAsync(k), cancellationToken);

    protected override async ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken)
    {
        RedisResult result = await EvaluateAsync(
            "Expire",
            RedisScripts.Expire,
            [PhysicalKey(key), _layout.Ordered, _layout.Expiry, _layout.Index, _layout.Registry],
            [key, _namespacePath, Milliseconds(ttl)],
            CommandFlags.DemandMaster,
            cancellationToken,
            registerRoot: true).ConfigureAwait(false);
        return (long)result == 1;
    }

    protected override async ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, byte[]? metadata, CancellationToken cancellationToken)
    {
        RedisResult result = await EvaluateAsync(
            "Increment",
            RedisScripts.Increment,
            WriteKeys(key),
            [key, _namespacePath, by.ToString(CultureInfo.InvariantCulture), Ttl(ttl), metadata ?? Empty],
            CommandFlags.DemandMaster,
            cancellationToken,
            registerRoot: ttl is not null).ConfigureAwait(false);
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

    protected override async ValueTask<KvValue[]> GetManyCoreAsync(string[] keys, CancellationToken cancellationToken)
    {
        // One MGET: every key of a namespace is in the same hash slot, so this works on Redis Cluster too.
        RedisKey[] physical = Array.ConvertAll(keys, PhysicalKey);
        RedisValue[] values = await _kv.ExecuteAsync("GetMany", physical, static (db, k) => db.StringGetAsync(k), cancellationToken)
            .ConfigureAwait(false);
        if (values.Length != keys.Length)
        {
            throw UnexpectedReply("GetMany");
        }

        return Array.ConvertAll(values, static v => (byte[]?)v is { } stored ? new KvValue(stored) : KvValue.Missing);
    }

    protected override async ValueTask SetManyCoreAsync(KeyValuePair<string, KvValue>[] items, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        var keys = new RedisKey[5 + items.Length];
        keys[0] = _layout.Ordered;
        keys[1] = _layout.Expiry;
        keys[2] = _layout.Index;
        keys[3] = _layout.Version;
        keys[4] = _layout.Registry;
        var args = new RedisValue[2 + (3 * items.Length)];
        args[0] = _namespacePath;
        args[1] = Ttl(ttl);
        for (int i = 0; i < items.Length; i++)
        {
            keys[5 + i] = PhysicalKey(items[i].Key);
            args[2 + (3 * i)] = items[i].Key;
            args[3 + (3 * i)] = items[i].Value.Payload!;
            args[4 + (3 * i)] = items[i].Value.Metadata ?? Empty;
        }

        await EvaluateAsync("SetMany", RedisScripts.SetMany, keys, args, CommandFlags.DemandMaster, cancellationToken, registerRoot: ttl is not null)
            .ConfigureAwait(false);
    }

    protected override async ValueTask<long> DeleteManyCoreAsync(string[] keys, CancellationToken cancellationToken)
    {
        var redisKeys = new RedisKey[3 + keys.Length];
        redisKeys[0] = _layout.Ordered;
        redisKeys[1] = _layout.Expiry;
        redisKeys[2] = _layout.Index;
        var args = new RedisValue[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            redisKeys[3 + i] = PhysicalKey(keys[i]);
            args[i] = keys[i];
        }

        RedisResult result = await EvaluateAsync("DeleteMany", RedisScripts.DeleteMany, redisKeys, args, CommandFlags.DemandMaster, cancellationToken)
            .ConfigureAwait(false);
        return (long)result;
    }

    protected override async ValueTask<KvTimeToLive> GetTimeToLiveCoreAsync(string key, CancellationToken cancellationToken)
    {
        object[] args = [PhysicalKey(key)];
        RedisResult result = await _kv.ExecuteAsync("GetTimeToLive", args, static (db, a) => db.ExecuteAsync("PTTL", a), cancellationToken)
            .ConfigureAwait(false);
        long milliseconds = (long)result;

        // -2: missing; -1: no TTL; otherwise the remaining milliseconds (0 in the last millisecond, still alive).
        return milliseconds switch
        {
            -2 => KvTimeToLive.Missing,
            -1 => KvTimeToLive.Permanent,
            < 0 => throw UnexpectedReply("GetTimeToLive"),
            _ => KvTimeToLive.Expiring(TimeSpan.FromMilliseconds(Math.Max(1, milliseconds))),
        };
    }

    protected override async ValueTask<bool> PersistCoreAsync(string key, CancellationToken cancellationToken)
    {
        RedisResult result = await EvaluateAsync(
            "Persist", RedisScripts.Persist, [PhysicalKey(key), _layout.Ordered, _layout.Expiry, _layout.Index], [key], CommandFlags.DemandMaster, cancellationToken)
            .ConfigureAwait(false);
        return (long)result == 1;
    }

    protected override async ValueTask<IReadOnlyList<KvKeyInfo>> ListCoreAsync(KvListRequest request, CancellationToken cancellationToken)
    {
        var keys = new List<KvKeyInfo>(Math.Min(request.Limit, MaxChunk));
        if (request.Limit <= 0)
        {
            return keys;
        }

        await ScanAsync(
            "List",
            request,
            ListMode.Info,
            (key, expiresAt, record) =>
            {
                keys.Add(new KvKeyInfo(key, expiresAt, ParseMetadata(IndexRecord.Parse(record).Metadata)));
                return keys.Count < request.Limit;
            },
            cancellationToken).ConfigureAwait(false);
        return keys;
    }

    protected override async ValueTask<long> CountCoreAsync(KvListRequest request, CancellationToken cancellationToken)
    {
        if (request.Pattern is null && request.Prefix.Length == 0 && request.LowerBound is null && request.UpperBound is null)
        {
            // Every key: ZCARD of the namespace's keys minus the ZCOUNT of those whose expiry has passed, O(log n).
            RedisResult all = await EvaluateAsync(
                "Count", RedisScripts.CountAll, [_layout.Ordered, _layout.Expiry], [], CommandFlags.None, cancellationToken).ConfigureAwait(false);
            return (long)all;
        }

        long count = 0;
        await ScanAsync(
            "Count",
            request,
            ListMode.Name,
            (_, _, _) =>
            {
                count++;
                return true;
            },
            cancellationToken).ConfigureAwait(false);
        return count;
    }

    protected override async ValueTask<long[]> GetKeySizesCoreAsync(string[] keys, CancellationToken cancellationToken)
    {
        var args = new RedisValue[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            args[i] = keys[i];
        }

        RedisResult result = await EvaluateAsync("GetSizes", RedisScripts.Records, [_layout.Index, _layout.Expiry], args, CommandFlags.None, cancellationToken)
            .ConfigureAwait(false);
        if ((RedisResult[]?)result is not { } records || records.Length != keys.Length)
        {
            throw UnexpectedReply("GetSizes");
        }

        var sizes = new long[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            sizes[i] = (byte[]?)records[i] is { Length: > 0 } record ? Size(keys[i], IndexRecord.Parse(record)) : -1;
        }

        return sizes;
    }

    protected override async ValueTask<long> GetNamespaceSizeCoreAsync(CancellationToken cancellationToken)
    {
        long total = 0;
        await ScanAsync(
            "GetNamespaceSize",
            request: null,
            ListMode.Info,
            (key, _, record) =>
            {
                total += Size(key, IndexRecord.Parse(record));
                return true;
            },
            cancellationToken).ConfigureAwait(false);
        return total;
    }

    protected override async ValueTask<KvCommitResult> CommitCoreAsync(IReadOnlyList<KvTransactionOperation> operations, CancellationToken cancellationToken)
    {
        RedisTransactionCall call = RedisTransactionCall.Build(_kv, operations);
        RedisResult result = await _kv.ExecuteAsync(
            "Commit",
            (Kv: _kv, Call: call),
            static async (db, state) =>
            {
                // On Redis Cluster all keys must share a hash slot: keys under several roots in different slots are
                // refused before anything is sent, with a Kv error rather than a raw CROSSSLOT. A standalone server
                // takes any keys.
                IConnectionMultiplexer multiplexer = db.Multiplexer;
                if (state.Call.RootCount > 1
                    && multiplexer.GetEndPoints().Any(endPoint => multiplexer.GetServer(endPoint).ServerType == ServerType.Cluster))
                {
                    int slot = multiplexer.HashSlot(state.Call.Keys[0]);
                    for (int i = 1; i < state.Call.RootCount; i++)
                    {
                        if (multiplexer.HashSlot(state.Call.Keys[i]) != slot)
                        {
                            throw CrossSlot();
                        }
                    }
                }

                Task? registration = state.Call.RegistersRoots ? state.Kv.RootRegistry.RegisterAsync(db, state.Call.Roots) : null;
                Task<RedisResult> evaluation = EvaluateWithRetryAsync(db, RedisScripts.Commit, state.Call.Keys, state.Call.Args, CommandFlags.DemandMaster);
                return await AwaitBothAsync(registration, evaluation).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);

        switch ((RedisResult[]?)result)
        {
            case [var applied] when (string?)applied == "0":
                return new KvCommitResult(false, 0);
            case [var applied, var version] when (string?)applied == "1":
                return new KvCommitResult(true, (long)version);
            case [var status] when (string?)status == RedisScripts.NotNumeric:
                throw NotNumeric();
            case [var status] when (string?)status == RedisScripts.Overflow:
                throw Overflow();
            default:
                throw UnexpectedReply("Commit");
        }
    }

    /// <summary>Runs one script on keys of this namespace, as one operation under the adaptor's timeout.</summary>
    private ValueTask<RedisResult> EvaluateAsync(
        string operation,
        string script,
        RedisKey[] keys,
        RedisValue[] args,
        CommandFlags flags,
        CancellationToken cancellationToken,
        bool registerRoot = false) =>
        _kv.ExecuteAsync(
            operation,
            (Kv: _kv, Script: script, Keys: keys, Args: args, Flags: flags, Root: registerRoot ? _layout.Root : null),
            static (db, call) =>
            {
                Task<RedisResult> evaluation = EvaluateWithRetryAsync(db, call.Script, call.Keys, call.Args, call.Flags);
                return call.Root is null ? evaluation : AwaitBothAsync(call.Kv.RootRegistry.RegisterAsync(db, call.Root), evaluation);
            },
            cancellationToken);

    private static async Task<RedisResult> AwaitBothAsync(Task? registration, Task<RedisResult> evaluation)
    {
        if (registration is not null)
        {
            // Both were sent together (pipelined); WhenAll observes both, so neither fails unobserved.
            await Task.WhenAll(registration, evaluation).ConfigureAwait(false);
        }

        return await evaluation.ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a script as one <c>EVAL</c>: exactly one command on the server, the first call after a start and after
    /// <c>SCRIPT FLUSH</c> included. <c>IDatabase.ScriptEvaluateAsync(string)</c> in StackExchange.Redis 3.4.35 sends
    /// <c>EVAL</c> plus a <c>SCRIPT LOAD</c> on first use, then <c>EVALSHA</c>, and after a flush a failing
    /// <c>EVALSHA</c>, a <c>SCRIPT LOAD</c> and an <c>EVAL</c> (measured with INFO commandstats,
    /// RedisScriptCommandTests). The price is the script text on the wire with every call; the server finds the
    /// compiled script by its hash and does not compile it again.
    /// </summary>
    internal static async Task<RedisResult> EvaluateWithRetryAsync(IDatabase db, string script, RedisKey[] keys, RedisValue[] args, CommandFlags flags)
    {
        try
        {
            return await db.ExecuteAsync("EVAL", EvalArguments(script, keys, args), flags).ConfigureAwait(false);
        }
        catch (RedisException ex) when (IsCrossSlot(ex))
        {
            throw CrossSlot(ex);
        }
    }

    private static object[] EvalArguments(string script, RedisKey[] keys, RedisValue[] args)
    {
        // RedisKey arguments route the command to the keys' hash slot on Redis Cluster.
        var command = new object[2 + keys.Length + args.Length];
        command[0] = script;
        command[1] = keys.Length;
        for (int i = 0; i < keys.Length; i++)
        {
            command[2 + i] = keys[i];
        }

        for (int i = 0; i < args.Length; i++)
        {
            command[2 + keys.Length + i] = args[i];
        }

        return command;
    }

    private async ValueTask<long> WriteAsync(string operation, string key, KvValue value, TimeSpan? ttl, string mode, CancellationToken cancellationToken)
    {
        RedisResult result = await EvaluateAsync(
            operation,
            RedisScripts.Set,
            WriteKeys(key),
            WriteArguments(key, value, ttl, mode),
            CommandFlags.DemandMaster,
            cancellationToken,
            registerRoot: ttl is not null).ConfigureAwait(false);
        return (long)result;
    }

    /// <summary>
    /// Walks the namespace's index in key order from the request's lower bound, one bounded script per chunk, and
    /// hands each live key that the request matches to <paramref name="visit"/> until it returns false or the range
    /// ends. Keys come in <see cref="KvKeyComparer"/> order (UTF-8 byte order, as ZRANGEBYLEX sorts).
    /// </summary>
    private async ValueTask ScanAsync(
        string operation, KvListRequest? request, ListMode mode, Func<string, DateTimeOffset?, byte[]?, bool> visit, CancellationToken cancellationToken)
    {
        RedisValue min = LowerRange(request);
        RedisValue max = UpperRange(request);
        int chunk = request is null || request.Limit == int.MaxValue ? MaxChunk : Math.Clamp(request.Limit, 16, MaxChunk);
        RedisValue modeName = mode == ListMode.Name ? "name" : "info";
        int stride = mode == ListMode.Name ? 1 : 3;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RedisResult result = await EvaluateAsync(
                operation, RedisScripts.List, [_layout.Ordered, _layout.Expiry, _layout.Index], [min, max, chunk, modeName], CommandFlags.None, cancellationToken)
                .ConfigureAwait(false);
            if ((RedisResult[]?)result is not { Length: >= 3 } reply || (reply.Length - 3) % stride != 0)
            {
                throw UnexpectedReply(operation);
            }

            long redisNow = (long)reply[0];
            long scanned = (long)reply[1];
            DateTimeOffset appNow = _kv.TimeProvider.GetUtcNow();
            for (int i = 3; i < reply.Length; i += stride)
            {
                string key = Encoding.UTF8.GetString((byte[]?)reply[i] ?? throw UnexpectedReply(operation));
                if (request is not null)
                {
                    // Keys come in order: past the upper bound, or past every key with the prefix, nothing more matches.
                    if (!request.IsBelowUpperBound(key)
                        || (!key.StartsWith(request.Prefix, StringComparison.Ordinal) && KvKeyComparer.Instance.Compare(key, request.Prefix) > 0))
                    {
                        return;
                    }

                    if (!request.Matches(key))
                    {
                        continue;
                    }
                }

                DateTimeOffset? expiresAt = null;
                byte[]? record = null;
                if (stride == 3)
                {
                    string? expiry = (string?)reply[i + 1];
                    if (!string.IsNullOrEmpty(expiry))
                    {
                        long at = (long)double.Parse(expiry, NumberStyles.Float, CultureInfo.InvariantCulture);
                        expiresAt = appNow.AddMilliseconds(at - redisNow);
                    }

                    record = (byte[]?)reply[i + 2];
                }

                if (!visit(key, expiresAt, record))
                {
                    return;
                }
            }

            if (scanned < chunk)
            {
                return;
            }

            // The next chunk starts after the last member this one scanned, live or not.
            min = Concat((byte)'(', (byte[]?)reply[2] ?? throw UnexpectedReply(operation));
        }
    }

    private RedisValue[] WriteArguments(string key, KvValue value, TimeSpan? ttl, string mode) =>
        [key, _namespacePath, value.Payload!, Ttl(ttl), value.Metadata ?? Empty, mode];

    private RedisKey[] WriteKeys(string key) =>
        [PhysicalKey(key), _layout.Ordered, _layout.Expiry, _layout.Index, _layout.Version, _layout.Registry];

    private RedisKey PhysicalKey(string key) => _layout.DataKey(key);

    private static long Size(string key, IndexRecord record) => EntrySize(key, record.PayloadLength, record.Metadata?.Length ?? 0);

    // ZRANGEBYLEX bounds: "[x" inclusive, "(x" exclusive, "-" and "+" the ends.
    private static RedisValue LowerRange(KvListRequest? request) =>
        request?.LowerBound is { } lower ? Concat(request.LowerInclusive ? (byte)'[' : (byte)'(', Encoding.UTF8.GetBytes(lower)) : "-";

    private static RedisValue UpperRange(KvListRequest? request)
    {
        if (request?.UpperBound is { } upper)
        {
            return Concat(request.UpperInclusive ? (byte)'[' : (byte)'(', Encoding.UTF8.GetBytes(upper));
        }

        if (request is { Prefix.Length: > 0 })
        {
            // Every key with the prefix sorts below the prefix followed by 0xFF, a byte UTF-8 never uses.
            byte[] prefix = Encoding.UTF8.GetBytes(request.Prefix);
            byte[] bound = new byte[prefix.Length + 2];
            bound[0] = (byte)'(';
            prefix.CopyTo(bound, 1);
            bound[^1] = 0xFF;
            return bound;
        }

        return "+";
    }

    private static byte[] Concat(byte first, byte[] rest)
    {
        byte[] bytes = new byte[rest.Length + 1];
        bytes[0] = first;
        rest.CopyTo(bytes, 1);
        return bytes;
    }

    private static RedisValue Ttl(TimeSpan? ttl) => ttl is { } t ? Milliseconds(t) : Empty;

    private static long Milliseconds(TimeSpan ttl) => ttl.Ticks / TimeSpan.TicksPerMillisecond;

    private static bool IsCrossSlot(RedisException ex) =>
        ex.Message.StartsWith("CROSSSLOT", StringComparison.Ordinal)
        || ex.Message.Contains("single slot", StringComparison.OrdinalIgnoreCase);

    private static KvException CrossSlot(Exception? inner = null) =>
        new(
            KvErrorCode.CrossSlot,
            "The operation touches keys of several top-level namespaces that Redis Cluster keeps in different hash slots. "
            + "Everything under one top-level namespace shares a slot; keep a transaction's keys under one top-level namespace.",
            inner);

    private static KvException UnexpectedReply(string operation) =>
        new(KvErrorCode.StoreOperationFailed, $"Redis answered the operation {operation} with a reply Kv does not understand.");

    private enum ListMode
    {
        Info,
        Name,
    }
}
