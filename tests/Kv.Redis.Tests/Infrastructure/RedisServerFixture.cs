namespace Kv.Redis.Tests.Infrastructure;

/// <summary>
/// One standalone Redis: the server named by <c>KV_TEST_REDIS</c> (host:port) when set, otherwise a
/// <c>redis-server</c> this fixture starts on a free loopback port and stops at the end.
/// </summary>
public class RedisServerFixture : RedisTarget
{
    public const string EnvironmentVariable = "KV_TEST_REDIS";

    /// <summary>The process this fixture started, or <see langword="null"/> when it uses <c>KV_TEST_REDIS</c>.</summary>
    public RedisServerProcess? Server { get; private set; }

    /// <summary>The server's endpoint, host:port.</summary>
    public string EndPoint { get; private set; } = string.Empty;

    /// <summary>Whether <c>KV_TEST_REDIS</c> may replace the fixture's own server.</summary>
    protected virtual bool AllowExternalServer => true;

    /// <summary>The server program this fixture starts.</summary>
    public virtual RedisEngine Engine => RedisEngine.Redis;

    public override Task<IReadOnlyList<string>> GetMasterEndPointsAsync() => Task.FromResult<IReadOnlyList<string>>([EndPoint]);

    protected override async Task StartAsync()
    {
        string? external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (AllowExternalServer && Engine == RedisEngine.Redis && !string.IsNullOrWhiteSpace(external))
        {
            EndPoint = external.Trim();
            await using RespConnection connection = await RespConnection.ConnectAsync(EndPoint);
            Assert.Equal("PONG", await connection.CommandTextAsync("PING"));
        }
        else
        {
            Server = await RedisServerProcess.StartAsync(Engine);
            EndPoint = Server.EndPoint;
        }

        Configuration = EndPoint;
    }

    protected override async Task StopAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

/// <summary>
/// A <c>redis-server</c> process of the test class's own, even when <c>KV_TEST_REDIS</c> is set: for tests that stop,
/// freeze or restart the server, or watch every command it receives.
/// </summary>
public sealed class DedicatedRedisServerFixture : RedisServerFixture
{
    public new RedisServerProcess Server => base.Server!;

    protected override bool AllowExternalServer => false;
}

/// <summary>The same standalone redis-server, with the fixture's multiplexer on RESP2 instead of RESP3.</summary>
public sealed class Resp2RedisServerFixture : RedisServerFixture
{
    public override StackExchange.Redis.RedisProtocol Protocol => StackExchange.Redis.RedisProtocol.Resp2;
}

/// <summary>A Garnet server of the fixture's own (garnet-server 2.2.8, Lua on), with the multiplexer on RESP3.</summary>
public class GarnetServerFixture : RedisServerFixture
{
    public override RedisEngine Engine => RedisEngine.Garnet;

    protected override bool AllowExternalServer => false;
}

/// <summary>The Garnet server with the fixture's multiplexer on RESP2.</summary>
public sealed class Resp2GarnetServerFixture : GarnetServerFixture
{
    public override StackExchange.Redis.RedisProtocol Protocol => StackExchange.Redis.RedisProtocol.Resp2;
}
