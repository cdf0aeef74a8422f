using Kv.Conformance;
using Kv.Redis.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Kv.Redis.Tests;

/// <summary>The differential test on redis-server, RESP3.</summary>
public sealed class RedisKvDifferentialTests(RedisServerFixture redis, ITestOutputHelper output)
    : KvDifferentialTests(output), IClassFixture<RedisServerFixture>
{
    protected override string BackendName => "redis";

    protected override IKvTestBackend CreateBackend() => redis.CreateBackend();
}

/// <summary>The differential test on redis-server, RESP2.</summary>
public sealed class RedisResp2KvDifferentialTests(Resp2RedisServerFixture redis, ITestOutputHelper output)
    : KvDifferentialTests(output), IClassFixture<Resp2RedisServerFixture>
{
    protected override string BackendName => "redis";

    protected override IKvTestBackend CreateBackend() => redis.CreateBackend();
}

/// <summary>The differential test on Garnet, RESP3.</summary>
public sealed class GarnetKvDifferentialTests(GarnetServerFixture garnet, ITestOutputHelper output)
    : KvDifferentialTests(output), IClassFixture<GarnetServerFixture>
{
    protected override string BackendName => "garnet";

    protected override IKvTestBackend CreateBackend() => garnet.CreateBackend();
}
