using Xunit;

namespace Kv.Conformance;

public abstract partial class KvConformanceTests
{
    private TimeSpan PastTheTtl => Ttl + (Backend.ExpiryPrecision * 2) + TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task GetTimeToLive_tells_missing_permanent_and_expiring_apart()
    {
        await Root.SetAsync("permanent", 1);
        await Root.SetAsync("expiring", 1, KvSetOptions.WithTtl(Ttl));

        Assert.Equal(KvTimeToLive.Missing, await Root.GetTimeToLiveAsync("missing"));
        Assert.Equal(KvTimeToLive.Permanent, await Root.GetTimeToLiveAsync("permanent"));
        KvTimeToLive expiring = await Root.GetTimeToLiveAsync("expiring");
        Assert.Equal(KvTtlState.Expiring, expiring.State);
        Assert.True(expiring.Exists);
        Assert.InRange(expiring.Remaining!.Value, Ttl - Backend.ExpiryPrecision - TimeSpan.FromSeconds(1), Ttl);
    }

    [Fact]
    public async Task GetTimeToLive_counts_down_and_an_expired_key_is_missing()
    {
        await Root.SetAsync("k", 1, KvSetOptions.WithTtl(Ttl));

        await Backend.AdvanceTimeAsync(TimeSpan.FromMinutes(20));
        Assert.InRange((await Root.GetTimeToLiveAsync("k")).Remaining!.Value, TimeSpan.FromMinutes(40) - Backend.ExpiryPrecision - TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(40));

        await Backend.AdvanceTimeAsync(TimeSpan.FromMinutes(40) + (Backend.ExpiryPrecision * 2) + TimeSpan.FromMilliseconds(1));
        Assert.Equal(KvTimeToLive.Missing, await Root.GetTimeToLiveAsync("k"));
    }

    [Fact]
    public async Task Persist_removes_a_ttl_and_reports_whether_there_was_one()
    {
        await Root.SetAsync("expiring", "v", KvSetOptions.WithTtl(Ttl));
        await Root.SetAsync("permanent", "v");

        Assert.True(await Root.PersistAsync("expiring"));
        Assert.False(await Root.PersistAsync("expiring"));
        Assert.False(await Root.PersistAsync("permanent"));
        Assert.False(await Root.PersistAsync("missing"));

        await Backend.AdvanceTimeAsync(PastTheTtl);
        Assert.Equal("v", await Root.GetAsync<string>("expiring"));
        Assert.Equal(KvTimeToLive.Permanent, await Root.GetTimeToLiveAsync("expiring"));
    }

    [Fact]
    public async Task Persist_of_an_expired_key_is_false_and_does_not_revive_it()
    {
        await Root.SetAsync("k", "v", KvSetOptions.WithTtl(Ttl));
        await Backend.AdvanceTimeAsync(PastTheTtl);

        Assert.False(await Root.PersistAsync("k"));
        Assert.False(await Root.ExistsAsync("k"));
    }

    [Fact]
    public async Task ExpireAt_sets_an_absolute_expiry()
    {
        await Root.SetAsync("k", "v");
        DateTimeOffset at = Backend.TimeProvider.GetUtcNow() + Ttl;

        Assert.True(await Root.ExpireAtAsync("k", at));
        Assert.False(await Root.ExpireAtAsync("missing", at));

        KvEntry<string>? entry = await Root.GetEntryAsync<string>("k");
        Assert.InRange(entry!.ExpiresAt!.Value, at - Backend.ExpiryPrecision - TimeSpan.FromSeconds(1), at + Backend.ExpiryPrecision + TimeSpan.FromMilliseconds(1));
        await Backend.AdvanceTimeAsync(PastTheTtl);
        Assert.False(await Root.ExistsAsync("k"));
    }

    [Fact]
    public async Task ExpireAt_in_the_past_now_or_beyond_the_maximum_is_InvalidTtl_and_changes_nothing()
    {
        await Root.SetAsync("k", "v");
        DateTimeOffset now = Backend.TimeProvider.GetUtcNow();

        foreach (DateTimeOffset at in new[] { now - TimeSpan.FromSeconds(1), now, DateTimeOffset.MinValue, now + KvSetOptions.MaxTtl + TimeSpan.FromDays(1) })
        {
            Assert.Equal(KvErrorCode.InvalidTtl, (await Assert.ThrowsAsync<KvException>(() => Root.ExpireAtAsync("k", at).AsTask())).Code);
        }

        Assert.Equal(KvTimeToLive.Permanent, await Root.GetTimeToLiveAsync("k"));
    }

    [Fact]
    public async Task Set_with_ExpiresAt_expires_at_that_instant()
    {
        DateTimeOffset at = Backend.TimeProvider.GetUtcNow() + Ttl;

        await Root.SetAsync("k", "v", KvSetOptions.WithExpiresAt(at));

        await AdvanceToJustBefore(Ttl);
        Assert.True(await Root.ExistsAsync("k"));
        await AdvanceOverTheEdge();
        Assert.False(await Root.ExistsAsync("k"));
    }

    [Fact]
    public async Task ExpiresAt_in_the_past_or_together_with_Ttl_is_InvalidTtl_and_stores_nothing()
    {
        DateTimeOffset now = Backend.TimeProvider.GetUtcNow();
        KvSetOptions[] invalid =
        [
            KvSetOptions.WithExpiresAt(now - TimeSpan.FromMinutes(1)),
            new KvSetOptions { Ttl = Ttl, ExpiresAt = now + Ttl },
        ];

        foreach (KvSetOptions options in invalid)
        {
            Assert.Equal(KvErrorCode.InvalidTtl, (await Assert.ThrowsAsync<KvException>(() => Root.SetAsync("k", 1, options).AsTask())).Code);
            Assert.Equal(KvErrorCode.InvalidTtl, (await Assert.ThrowsAsync<KvException>(() => Root.SetIfNotExistsAsync("k", 1, options).AsTask())).Code);
            Assert.Equal(KvErrorCode.InvalidTtl, (await Assert.ThrowsAsync<KvException>(() => Root.IncrementAsync("k", 1, options).AsTask())).Code);
        }

        Assert.False(await Root.ExistsAsync("k"));
    }

    [Fact]
    public async Task CollectExpired_removes_expired_entries_without_touching_live_ones()
    {
        await Root.SetAsync("gone", 1, KvSetOptions.WithTtl(Ttl));
        await Root.SetAsync("live", 1);
        await Backend.AdvanceTimeAsync(PastTheTtl);

        long collected = await Adaptor.CollectExpiredAsync();
        if (Backend.ExpiresEntriesItself)
        {
            Assert.Equal(0, collected); // The server removed the entry; nothing was left beside it.
        }
        else
        {
            Assert.True(collected >= 1);
        }

        Assert.Equal(1, await Root.GetAsync<int>("live"));
        Assert.Equal(["live"], await Root.KeysAsync());
        Assert.Equal(0, await Adaptor.CollectExpiredAsync());
    }
}
