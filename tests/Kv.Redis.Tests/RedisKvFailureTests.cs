using System.Diagnostics;
using Kv.Internal;
using Kv.Redis.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Kv.Redis.Tests;

/// <summary>
/// Failures of Redis itself, on a server of this class's own that the tests stop, freeze and restart by its PID:
/// every call fails with StoreOperationFailed within the operation timeout (never a hang, never a silent success),
/// and the same adaptor works again once Redis is back.
/// </summary>
public sealed class RedisKvFailureTests(DedicatedRedisServerFixture redis) : IClassFixture<DedicatedRedisServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    // Generous: the bound only proves the call did not hang; no test asserts how long anything took.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(10);

    private readonly ListLoggerProvider _logs = new();
    private RedisKv _kv = null!;

    public async Task InitializeAsync()
    {
        // A test that failed half-way must not leave the next one a stopped or frozen server.
        redis.Server.Thaw();
        if (redis.Server.ProcessId is null)
        {
            await redis.Server.RestartAsync();
        }

        _kv = CreateAdaptor();
    }

    public async Task DisposeAsync()
    {
        redis.Server.Thaw();
        await _kv.DisposeAsync();
    }

    [Fact]
    public async Task Argument_errors_are_thrown_before_any_io_even_with_the_server_down()
    {
        IAtomicKvStore store = _kv.Namespace("arguments");
        await redis.Server.StopAsync();

        // Each of these would be StoreOperationFailed if it reached the network.
        Assert.Equal(KvErrorCode.InvalidKey, (await Assert.ThrowsAsync<KvException>(() => store.SetAsync("__reserved", 1).AsTask())).Code);
        Assert.Equal(KvErrorCode.InvalidTtl, (await Assert.ThrowsAsync<KvException>(() => store.SetAsync("k", 1, KvSetOptions.WithTtl(TimeSpan.Zero)).AsTask())).Code);
        Assert.Equal(KvErrorCode.InvalidTtl, (await Assert.ThrowsAsync<KvException>(() => store.ExpireAsync("k", TimeSpan.FromDays(-1)).AsTask())).Code);
        Assert.Equal(KvErrorCode.InvalidKey, (await Assert.ThrowsAsync<KvException>(() => store.IncrementAsync("bad\nkey").AsTask())).Code);
        Assert.Equal(KvErrorCode.InvalidNamespace, Assert.Throws<KvException>(() => store.Namespace("a:b")).Code);

        var node = new Conformance.Node { Name = "cycle" };
        node.Next = node;
        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(() => store.SetAsync("k", node).AsTask())).Code);
    }

    [Fact]
    public async Task Stopped_server_fails_every_operation_with_StoreOperationFailed_and_the_same_adaptor_recovers_after_restart()
    {
        IAtomicKvStore store = _kv.Namespace("failover");
        await store.SetAsync("before", 1);

        await redis.Server.StopAsync();

        foreach ((string name, Func<Task> operation) in Operations(store))
        {
            KvException error = await FailsWithinTimeout(operation, name);
            Assert.NotNull(error.InnerException);
        }

        await redis.Server.RestartAsync();

        // The multiplexer reconnects by itself (about half a second after the server is back); no restart of the app.
        await EventuallySucceeds(() => store.SetAsync("after", 2).AsTask());
        Assert.Equal(2, await store.GetAsync<int>("after"));
        Assert.Equal(3, await store.IncrementAsync("after"));
        Assert.False(await store.ExistsAsync("before")); // Persistence is off: the restarted server is empty.
    }

    [Fact]
    public async Task Frozen_server_fails_within_the_timeout_instead_of_hanging_and_works_again_when_thawed()
    {
        IAtomicKvStore store = _kv.Namespace("frozen");
        await store.SetAsync("k", 1);

        redis.Server.Freeze();
        try
        {
            KvException error = await FailsWithinTimeout(() => store.GetAsync<int>("k").AsTask(), "Get");
            // Kv's watchdog or the client's AsyncTimeout (both OperationTimeout), whichever fired first.
            Assert.IsAssignableFrom<TimeoutException>(error.InnerException);

            // The configured timeout is reported, not the client's default.
            Assert.Contains(Timeout.ToString(), error.Message, StringComparison.Ordinal);
            await FailsWithinTimeout(() => store.IncrementAsync("k").AsTask(), "Increment");
        }
        finally
        {
            redis.Server.Thaw();
        }

        await EventuallySucceeds(() => store.GetAsync<int>("k").AsTask());
        Assert.True(await store.ExistsAsync("k"));
    }

    [Fact]
    public async Task Cancellation_against_a_frozen_server_throws_OperationCanceledException()
    {
        IAtomicKvStore store = _kv.Namespace("cancel");
        await store.SetAsync("k", 1);

        redis.Server.Freeze();
        try
        {
            using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.GetAsync<int>("k", cancellation.Token).AsTask());
        }
        finally
        {
            redis.Server.Thaw();
        }
    }

    [Fact]
    public async Task Kvs_own_watchdog_times_out_and_cancels_calls_on_an_application_multiplexer_whose_timeouts_are_far_longer()
    {
        // The client's own timeouts (60 s) cannot fire within the bound FailsWithinTimeout checks: only Kv's watchdog can.
        ConfigurationOptions options = ConfigurationOptions.Parse(redis.Configuration);
        options.AsyncTimeout = 60_000;
        options.SyncTimeout = 60_000;
        await using ConnectionMultiplexer multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
        await using var kv = new RedisKv(
            new RedisKvOptions { ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(multiplexer), OperationTimeout = Timeout },
            loggerFactory: _logs);
        IAtomicKvStore store = kv.Namespace("watchdog");
        await store.SetManyAsync(Enumerable.Range(0, 200).Select(i => KeyValuePair.Create("k" + i, i)));

        redis.Server.Freeze();
        try
        {
            Task<KvException>[] timedOut = [.. Enumerable.Range(0, 20).Select(i => FailsWithinTimeout(() => store.GetAsync<int>("k" + i).AsTask(), "Get"))];
            foreach (KvException error in await Task.WhenAll(timedOut))
            {
                Assert.IsType<TimeoutException>(error.InnerException); // The watchdog's, not the client's RedisTimeoutException.
                Assert.Contains(Timeout.ToString(), error.Message, StringComparison.Ordinal);
            }

            using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.GetAsync<int>("k0", cancellation.Token).AsTask());
        }
        finally
        {
            redis.Server.Thaw();
        }

        // The calls that timed out or were cancelled get their late replies now; every call after them gets its own reply.
        int[] values = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => store.GetAsync<int>("k" + i).AsTask()));
        Assert.Equal(Enumerable.Range(0, 200), values);
        Assert.Contains(_logs.Events, e => e.EventId.Id == RedisLog.OperationTimedOutEventId);
    }

    [Fact]
    public async Task Failures_are_logged_with_their_event_ids_and_without_keys()
    {
        IAtomicKvStore store = _kv.Namespace("secret-namespace");
        await store.SetAsync("secret-key", "secret-value");

        redis.Server.Freeze();
        try
        {
            await FailsWithinTimeout(() => store.GetAsync<string>("secret-key").AsTask(), "Get");
        }
        finally
        {
            redis.Server.Thaw();
        }

        await redis.Server.StopAsync();
        await FailsWithinTimeout(() => store.SetAsync("secret-key", "secret-value").AsTask(), "Set");
        await redis.Server.RestartAsync();
        await EventuallySucceeds(() => store.ExistsAsync("secret-key").AsTask());

        int[] ids = [.. _logs.Events.Select(e => e.EventId.Id)];
        Assert.Contains(RedisLog.ConnectingEventId, ids);
        Assert.Contains(RedisLog.OperationTimedOutEventId, ids);
        Assert.Contains(RedisLog.ConnectionFailedEventId, ids);
        Assert.Contains(RedisLog.OperationFailedEventId, ids);

        // Logs name operations as the metrics and traces do (db.operation.name): one spelling, KvOperationNames.
        Assert.Contains(_logs.Events, e => e.EventId.Id == RedisLog.OperationTimedOutEventId
            && e.Message.Contains($"operation {KvOperationNames.Get} did not complete", StringComparison.Ordinal));
        Assert.Contains(_logs.Events, e => e.EventId.Id == RedisLog.OperationFailedEventId
            && e.Message.Contains($"operation {KvOperationNames.Set} failed", StringComparison.Ordinal));
        Assert.All(_logs.Events, e =>
        {
            Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
            Assert.Equal(typeof(RedisKv).FullName, e.Category);
        });
    }

    [Fact]
    public async Task App_starts_while_redis_is_down_and_works_once_redis_is_up()
    {
        await redis.Server.StopAsync();

        using IHost host = new HostBuilder()
            .ConfigureServices(services => services.AddKv().UseRedis(o =>
            {
                o.Configuration = redis.Configuration;
                o.OperationTimeout = Timeout;
            }))
            .Build();
        await host.StartAsync();
        IAtomicKvStore store = host.Services.GetRequiredService<AtomicKvAdaptor>().Namespace("late");

        await FailsWithinTimeout(() => store.SetAsync("k", 1).AsTask(), "Set");

        await redis.Server.RestartAsync();
        await EventuallySucceeds(() => store.SetAsync("k", 1).AsTask());
        Assert.Equal(1, await store.GetAsync<int>("k"));
        await host.StopAsync();
    }

    [Fact]
    public async Task Scripts_flushed_from_the_server_are_loaded_again_without_a_failure()
    {
        IAtomicKvStore store = _kv.Namespace("scripts");
        Assert.Equal(1, await store.IncrementAsync("n"));
        Assert.NotNull(await store.GetEntryAsync<long>("n"));

        await using (RespConnection cli = await RespConnection.ConnectAsync(redis.EndPoint))
        {
            Assert.Equal("OK", await cli.CommandTextAsync("SCRIPT", "FLUSH"));
        }

        Assert.Equal(2, await store.IncrementAsync("n"));
        Assert.Equal(2, (await store.GetEntryAsync<long>("n"))!.Value);
        Assert.DoesNotContain(_logs.Events, e => e.EventId.Id == RedisLog.OperationFailedEventId);
    }

    [Fact]
    public async Task Disposed_adaptor_throws_ObjectDisposedException()
    {
        IAtomicKvStore store = _kv.Namespace("disposed");
        await _kv.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetAsync<int>("k").AsTask());
        Assert.Throws<ObjectDisposedException>(() => _kv.Namespace("other"));
    }

    private RedisKv CreateAdaptor() =>
        new(new RedisKvOptions { Configuration = redis.Configuration, OperationTimeout = Timeout }, loggerFactory: _logs);

    private static IEnumerable<(string Name, Func<Task> Operation)> Operations(IAtomicKvStore store) =>
    [
        ("Get", () => store.GetAsync<int>("before").AsTask()),
        ("GetEntry", () => store.GetEntryAsync<int>("before").AsTask()),
        ("Set", () => store.SetAsync("k", 1).AsTask()),
        ("SetWithTtl", () => store.SetAsync("k", 1, KvSetOptions.WithTtl(TimeSpan.FromMinutes(1))).AsTask()),
        ("SetIfNotExists", () => store.SetIfNotExistsAsync("k", 1).AsTask()),
        ("Delete", () => store.DeleteAsync("before").AsTask()),
        ("Exists", () => store.ExistsAsync("before").AsTask()),
        ("Expire", () => store.ExpireAsync("before", TimeSpan.FromMinutes(1)).AsTask()),
        ("Increment", () => store.IncrementAsync("n").AsTask()),
    ];

    private static async Task<KvException> FailsWithinTimeout(Func<Task> operation, string name)
    {
        var clock = Stopwatch.StartNew();
        KvException error = await Assert.ThrowsAsync<KvException>(operation);
        Assert.True(clock.Elapsed < Timeout + Margin, $"{name} took {clock.Elapsed} to fail; the operation timeout is {Timeout}.");
        Assert.Equal(KvErrorCode.StoreOperationFailed, error.Code);
        return error;
    }

    private static async Task EventuallySucceeds(Func<Task> operation)
    {
        // Bounded: Redis is back and the multiplexer reconnects within a second or two; 30 s means it never will.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await operation();
                return;
            }
            catch (KvException ex) when (ex.Code == KvErrorCode.StoreOperationFailed && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
        }
    }
}
