using Kv.Redis.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A <c>redis-server</c> of the rate-limit test class's own: a free loopback port, persistence off, stopped by its PID.
/// A missing binary fails the class with an install hint (<see cref="RedisServerProcess.FindBinary"/>); nothing is skipped.
/// </summary>
public sealed class RateLimitRedisFixture : IAsyncLifetime
{
    private RedisServerProcess? _server;

    public RedisServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public string EndPoint => Server.EndPoint;

    /// <summary>A prefix of its own for one test, so tests sharing the server never see each other's keys.</summary>
    public static string NewInstanceName() => "kvrl-" + Guid.NewGuid().ToString("N")[..12] + ":";

    /// <summary>An adaptor with a multiplexer of its own, as one application instance has.</summary>
    public RedisKv CreateAdaptor(string instanceName, TimeProvider clock, ILoggerFactory? loggerFactory = null, TimeSpan? operationTimeout = null) =>
        new(new RedisKvOptions { Configuration = EndPoint, InstanceName = instanceName, OperationTimeout = operationTimeout ?? TimeSpan.FromSeconds(10) }, clock, null, loggerFactory);

    /// <summary>Every key under <paramref name="prefix"/> with its PTTL in milliseconds (-1 when permanent), read over a raw connection.</summary>
    public async Task<IReadOnlyList<(string Key, long Pttl)>> KeysWithTtlAsync(string prefix)
    {
        await using RespConnection connection = await RespConnection.ConnectAsync(EndPoint);
        var result = new List<(string, long)>();
        string cursor = "0";
        do
        {
            var reply = (object?[])(await connection.CommandAsync("SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"))!;
            cursor = RespConnection.AsText(reply[0])!;
            foreach (object? key in (object?[])reply[1]!)
            {
                string name = RespConnection.AsText(key)!;
                long pttl = Convert.ToInt64(await connection.CommandAsync("PTTL", name), System.Globalization.CultureInfo.InvariantCulture);
                result.Add((name, pttl));
            }
        }
        while (cursor != "0");

        return result;
    }

    public async Task InitializeAsync() => _server = await RedisServerProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
