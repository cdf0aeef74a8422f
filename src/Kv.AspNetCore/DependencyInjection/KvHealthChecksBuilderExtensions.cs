using Kv;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Kv health check: <c>services.AddHealthChecks().AddKv()</c>.</summary>
public static class KvHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="KvHealthCheck"/>, which pings the application's <see cref="KvAdaptor"/> (a <c>PING</c> on Redis).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default <c>kv</c>.</param>
    /// <param name="failureStatus">The status reported when the backend does not answer; <see langword="null"/> for
    /// <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by (for instance <c>ready</c>).</param>
    /// <param name="timeout">How long the check may take; <see langword="null"/> for the health check service's default.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IHealthChecksBuilder AddKv(
        this IHealthChecksBuilder builder,
        string name = "kv",
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(name);
        return builder.AddCheck<KvHealthCheck>(name, failureStatus, tags ?? [], timeout);
    }
}
