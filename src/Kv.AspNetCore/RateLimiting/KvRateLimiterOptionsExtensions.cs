using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Kv;

/// <summary>
/// Named rate-limiting policies backed by Kv, for ASP.NET Core's <c>AddRateLimiter</c> and
/// <c>RequireRateLimiting("name")</c> / <c>[EnableRateLimiting("name")]</c>, like the built-in
/// <c>AddFixedWindowLimiter</c> and friends, but with limits that hold across every instance sharing the store.
/// </summary>
/// <remarks>
/// <para>Each policy is partitioned per client: by default the connection's remote IP address (behind a proxy, use
/// the forwarded-headers middleware so that it is the client's); pass <c>partitionBy</c> to partition by user, API
/// key or tenant instead. A policy's state is kept per policy name and client in the registered
/// <see cref="AtomicKvAdaptor"/>'s namespace <see cref="KvRateLimiterOptions.Namespace"/> (<c>ratelimit</c>).</para>
/// <para>The options are configured and validated once, here; an invalid option throws now, not on the first request.</para>
/// <example>
/// <code>
/// builder.Services.AddKv();
/// builder.Services.AddRateLimiter(o =>
/// {
///     o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
///     o.AddKvSlidingWindowLimiter("api", l => { l.PermitLimit = 100; l.Window = TimeSpan.FromMinutes(1); });
/// });
/// app.UseRateLimiter();
/// app.MapGet("/api/items", ...).RequireRateLimiting("api");
/// </code>
/// </example>
/// </remarks>
public static class KvRateLimiterOptionsExtensions
{
    /// <summary>Adds a policy with a <see cref="KvFixedWindowRateLimiter"/> per client IP address.</summary>
    /// <param name="options">The rate limiter options.</param>
    /// <param name="policyName">The policy's name.</param>
    /// <param name="configureOptions">Sets the limiter options.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static RateLimiterOptions AddKvFixedWindowLimiter(this RateLimiterOptions options, string policyName, Action<KvFixedWindowRateLimiterOptions> configureOptions) =>
        AddKvFixedWindowLimiter(options, policyName, ClientAddress, configureOptions);

    /// <summary>Adds a policy with a <see cref="KvFixedWindowRateLimiter"/> per partition.</summary>
    /// <param name="options">The rate limiter options.</param>
    /// <param name="policyName">The policy's name.</param>
    /// <param name="partitionBy">Gives a request's partition key (a client, user, tenant, API key).</param>
    /// <param name="configureOptions">Sets the limiter options.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static RateLimiterOptions AddKvFixedWindowLimiter(
        this RateLimiterOptions options, string policyName, Func<HttpContext, string> partitionBy, Action<KvFixedWindowRateLimiterOptions> configureOptions)
        => AddPolicy(options, policyName, partitionBy, configureOptions, KvRateLimitPartition.GetFixedWindowLimiter);

    /// <summary>Adds a policy with a <see cref="KvSlidingWindowRateLimiter"/> per client IP address.</summary>
    /// <param name="options">The rate limiter options.</param>
    /// <param name="policyName">The policy's name.</param>
    /// <param name="configureOptions">Sets the limiter options.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static RateLimiterOptions AddKvSlidingWindowLimiter(this RateLimiterOptions options, string policyName, Action<KvSlidingWindowRateLimiterOptions> configureOptions) =>
        AddKvSlidingWindowLimiter(options, policyName, ClientAddress, configureOptions);

    /// <summary>Adds a policy with a <see cref="KvSlidingWindowRateLimiter"/> per partition.</summary>
    /// <param name="options">The rate limiter options.</param>
    /// <param name="policyName">The policy's name.</param>
    /// <param name="partitionBy">Gives a request's partition key (a client, user, tenant, API key).</param>
    /// <param name="configureOptions">Sets the limiter options.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static RateLimiterOptions AddKvSlidingWindowLimiter(
        this RateLimiterOptions options, string policyName, Func<HttpContext, string> partitionBy, Action<KvSlidingWindowRateLimiterOptions> configureOptions)
        => AddPolicy(options, policyName, partitionBy, configureOptions, KvRateLimitPartition.GetSlidingWindowLimiter);

    /// <summary>Adds a policy with a <see cref="KvTokenBucketRateLimiter"/> per client IP address.</summary>
    /// <param name="options">The rate limiter options.</param>
    /// <param name="policyName">The policy's name.</param>
    /// <param name="configureOptions">Sets the limiter options.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static RateLimiterOptions AddKvTokenBucketLimiter(this RateLimiterOptions options, string policyName, Action<KvTokenBucketRateLimiterOptions> configureOptions) =>
        AddKvTokenBucketLimiter(options, policyName, ClientAddress, configureOptions);

    /// <summary>Adds a policy with a <see cref="KvTokenBucketRateLimiter"/> per partition.</summary>
    /// <param name="options">The rate limiter options.</param>
    /// <param name="policyName">The policy's name.</param>
    /// <param name="partitionBy">Gives a request's partition key (a client, user, tenant, API key).</param>
    /// <param name="configureOptions">Sets the limiter options.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static RateLimiterOptions AddKvTokenBucketLimiter(
        this RateLimiterOptions options, string policyName, Func<HttpContext, string> partitionBy, Action<KvTokenBucketRateLimiterOptions> configureOptions)
        => AddPolicy(options, policyName, partitionBy, configureOptions, KvRateLimitPartition.GetTokenBucketLimiter);

    // The client's address; "unknown" when the server has none (e.g. an in-memory test server).
    private static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    // Validates the limiter options once, when the policy is added, and partitions each request by policy and key.
    private static RateLimiterOptions AddPolicy<TOptions>(
        RateLimiterOptions options,
        string policyName,
        Func<HttpContext, string> partitionBy,
        Action<TOptions> configureOptions,
        Func<string, IServiceProvider, Func<string, TOptions>, RateLimitPartition<string>> partition)
        where TOptions : KvRateLimiterOptions, new()
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(policyName);
        ArgumentNullException.ThrowIfNull(partitionBy);
        ArgumentNullException.ThrowIfNull(configureOptions);
        var limiter = new TOptions();
        configureOptions(limiter);
        limiter.Validate();
        return options.AddPolicy(policyName, context => partition(PartitionOf(policyName, partitionBy, context), context.RequestServices, _ => limiter));
    }

    // The policy's name is part of the partition, so two policies never share a client's permits. It is prefixed with
    // its length, so no policy name and partition can be confused with another pair ("a" + "b|c" vs "a|b" + "c").
    private static string PartitionOf(string policyName, Func<HttpContext, string> partitionBy, HttpContext context) =>
        string.Create(CultureInfo.InvariantCulture, $"{policyName.Length}:{policyName}|{partitionBy(context) ?? "unknown"}");
}
