using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kv.Internal;

/// <summary>
/// Runs <see cref="KvAdaptor.CollectExpiredAsync"/> on the application's adaptor every
/// <see cref="KvAdaptor.CollectionInterval"/>, on the application's <see cref="TimeProvider"/>; does nothing for an
/// adaptor whose interval is <see langword="null"/> (a backend that frees expired entries itself). One service for
/// every backend, so choosing a backend never has to remove another backend's hosted services. Started and
/// stopped by the host; never by a constructor.
/// </summary>
internal sealed class KvCollectionService(AtomicKvAdaptor adaptor, TimeProvider timeProvider, ILogger<KvCollectionService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (adaptor.CollectionInterval is not { } interval)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await RunPassAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    internal async ValueTask RunPassAsync(CancellationToken cancellationToken)
    {
        try
        {
            long removed = await adaptor.CollectExpiredAsync(cancellationToken).ConfigureAwait(false);
            adaptor.Metrics?.RecordGcPass(adaptor, removed);
            CoreLog.CollectionPass(logger, adaptor.BackendName, removed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A failed pass loses no data (expired entries stay invisible to every read); the next tick tries again.
            // The failure is logged as an error rather than stopping the host.
            CoreLog.CollectionPassFailed(logger, adaptor.BackendName, ex);
        }
    }
}
