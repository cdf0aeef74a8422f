using Xunit;

namespace Kv.Conformance;

// The synchronous point operations (IKvStore.Synchronous): the same data, validation and expiry as the asynchronous ones.
public abstract partial class KvConformanceTests
{
    [Fact]
    public async Task Synchronous_operations_see_and_change_the_same_data_as_the_asynchronous_ones()
    {
        IKvSynchronousStore sync = Root.Synchronous;

        sync.Set("s", "written-sync", new KvSetOptions { Metadata = System.Text.Json.JsonSerializer.SerializeToElement(new { tag = "m" }) });
        Assert.Equal("written-sync", await Root.GetAsync<string>("s"));

        await Root.SetAsync("a", new byte[] { 1, 2, 3 });
        Assert.Equal(new byte[] { 1, 2, 3 }, sync.Get<byte[]>("a"));

        KvEntry<string>? entry = sync.GetEntry<string>("s");
        Assert.NotNull(entry);
        Assert.Equal("written-sync", entry.Value);
        Assert.Null(entry.ExpiresAt);
        Assert.Equal("m", entry.Metadata!.Value.GetProperty("tag").GetString());
        Assert.Equal((await Root.GetEntryAsync<string>("s"))!.Version, entry.Version);

        Assert.Null(sync.Get<string>("missing"));
        Assert.Null(sync.GetEntry<string>("missing"));

        Assert.True(sync.Delete("s"));
        Assert.False(sync.Delete("s"));
        Assert.False(await Root.ExistsAsync("s"));
        Assert.False(sync.Expire("s", Ttl));
    }

    [Fact]
    public async Task Synchronous_ttls_expire_like_asynchronous_ones()
    {
        IKvSynchronousStore sync = Root.Synchronous;
        sync.Set("t", "v", new KvSetOptions { Ttl = Ttl });
        await Root.SetAsync("e", "v");
        Assert.True(sync.Expire("e", Ttl));

        KvEntry<string>? entry = sync.GetEntry<string>("t");
        Assert.NotNull(entry?.ExpiresAt);

        await AdvanceToJustBefore(Ttl);
        Assert.Equal("v", sync.Get<string>("t"));
        Assert.Equal("v", sync.Get<string>("e"));

        await AdvanceOverTheEdge();
        Assert.Null(sync.Get<string>("t"));
        Assert.Null(sync.GetEntry<string>("e"));
        Assert.False(await Root.ExistsAsync("t"));
    }

    [Fact]
    public async Task Synchronous_operations_validate_like_the_asynchronous_ones_and_change_nothing()
    {
        IKvSynchronousStore sync = Root.Synchronous;
        await Root.SetAsync("k", "before");

        Assert.Equal(KvErrorCode.InvalidKey, Assert.Throws<KvException>(() => sync.Get<string>("__reserved")).Code);
        Assert.Equal(KvErrorCode.InvalidKey, Assert.Throws<KvException>(() => sync.Set("", "v")).Code);
        Assert.Equal(KvErrorCode.InvalidKey, Assert.Throws<KvException>(() => sync.Delete(new string('k', KvKeyRules.MaxKeyLength + 1))).Code);
        Assert.Equal(KvErrorCode.InvalidTtl, Assert.Throws<KvException>(() => sync.Set("k", "after", new KvSetOptions { Ttl = TimeSpan.Zero })).Code);
        Assert.Equal(KvErrorCode.InvalidTtl, Assert.Throws<KvException>(() => sync.Expire("k", TimeSpan.FromSeconds(-1))).Code);

        KvEntry<string>? entry = await Root.GetEntryAsync<string>("k");
        Assert.Equal("before", entry?.Value);
        Assert.Null(entry?.ExpiresAt);
    }

    [Fact]
    public async Task Synchronous_list_returns_the_same_pages_as_the_asynchronous_list()
    {
        string[] names = ["a", "a/1", "a/2", "a/3", "ab", "b", "b/x", "c", "c:1", "\u00e9", "\U0001F600", "\uE000", "z"];
        for (int i = 0; i < names.Length; i++)
        {
            await Root.SetAsync(names[i], i, new KvSetOptions { Ttl = i % 3 == 0 ? Ttl : null, Metadata = i % 2 == 0 ? new { n = i } : null });
        }

        KvListQuery[] queries =
        [
            new KvListQuery(),
            new KvListQuery { Limit = 1 },
            new KvListQuery { Limit = 4 },
            new KvListQuery { Prefix = "a", Limit = 2 },
            new KvListQuery { Pattern = "?/*", Limit = 2 },
            new KvListQuery { Pattern = "*1" },
            new KvListQuery { Start = "ab", End = "c:1", EndInclusive = true, Limit = 2 },
            new KvListQuery { Prefix = "none" },
        ];

        foreach (KvListQuery query in queries)
        {
            string? asyncCursor = null;
            int pages = 0;
            do
            {
                KvListResult expected = await Root.ListAsync(WithCursor(query, asyncCursor));
                KvListResult actual = Root.Synchronous.List(WithCursor(query, asyncCursor));
                Assert.Equal(expected.Keys.Select(k => k.Name), actual.Keys.Select(k => k.Name));
                Assert.Equal(expected.Keys.Select(k => k.Metadata?.GetRawText()), actual.Keys.Select(k => k.Metadata?.GetRawText()));
                Assert.Equal(expected.Keys.Select(k => k.ExpiresAt is null), actual.Keys.Select(k => k.ExpiresAt is null));
                for (int i = 0; i < expected.Keys.Count; i++)
                {
                    if (expected.Keys[i].ExpiresAt is { } at)
                    {
                        Assert.InRange(actual.Keys[i].ExpiresAt!.Value, at - Backend.ExpiryPrecision - TimeSpan.FromSeconds(1), at + Backend.ExpiryPrecision + TimeSpan.FromSeconds(1));
                    }
                }

                Assert.Equal(expected.Cursor, actual.Cursor);
                Assert.Equal(expected.ListComplete, actual.ListComplete);
                asyncCursor = expected.Cursor;
                pages++;
            }
            while (asyncCursor is not null && pages < 100);

            Assert.Null(asyncCursor);
        }
    }

    [Fact]
    public async Task Synchronous_list_pages_through_every_key_once_in_order_and_skips_expired_ones()
    {
        var written = new List<string>();
        for (int i = 0; i < 23; i++)
        {
            string key = "k" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture);
            Root.Synchronous.Set(key, i);
            written.Add(key);
        }

        Root.Synchronous.Set("gone", 1, new KvSetOptions { Ttl = Ttl });
        Assert.Equal(24, Root.Synchronous.List(new KvListQuery()).Keys.Count);
        await AdvanceToJustBefore(Ttl);
        await AdvanceOverTheEdge();

        var listed = new List<string>();
        string? cursor = null;
        int pages = 0;
        do
        {
            KvListResult page = Root.Synchronous.List(new KvListQuery { Limit = 5, Cursor = cursor });
            Assert.InRange(page.Keys.Count, 1, 5);
            Assert.Equal(page.Cursor is null, page.ListComplete);
            listed.AddRange(page.Keys.Select(k => k.Name));
            cursor = page.Cursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(written, listed);
        Assert.Equal(5, pages);
        Assert.Equal(written, await AllPages(Root, new KvListQuery { Limit = 7 }));

        // A synchronous cursor continues an asynchronous listing, and the other way round.
        KvListResult first = Root.Synchronous.List(new KvListQuery { Limit = 10 });
        KvListResult second = await Root.ListAsync(new KvListQuery { Limit = 10, Cursor = first.Cursor });
        KvListResult third = Root.Synchronous.List(new KvListQuery { Limit = 10, Cursor = second.Cursor });
        Assert.Equal(written, first.Keys.Concat(second.Keys).Concat(third.Keys).Select(k => k.Name));
        Assert.True(third.ListComplete);
    }

    [Fact]
    public async Task Synchronous_list_refuses_bad_arguments_like_the_asynchronous_list()
    {
        IKvSynchronousStore sync = Root.Synchronous;
        await Root.SetAsync("k", 1);

        KvListQuery[] bad =
        [
            new KvListQuery { Limit = 0 },
            new KvListQuery { Limit = -1 },
            new KvListQuery { Limit = KvListQuery.DefaultLimit + 1 },
            new KvListQuery { Limit = int.MaxValue },
            new KvListQuery { Cursor = "garbage" },
            new KvListQuery { Cursor = "!!!" },
            new KvListQuery { Prefix = "lone\ud800" },
            KvListQuery.Range("\udc00", null),
            KvListQuery.Range(null, "x\ud83d"),
            new KvListQuery { Pattern = "[a" },
            new KvListQuery { Pattern = "\\" },
        ];
        foreach (KvListQuery query in bad)
        {
            KvException asyncError = await Assert.ThrowsAsync<KvException>(() => Root.ListAsync(query).AsTask());
            KvException syncError = Assert.Throws<KvException>(() => sync.List(query));
            Assert.Equal(KvErrorCode.InvalidArgument, syncError.Code);
            Assert.Equal(asyncError.Code, syncError.Code);
        }

        Assert.Throws<ArgumentNullException>(() => sync.List(null!));
        Assert.Equal(["k"], sync.List(new KvListQuery()).Keys.Select(k => k.Name));
    }

    private static KvListQuery WithCursor(KvListQuery query, string? cursor) => new()
    {
        Prefix = query.Prefix,
        Pattern = query.Pattern,
        Start = query.Start,
        StartInclusive = query.StartInclusive,
        End = query.End,
        EndInclusive = query.EndInclusive,
        Limit = query.Limit,
        Cursor = cursor,
    };
}
