using System.Diagnostics;
using Kv.Redis.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Kv.Redis.Tests;

/// <summary>
/// Pins what Kv relies on from StackExchange.Redis itself against a frozen (SIGSTOPped) server: with the
/// <c>AsyncTimeout</c> Kv sets on its own multiplexer, an async call fails with <see cref="RedisTimeoutException"/>
/// instead of hanging. The elapsed time is written to the test output as a measurement; no assertion depends on it
/// beyond "did not hang".
/// </summary>
public sealed class RedisClientTimeoutTests(DedicatedRedisServerFixture redis, ITestOutputHelper output) : IClassFixture<DedicatedRedisServerFixture>
{
    [Fact]
    public async Task The_clients_async_timeout_fails_a_call_to_a_frozen_server()
    {
        ConfigurationOptions options = ConfigurationOptions.Parse(redis.Configuration);
        options.AbortOnConnectFail = false;
        options.AsyncTimeout = 1500;
        options.SyncTimeout = 1500;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        await using ConnectionMultiplexer multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
        IDatabase db = multiplexer.GetDatabase();
        await db.StringSetAsync("timeout:k", "v");

        redis.Server.Freeze();
        try
        {
            var clock = Stopwatch.StartNew();
            Task<RedisValue> call = db.StringGetAsync("timeout:k");

            // Bounded only so a regression fails instead of hanging the run.
            Task first = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.Same(call, first);
            await Assert.ThrowsAsync<RedisTimeoutException>(() => call);
            output.WriteLine($"AsyncTimeout 1500 ms against SIGSTOP: failed after {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            redis.Server.Thaw();
        }
    }
}
