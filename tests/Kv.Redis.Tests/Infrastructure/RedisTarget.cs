using StackExchange.Redis;

namespace Kv.Redis.Tests.Infrastructure;

/// <summary>
/// A Redis deployment the tests run against (one server or a cluster): how to connect, which nodes hold keys, and a
/// multiplexer that test backends share (as many adaptors in one app share one).
/// </summary>
public abstract class RedisTarget : IAsyncLifetime
{
    private ConnectionMultiplexer? _multiplexer;

    /// <summary>The StackExchange.Redis configuration string of the deployment.</summary>
    public string Configuration { get; protected set; } = string.Empty;

    /// <summary>The protocol of the fixture's multiplexer: RESP3 (the client's default) unless a fixture pins RESP2.</summary>
    public virtual RedisProtocol Protocol => RedisProtocol.Resp3;

    /// <summary>A multiplexer owned by the fixture, shared by the conformance backends.</summary>
    public IConnectionMultiplexer Multiplexer => _multiplexer ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>The endpoints of the nodes that hold keys (the masters).</summary>
    public abstract Task<IReadOnlyList<string>> GetMasterEndPointsAsync();

    public async Task InitializeAsync()
    {
        await StartAsync();
        ConfigurationOptions options = ConfigurationOptions.Parse(Configuration + ",abortConnect=false");
        options.Protocol = Protocol;
        _multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
        if (_multiplexer.GetServers().Any(server => server.IsConnected && server.Protocol != Protocol))
        {
            throw new InvalidOperationException($"The multiplexer did not negotiate {Protocol}.");
        }
    }

    public async Task DisposeAsync()
    {
        if (_multiplexer is not null)
        {
            await _multiplexer.CloseAsync(allowCommandsToComplete: false);
            _multiplexer.Dispose();
        }

        await StopAsync();
    }

    /// <summary>Runs <paramref name="action"/> on every key that starts with <paramref name="prefix"/> (which must hold
    /// no glob characters), on the node that holds it.</summary>
    public async Task ForEachKeyAsync(string prefix, Func<RespConnection, byte[], Task> action)
    {
        foreach (string endPoint in await GetMasterEndPointsAsync())
        {
            await using RespConnection connection = await RespConnection.ConnectAsync(endPoint);
            string cursor = "0";
            var keys = new List<byte[]>();
            do
            {
                var reply = (object?[])(await connection.CommandAsync("SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"))!;
                cursor = RespConnection.AsText(reply[0])!;
                keys.AddRange(((object?[])reply[1]!).Cast<byte[]>());
            }
            while (cursor != "0");

            foreach (byte[] key in keys)
            {
                await action(connection, key);
            }
        }
    }

    /// <summary>Deletes every key that starts with <paramref name="prefix"/>, so a shared server (KV_TEST_REDIS) is left clean.</summary>
    public Task DeleteKeysAsync(string prefix) => ForEachKeyAsync(prefix, (connection, key) => connection.CommandAsync("DEL", key));

    /// <summary>A conformance backend on this deployment, with key space and clock of its own.</summary>
    public RedisTestBackend CreateBackend() => new(this);

    protected abstract Task StartAsync();

    protected abstract Task StopAsync();
}
