using System.Globalization;
using Kv.Internal;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Kv;

/// <summary>
/// Checks that the Kv backend answers (<see cref="KvAdaptor.PingAsync"/>: a <c>PING</c> on Redis; immediate on memory),
/// and reports Degraded when it answers but is configured so that it cannot keep Kv's contract
/// (<see cref="KvAdaptor.CheckConfigurationAsync"/>: on Redis, a <c>maxmemory-policy</c> other than <c>noeviction</c>).
/// Register it with <c>services.AddHealthChecks().AddKv()</c>.
/// </summary>
public sealed class KvHealthCheck : IHealthCheck
{
    private readonly KvAdaptor _adaptor;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    /// <summary>Creates the check.</summary>
    /// <param name="adaptor">The adaptor to check.</param>
    /// <param name="timeProvider">Measures the round trip.</param>
    /// <param name="logger">Logs failures (never keys or values).</param>
    public KvHealthCheck(KvAdaptor adaptor, TimeProvider timeProvider, ILogger<KvHealthCheck> logger)
    {
        ArgumentNullException.ThrowIfNull(adaptor);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _adaptor = adaptor;
        _clock = timeProvider;
        _logger = logger;
    }

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        string backend = _adaptor.BackendName;
        long start = _clock.GetTimestamp();
        IReadOnlyList<string> problems;
        try
        {
            await _adaptor.PingAsync(cancellationToken).ConfigureAwait(false);
            problems = await _adaptor.CheckConfigurationAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (KvException ex) when (ex.Code == KvErrorCode.StoreOperationFailed)
        {
            AspNetCoreLog.HealthCheckFailed(_logger, backend, ex);
            return new HealthCheckResult(
                context.Registration.FailureStatus,
                $"The Kv {backend} backend did not answer.",
                ex,
                new Dictionary<string, object> { ["backend"] = backend });
        }

        double milliseconds = _clock.GetElapsedTime(start).TotalMilliseconds;
        if (problems.Count > 0)
        {
            // It answers, but cannot keep the contract as configured (a Redis eviction policy that drops keys).
            return HealthCheckResult.Degraded(
                string.Join(" ", problems),
                data: new Dictionary<string, object> { ["backend"] = backend, ["latencyMs"] = milliseconds, ["problems"] = problems });
        }

        return HealthCheckResult.Healthy(
            string.Create(CultureInfo.InvariantCulture, $"The Kv {backend} backend answered in {milliseconds:0.###} ms."),
            new Dictionary<string, object> { ["backend"] = backend, ["latencyMs"] = milliseconds });
    }
}
