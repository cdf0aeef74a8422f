using Microsoft.Data.Sqlite;

namespace Kv.Internal;

// The synchronous cores, for IKvStore.Synchronous (IDistributedCache's synchronous methods): the same statements as
// the asynchronous cores, run with synchronous ADO.NET. Reads run on the calling thread; writes join the writer
// thread's next group commit and the caller's thread waits for that commit (SqliteDatabase.Write), never a task.
internal sealed partial class SqliteKvStore
{
    protected override KvValue GetCore(string key, bool includeDetails) =>
        Db.Read(KvOperationNames.Get, lease => ReadEntry(lease, key, includeDetails));

    protected override void SetCore(string key, KvValue value, TimeSpan? ttl) =>
        Db.Write(KvOperationNames.Set, (lease, context) => Set(lease, context, key, value, ttl), singleChange: true);

    protected override bool DeleteCore(string key) =>
        Db.Write(KvOperationNames.Delete, (lease, _) => Delete(lease, key), singleChange: true);

    protected override bool ExpireCore(string key, TimeSpan ttl) =>
        Db.Write(KvOperationNames.Expire, (lease, _) => Expire(lease, key, ttl), singleChange: true);

    protected override IReadOnlyList<KvKeyInfo> ListCore(KvListRequest request) =>
        Db.ReadSnapshot(KvOperationNames.List, lease => List(lease, request));

    private IReadOnlyList<KvKeyInfo> List(SqliteConnectionLease lease, KvListRequest request)
    {
        if (request.Limit <= 0)
        {
            return Array.Empty<KvKeyInfo>();
        }

        var keys = new List<KvKeyInfo>(Math.Min(request.Limit, ScanChunk));
        Scan(lease, request, (key, expiresAt, meta) =>
        {
            keys.Add(new KvKeyInfo(key, expiresAt is { } ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null, ParseMetadata(meta)));
            return keys.Count < request.Limit;
        });
        return keys;
    }

    private bool Set(SqliteConnectionLease lease, SqliteWriteContext context, string key, KvValue value, TimeSpan? ttl)
    {
        Upsert(lease, key, value.Payload!, Deadline(ttl), value.Metadata, context.NextVersion());
        return true;
    }

    private bool Expire(SqliteConnectionLease lease, string key, TimeSpan ttl)
    {
        long now = Now();
        SqliteCommand command = lease.Command($"UPDATE kv SET expires_at = $exp WHERE ns = $ns AND key = $key AND {Live}");
        Bind(command, key, now);
        command.Set("$exp", now + ttl.Ticks);
        return command.ExecuteNonQuery() == 1;
    }
}
