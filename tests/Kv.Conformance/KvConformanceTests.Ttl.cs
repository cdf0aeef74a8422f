using Xunit;

namespace Kv.Conformance;

public abstract partial class KvConformanceTests
{
    // Long, so that a backend whose server clock keeps running (Redis, where the suite's time is emulated by
    // lowering TTLs) can allow a generous ExpiryPrecision without the test depending on how fast it runs.
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    public static TheoryData<TimeSpan> InvalidTtls => new()
    {
        TimeSpan.Zero,
        TimeSpan.FromTicks(-1),
        TimeSpan.FromSeconds(-5),
        TimeSpan.MinValue,
        KvSetOptions.MaxTtl + TimeSpan.FromMilliseconds(1),
        TimeSpan.MaxValue,
    };

    /// <summary>Moves to just before an expiry that is <paramref name="ttl"/> after the write.</summary>
    private ValueTask AdvanceToJustBefore(TimeSpan ttl) =>
        Backend.AdvanceTimeAsync(ttl - (Backend.ExpiryPrecision > TimeSpan.Zero ? Backend.ExpiryPrecision : TimeSpan.FromTicks(1)));

    /// <summary>Moves from just before the expiry to the expiry instant (plus the backend's precision margin).</summary>
    private ValueTask AdvanceOverTheEdge() =>
        Backend.AdvanceTimeAsync(Backend.ExpiryPrecision > TimeSpan.Zero ? Backend.ExpiryPrecision * 2 : TimeSpan.FromTicks(1));

    [Theory]
    [MemberData(nameof(InvalidTtls))]
    public async Task Invalid_ttl_throws_InvalidTtl_on_every_write_and_changes_nothing(TimeSpan ttl)
    {
        await Root.SetAsync("k", "before");
        await Root.SetAsync("n", 5);
        var options = new KvSetOptions { Ttl = ttl };

        Func<Task>[] writes =
        [
            () => Root.SetAsync("k", "after", options).AsTask(),
            () => Root.SetAsync("new", "after", options).AsTask(),
            () => Root.SetIfNotExistsAsync("new", "after", options).AsTask(),
            () => Root.IncrementAsync("n", 1, options).AsTask(),
            () => Root.IncrementAsync("new", 1, options).AsTask(),
            () => Root.ExpireAsync("k", ttl).AsTask(),
        ];

        foreach (Func<Task> write in writes)
        {
            Assert.Equal(KvErrorCode.InvalidTtl, (await Assert.ThrowsAsync<KvException>(write)).Code);
        }

        KvEntry<string>? entry = await Root.GetEntryAsync<string>("k");
        Assert.Equal("before", entry!.Value);
        Assert.Null(entry.ExpiresAt);
        Assert.Equal(5, await Root.GetAsync<long>("n"));
        Assert.False(await Root.ExistsAsync("new"));
    }

    [Fact]
    public async Task Largest_ttl_is_accepted()
    {
        await Root.SetAsync("k", 1, KvSetOptions.WithTtl(KvSetOptions.MaxTtl));

        Assert.NotNull((await Root.GetEntryAsync<int>("k"))!.ExpiresAt);
    }

    [Fact]
    public async Task Entry_reports_its_expiry_to_the_millisecond()
    {
        DateTimeOffset before = Backend.TimeProvider.GetUtcNow();
        await Root.SetAsync("k", 1, KvSetOptions.WithTtl(Ttl));
        await Root.SetAsync("permanent", 1);

        DateTimeOffset? expiresAt = (await Root.GetEntryAsync<int>("k"))!.ExpiresAt;

        Assert.NotNull(expiresAt);
        Assert.InRange(expiresAt.Value, before + Ttl - Backend.ExpiryPrecision, before + Ttl + Backend.ExpiryPrecision);
        Assert.Null((await Root.GetEntryAsync<int>("permanent"))!.ExpiresAt);
    }

    [Fact]
    public async Task Fraction_of_a_millisecond_rounds_up()
    {
        TimeSpan ttl = Ttl + TimeSpan.FromMilliseconds(0.25);
        await Root.SetAsync("k", 1, KvSetOptions.WithTtl(ttl));

        await AdvanceToJustBefore(Ttl + TimeSpan.FromMilliseconds(1));
        Assert.True(await Root.ExistsAsync("k"));
        await AdvanceOverTheEdge();
        Assert.False(await Root.ExistsAsync("k"));
    }

    [Fact]
    public async Task Expired_key_is_gone_for_get_and_entry_at_the_exact_instant()
    {
        await Root.SetAsync("k", "v", KvSetOptions.WithTtl(Ttl));

        await AdvanceToJustBefore(Ttl);
        Assert.Equal("v", await Root.GetAsync<string>("k"));
        Assert.NotNull(await Root.GetEntryAsync<string>("k"));

        await AdvanceOverTheEdge();
        Assert.Null(await Root.GetAsync<string>("k"));
        Assert.Null(await Root.GetEntryAsync<string>("k"));
    }

    [Fact]
    public async Task Expired_key_is_gone_for_exists_at_the_exact_instant()
    {
        await Root.SetAsync("k", "v", KvSetOptions.WithTtl(Ttl));

        await AdvanceToJustBefore(Ttl);
        Assert.True(await Root.ExistsAsync("k"));
        await AdvanceOverTheEdge();
        Assert.False(await Root.ExistsAsync("k"));
    }

    [Fact]
    public async Task Expired_key_is_gone_for_delete_and_expire()
    {
        await Root.SetAsync("a", "v", KvSetOptions.WithTtl(Ttl));
        await Root.SetAsync("b", "v", KvSetOptions.WithTtl(Ttl));

        await AdvanceToJustBefore(Ttl);
        await AdvanceOverTheEdge();

        Assert.False(await Root.DeleteAsync("a"));
        Assert.False(await Root.ExpireAsync("b", TimeSpan.FromMinutes(5)));
        Assert.False(await Root.ExistsAsync("b"));
    }

    [Fact]
    public async Task Expired_key_is_missing_for_increment_which_starts_over_with_its_own_ttl()
    {
        await Root.SetAsync("n", 41, KvSetOptions.WithTtl(Ttl));

        await AdvanceToJustBefore(Ttl);
        Assert.Equal(42, await Root.IncrementAsync("n"));
        await AdvanceOverTheEdge();

        Assert.Equal(3, await Root.IncrementAsync("n", 3));
        Assert.Null((await Root.GetEntryAsync<long>("n"))!.ExpiresAt);
    }

    [Fact]
    public async Task Expired_key_is_missing_for_set_if_not_exists()
    {
        await Root.SetAsync("lock", "old", KvSetOptions.WithTtl(Ttl));

        await AdvanceToJustBefore(Ttl);
        Assert.False(await Root.SetIfNotExistsAsync("lock", "new"));
        await AdvanceOverTheEdge();

        Assert.True(await Root.SetIfNotExistsAsync("lock", "new"));
        Assert.Equal("new", await Root.GetAsync<string>("lock"));
    }

    [Fact]
    public async Task Set_without_ttl_clears_an_earlier_ttl()
    {
        await Root.SetAsync("k", "v1", KvSetOptions.WithTtl(Ttl));
        await Root.SetAsync("k", "v2");

        Assert.Null((await Root.GetEntryAsync<string>("k"))!.ExpiresAt);
        await Backend.AdvanceTimeAsync(Ttl * 2);
        Assert.Equal("v2", await Root.GetAsync<string>("k"));
    }

    [Fact]
    public async Task Set_with_ttl_replaces_an_earlier_ttl()
    {
        await Root.SetAsync("k", "v1", KvSetOptions.WithTtl(Ttl * 3));
        await Root.SetAsync("k", "v2", KvSetOptions.WithTtl(Ttl));

        await AdvanceToJustBefore(Ttl);
        Assert.True(await Root.ExistsAsync("k"));
        await AdvanceOverTheEdge();
        Assert.False(await Root.ExistsAsync("k"));
    }

    [Fact]
    public async Task Expire_on_a_missing_key_returns_false_and_creates_nothing()
    {
        Assert.False(await Root.ExpireAsync("missing", Ttl));
        Assert.False(await Root.ExistsAsync("missing"));
    }

    [Fact]
    public async Task Expire_extends_or_shortens_the_ttl_from_now()
    {
        await Root.SetAsync("extended", "v", KvSetOptions.WithTtl(Ttl));
        await Root.SetAsync("shortened", "v", KvSetOptions.WithTtl(Ttl * 10));
        await Root.SetAsync("permanent", "v");

        Assert.True(await Root.ExpireAsync("extended", Ttl * 2));
        Assert.True(await Root.ExpireAsync("shortened", Ttl));
        Assert.True(await Root.ExpireAsync("permanent", Ttl));

        await AdvanceToJustBefore(Ttl);
        Assert.True(await Root.ExistsAsync("shortened"));
        Assert.True(await Root.ExistsAsync("permanent"));
        await AdvanceOverTheEdge();
        Assert.False(await Root.ExistsAsync("shortened"));
        Assert.False(await Root.ExistsAsync("permanent"));
        Assert.True(await Root.ExistsAsync("extended"));

        await Backend.AdvanceTimeAsync(Ttl);
        Assert.False(await Root.ExistsAsync("extended"));
    }

    [Fact]
    public async Task Expire_keeps_the_value()
    {
        await Root.SetAsync("k", new List<int> { 1, 2 });

        Assert.True(await Root.ExpireAsync("k", Ttl));

        Assert.Equal([1, 2], await Root.GetAsync<List<int>>("k"));
    }
}
