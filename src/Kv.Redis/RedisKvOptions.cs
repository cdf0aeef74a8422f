using System.Globalization;
using StackExchange.Redis;

namespace Kv;

/// <summary>
/// Settings of <see cref="RedisKv"/>. Bound from the <c>Kv:Redis</c> configuration section; the connection
/// settings mirror those of <c>RedisCacheOptions</c>.
/// </summary>
/// <remarks>
/// <para>Where the connection comes from, first match wins:</para>
/// <list type="number">
/// <item><see cref="ConnectionMultiplexerFactory"/>: Kv uses the multiplexer it returns and never disposes it.</item>
/// <item>An <see cref="IConnectionMultiplexer"/> registered in dependency injection (with <c>UseRedis</c> only): Kv
/// shares the application's multiplexer and never disposes it. A <see cref="Configuration"/> set as well is ignored,
/// with a warning (event 2007).</item>
/// <item><see cref="ConfigurationOptions"/>, else <see cref="Configuration"/>: Kv creates one multiplexer on first use,
/// with <c>AbortOnConnectFail = false</c> so the application starts (and the multiplexer keeps reconnecting) while
/// Redis is down, and disposes it with the adaptor.</item>
/// </list>
/// </remarks>
public sealed class RedisKvOptions
{
    /// <summary>The configuration section the Redis options bind from.</summary>
    public const string SectionName = "Kv:Redis";

    /// <summary>The longest allowed <see cref="OperationTimeout"/>: ten minutes.</summary>
    public static TimeSpan MaxOperationTimeout { get; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> or
    /// <c>redis1:6379,redis2:6379,password=…,ssl=true</c>. Used when <see cref="ConfigurationOptions"/> and
    /// <see cref="ConnectionMultiplexerFactory"/> are not set.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// The StackExchange.Redis configuration; preferred over <see cref="Configuration"/> when both are set. Kv
    /// connects with a copy whose <c>AbortOnConnectFail</c> is <see langword="false"/>.
    /// </summary>
    public ConfigurationOptions? ConfigurationOptions { get; set; }

    /// <summary>
    /// A prefix put in front of every physical key, to keep several applications apart on one Redis, e.g.
    /// <c>myapp:</c> (end it with <c>:</c> so it reads apart from the namespace). Empty or <see langword="null"/>
    /// (the default) for none.
    /// </summary>
    public string? InstanceName { get; set; }

    /// <summary>
    /// Returns the multiplexer to use, for an application that manages its own. Preferred over every other
    /// connection setting. Kv calls it once, on first use (again after a failed call), and never disposes what
    /// it returns.
    /// </summary>
    public Func<Task<IConnectionMultiplexer>>? ConnectionMultiplexerFactory { get; set; }

    /// <summary>
    /// How long one operation (connecting included, on first use) may take before it fails with
    /// <see cref="KvErrorCode.StoreOperationFailed"/>. Default 5 seconds; positive, at most
    /// <see cref="MaxOperationTimeout"/>. Measured on real time (<see cref="TimeProvider.System"/>), even when the
    /// application registers another clock, so a fake clock in tests neither disables nor fires it. One watchdog per
    /// adaptor checks the calls in flight every twentieth of it (between 5 ms and 100 ms), so a call fails at most that
    /// much after it. On a multiplexer
    /// Kv creates, it is also StackExchange.Redis's <c>AsyncTimeout</c> and <c>SyncTimeout</c> (with a fail-fast
    /// backlog); a multiplexer from the application or <see cref="ConnectionMultiplexerFactory"/> keeps its own.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Returns what is wrong with these options, or nothing when they are valid.</summary>
    /// <param name="hasMultiplexerService">Whether dependency injection holds an <see cref="IConnectionMultiplexer"/>.</param>
    /// <returns>One message per problem.</returns>
    internal IEnumerable<string> Validate(bool hasMultiplexerService)
    {
        if (OperationTimeout <= TimeSpan.Zero || OperationTimeout > MaxOperationTimeout)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"Kv:Redis:OperationTimeout must be positive and at most {MaxOperationTimeout}; got {OperationTimeout}.");
        }

        if (ConnectionMultiplexerFactory is not null)
        {
            yield break;
        }

        if (ConfigurationOptions is not null)
        {
            if (ConfigurationOptions.EndPoints.Count == 0)
            {
                yield return "Kv:Redis:ConfigurationOptions has no endpoints.";
            }

            yield break;
        }

        if (!string.IsNullOrWhiteSpace(Configuration))
        {
            string? problem = null;
            try
            {
                if (StackExchange.Redis.ConfigurationOptions.Parse(Configuration).EndPoints.Count == 0)
                {
                    problem = "Kv:Redis:Configuration names no endpoint (expected e.g. \"127.0.0.1:6379\").";
                }
            }
            catch (ArgumentException ex)
            {
                // The parser's message names the bad option; the string itself may hold a password, so it is not echoed.
                problem = "Kv:Redis:Configuration is not a valid StackExchange.Redis configuration string: " + ex.Message;
            }

            if (problem is not null)
            {
                yield return problem;
            }

            yield break;
        }

        if (!hasMultiplexerService)
        {
            yield return "Kv:Redis needs a connection: set Configuration (e.g. \"127.0.0.1:6379\"), ConfigurationOptions or "
                + "ConnectionMultiplexerFactory, or register an IConnectionMultiplexer in dependency injection.";
        }
    }
}
