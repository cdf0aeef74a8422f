using System.Globalization;
using System.Runtime.CompilerServices;
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

    private readonly RedisKv _kv;
    private readonly RedisKeyLayout _layout;

    public RedisKvStore(RedisKv kv, string namespacePath)
        : base(kv, namespacePath, kv.Serializer, kv.TimeProvider)
    {
        _kv = kv;
        _layout = new RedisKeyLayout(kv.InstanceName, namespacePath);
    }

    protected override IAtomicKvStore CreateChild(string namespacePath) => new RedisKvStore(_kv, namespacePath);

    protected override ValueTask<KvValue> GetCoreAsync(string key, bool includeDetails, CancellationToken cancellationToken) =>
        includeDetails
            ? EvaluateAsync(KvOperationNames.GetEntry, RedisScripts.GetEntryCall(_layout, PhysicalKey(key), key), CommandFlags.None, static (store, r) => store.ParseEntry(r), cancellationToken)
            : _kv.ExecuteAsync(KvOperationNames.Get, PhysicalKey(key), static (db, k) => db.StringGetAsync(k), static (_, value) => ParseValue(value), cancellationToken);

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

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    protected override async ValueTask SetCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
        await EvaluateAsync(KvOperationNames.Set, SetCall(key, value, ttl, onlyIfMissing: false), CommandFlags.DemandMaster, static (_, _) => true, cancellationToken)
            .ConfigureAwait(false);

    protected override ValueTask<bool> SetIfNotExistsCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
        EvaluateAsync(KvOperationNames.SetIfNotExists, SetCall(key, value, ttl, onlyIfMissing: true), CommandFlags.DemandMaster, static (_, r) => (long)r > 0, cancellationToken);

    protected override ValueTask<bool> DeleteCoreAsync(string key, CancellationToken cancellationToken) =>
        EvaluateAsync(KvOperationNames.Delete, RedisScripts.DeleteCall(_layout, PhysicalKey(key), key), CommandFlags.DemandMaster, static (_, r) => (long)r == 1, cancellationToken);

    protected override ValueTask<bool> ExistsCoreAsync(string key, CancellationToken cancellationToken) =>
        _kv.ExecuteAsync(KvOperationNames.Exists, PhysicalKey(key), static (db, k) => db.KeyExistsAsync(k), cancellationToken);

    protected override ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken) =>
        EvaluateAsync(
            KvOperationNames.Expire, RedisScripts.ExpireCall(_layout, PhysicalKey(key), key, Milliseconds(ttl)), CommandFlags.DemandMaster, static (_, r) => (long)r == 1, cancellationToken);

    protected override ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, byte[]? metadata, CancellationToken cancellationToken) =>
        EvaluateAsync(
            KvOperationNames.Increment,
            RedisScripts.IncrementCall(_layout, PhysicalKey(key), key, by.ToString(CultureInfo.InvariantCulture), Ttl(ttl), metadata ?? RedisScripts.None),
            CommandFlags.DemandMaster,
            static (_, r) => ParseIncrement(r),
            cancellationToken);

    private static long ParseIncrement(RedisResult result)
    {
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

    protected override ValueTask<KvValue[]> GetManyCoreAsync(string[] keys, CancellationToken cancellationToken) =>
        // One MGET: every key of a namespace is in the same hash slot, so this works on Redis Cluster too.
        _kv.ExecuteAsync(
            KvOperationNames.GetMany,
            Array.ConvertAll(keys, PhysicalKey),
            static (db, k) => db.StringGetAsync(k),
            static (physical, values) => values.Length == physical.Length ? Array.ConvertAll(values, ParseValue) : throw UnexpectedReply("GetMany"),
            cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    protected override async ValueTask SetManyCoreAsync(KeyValuePair<string, KvValue>[] items, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        var entries = new (RedisKey, RedisValue, RedisValue, RedisValue)[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            entries[i] = (PhysicalKey(items[i].Key), items[i].Key, items[i].Value.Payload!, items[i].Value.Metadata ?? RedisScripts.None);
        }

        await EvaluateAsync(KvOperationNames.SetMany, RedisScripts.SetManyCall(_layout, Ttl(ttl), entries), CommandFlags.DemandMaster, static (_, _) => true, cancellationToken)
            .ConfigureAwait(false);
    }

    protected override ValueTask<long> DeleteManyCoreAsync(string[] keys, CancellationToken cancellationToken)
    {
        var entries = new (RedisKey, RedisValue)[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            entries[i] = (PhysicalKey(keys[i]), keys[i]);
        }

        return EvaluateAsync(KvOperationNames.DeleteMany, RedisScripts.DeleteManyCall(_layout, entries), CommandFlags.DemandMaster, static (_, r) => (long)r, cancellationToken);
    }

    protected override async ValueTask<KvTimeToLive> GetTimeToLiveCoreAsync(string key, CancellationToken cancellationToken)
    {
        object[] args = [PhysicalKey(key)];
        RedisResult result = await _kv.ExecuteAsync(KvOperationNames.GetTimeToLive, args, static (db, a) => db.ExecuteAsync("PTTL", a), cancellationToken)
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

    protected override ValueTask<bool> PersistCoreAsync(string key, CancellationToken cancellationToken) =>
        EvaluateAsync(KvOperationNames.Persist, RedisScripts.PersistCall(_layout, PhysicalKey(key), key), CommandFlags.DemandMaster, static (_, r) => (long)r == 1, cancellationToken);

    protected override async ValueTask<IReadOnlyList<KvKeyInfo>> ListCoreAsync(KvListRequest request, CancellationToken cancellationToken)
    {
        var keys = new List<KvKeyInfo>(Math.Min(request.Limit, MaxChunk));
        if (request.Limit > 0)
        {
            await ScanAsync(KvOperationNames.List, request, ListMode.Info, ListVisitor(keys, request.Limit), cancellationToken).ConfigureAwait(false);
        }

        return keys;
    }

    protected override IReadOnlyList<KvKeyInfo> ListCore(KvListRequest request)
    {
        var keys = new List<KvKeyInfo>(Math.Min(request.Limit, MaxChunk));
        if (request.Limit > 0)
        {
            Scan(KvOperationNames.List, request, ListMode.Info, ListVisitor(keys, request.Limit));
        }

        return keys;
    }

    // Collects listed keys with their expiry and metadata, up to the limit.
    private static Func<string, DateTimeOffset?, byte[]?, bool> ListVisitor(List<KvKeyInfo> keys, int limit) =>
        (key, expiresAt, record) =>
        {
            keys.Add(new KvKeyInfo(key, expiresAt, ParseMetadata(IndexRecord.Parse(record).Metadata)));
            return keys.Count < limit;
        };

    protected override async ValueTask<long> CountCoreAsync(KvListRequest request, CancellationToken cancellationToken)
    {
        if (request.Pattern is null && request.Prefix.Length == 0 && request.LowerBound is null && request.UpperBound is null)
        {
            // Every key: ZCARD of the namespace's keys minus the ZCOUNT of those whose expiry has passed, O(log n).
            return await EvaluateAsync(KvOperationNames.Count, RedisScripts.CountAllCall(_layout), CommandFlags.None, static (_, r) => (long)r, cancellationToken)
                .ConfigureAwait(false);
        }

        long count = 0;
        await ScanAsync(
            KvOperationNames.Count,
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
        RedisResult result = await EvaluateAsync(KvOperationNames.StorageSize, RedisScripts.RecordsCall(_layout, keys), CommandFlags.None, static (_, r) => r, cancellationToken)
            .ConfigureAwait(false);
        if ((RedisResult[]?)result is not { } records || records.Length != keys.Length)
        {
            throw UnexpectedReply(KvOperationNames.StorageSize);
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
            KvOperationNames.StorageSize,
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

    protected override ValueTask<KvCommitResult> CommitCoreAsync(IReadOnlyList<KvTransactionOperation> operations, CancellationToken cancellationToken) =>
        _kv.ExecuteAsync(
            KvOperationNames.Commit,
            RedisTransactionCall.Build(_kv, operations),
            static (db, call) =>
            {
                // On Redis Cluster all keys must share a hash slot: keys under several roots in different slots are
                // refused before anything is sent, with a Kv error rather than a raw CROSSSLOT. A standalone server
                // takes any keys.
                IConnectionMultiplexer multiplexer = db.Multiplexer;
                if (call.RootCount > 1
                    && multiplexer.GetEndPoints().Any(endPoint => multiplexer.GetServer(endPoint).ServerType == ServerType.Cluster))
                {
                    int slot = multiplexer.HashSlot(call.Script.Keys[0]);
                    for (int i = 1; i < call.RootCount; i++)
                    {
                        if (multiplexer.HashSlot(call.Script.Keys[i]) != slot)
                        {
                            throw RedisKv.CrossSlot();
                        }
                    }
                }

                return EvaluateAsync(db, call.Script, CommandFlags.DemandMaster);
            },
            static (_, result) => ParseCommit(result),
            cancellationToken);

    private static KvCommitResult ParseCommit(RedisResult result)
    {
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
    private ValueTask<TResult> EvaluateAsync<TResult>(
        string operation, RedisScriptCall call, CommandFlags flags, Func<RedisKvStore, RedisResult, TResult> map, CancellationToken cancellationToken) =>
        _kv.ExecuteAsync(
            operation,
            (Store: this, Call: call, Flags: flags, Map: map),
            static (db, s) => EvaluateAsync(db, s.Call, s.Flags),
            static (s, result) => s.Map(s.Store, result),
            cancellationToken);

    /// <summary>
    /// Sends a script as one <c>EVAL</c>: exactly one command from the client, the first call after a start and after
    /// <c>SCRIPT FLUSH</c> included. <c>IDatabase.ScriptEvaluateAsync(string)</c> in StackExchange.Redis 3.4.35 sends
    /// <c>EVAL</c> plus a <c>SCRIPT LOAD</c> on first use, then <c>EVALSHA</c>, and after a flush a failing
    /// <c>EVALSHA</c>, a <c>SCRIPT LOAD</c> and an <c>EVAL</c> (measured with INFO commandstats,
    /// RedisScriptCommandTests). The price is the script text on the wire with every call, which is why the scripts are
    /// compacted and carry only the helpers they use; the server finds the compiled script by its hash and does not
    /// compile it again. A CROSSSLOT reply becomes <see cref="KvErrorCode.CrossSlot"/> in <see cref="RedisKv"/>.
    /// </summary>
    internal static Task<RedisResult> EvaluateAsync(IDatabase db, RedisScriptCall call, CommandFlags flags) =>
        db.ExecuteAsync("EVAL", EvalArguments(call.Script.Text, call.Keys, call.Args), flags);

    /// <summary>Sends a script text as one <c>EVAL</c> (the rate-limit scripts); see <see cref="EvaluateAsync(IDatabase, RedisScriptCall, CommandFlags)"/>.</summary>
    internal static async Task<RedisResult> EvaluateWithRetryAsync(IDatabase db, string script, RedisKey[] keys, RedisValue[] args, CommandFlags flags)
    {
        try
        {
            return await db.ExecuteAsync("EVAL", EvalArguments(script, keys, args), flags).ConfigureAwait(false);
        }
        catch (RedisException ex) when (RedisKv.IsCrossSlot(ex))
        {
            throw RedisKv.CrossSlot(ex);
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

    private RedisScriptCall SetCall(string key, KvValue value, TimeSpan? ttl, bool onlyIfMissing) =>
        RedisScripts.SetCall(_layout, PhysicalKey(key), key, value.Payload!, Ttl(ttl), value.Metadata ?? RedisScripts.None, onlyIfMissing);

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
        int chunk = ScanChunkSize(request);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RedisResult result = await EvaluateAsync(
                operation, RedisScripts.ListCall(_layout, min, max, chunk, namesOnly: mode == ListMode.Name), CommandFlags.None, static (_, r) => r, cancellationToken)
                .ConfigureAwait(false);
            if (!VisitChunk(operation, request, mode, chunk, result, visit, ref min))
            {
                return;
            }
        }
    }

    /// <summary>The synchronous <see cref="ScanAsync"/>: the same script and chunks, through the synchronous API.</summary>
    private void Scan(string operation, KvListRequest request, ListMode mode, Func<string, DateTimeOffset?, byte[]?, bool> visit)
    {
        RedisValue min = LowerRange(request);
        RedisValue max = UpperRange(request);
        int chunk = ScanChunkSize(request);
        while (true)
        {
            RedisResult result = Evaluate(operation, RedisScripts.ListCall(_layout, min, max, chunk, namesOnly: mode == ListMode.Name), CommandFlags.None);
            if (!VisitChunk(operation, request, mode, chunk, result, visit, ref min))
            {
                return;
            }
        }
    }

    private static int ScanChunkSize(KvListRequest? request) =>
        request is null || request.Limit == int.MaxValue ? MaxChunk : Math.Clamp(request.Limit, 16, MaxChunk);

    // Visits the keys of one chunk of the List script's reply. Returns false when the scan is over; otherwise moves
    // min past the last member this chunk scanned.
    private bool VisitChunk(
        string operation, KvListRequest? request, ListMode mode, int chunk, RedisResult result, Func<string, DateTimeOffset?, byte[]?, bool> visit, ref RedisValue min)
    {
        int stride = mode == ListMode.Name ? 1 : 3;
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
                    return false;
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
                return false;
            }
        }

        if (scanned < chunk)
        {
            return false;
        }

        // The next chunk starts after the last member this one scanned, live or not.
        min = Concat((byte)'(', (byte[]?)reply[2] ?? throw UnexpectedReply(operation));
        return true;
    }

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

    private static RedisValue Ttl(TimeSpan? ttl) => ttl is { } t ? Milliseconds(t) : RedisScripts.None;

    private static long Milliseconds(TimeSpan ttl) => ttl.Ticks / TimeSpan.TicksPerMillisecond;

    private static KvException UnexpectedReply(string operation) =>
        new(KvErrorCode.StoreOperationFailed, $"Redis answered the operation {operation} with a reply Kv does not understand.");

    private enum ListMode
    {
        Info,
        Name,
    }
}
