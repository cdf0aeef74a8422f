using Kv.Conformance;
using Kv.Redis.Tests.Infrastructure;

namespace Kv.Redis.Tests;

/// <summary>The whole shared conformance suite on <see cref="RedisKv"/> over redis-server, with the client on RESP2
/// (<see cref="RedisKvConformanceTests"/> runs it on RESP3).</summary>
public sealed class RedisResp2KvConformanceTests(Resp2RedisServerFixture redis)
    : KvConformanceTests(redis.CreateBackend()), IClassFixture<Resp2RedisServerFixture>;

/// <summary>The whole shared conformance suite on <see cref="RedisKv"/> over Garnet, RESP3.</summary>
public sealed class GarnetKvConformanceTests(GarnetServerFixture garnet)
    : KvConformanceTests(garnet.CreateBackend()), IClassFixture<GarnetServerFixture>;

/// <summary>The whole shared conformance suite on <see cref="RedisKv"/> over Garnet, RESP2.</summary>
public sealed class GarnetResp2KvConformanceTests(Resp2GarnetServerFixture garnet)
    : KvConformanceTests(garnet.CreateBackend()), IClassFixture<Resp2GarnetServerFixture>;

/// <summary>The fuzz test of bad input on <see cref="RedisKv"/> over redis-server, against <see cref="MemoryKv"/>.</summary>
public sealed class RedisKvBadInputFuzzTests(RedisServerFixture redis)
    : KvBadInputFuzzTests(redis.CreateBackend()), IClassFixture<RedisServerFixture>;

/// <summary>The fuzz test of bad input on <see cref="RedisKv"/> over Garnet, against <see cref="MemoryKv"/>.</summary>
public sealed class GarnetKvBadInputFuzzTests(GarnetServerFixture garnet)
    : KvBadInputFuzzTests(garnet.CreateBackend()), IClassFixture<GarnetServerFixture>;
