using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// The store of one namespace of a <see cref="RedisKv"/>. Keys follow <see cref="RedisKeyLayout"/> (all of a root
/// namespace shares one Redis Cluster hash slot) and values <see cref="RedisValueFormat"/>. Every point operation is one
/// round trip, and a plain one is one command: <c>GET</c>, <c>SET</c> (<c>PSETEX</c>, <c>SET … NX</c>), <c>UNLINK</c>,
/// <c>EXISTS</c>, <c>PTTL</c>, <c>INCRBY</c>, <c>MGET</c>, <c>MSET</c>. Scripts remain
/// where one command cannot do the work (see <see cref="RedisScripts"/>). Listing scans the keyspace with <c>SCAN</c>.
/// </summary>
internal sealed partial class RedisKvStore : KvStoreBase
{
    // How many keys one SCAN step asks for (its COUNT), and how many keys one listing script describes at most: bounded,
    // so neither blocks Redis for long.
    private const int ScanPage = 1000;
    private const int MaxChunk = 1000;

    private readonly RedisKv _kv;
    private readonly RedisKeyLayout _layout;
    private readonly byte[] _keyPrefix;

    public RedisKvStore(RedisKv kv, string namespacePath)
        : base(kv, namespacePath, kv.Serializer, kv.TimeProvider)
    {
        _kv = kv;
        _layout = new RedisKeyLayout(kv.InstanceName, namespacePath);
        _keyPrefix = Encoding.UTF8.GetBytes(_layout.KeyPrefix);
    }

    protected override IAtomicKvStore CreateChild(string namespacePath) => new RedisKvStore(_kv, namespacePath);

    protected override ValueTask<KvValue> GetCoreAsync(string key, bool includeDetails, CancellationToken cancellationToken) =>
        includeDetails
            ? EvaluateAsync(KvOperationNames.GetEntry, RedisScripts.GetEntryCall(_layout, PhysicalKey(key)), CommandFlags.DemandMaster, static (store, r) => store.ParseEntry(r), cancellationToken)
            : _kv.ExecuteAsync(KvOperationNames.Get, PhysicalKey(key), static (db, k) => db.StringGetAsync(k), static (_, value) => ParseValue(value), cancellationToken);

    private static KvValue ParseValue(RedisValue value) => (byte[]?)value is { } stored ? new KvValue(RedisValueFormat.Payload(stored)) : KvValue.Missing;

    private KvValue ParseEntry(RedisResult result)
    {
        if (result.IsNull)
        {
            return KvValue.Missing;
        }

        if ((RedisResult[]?)result is not [var stored, var ttl] || (byte[]?)stored is not { } bytes)
        {
            throw UnexpectedReply(KvOperationNames.GetEntry);
        }

        (byte[] payload, byte[]? metadata, long version) = RedisValueFormat.Unpack(bytes);
        return new KvValue(payload, decoded: null, ExpiresAt((long)ttl), metadata, version);
    }

    // PTTL is -1 for a permanent key. Redis counts the TTL on its own clock; the instant is placed on the application's
    // clock, to the millisecond.
    private DateTimeOffset? ExpiresAt(long remainingMilliseconds) =>
        remainingMilliseconds >= 0 ? _kv.TimeProvider.GetUtcNow().AddMilliseconds(remainingMilliseconds) : null;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    protected override async ValueTask SetCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
        await _kv.ExecuteAsync(
            KvOperationNames.Set,
            (Key: PhysicalKey(key), Value: (RedisValue)RedisValueFormat.Pack(value), Ttl: Expiry(ttl)),
            static (db, s) => db.StringSetAsync(s.Key, s.Value, s.Ttl, When.Always, CommandFlags.DemandMaster),
            cancellationToken).ConfigureAwait(false);

    protected override ValueTask<bool> SetIfNotExistsCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
        _kv.ExecuteAsync(
            KvOperationNames.SetIfNotExists,
            (Key: PhysicalKey(key), Value: (RedisValue)RedisValueFormat.Pack(value), Ttl: Expiry(ttl)),
            static (db, s) => db.StringSetAsync(s.Key, s.Value, s.Ttl, When.NotExists, CommandFlags.DemandMaster),
            cancellationToken);

    protected override ValueTask<bool> DeleteCoreAsync(string key, CancellationToken cancellationToken) =>
        _kv.ExecuteAsync(KvOperationNames.Delete, PhysicalKey(key), static (db, k) => db.KeyDeleteAsync(k, CommandFlags.DemandMaster), cancellationToken);

    protected override ValueTask<bool> ExistsCoreAsync(string key, CancellationToken cancellationToken) =>
        _kv.ExecuteAsync(KvOperationNames.Exists, PhysicalKey(key), static (db, k) => db.KeyExistsAsync(k), cancellationToken);

    protected override ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken) =>
        EvaluateAsync(KvOperationNames.Expire, RedisScripts.ExpireCall(PhysicalKey(key), Milliseconds(ttl)), CommandFlags.DemandMaster, static (_, r) => (long)r == 1, cancellationToken);

    protected override ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, byte[]? metadata, CancellationToken cancellationToken) =>
        _kv.ExecuteAsync(
            KvOperationNames.Increment,
            (Key: PhysicalKey(key), By: by, Ttl: Ttl(ttl), Metadata: metadata),
            static (db, s) => IncrementAsync(db, s.Key, s.By, s.Ttl, s.Metadata),
            cancellationToken);

    /// <summary>
    /// An increment in one round trip: a bare <c>INCRBY</c>, or with a TTL-on-create or metadata the small
    /// <see cref="RedisScripts.IncrementOrCreate"/> script. When Redis refuses the value (one with a header, one that is
    /// not an integer, an overflow) nothing has changed, and the <see cref="RedisScripts.Increment"/> script does the
    /// work or says why, so the error codes are exactly those of every other backend.
    /// </summary>
    private static async Task<long> IncrementAsync(IDatabase db, RedisKey key, long by, RedisValue ttl, byte[]? metadata)
    {
        RedisValue amount = by;
        RedisValue meta = metadata ?? RedisScripts.None;
        if (ttl.IsNullOrEmpty && metadata is null)
        {
            try
            {
                return await db.StringIncrementAsync(key, by, CommandFlags.DemandMaster).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (IsIntegerRefusal(ex))
            {
                return await ExplainAsync().ConfigureAwait(false);
            }
        }

        RedisResult result = await EvaluateAsync(db, RedisScripts.IncrementOrCreateCall(key, amount, ttl, meta), CommandFlags.DemandMaster).ConfigureAwait(false);
        return (RedisResult[]?)result is [var status] && (string?)status == RedisScripts.Refused
            ? await ExplainAsync().ConfigureAwait(false)
            : ParseIncrement(result);

        // Refused: nothing changed; the full script adds to a value with a header, or says why it cannot.
        async Task<long> ExplainAsync() =>
            ParseIncrement(await EvaluateAsync(db, RedisScripts.IncrementCall(key, amount, ttl, meta), CommandFlags.DemandMaster).ConfigureAwait(false));
    }

    // INCRBY's refusals: Redis says "value is not an integer or out of range" or "increment or decrement would overflow";
    // Garnet says the former for both.
    private static bool IsIntegerRefusal(RedisServerException ex) =>
        ex.Message.Contains("not an integer", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("overflow", StringComparison.OrdinalIgnoreCase);

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
                throw UnexpectedReply(KvOperationNames.Increment);
        }
    }

    protected override ValueTask<KvValue[]> GetManyCoreAsync(string[] keys, CancellationToken cancellationToken) =>
        // One MGET: every key of a namespace is in the same hash slot, so this works on Redis Cluster too.
        _kv.ExecuteAsync(
            KvOperationNames.GetMany,
            Array.ConvertAll(keys, PhysicalKey),
            static (db, k) => db.StringGetAsync(k),
            static (physical, values) => values.Length == physical.Length ? Array.ConvertAll(values, ParseValue) : throw UnexpectedReply(KvOperationNames.GetMany),
            cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    protected override async ValueTask SetManyCoreAsync(KeyValuePair<string, KvValue>[] items, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        if (ttl is null)
        {
            // One MSET: atomic, and permanent (it clears earlier TTLs, as a plain SET does).
            var pairs = new KeyValuePair<RedisKey, RedisValue>[items.Length];
            for (int i = 0; i < items.Length; i++)
            {
                pairs[i] = new(PhysicalKey(items[i].Key), RedisValueFormat.Pack(items[i].Value));
            }

            await _kv.ExecuteAsync(KvOperationNames.SetMany, pairs, static (db, p) => db.StringSetAsync(p, When.Always, CommandFlags.DemandMaster), cancellationToken)
                .ConfigureAwait(false);
            return;
        }

        var keys = new RedisKey[items.Length];
        var values = new RedisValue[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            keys[i] = PhysicalKey(items[i].Key);
            values[i] = RedisValueFormat.Pack(items[i].Value);
        }

        await EvaluateAsync(
            KvOperationNames.SetMany, RedisScripts.SetManyWithTtlCall(Milliseconds(ttl.Value), keys, values), CommandFlags.DemandMaster, static (_, _) => true, cancellationToken)
            .ConfigureAwait(false);
    }

    protected override ValueTask<long> DeleteManyCoreAsync(string[] keys, CancellationToken cancellationToken) =>
        // One DEL of every key: it counts the keys that existed, and an expired key does not exist.
        _kv.ExecuteAsync(KvOperationNames.DeleteMany, Array.ConvertAll(keys, PhysicalKey), static (db, k) => db.KeyDeleteAsync(k, CommandFlags.DemandMaster), cancellationToken);

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
        EvaluateAsync(KvOperationNames.Persist, RedisScripts.PersistCall(PhysicalKey(key)), CommandFlags.DemandMaster, static (_, r) => (long)r == 1, cancellationToken);

    protected override async ValueTask<IReadOnlyList<KvKeyInfo>> ListCoreAsync(KvListRequest request, CancellationToken cancellationToken)
    {
        var keys = new List<KvKeyInfo>(Math.Min(request.Limit, MaxChunk));
        if (request.Limit <= 0)
        {
            return keys;
        }

        List<string> candidates = await CandidatesAsync(KvOperationNames.List, request, cancellationToken).ConfigureAwait(false);
        for (int start = 0; start < candidates.Count && keys.Count < request.Limit;)
        {
            RedisKey[] chunk = Chunk(candidates, start, request.Limit - keys.Count);
            RedisResult described = await EvaluateAsync(
                KvOperationNames.List, RedisScripts.DescribeCall(chunk, namesOnly: false), CommandFlags.None, static (_, r) => r, cancellationToken).ConfigureAwait(false);
            AddListed(keys, request.Limit, candidates, start, described);
            start += chunk.Length;
        }

        return keys;
    }

    protected override IReadOnlyList<KvKeyInfo> ListCore(KvListRequest request)
    {
        var keys = new List<KvKeyInfo>(Math.Min(request.Limit, MaxChunk));
        if (request.Limit <= 0)
        {
            return keys;
        }

        List<string> candidates = Candidates(KvOperationNames.List, request);
        for (int start = 0; start < candidates.Count && keys.Count < request.Limit;)
        {
            RedisKey[] chunk = Chunk(candidates, start, request.Limit - keys.Count);
            AddListed(keys, request.Limit, candidates, start, Evaluate(KvOperationNames.List, RedisScripts.DescribeCall(chunk, namesOnly: false), CommandFlags.None));
            start += chunk.Length;
        }

        return keys;
    }

    // The physical keys of the next candidates to ask about, from start: as many as are still wanted, plus a few for
    // keys that expire meanwhile, at most MaxChunk.
    private RedisKey[] Chunk(List<string> candidates, int start, int wanted)
    {
        var chunk = new RedisKey[Math.Min(candidates.Count - start, Math.Clamp(wanted + 8, 16, MaxChunk))];
        for (int i = 0; i < chunk.Length; i++)
        {
            chunk[i] = PhysicalKey(candidates[start + i]);
        }

        return chunk;
    }

    // Adds the live keys of a Describe reply (PTTL and metadata per key) about candidates[start..], in order, up to the
    // limit.
    private void AddListed(List<KvKeyInfo> keys, int limit, List<string> candidates, int start, RedisResult described)
    {
        if ((RedisResult[]?)described is not { } reply || reply.Length % 2 != 0 || start + (reply.Length / 2) > candidates.Count)
        {
            throw UnexpectedReply(KvOperationNames.List);
        }

        for (int i = 0; i < reply.Length / 2 && keys.Count < limit; i++)
        {
            long ttl = (long)reply[2 * i];
            if (ttl == -2)
            {
                continue; // Deleted or expired since the scan.
            }

            byte[]? metadata = (byte[]?)reply[(2 * i) + 1];
            keys.Add(new KvKeyInfo(candidates[start + i], ExpiresAt(ttl), ParseMetadata(metadata is { Length: > 0 } ? metadata : null)));
        }
    }

    protected override async ValueTask<long> CountCoreAsync(KvListRequest request, CancellationToken cancellationToken)
    {
        List<string> candidates = await CandidatesAsync(KvOperationNames.Count, request, cancellationToken).ConfigureAwait(false);
        long count = 0;
        for (int start = 0; start < candidates.Count;)
        {
            RedisKey[] chunk = Chunk(candidates, start, MaxChunk);
            RedisResult described = await EvaluateAsync(
                KvOperationNames.Count, RedisScripts.DescribeCall(chunk, namesOnly: true), CommandFlags.None, static (_, r) => r, cancellationToken).ConfigureAwait(false);
            if ((RedisResult[]?)described is not { } reply || reply.Length != chunk.Length)
            {
                throw UnexpectedReply(KvOperationNames.Count);
            }

            count += reply.Count(ttl => (long)ttl != -2);
            start += chunk.Length;
        }

        return count;
    }

    protected override async ValueTask<long[]> GetKeySizesCoreAsync(string[] keys, CancellationToken cancellationToken)
    {
        RedisResult result = await EvaluateAsync(
            KvOperationNames.StorageSize, RedisScripts.SizesCall(Array.ConvertAll(keys, PhysicalKey)), CommandFlags.None, static (_, r) => r, cancellationToken)
            .ConfigureAwait(false);
        var sizes = new long[keys.Length];
        ReadSizes(keys, 0, keys.Length, result, (i, size) => sizes[i] = size);
        return sizes;
    }

    protected override async ValueTask<long> GetNamespaceSizeCoreAsync(CancellationToken cancellationToken)
    {
        List<string> candidates = await CandidatesAsync(KvOperationNames.StorageSize, request: null, cancellationToken).ConfigureAwait(false);
        long total = 0;
        for (int start = 0; start < candidates.Count;)
        {
            RedisKey[] chunk = Chunk(candidates, start, MaxChunk);
            RedisResult result = await EvaluateAsync(
                KvOperationNames.StorageSize, RedisScripts.SizesCall(chunk), CommandFlags.None, static (_, r) => r, cancellationToken).ConfigureAwait(false);
            ReadSizes(candidates, start, chunk.Length, result, (_, size) => total += Math.Max(0, size));
            start += chunk.Length;
        }

        return total;
    }

    // Reads a Sizes reply about keys[start..start + count] (payload and metadata length per key, -1 for a missing key) as
    // each key's entry size, by its index in keys.
    private static void ReadSizes(IReadOnlyList<string> keys, int start, int count, RedisResult result, Action<int, long> size)
    {
        if ((RedisResult[]?)result is not { } reply || reply.Length != 2 * count)
        {
            throw UnexpectedReply(KvOperationNames.StorageSize);
        }

        for (int i = 0; i < count; i++)
        {
            long payload = (long)reply[2 * i];
            size(start + i, payload < 0 ? -1 : EntrySize(keys[start + i], (int)payload, (int)(long)reply[(2 * i) + 1]));
        }
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

    /// <summary>
    /// The namespace's keys that the request matches (every key for none), in <see cref="KvKeyComparer"/> order: a full
    /// <c>SCAN … MATCH</c> of the namespace's prefix (and the request's key prefix) on the primary that holds the root's
    /// hash slot, one bounded step per round trip. SCAN returns every key that exists for the whole scan; the caller
    /// asks each key again (Describe), so a key that expired or was deleted meanwhile is never listed or counted.
    /// </summary>
    private async ValueTask<List<string>> CandidatesAsync(string operation, KvListRequest? request, CancellationToken cancellationToken)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        RedisValue pattern = (string?)_layout.ScanPattern(request?.Prefix ?? string.Empty);
        long cursor = 0;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            RedisResult page = await _kv.ExecuteAsync(
                operation,
                (Store: this, Pattern: pattern, Cursor: cursor),
                static (db, s) => s.Store.Primary(db).ExecuteAsync(db.Database, "SCAN", [s.Cursor, "MATCH", s.Pattern, "COUNT", ScanPage], CommandFlags.DemandMaster),
                cancellationToken).ConfigureAwait(false);
            cursor = ReadScanPage(operation, request, page, found);
        }
        while (cursor != 0);

        return Sorted(found);
    }

    /// <summary>The synchronous <see cref="CandidatesAsync"/>: the same SCAN, through the synchronous API.</summary>
    private List<string> Candidates(string operation, KvListRequest request)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        RedisValue pattern = (string?)_layout.ScanPattern(request.Prefix);
        long cursor = 0;
        do
        {
            RedisResult page = _kv.Execute(
                operation,
                (Store: this, Pattern: pattern, Cursor: cursor),
                static (db, s) => s.Store.Primary(db).Execute(db.Database, "SCAN", [s.Cursor, "MATCH", s.Pattern, "COUNT", ScanPage], CommandFlags.DemandMaster));
            cursor = ReadScanPage(operation, request, page, found);
        }
        while (cursor != 0);

        return Sorted(found);
    }

    // The primary that holds the namespace's hash slot (the one server of a standalone setup).
    private IServer Primary(IDatabase db) => db.Multiplexer.GetServer(_layout.Version, asyncState: null, CommandFlags.DemandMaster);

    // Adds the keys of one SCAN reply that the request matches; returns the next cursor. Kv's own keys (the reserved
    // "__kv:" prefix: version counters, rate-limit state) are never listed; user keys cannot start with "__".
    private long ReadScanPage(string operation, KvListRequest? request, RedisResult page, HashSet<string> found)
    {
        if ((RedisResult[]?)page is not [var next, var members] || (RedisResult[]?)members is not { } keys
            || !long.TryParse((string?)next, NumberStyles.None, CultureInfo.InvariantCulture, out long cursor))
        {
            throw UnexpectedReply(operation);
        }

        foreach (RedisResult member in keys)
        {
            byte[] physical = (byte[]?)member ?? throw UnexpectedReply(operation);
            if (!physical.AsSpan().StartsWith(_keyPrefix))
            {
                continue;
            }

            string key = Encoding.UTF8.GetString(physical.AsSpan(_keyPrefix.Length));
            if (!key.StartsWith("__", StringComparison.Ordinal) && (request is null || request.Matches(key)))
            {
                found.Add(key);
            }
        }

        return cursor;
    }

    private static List<string> Sorted(HashSet<string> keys)
    {
        var sorted = new List<string>(keys);
        sorted.Sort(KvKeyComparer.Instance);
        return sorted;
    }

    private RedisKey PhysicalKey(string key) => _layout.DataKey(key);

    private static TimeSpan? Expiry(TimeSpan? ttl) => ttl is { } t ? Expiry(t) : null;

    // Whole milliseconds, as the TTL is sent (SET … PX, PEXPIRE).
    private static TimeSpan Expiry(TimeSpan ttl) => TimeSpan.FromMilliseconds(Milliseconds(ttl));

    private static RedisValue Ttl(TimeSpan? ttl) => ttl is { } t ? Milliseconds(t) : RedisScripts.None;

    private static long Milliseconds(TimeSpan ttl) => ttl.Ticks / TimeSpan.TicksPerMillisecond;

    private static KvException UnexpectedReply(string operation) =>
        new(KvErrorCode.StoreOperationFailed, $"Redis answered the operation {operation} with a reply Kv does not understand.");
}
