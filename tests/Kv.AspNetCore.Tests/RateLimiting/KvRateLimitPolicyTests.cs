using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Conformance;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>
/// The limiters in ASP.NET Core's rate limiting middleware, in a real Kestrel host on a loopback port: named policies
/// from <see cref="KvRateLimiterOptionsExtensions"/> and a global limiter from <see cref="KvRateLimitPartition"/>.
/// </summary>
public abstract class KvRateLimitPolicyTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new();
    private WebApplication? _app;
    private HttpClient? _client;

    private HttpClient Client => _client!;

    protected abstract void UseBackend(IKvBuilder kv);

    public async Task InitializeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(_clock);
        UseBackend(builder.Services.AddKv());
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                }

                return ValueTask.CompletedTask;
            };
            o.AddKvFixedWindowLimiter("per-ip", l =>
            {
                l.PermitLimit = 2;
                l.Window = TimeSpan.FromMinutes(1);
            });
            o.AddKvSlidingWindowLimiter("per-user", context => context.Request.Headers["X-User"].ToString(), l =>
            {
                l.PermitLimit = 1;
                l.Window = TimeSpan.FromSeconds(30);
            });
            // A global limiter from the partition helper, on /open only (elsewhere the endpoint policies are under test).
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => context.Request.Path == "/open"
                ? KvRateLimitPartition.GetTokenBucketLimiter(
                    "global",
                    context.RequestServices,
                    _ => new KvTokenBucketRateLimiterOptions { TokenLimit = 5, TokensPerPeriod = 5, ReplenishmentPeriod = TimeSpan.FromHours(1), Namespace = "global-limits" })
                : RateLimitPartition.GetNoLimiter("unlimited"));
        });

        _app = builder.Build();
        _app.UseRateLimiter();
        _app.MapGet("/ip", () => "ok").RequireRateLimiting("per-ip");
        _app.MapGet("/user", () => "ok").RequireRateLimiting("per-user");
        _app.MapGet("/open", () => "ok");
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_policy_per_client_ip_answers_429_with_Retry_After_past_the_limit()
    {
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/ip")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/ip")).StatusCode);

        using HttpResponseMessage rejected = await Client.GetAsync("/ip");
        Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
        Assert.Equal(TimeSpan.FromMinutes(1), rejected.Headers.RetryAfter?.Delta);

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/ip")).StatusCode);
    }

    [Fact]
    public async Task A_policy_partitioned_by_user_keeps_users_apart()
    {
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/user") { Headers = { { "X-User", "ann" } } })
        {
            Assert.Equal(HttpStatusCode.OK, (await Client.SendAsync(request)).StatusCode);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/user") { Headers = { { "X-User", "ann" } } })
        {
            using HttpResponseMessage rejected = await Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
            Assert.NotNull(rejected.Headers.RetryAfter?.Delta);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/user") { Headers = { { "X-User", "bob" } } })
        {
            Assert.Equal(HttpStatusCode.OK, (await Client.SendAsync(request)).StatusCode);
        }

    }

    [Fact]
    public async Task A_global_limiter_from_the_partition_helper_uses_the_registered_adaptor()
    {
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/open")).StatusCode);
        }

        using HttpResponseMessage rejected = await Client.GetAsync("/open");
        Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
        Assert.Equal(TimeSpan.FromHours(1), rejected.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public void An_invalid_policy_option_fails_at_registration()
    {
        var options = new Microsoft.AspNetCore.RateLimiting.RateLimiterOptions();
        Assert.Throws<ArgumentOutOfRangeException>(() => options.AddKvFixedWindowLimiter("bad", l => l.PermitLimit = 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.AddKvTokenBucketLimiter("bad", l => l.TokenLimit = 1));
        Assert.ThrowsAny<KvException>(() => options.AddKvSlidingWindowLimiter("bad", l =>
        {
            l.PermitLimit = 1;
            l.Window = TimeSpan.FromSeconds(1);
            l.Namespace = "a:b";
        }));
    }
}

public sealed class MemoryKvRateLimitPolicyTests : KvRateLimitPolicyTests
{
    protected override void UseBackend(IKvBuilder kv)
    {
    }
}

public sealed class RedisKvRateLimitPolicyTests(RateLimitRedisFixture redis) : KvRateLimitPolicyTests, IClassFixture<RateLimitRedisFixture>
{
    protected override void UseBackend(IKvBuilder kv) => kv.UseRedis(o =>
    {
        o.Configuration = redis.EndPoint;
        o.InstanceName = RateLimitRedisFixture.NewInstanceName();
    });
}
