using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kv.Internal;

/// <summary>
/// Runs a <see cref="MemoryKv.CollectExpired"/> pass every <see cref="MemoryKvOptions.GcInterval"/>, on the
/// application's <see cref="TimeProvider"/>. Started and stopped by the host; never by a constructor.
/// </summary>
internal sealed partial class MemoryKvGcService : BackgroundService, IKvBackendService
{
    private readonly MemoryKv _kv;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<MemoryKvGcService> _logger;

    public MemoryKvGcService(MemoryKv kv, IOptions<MemoryKvOptions> options, TimeProvider timeProvider, ILogger<MemoryKvGcService> logger)
    {
        _kv = kv;
        _interval = options.Value.GcInterval;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            RunPass();
        }
    }

    internal void RunPass()
    {
        try
        {
            int removed = _kv.CollectExpired();
            _kv.Metrics?.RecordGcPass(_kv, removed);
            LogPass(removed, _kv.EntryCount);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A failed pass loses no data (expired entries stay invisible); the next tick tries again. The
            // failure is logged as an error rather than stopping the host.
            LogPassFailed(ex);
        }
    }

    [LoggerMessage(EventId = 1001, EventName = "MemoryKvGcPass", Level = LogLevel.Debug,
        Message = "Memory Kv GC pass removed {Removed} expired entries; {Remaining} entries remain.")]
    private partial void LogPass(int removed, long remaining);

    [LoggerMessage(EventId = 1002, EventName = "MemoryKvGcPassFailed", Level = LogLevel.Error,
        Message = "Memory Kv GC pass failed; it runs again at the next interval.")]
    private partial void LogPassFailed(Exception exception);
}
