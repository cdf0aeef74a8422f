using Kv.Conformance;
using Kv.Redis.Tests.Infrastructure;

namespace Kv.Redis.Tests;

/// <summary>The whole shared conformance suite, unchanged, on <see cref="RedisKv"/> over a local 3-master Redis Cluster.</summary>
public sealed class RedisClusterKvConformanceTests(RedisClusterFixture cluster)
    : KvConformanceTests(cluster.CreateBackend()), IClassFixture<RedisClusterFixture>;
