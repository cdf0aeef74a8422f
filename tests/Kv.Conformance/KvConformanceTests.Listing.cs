using Xunit;

namespace Kv.Conformance;

public abstract partial class KvConformanceTests
{
    private static async Task<List<string>> AllPages(IKvStore store, KvListQuery query)
    {
        var keys = new List<string>();
        string? cursor = null;
        do
        {
            KvListResult page = await store.ListAsync(WithCursor(query, cursor));
            Assert.True(page.Keys.Count <= query.Limit);
            Assert.Equal(page.Cursor is null, page.ListComplete);
            keys.AddRange(page.Keys.Select(k => k.Name));
            cursor = page.Cursor;
        }
        while (cursor is not null);

        return keys;
    }

    [Fact]
    public async Task List_returns_keys_in_order_with_expiry_and_metadata()
    {
        await Root.SetAsync("b", 1, new KvSetOptions { Ttl = Ttl, Metadata = new { tag = "x" } });
        await Root.SetAsync("a", 1);
        await Root.SetAsync("c", 1);

        KvListResult page = await Root.ListAsync();

        Assert.Equal(["a", "b", "c"], page.Keys.Select(k => k.Name));
        Assert.True(page.ListComplete);
        Assert.Null(page.Cursor);
        Assert.Null(page.Keys[0].ExpiresAt);
        Assert.Null(page.Keys[0].Metadata);
        Assert.InRange(page.Keys[1].ExpiresAt!.Value, Backend.TimeProvider.GetUtcNow() + Ttl - Backend.ExpiryPrecision - TimeSpan.FromSeconds(1), Backend.TimeProvider.GetUtcNow() + Ttl + Backend.ExpiryPrecision);
        Assert.Equal("x", page.Keys[1].Metadata!.Value.GetProperty("tag").GetString());
    }

    [Fact]
    public async Task List_orders_by_code_point_so_every_backend_agrees()
    {
        // UTF-16 order would put the emoji (a surrogate pair) before U+E000; code point and UTF-8 order put it after.
        string[] keys = ["\U0001F600", "\uE000", "a", "Z", "a b", "ab", "é"];
        foreach (string key in keys)
        {
            await Root.SetAsync(key, 1);
        }

        Assert.Equal(["Z", "a", "a b", "ab", "é", "\uE000", "\U0001F600"], (await Root.ListAsync()).Keys.Select(k => k.Name));
    }

    [Fact]
    public async Task List_filters_by_prefix()
    {
        await Root.SetManyAsync(new Dictionary<string, int> { ["user:1"] = 1, ["user:2"] = 2, ["users"] = 3, ["post:1"] = 4 });

        Assert.Equal(["user:1", "user:2"], (await Root.ListAsync("user:")).Keys.Select(k => k.Name));
        Assert.Empty((await Root.ListAsync("zzz")).Keys);
    }

    [Fact]
    public async Task Paging_returns_every_key_exactly_once_in_order()
    {
        string[] keys = [.. Enumerable.Range(0, 23).Select(i => $"k{i:D2}")];
        await Root.SetManyAsync(keys.Select(k => new KeyValuePair<string, int>(k, 1)));

        List<string> listed = await AllPages(Root, new KvListQuery { Limit = 5 });

        Assert.Equal(keys, listed);
    }

    [Fact]
    public async Task Paging_while_keys_are_written_returns_each_untouched_key_exactly_once()
    {
        string[] keys = [.. Enumerable.Range(0, 30).Select(i => $"k{i:D2}")];
        await Root.SetManyAsync(keys.Select(k => new KeyValuePair<string, int>(k, 1)));
        var listed = new List<string>();
        string? cursor = null;
        int page = 0;
        do
        {
            KvListResult result = await Root.ListAsync(limit: 4, cursor: cursor);
            listed.AddRange(result.Keys.Select(k => k.Name));
            cursor = result.Cursor;

            // Writes between pages: new keys before and after the cursor, rewrites of listed and unlisted keys.
            await Root.SetAsync($"k{page:D2}-new", 2);
            await Root.SetAsync($"k{29 - page:D2}", 3);
            await Root.SetAsync($"a{page}", 2);
            page++;
        }
        while (cursor is not null);

        Assert.Equal(listed.Count, listed.Distinct().Count());
        Assert.Equal(listed.Order(KvKeyComparer.Instance), listed);
        Assert.All(keys, k => Assert.Contains(k, listed));
    }

    [Fact]
    public async Task Range_scan_honours_inclusive_and_exclusive_bounds()
    {
        await Root.SetManyAsync(Enumerable.Range(1, 5).Select(i => new KeyValuePair<string, int>($"user:{i}", i)));

        Assert.Equal(["user:2", "user:3", "user:4"], await AllPages(Root, new KvListQuery { Start = "user:2", End = "user:4", EndInclusive = true }));
        Assert.Equal(["user:3"], await AllPages(Root, new KvListQuery { Start = "user:2", StartInclusive = false, End = "user:4" }));
        Assert.Equal(["user:1", "user:2"], await AllPages(Root, KvListQuery.Range(null, "user:3")));
        Assert.Equal(["user:4", "user:5"], await AllPages(Root, KvListQuery.Range("user:4", null)));
        Assert.Equal(["user:2", "user:3"], await AllPages(Root, new KvListQuery { Start = "user:2", End = "user:4", Limit = 1 }));
        Assert.Empty(await AllPages(Root, KvListQuery.Range("user:4", "user:2")));
    }

    [Fact]
    public async Task Glob_patterns_match_star_question_mark_and_sets()
    {
        string[] keys = ["user:1:profile", "user:2:profile", "user:1:settings", "session:abc", "a*b", "x\U0001F600y", "cat", "bat", "hat"];
        foreach (string key in keys)
        {
            await Root.SetAsync(key, 1);
        }

        Assert.Equal(["user:1:profile", "user:2:profile"], await Root.KeysAsync("user:*:profile"));
        Assert.Equal(["user:1:profile", "user:1:settings"], await Root.KeysAsync("user:1:*"));
        Assert.Equal(["bat", "cat"], await Root.KeysAsync("[bc]at"));
        Assert.Equal(["bat", "cat"], await Root.KeysAsync("[a-c]at"));
        Assert.Equal(["hat"], await Root.KeysAsync("[^bc]at"));
        Assert.Equal(["bat", "cat", "hat"], await Root.KeysAsync("?at"));
        Assert.Equal(["x\U0001F600y"], await Root.KeysAsync("x?y"));
        Assert.Equal(["a*b"], await Root.KeysAsync("a\\*b"));
        Assert.Equal(keys.Order(KvKeyComparer.Instance), await Root.KeysAsync());
        Assert.Equal(["session:abc"], (await Root.ListAsync(new KvListQuery { Pattern = "s*", Prefix = "sess" })).Keys.Select(k => k.Name));
        Assert.Empty((await Root.ListAsync(new KvListQuery { Pattern = "user*", Prefix = "sess" })).Keys);
    }

    [Fact]
    public async Task Patterns_never_reach_another_namespace()
    {
        await Root.SetAsync("k", 1);
        await Root.Namespace("child").SetAsync("k", 1);
        await Root.Namespace("child").SetAsync("k2", 1);
        await Adaptor.Namespace(RootName + "x").SetAsync("k", 1);

        Assert.Equal(["k"], await Root.KeysAsync("*"));
        Assert.Equal(["k"], await Root.KeysAsync("*k*"));
        Assert.Empty(await Root.KeysAsync("child*"));
        Assert.Empty(await Root.KeysAsync("*:*"));
        Assert.Empty(await Root.KeysAsync("[\\:]*"));
        Assert.Equal(1, await Root.CountAsync("*"));
        Assert.Equal(2, await Root.Namespace("child").CountAsync());
        Assert.Equal(0, await Root.Namespace("empty").CountAsync());
        Assert.Empty((await Root.Namespace("empty").ListAsync()).Keys);
    }

    [Fact]
    public async Task Count_counts_live_keys_by_pattern()
    {
        await Root.SetManyAsync(new Dictionary<string, int> { ["user:1"] = 1, ["user:2"] = 2, ["session:1"] = 3 });
        await Root.SetAsync("user:3", 1, KvSetOptions.WithTtl(Ttl));

        Assert.Equal(4, await Root.CountAsync());
        Assert.Equal(3, await Root.CountAsync("user:*"));

        await Backend.AdvanceTimeAsync(PastTheTtl);
        Assert.Equal(3, await Root.CountAsync());
        Assert.Equal(2, await Root.CountAsync("user:*"));
    }

    [Fact]
    public async Task Count_of_a_query_counts_what_its_listing_returns_and_ignores_the_limit()
    {
        await Root.SetManyAsync(Enumerable.Range(1, 5).Select(i => new KeyValuePair<string, int>($"user:{i}", i)));
        await Root.SetAsync("session:1", 1);
        KvListQuery[] queries =
        [
            new() { Prefix = "user:" },
            new() { Start = "user:2", End = "user:4", EndInclusive = true, Limit = 1 },
            new() { Pattern = "user:[13]" },
            new() { Prefix = "user:", Start = "user:3", StartInclusive = false },
            KvListQuery.Range("user:4", "user:2"),
        ];

        foreach (KvListQuery query in queries)
        {
            Assert.Equal((await AllPages(Root, query)).Count, await Root.CountAsync(query));
        }

        Assert.Equal(2, await Root.CountAsync(new KvListQuery { Cursor = (await Root.ListAsync(limit: 4)).Cursor }));
    }

    [Fact]
    public async Task Listing_never_returns_an_expired_key()
    {
        await Root.SetAsync("a", 1, KvSetOptions.WithTtl(Ttl));
        await Root.SetAsync("b", 1);
        await Root.SetAsync("c", 1, KvSetOptions.WithTtl(Ttl));
        await Backend.AdvanceTimeAsync(PastTheTtl);

        Assert.Equal(["b"], (await Root.ListAsync()).Keys.Select(k => k.Name));
        Assert.Equal(["b"], await Root.KeysAsync("*"));
        Assert.Equal(["b"], await AllPages(Root, new KvListQuery { Limit = 1 }));
    }

    [Fact]
    public async Task Listing_rejects_a_bad_limit_cursor_or_pattern()
    {
        await AssertInvalidArgumentAsync(() => Root.ListAsync(limit: 0).AsTask());
        await AssertInvalidArgumentAsync(() => Root.ListAsync(limit: KvListQuery.DefaultLimit + 1).AsTask());
        await AssertInvalidArgumentAsync(() => Root.ListAsync(cursor: "not a cursor!").AsTask());
        // Base64url of bytes that are not UTF-8: a lenient decoder would read them as U+FFFD, a valid key.
        await AssertInvalidArgumentAsync(() => Root.ListAsync(cursor: "_w").AsTask());
        await AssertInvalidArgumentAsync(() => Root.ListAsync(cursor: "garbage").AsTask());
        await AssertInvalidArgumentAsync(() => Root.KeysAsync("[abc").AsTask());
        await AssertInvalidArgumentAsync(() => Root.CountAsync("abc\\").AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Root.ListAsync((KvListQuery)null!).AsTask());
    }

    [Fact]
    public async Task Storage_size_counts_key_bytes_value_and_metadata()
    {
        await Root.SetAsync("é", "value");
        await Root.SetAsync("k", 42, new KvSetOptions { Metadata = "m" });
        await Root.Namespace("child").SetAsync("other", "not counted");
        await Root.SetAsync("gone", "x", KvSetOptions.WithTtl(Ttl));

        long first = 2 + KvValueSerializer.Default.Serialize("value").Payload!.Length;
        long second = 1 + 2 + 3;
        long expiring = 4 + 3;
        IReadOnlyDictionary<string, long> sizes = await Root.GetStorageSizeAsync(["é", "k", "missing"]);

        Assert.Equal(new Dictionary<string, long> { ["é"] = first, ["k"] = second }, sizes);
        Assert.Equal(first + second + expiring, await Root.GetStorageSizeAsync());

        await Backend.AdvanceTimeAsync(PastTheTtl);
        Assert.Equal(first + second, await Root.GetStorageSizeAsync());
        Assert.Equal(0, await Root.Namespace("empty").GetStorageSizeAsync());
    }
}
