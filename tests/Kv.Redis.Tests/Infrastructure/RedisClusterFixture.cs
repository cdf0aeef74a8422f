using System.Diagnostics;
using System.Text;

namespace Kv.Redis.Tests.Infrastructure;

/// <summary>
/// A local Redis Cluster of three masters, each a <c>redis-server --cluster-enabled yes</c> on free loopback ports
/// with its own directory, joined by <c>redis-cli --cluster create</c>; every process is stopped by its PID at the
/// end. <c>KV_TEST_REDIS_CLUSTER</c> (a node's host:port) names an existing cluster to use instead.
/// </summary>
public sealed class RedisClusterFixture : RedisTarget
{
    public const string EnvironmentVariable = "KV_TEST_REDIS_CLUSTER";

    private readonly List<RedisServerProcess> _nodes = [];
    private string _seed = string.Empty;

    public override async Task<IReadOnlyList<string>> GetMasterEndPointsAsync()
    {
        await using RespConnection connection = await RespConnection.ConnectAsync(_seed);
        string nodes = await connection.CommandTextAsync("CLUSTER", "NODES") ?? string.Empty;

        // <id> <ip:port@cport> <flags> …: the masters that are not failed hold the keys.
        return [.. nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length > 2 && fields[2].Contains("master", StringComparison.Ordinal) && !fields[2].Contains("fail", StringComparison.Ordinal))
            .Select(fields => fields[1].Split('@')[0])];
    }

    protected override async Task StartAsync()
    {
        string? external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            _seed = external.Trim();
        }
        else
        {
            string cli = RedisServerProcess.FindBinary("redis-cli");
            for (int i = 0; i < 3; i++)
            {
                _nodes.Add(await RedisServerProcess.StartAsync(() =>
                [
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "5000",
                    "--cluster-port", RedisServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ]));
            }

            await RunAsync(cli, ["--cluster", "create", .. _nodes.Select(n => n.EndPoint), "--cluster-replicas", "0", "--cluster-yes"]);
            _seed = _nodes[0].EndPoint;
        }

        await WaitUntilClusterOkAsync();
        Configuration = string.Join(",", await GetMasterEndPointsAsync());
    }

    protected override async Task StopAsync()
    {
        foreach (RedisServerProcess node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    private async Task WaitUntilClusterOkAsync()
    {
        // Bounded: the three nodes agree within seconds; past the bound the cluster did not form.
        for (int attempt = 0; ; attempt++)
        {
            bool ok = true;
            foreach (string endPoint in _nodes.Count > 0 ? _nodes.Select(n => n.EndPoint) : [_seed])
            {
                await using RespConnection connection = await RespConnection.ConnectAsync(endPoint);
                string info = await connection.CommandTextAsync("CLUSTER", "INFO") ?? string.Empty;
                ok &= info.Contains("cluster_state:ok", StringComparison.Ordinal);
            }

            if (ok)
            {
                return;
            }

            if (attempt == 600)
            {
                throw new TimeoutException("The local Redis Cluster did not reach cluster_state:ok.");
            }

            await Task.Delay(50);
        }
    }

    private static async Task RunAsync(string binary, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException(binary + " did not start.");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // Started here, stopped here: no redis-cli is left behind.
            throw new TimeoutException(binary + " did not finish within 60 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(new StringBuilder()
                .Append(binary).Append(" failed (exit ").Append(process.ExitCode).Append("): ")
                .Append(await output).Append(await error).ToString());
        }
    }
}
