using System.Globalization;
using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// Kv needs Redis's <c>maxmemory-policy</c> to be <c>noeviction</c>: a server that evicts keys when memory runs out
/// drops acknowledged data silently (a counter, a lock, a session would vanish), which a store must never do. With
/// <c>noeviction</c> a full server refuses writes instead, and Kv reports them as
/// <see cref="KvErrorCode.StoreOperationFailed"/>. The policy is read from <c>INFO memory</c> of every primary, by a
/// script, so that it needs no admin mode.
/// </summary>
internal static class RedisEvictionPolicy
{
    /// <summary>The one policy Kv can keep its contract under.</summary>
    public const string Required = "noeviction";

    private const string ReadPolicyScript = "return string.match(redis.call('INFO', 'memory'), 'maxmemory_policy:([%w%-]+)')";

    /// <summary>One sentence per connected primary whose policy may evict keys; empty when there is none.</summary>
    public static async Task<IReadOnlyList<string>> ReadProblemsAsync(IConnectionMultiplexer multiplexer)
    {
        List<string>? problems = null;
        foreach (IServer server in multiplexer.GetServers())
        {
            if (server.IsReplica || !server.IsConnected)
            {
                continue;
            }

            // INFO and CONFIG are admin commands to StackExchange.Redis, which an app's multiplexer rarely allows; a
            // script may call INFO (not CONFIG), and runs on the server it is sent to.
            string? policy = (string?)await server.ExecuteAsync("EVAL", ReadPolicyScript, 0).ConfigureAwait(false);

            // An engine that does not report a policy (Garnet) does not evict keys that way.
            if (policy is not null && !string.Equals(policy, Required, StringComparison.OrdinalIgnoreCase))
            {
                (problems ??= []).Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Redis {server.EndPoint} uses maxmemory-policy {policy}, which may evict keys: Kv data that was acknowledged would then vanish without an error. Set maxmemory-policy {Required}."));
            }
        }

        return problems ?? (IReadOnlyList<string>)[];
    }
}
