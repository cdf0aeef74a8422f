using Kv.Redis.Tests.Infrastructure;

namespace Kv.Redis.Tests;

/// <summary>The test infrastructure's own promises: a missing binary fails loudly, with the install command.</summary>
public sealed class RedisTestInfrastructureTests
{
    [Fact]
    public void A_missing_redis_binary_fails_with_the_install_command()
    {
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => RedisServerProcess.FindBinary("redis-server-that-is-not-installed"));

        Assert.Contains("sudo apt-get install -y redis-server", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_installed_redis_server_is_found() =>
        Assert.True(File.Exists(RedisServerProcess.FindBinary("redis-server")));
}
