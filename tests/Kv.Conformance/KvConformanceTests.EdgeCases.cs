using Xunit;

namespace Kv.Conformance;

// Edge cases of the data API where backends could diverge or bad input could slip through.
public abstract partial class KvConformanceTests
{
    [Fact]
    public async Task A_page_limit_of_int_MaxValue_is_rejected_like_any_other_out_of_range_limit()
    {
        await Root.SetAsync("a", 1);

        // int.MaxValue doubled as the "count, no limit" marker inside the request folding, so it slipped past the
        // 1..1000 check: Redis returned every key in one page, memory failed inside PriorityQueue.
        await AssertInvalidArgumentAsync(() => Root.ListAsync(limit: int.MaxValue).AsTask());
        await AssertInvalidArgumentAsync(() => Root.ListAsync(new KvListQuery { Limit = int.MaxValue }).AsTask());
    }

    [Fact]
    public async Task A_check_only_transaction_applies_with_version_0_as_an_empty_one_does()
    {
        await Root.SetAsync("k", 1);
        long version = (await Root.GetEntryAsync<int>("k"))!.Version;

        KvCommitResult empty = await Root.CreateTransaction().CommitAsync();
        KvCommitResult checkOnly = await Root.CreateTransaction().Check(Root, "k", version).Check(Root, "free", null).CommitAsync();

        // Nothing was written, so there is no version "every entry the transaction wrote now has".
        Assert.Equal(new KvCommitResult(true, 0), empty);
        Assert.Equal(new KvCommitResult(true, 0), checkOnly);
        Assert.Equal(version, (await Root.GetEntryAsync<int>("k"))!.Version);
    }

    [Fact]
    public async Task A_prefix_or_range_bound_with_a_lone_surrogate_is_rejected_before_any_io()
    {
        // Keys are valid UTF-16; a bound with a lone surrogate has no UTF-8 form. Memory compared it by code unit,
        // Redis by the bytes of U+FFFD, so the two answered differently.
        await Root.SetAsync("\U0001F600a", 1);
        await Root.SetAsync("\uFFFD", 2);

        await AssertInvalidArgumentAsync(() => Root.ListAsync(prefix: "\uD83D").AsTask());
        await AssertInvalidArgumentAsync(() => Root.ListAsync(KvListQuery.Range("\uD83D", null)).AsTask());
        await AssertInvalidArgumentAsync(() => Root.ListAsync(KvListQuery.Range(null, "a\uDE00b")).AsTask());
        await AssertInvalidArgumentAsync(() => Root.KeysAsync("\uD83D*").AsTask());
        await AssertInvalidArgumentAsync(() => Root.CountAsync("*\uD83D").AsTask());

        // A well-formed surrogate pair is fine everywhere.
        Assert.Equal(["\U0001F600a"], (await Root.ListAsync(prefix: "\U0001F600")).Keys.Select(k => k.Name));
        Assert.Equal(["\U0001F600a"], await Root.KeysAsync("\U0001F600?"));
    }

    [Fact]
    public async Task A_null_pattern_throws_ArgumentNullException_instead_of_matching_everything()
    {
        await Root.SetAsync("a", 1);

        await Assert.ThrowsAsync<ArgumentNullException>(() => Root.KeysAsync(null!).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Root.CountAsync(null!).AsTask());
    }

    [Fact]
    public async Task An_empty_pattern_matches_no_key_as_in_Redis_glob()
    {
        await Root.SetAsync("a", 1);
        await Root.SetAsync("b", 2);

        Assert.False(new KvKeyPattern(string.Empty).IsMatch("a"));
        Assert.Empty(await Root.KeysAsync(string.Empty));
        Assert.Equal(0, await Root.CountAsync(string.Empty));
        Assert.Empty((await Root.ListAsync(new KvListQuery { Pattern = string.Empty })).Keys);
    }

    [Fact]
    public void Glob_edge_cases_match_by_code_point()
    {
        // ']' first in a set (also after '^') is literal; '-' first or last is literal; escapes inside sets.
        Assert.True(new KvKeyPattern("[]a]").IsMatch("]"));
        Assert.False(new KvKeyPattern("[^]a]").IsMatch("]"));
        Assert.True(new KvKeyPattern("[^]a]").IsMatch("b"));
        Assert.True(new KvKeyPattern("[a-]").IsMatch("-"));
        Assert.True(new KvKeyPattern("[-a]").IsMatch("-"));
        Assert.False(new KvKeyPattern("[a-]").IsMatch("b"));
        Assert.True(new KvKeyPattern("[\\]]").IsMatch("]"));
        Assert.True(new KvKeyPattern("[\\\\]").IsMatch("\\"));
        Assert.True(new KvKeyPattern("[!a]").IsMatch("b"));
        Assert.True(new KvKeyPattern("[z-a]").IsMatch("m"));

        // A surrogate pair is one character for '?' and in sets and ranges.
        Assert.True(new KvKeyPattern("?").IsMatch("\U0001F600"));
        Assert.False(new KvKeyPattern("??").IsMatch("\U0001F600"));
        Assert.True(new KvKeyPattern("[\U0001F600\U0001F601]").IsMatch("\U0001F601"));
        Assert.True(new KvKeyPattern("[\U0001F600-\U0001F64F]").IsMatch("\U0001F610"));
        Assert.False(new KvKeyPattern("[^\U0001F600]").IsMatch("\U0001F600"));

        // Escapes: a literal star, and the literal prefix is unescaped.
        Assert.True(new KvKeyPattern("a\\*b").IsMatch("a*b"));
        Assert.False(new KvKeyPattern("a\\*b").IsMatch("axb"));
        Assert.Equal("a*b", new KvKeyPattern("a\\*b*").LiteralPrefix);

        // Backtracking over several stars.
        Assert.True(new KvKeyPattern("*a*b*c").IsMatch("xaxbxbxc"));
        Assert.False(new KvKeyPattern("*a*b*c").IsMatch("xaxbxbxcx"));

        // Malformed patterns name the pattern parameter.
        Assert.Equal("pattern", Assert.ThrowsAny<ArgumentException>(() => new KvKeyPattern("[a")).ParamName);
        Assert.Equal("pattern", Assert.ThrowsAny<ArgumentException>(() => new KvKeyPattern("a\\")).ParamName);
        Assert.Equal("pattern", Assert.ThrowsAny<ArgumentException>(() => new KvKeyPattern("[^]")).ParamName);
    }

    [Fact]
    public void The_key_comparer_orders_by_code_point()
    {
        string[] keys = ["\uFFFF", "\U0001F600", "\uE000", "a", "ab", "\uD7FF", "\U00010000"];
        string[] sorted = [.. keys.OrderBy(k => k, KvKeyComparer.Instance)];

        Assert.Equal(["a", "ab", "\uD7FF", "\uE000", "\uFFFF", "\U00010000", "\U0001F600"], sorted);
        Assert.Equal(0, KvKeyComparer.Instance.Compare(null, null));
        Assert.True(KvKeyComparer.Instance.Compare(null, "a") < 0);
        Assert.True(KvKeyComparer.Instance.Compare("a", null) > 0);
    }

    [Fact]
    public async Task Transactions_with_a_key_given_twice_leave_data_and_listing_in_agreement()
    {
        await Root.SetAsync("k", 5, KvSetOptions.WithTtl(Ttl));
        await Root.SetAsync("gone", 1);

        KvCommitResult result = await Root.CreateTransaction()
            .Increment(Root, "k", 1)
            .Set(Root, "k", 10)
            .Increment(Root, "k", 2)
            .Set(Root, "gone", 2, KvSetOptions.WithTtl(Ttl))
            .Delete(Root, "gone")
            .Delete(Root, "new")
            .Increment(Root, "new", 3, new KvSetOptions { Ttl = Ttl, Metadata = "m" })
            .CommitAsync();

        Assert.True(result.Applied);
        Assert.Equal(12, await Root.GetAsync<long>("k"));
        Assert.Equal(KvTtlState.Permanent, (await Root.GetTimeToLiveAsync("k")).State);
        Assert.False(await Root.ExistsAsync("gone"));
        KvEntry<long> created = (await Root.GetEntryAsync<long>("new"))!;
        Assert.Equal(3, created.Value);
        Assert.Equal("m", created.Metadata!.Value.GetString());

        KvListResult page = await Root.ListAsync();
        Assert.Equal(["k", "new"], page.Keys.Select(k => k.Name));
        Assert.Null(page.Keys[0].ExpiresAt);
        Assert.NotNull(page.Keys[1].ExpiresAt);
        Assert.Equal(2, await Root.CountAsync());
        Assert.Equal(2, await Root.CountAsync("*e*") + await Root.CountAsync("k"));

        await Backend.AdvanceTimeAsync(PastTheTtl);
        Assert.Equal(["k"], await Root.KeysAsync());
        Assert.Equal(1, await Root.CountAsync());
        Assert.Equal(1 + 2, await Root.GetStorageSizeAsync());
    }

    [Fact]
    public async Task Index_stays_in_agreement_after_increment_setnx_expire_and_persist_on_expired_or_missing_keys()
    {
        await Root.SetAsync("e1", "x", KvSetOptions.WithTtl(Ttl));
        await Root.SetAsync("e2", "x", new KvSetOptions { Ttl = Ttl, Metadata = "old" });
        await Root.SetAsync("e3", "x", KvSetOptions.WithTtl(Ttl));
        await Backend.AdvanceTimeAsync(PastTheTtl);

        Assert.Equal(7, await Root.IncrementAsync("e1", 7));
        Assert.True(await Root.SetIfNotExistsAsync("e2", "y"));
        Assert.False(await Root.ExpireAsync("e3", Ttl));
        Assert.False(await Root.PersistAsync("e3"));
        Assert.False(await Root.ExpireAsync("missing", Ttl));
        Assert.False(await Root.PersistAsync("missing"));

        KvListResult page = await Root.ListAsync();
        Assert.Equal(["e1", "e2"], page.Keys.Select(k => k.Name));
        Assert.All(page.Keys, k => Assert.Null(k.ExpiresAt));
        Assert.All(page.Keys, k => Assert.Null(k.Metadata));
        Assert.Equal(2, await Root.CountAsync());
        Assert.Equal(2, await Root.CountAsync("e?"));
        Assert.Equal((2 + 1) + (2 + 3), await Root.GetStorageSizeAsync());
        Assert.Equal(KvTtlState.Permanent, (await Root.GetTimeToLiveAsync("e1")).State);
        Assert.Equal(KvTtlState.Missing, (await Root.GetTimeToLiveAsync("e3")).State);

        // Nothing ever expires now: advancing again changes nothing.
        await Backend.AdvanceTimeAsync(PastTheTtl);
        Assert.Equal(2, await Root.CountAsync());
    }
}
