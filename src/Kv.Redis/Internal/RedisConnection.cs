using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// The one multiplexer a <see cref="RedisKv"/> uses: obtained on first use (so the application starts while Redis
/// is down), shared by every operation, and disposed at the end only when Kv created it.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable, IDisposable
{
    private readonly Func<Task<IConnectionMultiplexer>> _factory;
    private readonly bool _ownsMultiplexer;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Task<IDatabase>? _database;
    private IConnectionMultiplexer? _multiplexer;
    private bool _disposed;

    private RedisConnection(Func<Task<IConnectionMultiplexer>> factory, bool ownsMultiplexer, ILogger logger)
    {
        _factory = factory;
        _ownsMultiplexer = ownsMultiplexer;
        _logger = logger;
    }

    /// <summary>Chooses the connection source, in the order <see cref="RedisKvOptions"/> documents.</summary>
    public static RedisConnection Create(RedisKvOptions options, Func<IConnectionMultiplexer>? service, ILogger logger)
    {
        if (options.ConnectionMultiplexerFactory is { } factory)
        {
            return new RedisConnection(factory, ownsMultiplexer: false, logger);
        }

        ConfigurationOptions? configuration = options.ConfigurationOptions?.Clone()
            ?? (string.IsNullOrWhiteSpace(options.Configuration) ? null : ConfigurationOptions.Parse(options.Configuration));

        // The application's own multiplexer comes before a connection string, so the app and Kv share one
        // connection (StackExchange.Redis's advice) even when a Kv:Redis:Configuration is also present.
        if (service is not null)
        {
            if (configuration is not null)
            {
                RedisLog.ConfigurationIgnored(logger);
            }

            return new RedisConnection(() => Task.FromResult(service()), ownsMultiplexer: false, logger);
        }

        if (configuration is not null)
        {
            // Kv never gives up on its own connection: the multiplexer keeps reconnecting in the background, and each
            // operation meanwhile fails within the operation timeout.
            configuration.AbortOnConnectFail = false;

            // The client's own timeouts follow OperationTimeout, so a command the client still holds never outlives
            // the Kv call that sent it. Fail-fast backlog: while the connection is down a command fails at once
            // instead of waiting in the client's backlog and being sent after Kv already reported it failed (a rate
            // limit decision counted twice, a write applied after its caller saw StoreOperationFailed).
            int timeout = (int)Math.Min(int.MaxValue, Math.Ceiling(options.OperationTimeout.TotalMilliseconds));
            configuration.AsyncTimeout = timeout;
            configuration.SyncTimeout = timeout;
            configuration.BacklogPolicy = BacklogPolicy.FailFast;
            return new RedisConnection(
                async () =>
                {
                    RedisLog.Connecting(logger, configuration.EndPoints);
                    return await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
                },
                ownsMultiplexer: true,
                logger);
        }

        throw new ArgumentException(
            "Redis Kv needs a connection: set Configuration, ConfigurationOptions or ConnectionMultiplexerFactory.",
            nameof(options));
    }

    /// <summary>
    /// Returns the database, connecting on first use. Concurrent first callers share one attempt; after a failed
    /// attempt the next call tries again.
    /// </summary>
    public Task<IDatabase> GetDatabaseAsync()
    {
        Task<IDatabase>? current = Volatile.Read(ref _database);
        if (current is { IsFaulted: false, IsCanceled: false })
        {
            return current;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_database is null || _database.IsFaulted || _database.IsCanceled)
            {
                _database = ConnectAsync();
            }

            return _database;
        }
    }

    public async ValueTask DisposeAsync()
    {
        IConnectionMultiplexer? multiplexer = Detach();
        if (multiplexer is not null && _ownsMultiplexer)
        {
            // Lets commands in flight finish; bounded by the multiplexer's sync timeout even against a frozen server.
            await multiplexer.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
            multiplexer.Dispose();
        }
    }

    public void Dispose()
    {
        IConnectionMultiplexer? multiplexer = Detach();
        if (multiplexer is not null && _ownsMultiplexer)
        {
            multiplexer.Dispose();
        }
    }

    private async Task<IDatabase> ConnectAsync()
    {
        IConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await _factory().ConfigureAwait(false)
                ?? throw new InvalidOperationException("The Redis connection factory returned no multiplexer.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            RedisLog.ConnectFailed(_logger, ex.GetType().Name);
            throw new KvException(KvErrorCode.StoreOperationFailed, "Redis Kv could not get its Redis connection; the next operation tries again.", ex);
        }

        bool disposed;
        lock (_gate)
        {
            disposed = _disposed;
            if (!disposed)
            {
                _multiplexer = multiplexer;
                multiplexer.ConnectionFailed += OnConnectionFailed;
                multiplexer.ConnectionRestored += OnConnectionRestored;
            }
        }

        if (disposed)
        {
            // The adaptor was disposed while this connection was being made: nobody else will release it.
            if (_ownsMultiplexer)
            {
                await multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
                multiplexer.Dispose();
            }

            throw new ObjectDisposedException(nameof(RedisKv));
        }

        // Not awaited: the check costs the first operation nothing, and its outcome is only logged.
        _ = WarnAboutEvictionAsync(multiplexer);
        return multiplexer.GetDatabase();
    }

    private async Task WarnAboutEvictionAsync(IConnectionMultiplexer multiplexer)
    {
        try
        {
            foreach (string problem in await RedisEvictionPolicy.ReadProblemsAsync(multiplexer).ConfigureAwait(false))
            {
                RedisLog.EvictionPolicy(_logger, problem);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nothing awaits this task: what went wrong is logged, and the health check reads the policy again.
            RedisLog.EvictionPolicyUnknown(_logger, ex.GetType().Name);
        }
    }

    private IConnectionMultiplexer? Detach()
    {
        IConnectionMultiplexer? multiplexer;
        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }

            _disposed = true;
            multiplexer = _multiplexer;
            _multiplexer = null;
        }

        if (multiplexer is not null)
        {
            multiplexer.ConnectionFailed -= OnConnectionFailed;
            multiplexer.ConnectionRestored -= OnConnectionRestored;
        }

        return multiplexer;
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e) =>
        RedisLog.ConnectionFailed(_logger, e.EndPoint, e.ConnectionType, e.FailureType);

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) =>
        RedisLog.ConnectionRestored(_logger, e.EndPoint, e.ConnectionType);
}
