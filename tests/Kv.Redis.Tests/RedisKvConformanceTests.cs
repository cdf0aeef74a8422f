using Kv.Conformance;
using Kv.Redis.Tests.Infrastructure;

namespace Kv.Redis.Tests;

/// <summary>The whole shared conformance suite, unchanged, on <see cref="RedisKv"/> over one redis-server, RESP3.</summary>
public sealed class RedisKvConformanceTests(RedisServerFixture redis)
    : KvConformanceTests(redis.CreateBackend()), IClassFixture<RedisServerFixture>;
