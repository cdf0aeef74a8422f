using Kv.Redis.Tests.Infrastructure;
using Xunit;

namespace Kv.Redis.Tests;

/// <summary>
/// Pins why RedisKvRoundTripTests (MONITOR) and RedisScriptCommandTests (INFO commandstats) run on redis-server only:
/// Garnet 2.2.8 offers neither. Kv sends the same commands to both engines (the shapes are the client's), so those
/// tests check Kv, not the engine. When a Garnet version adds either, this fails: run those classes on Garnet too.
/// </summary>
public sealed class GarnetIntrospectionTests(GarnetServerFixture garnet) : IClassFixture<GarnetServerFixture>
{
    [Fact]
    public async Task Garnet_has_no_MONITOR_and_no_command_statistics()
    {
        await using RespConnection cli = await RespConnection.ConnectAsync(garnet.EndPoint);
        await cli.CommandAsync("SET", "introspection", "1");

        RespErrorException monitor = await Assert.ThrowsAsync<RespErrorException>(() => cli.CommandAsync("MONITOR"));
        Assert.Contains("unknown command", monitor.Message, StringComparison.OrdinalIgnoreCase);
        string stats = await cli.CommandTextAsync("INFO", "commandstats") ?? string.Empty;
        Assert.DoesNotContain("cmdstat_set:", stats, StringComparison.Ordinal);
    }
}
