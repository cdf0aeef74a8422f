using Kv.Redis.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A <c>redis-server</c> of the test class's own (persistence off, free loopback port), so tests may stop and restart
/// it by its PID. Adaptors it creates get an instance name of their own per call of <see cref="NewInstanceName"/>.
/// </summary>
public sealed class OwnRedisServerFixture : IAsyncLifetime
{
    private RedisServerProcess? _server;

    public RedisServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public string EndPoint => Server.EndPoint;

    public static string NewInstanceName() => "kvasp-" + Guid.NewGuid().ToString("N")[..12] + ":";

    /// <summary>An adaptor of its own (its own multiplexer), as one application instance would have.</summary>
    public RedisKv CreateAdaptor(string instanceName, TimeProvider? clock = null, KvMetrics? metrics = null, ILoggerFactory? loggerFactory = null) =>
        new(new RedisKvOptions { Configuration = EndPoint, InstanceName = instanceName, OperationTimeout = TimeSpan.FromSeconds(5) }, clock, null, loggerFactory, metrics);

    public async Task InitializeAsync() => _server = await RedisServerProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
