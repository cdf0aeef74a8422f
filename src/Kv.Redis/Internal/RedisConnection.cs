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
    private readonly Func<IConnectionMultiplexer>? _syncFactory;
    private readonly Lock _syncConnectGate = new();
    private readonly bool _ownsMultiplexer;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Task<IDatabase>? _database;
    private IConnectionMultiplexer? _multiplexer;
    private bool _disposed;

    private RedisConnection(Func<Task<IConnectionMultiplexer>> factory, bool ownsMultiplexer, ILogger logger, Func<IConnectionMultiplexer>? syncFactory = null)
    {
        _factory = factory;
        _syncFactory = syncFactory;
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

            return new RedisConnection(() => Task.FromResult(service()), ownsMultiplexer: false, logger, service);
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
                logger,
                () =>
                {
                    RedisLog.Connecting(logger, configuration.EndPoints);
                    return ConnectionMultiplexer.Connect(configuration);
                });
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

    /// <summary>
    /// Returns the database for a synchronous operation, connecting with the client's synchronous <c>Connect</c> on
    /// first use (one synchronous caller at a time; asynchronous callers meanwhile await the same attempt). It never
    /// waits for an asynchronous connect: while one is in flight, or when the application's
    /// <see cref="RedisKvOptions.ConnectionMultiplexerFactory"/> returns a task that has not completed yet, it fails with
    /// <see cref="KvErrorCode.StoreOperationFailed"/> (the connect goes on for the next operations).
    /// </summary>
    public IDatabase GetDatabase()
    {
        Task<IDatabase>? current = Volatile.Read(ref _database);
        if (current is { IsCompletedSuccessfully: true })
        {
            return current.Result;
        }

        lock (_syncConnectGate)
        {
            TaskCompletionSource<IDatabase> pending;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_database is { IsCompletedSuccessfully: true } connected)
                {
                    return connected.Result;
                }

                if (_database is { IsCompleted: false })
                {
                    throw new KvException(
                        KvErrorCode.StoreOperationFailed,
                        "Redis Kv is connecting asynchronously; a synchronous operation does not block on it. The next operation tries again.");
                }

                pending = new TaskCompletionSource<IDatabase>(TaskCreationOptions.RunContinuationsAsynchronously);
                _database = pending.Task;
            }

            bool handedOver = false; // The asynchronous path completes 'pending' from here on.
            try
            {
                IConnectionMultiplexer? multiplexer;
                try
                {
                    if (_syncFactory is not null)
                    {
                        multiplexer = _syncFactory();
                    }
                    else
                    {
                        // The application's asynchronous factory: usable here only when it returns a completed task
                        // (typically an existing multiplexer). Otherwise the connect goes on asynchronously for the
                        // next operations, and this one fails instead of blocking on it.
                        Task<IConnectionMultiplexer> connecting = _factory();
                        if (!connecting.IsCompletedSuccessfully)
                        {
                            handedOver = true;
                            _ = CompleteFromAsync(pending, FinishConnectAsync(connecting));
                            throw new KvException(
                                KvErrorCode.StoreOperationFailed,
                                "Redis Kv's ConnectionMultiplexerFactory is connecting asynchronously; a synchronous operation does not block on it. The next operation tries again.");
                        }

                        multiplexer = connecting.Result; // Completed: does not block.
                    }

                    if (multiplexer is null)
                    {
                        throw new InvalidOperationException("The Redis connection factory returned no multiplexer.");
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not KvException)
                {
                    throw ConnectFailed(ex);
                }

                if (!TryAttach(multiplexer))
                {
                    if (_ownsMultiplexer)
                    {
                        multiplexer.Dispose();
                    }

                    throw new ObjectDisposedException(nameof(RedisKv));
                }

                IDatabase database = Ready(multiplexer);
                pending.SetResult(database);
                return database;
            }
            catch (Exception ex) when (!handedOver)
            {
                Fail(pending, ex);
                throw;
            }
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

    private Task<IDatabase> ConnectAsync()
    {
        Task<IConnectionMultiplexer> connecting;
        try
        {
            connecting = _factory();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Task.FromException<IDatabase>(ConnectFailed(ex));
        }

        return FinishConnectAsync(connecting);
    }

    private static async Task CompleteFromAsync(TaskCompletionSource<IDatabase> pending, Task<IDatabase> connecting)
    {
        try
        {
            pending.SetResult(await connecting.ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            Fail(pending, ex);
        }
    }

    private static void Fail(TaskCompletionSource<IDatabase> pending, Exception ex)
    {
        pending.SetException(ex);
        _ = pending.Task.Exception; // Whoever needed it saw it thrown; the task must not report it unobserved.
    }

    private async Task<IDatabase> FinishConnectAsync(Task<IConnectionMultiplexer> connecting)
    {
        IConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await connecting.ConfigureAwait(false)
                ?? throw new InvalidOperationException("The Redis connection factory returned no multiplexer.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw ConnectFailed(ex);
        }

        if (!TryAttach(multiplexer))
        {
            // The adaptor was disposed while this connection was being made: nobody else will release it.
            if (_ownsMultiplexer)
            {
                await multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
                multiplexer.Dispose();
            }

            throw new ObjectDisposedException(nameof(RedisKv));
        }

        return Ready(multiplexer);
    }

    private KvException ConnectFailed(Exception ex)
    {
        RedisLog.ConnectFailed(_logger, ex.GetType().Name);
        return new KvException(KvErrorCode.StoreOperationFailed, "Redis Kv could not get its Redis connection; the next operation tries again.", ex);
    }

    /// <summary>Takes a new multiplexer as this connection's; <see langword="false"/> when the connection was disposed meanwhile.</summary>
    private bool TryAttach(IConnectionMultiplexer multiplexer)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            _multiplexer = multiplexer;
            multiplexer.ConnectionFailed += OnConnectionFailed;
            multiplexer.ConnectionRestored += OnConnectionRestored;
            return true;
        }
    }

    private IDatabase Ready(IConnectionMultiplexer multiplexer)
    {
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
