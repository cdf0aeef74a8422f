using System.Globalization;
using System.IO;
using System.Net.Sockets;
using Kv.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Kv;

/// <summary>
/// The Redis Kv backend, on StackExchange.Redis: the store for applications that run as several instances, on one
/// Redis server or on Redis Cluster. Same contract as every Kv backend.
/// </summary>
/// <remarks>
/// <para>A key is stored under <see cref="RedisKvOptions.InstanceName"/>, the top-level namespace name as a Redis
/// Cluster hash tag, the rest of the namespace path, <c>::</c> and the key: namespace <c>sessions</c> → <c>admin</c>,
/// key <c>user:1</c> is the Redis key <c>{sessions}:admin::user:1</c> (with <c>InstanceName = "myapp:"</c>,
/// <c>myapp:{sessions}:admin::user:1</c>). Everything under one top-level namespace shares a hash slot. A value is
/// stored as it is, with a small header in front only when it has metadata or a version; there is no index beside the
/// data, and listing scans the keyspace (see docs/redis.md).</para>
/// <para>Every point operation is one round trip, and a plain one is one command (<c>GET</c>, <c>SET</c>, <c>DEL</c>,
/// <c>INCRBY</c>, <c>EXISTS</c>, <c>PEXPIRE</c>...); a read with details, an increment with a TTL, a batch with a TTL
/// and a transaction are one Lua script each. Every operation
/// completes within <see cref="RedisKvOptions.OperationTimeout"/>; a failure of Redis (connection lost, timeout,
/// server error) throws <see cref="KvException"/> with <see cref="KvErrorCode.StoreOperationFailed"/> and the cause
/// as inner exception. The connection recovers by itself once Redis is back.</para>
/// </remarks>
public sealed class RedisKv : AtomicKvAdaptor, IAsyncDisposable, IDisposable
{
    private readonly RedisConnection _connection;
    private readonly ILogger _logger;
    private readonly RedisOperationWatchdog _watchdog;
    private int _disposed;

    /// <summary>Creates an adaptor. It connects on first use, not here.</summary>
    /// <param name="options">The Redis options; validated now. They are read once: later changes have no effect.</param>
    /// <param name="timeProvider">The clock expiry instants are placed on; <see langword="null"/> for
    /// <see cref="TimeProvider.System"/>. The operation timeout always runs on real time.</param>
    /// <param name="serializer">The value serializer; <see langword="null"/> for <see cref="KvValueSerializer.Default"/>.</param>
    /// <param name="loggerFactory">Creates the adaptor's logger; <see langword="null"/> for no logging.</param>
    /// <param name="metrics">The metrics its stores record (see <see cref="KvAdaptor.Metrics"/>); <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public RedisKv(RedisKvOptions options, TimeProvider? timeProvider = null, KvValueSerializer? serializer = null, ILoggerFactory? loggerFactory = null, KvMetrics? metrics = null)
        : this(options, multiplexerService: null, timeProvider, serializer, loggerFactory, metrics)
    {
    }

    /// <summary>Creates an adaptor that falls back to the application's multiplexer from dependency injection.</summary>
    internal RedisKv(
        RedisKvOptions options,
        Func<IConnectionMultiplexer>? multiplexerService,
        TimeProvider? timeProvider,
        KvValueSerializer? serializer,
        ILoggerFactory? loggerFactory,
        KvMetrics? metrics)
        : base(metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        string[] problems = [.. options.Validate(hasMultiplexerService: multiplexerService is not null)];
        if (problems.Length > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        TimeProvider = timeProvider ?? TimeProvider.System;
        Serializer = serializer ?? KvValueSerializer.Default;
        InstanceName = options.InstanceName ?? string.Empty;
        OperationTimeout = options.OperationTimeout;
        _watchdog = new RedisOperationWatchdog(OperationTimeout);
        _logger = loggerFactory?.CreateLogger<RedisKv>() ?? NullLogger<RedisKv>.Instance;
        _connection = RedisConnection.Create(options, multiplexerService, _logger);
    }

    /// <summary>The prefix in front of every physical key (<see cref="RedisKvOptions.InstanceName"/>); empty for none.</summary>
    public string InstanceName { get; }

    /// <summary>How long one operation may take (<see cref="RedisKvOptions.OperationTimeout"/>).</summary>
    public TimeSpan OperationTimeout { get; }

    internal TimeProvider TimeProvider { get; }

    internal KvValueSerializer Serializer { get; }

    /// <summary>
    /// Does nothing and returns 0: Redis removes expired keys itself, and Kv keeps nothing beside them on Redis that
    /// would need collecting. Present because every adaptor has it.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>0.</returns>
    public override ValueTask<long> CollectExpiredAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(0L);
    }

    /// <summary>
    /// Migrates data written by earlier versions of Kv.Redis (the index layout: a sorted set, an expiry set and a record hash per
    /// namespace) to the current layout, once: moves each entry's version and metadata into its value, and deletes the
    /// old index keys of this adaptor's <see cref="InstanceName"/>. Without it such data stays readable (values, TTLs,
    /// listing, counts), but its metadata and versions are not seen, and the old index keys take memory.
    /// </summary>
    /// <remarks>Safe to run while the application runs, and again (it then finds nothing). It scans the keyspace of every
    /// primary with <c>SCAN</c> and works in batches of 500 entries, one script each, so Redis is never blocked for long.
    /// See docs/redis.md ("Upgrading from the index layout").</remarks>
    /// <param name="cancellationToken">Cancels the migration; what it migrated so far stays migrated.</param>
    /// <returns>How many values it rewrote.</returns>
    /// <exception cref="KvException">Redis failed (<see cref="KvErrorCode.StoreOperationFailed"/>).</exception>
    public async ValueTask<long> MigrateLayoutAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            return await RedisLayoutMigration.MigrateAsync(this, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The SCAN and HSCAN enumerations fail with the client's own exceptions: translated as every call's are.
            Exception error = Translate(RedisLayoutMigration.Operation, ex, cancellationToken);
            if (ReferenceEquals(error, ex))
            {
                throw;
            }

            throw error;
        }
    }

    /// <summary>The connection's database, once connected (a failed connect throws <see cref="KvException"/>).</summary>
    internal Task<IDatabase> GetDatabaseAsync() => _connection.GetDatabaseAsync();

    /// <inheritdoc />
    public override IAtomicKvStore Namespace(string name)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return new RedisKvStore(this, KvKeyLayout.ChildPath(null, name));
    }

    /// <summary>Sends one <c>PING</c> to Redis, under <see cref="OperationTimeout"/> (the Kv health check uses it).</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when Redis answered.</returns>
    /// <exception cref="KvException">Redis did not answer (<see cref="KvErrorCode.StoreOperationFailed"/>).</exception>
    public override async ValueTask PingAsync(CancellationToken cancellationToken = default) =>
        await ExecuteAsync(KvOperationNames.Ping, 0, static (db, _) => db.PingAsync(), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Reads every primary's <c>maxmemory-policy</c> (from <c>INFO memory</c>, run by a one-line script): Kv needs <c>noeviction</c>, since a
    /// server that evicts keys drops acknowledged data without an error. Returns one problem per server with another
    /// policy; the Kv health check then reports Degraded. Kv also logs these problems when it connects.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The problems found; empty when there are none.</returns>
    /// <exception cref="KvException">Redis did not answer (<see cref="KvErrorCode.StoreOperationFailed"/>).</exception>
    public override async ValueTask<IReadOnlyList<string>> CheckConfigurationAsync(CancellationToken cancellationToken = default) =>
        await ExecuteAsync(KvOperationNames.CheckConfiguration, 0, static (db, _) => RedisEvictionPolicy.ReadProblemsAsync(db.Multiplexer), cancellationToken)
            .ConfigureAwait(false);

    /// <summary>Releases the multiplexer when Kv created it; one from the application or a factory is left open.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? _connection.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>Releases the multiplexer when Kv created it; one from the application or a factory is left open.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _connection.Dispose();
        }
    }

    /// <summary>
    /// Runs one Redis call under the operation timeout and the caller's cancellation, and turns every failure of
    /// Redis into <see cref="KvErrorCode.StoreOperationFailed"/>.
    /// </summary>
    /// <remarks>
    /// StackExchange.Redis takes no cancellation token (its documentation recommends <c>Task.WaitAsync</c>) and checks
    /// its async timeout only on its 1 s heartbeat: against a SIGSTOPped server, AsyncTimeout 1000 ms and 1500 ms both
    /// failed after about 1995 ms (RedisClientTimeoutTests). A multiplexer from the application or a factory also
    /// keeps its own timeouts. So the operation timeout and the caller's token are enforced here, for every
    /// connection source, by the adaptor's one <see cref="RedisOperationWatchdog"/> (no timer per call); Kv's own
    /// multiplexer additionally times out on OperationTimeout and fails fast while disconnected (see RedisConnection).
    /// A call that times out or is cancelled keeps running inside the multiplexer and may still be applied; its late
    /// outcome is observed so it cannot surface as an unobserved task exception.
    /// </remarks>
    internal ValueTask<TResult> ExecuteAsync<TState, TResult>(
        string operation,
        TState state,
        Func<IDatabase, TState, Task<TResult>> command,
        CancellationToken cancellationToken) =>
        ExecuteAsync(operation, state, command, static (_, result) => result, cancellationToken);

    /// <summary>
    /// <see cref="ExecuteAsync{TState, TResult}(string, TState, Func{IDatabase, TState, Task{TResult}}, CancellationToken)"/>,
    /// then <paramref name="map"/> on the reply: the hot path of every operation. Once connected, the command is sent
    /// synchronously from the caller's frame; a reply that is already there is mapped without waiting at all, and
    /// one that is not is awaited through a pooled <see cref="RedisPendingCall{TState, TReply, TResult}"/>, which
    /// registers the caller's token only when it can be cancelled.
    /// </summary>
    internal ValueTask<TResult> ExecuteAsync<TState, TReply, TResult>(
        string operation,
        TState state,
        Func<IDatabase, TState, Task<TReply>> command,
        Func<TState, TReply, TResult> map,
        CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Task<IDatabase> database = _connection.GetDatabaseAsync();
        Task<TReply> call;
        if (database.IsCompletedSuccessfully)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<TResult>(cancellationToken);
            }

            try
            {
                call = command(database.Result, state); // Completed: does not block.
            }
            catch (Exception ex)
            {
                // As the asynchronous path fails: a store failure as StoreOperationFailed, anything else unchanged.
                return ValueTask.FromException<TResult>(Translate(operation, ex, cancellationToken));
            }
        }
        else
        {
            call = RunAsync(database, state, command);
        }

        // IsCompleted first: once it is true the outcome is final. (Asking IsCompletedSuccessfully first and then
        // IsCompleted races with a reply arriving in between, and would read a successful call as a failed one.)
        if (call.IsCompleted)
        {
            return call.IsCompletedSuccessfully
                ? new ValueTask<TResult>(map(state, call.Result)) // Completed: does not block.
                : ValueTask.FromException<TResult>(Translate(operation, FailureOf(call), cancellationToken));
        }

        return RedisPendingCall<TState, TReply, TResult>.Start(this, _watchdog, operation, state, call, map, cancellationToken);
    }

    /// <summary>
    /// Runs one synchronous Redis call (StackExchange.Redis's synchronous API: nothing blocks on a task), failing as
    /// <see cref="ExecuteAsync{TState, TResult}(string, TState, Func{IDatabase, TState, Task{TResult}}, CancellationToken)"/> does. The client's <c>SyncTimeout</c> bounds it; on Kv's own multiplexer that is
    /// <see cref="RedisKvOptions.OperationTimeout"/>, on the application's multiplexer its own setting.
    /// </summary>
    internal TResult Execute<TState, TResult>(string operation, TState state, Func<IDatabase, TState, TResult> command)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            return command(_connection.GetDatabase(), state);
        }
        catch (Exception ex)
        {
            Exception error = Translate(operation, ex, CancellationToken.None);
            if (ReferenceEquals(error, ex))
            {
                throw;
            }

            throw error;
        }
    }

    /// <summary>
    /// What a failed call throws: a timeout (the client's, or the watchdog's) and every other failure of the store as
    /// <see cref="KvErrorCode.StoreOperationFailed"/>; the caller's own cancellation, a use after dispose and anything
    /// else (a bug in Kv must not be disguised as a Redis failure) unchanged.
    /// </summary>
    internal Exception Translate(string operation, Exception ex, CancellationToken cancellationToken) => ex switch
    {
        TimeoutException timeout => TimedOut(operation, timeout),
        OperationCanceledException when cancellationToken.IsCancellationRequested => ex,
        ObjectDisposedException when Volatile.Read(ref _disposed) != 0 => ex,
        _ when IsStoreFailure(ex) => Failed(operation, ex),
        _ => ex,
    };

    internal KvException TimedOut(string operation, TimeoutException ex)
    {
        RedisLog.OperationTimedOut(_logger, operation, OperationTimeout);
        return new KvException(
            KvErrorCode.StoreOperationFailed,
            string.Create(CultureInfo.InvariantCulture, $"The Redis operation {operation} did not complete within {OperationTimeout}; it may or may not have been applied."),
            ex);
    }

    /// <summary>The exception awaiting a completed, unsuccessful task throws.</summary>
    internal static Exception FailureOf(Task call) =>
        call.IsCanceled ? new TaskCanceledException(call) : call.Exception!.InnerException ?? call.Exception!;

    private KvException Failed(string operation, Exception ex)
    {
        if (ex is RedisException redis && IsCrossSlot(redis))
        {
            return CrossSlot(ex);
        }

        RedisLog.OperationFailed(_logger, operation, ex.GetType().Name);
        return new KvException(
            KvErrorCode.StoreOperationFailed,
            $"The Redis operation {operation} failed ({ex.GetType().Name}); the inner exception is the cause.",
            ex);
    }

    // The first calls, while the connection is being made.
    private static async Task<TResult> RunAsync<TState, TResult>(Task<IDatabase> connecting, TState state, Func<IDatabase, TState, Task<TResult>> command)
    {
        IDatabase database = await connecting.ConfigureAwait(false);
        return await command(database, state).ConfigureAwait(false);
    }

    internal static bool IsCrossSlot(RedisException ex) =>
        ex.Message.StartsWith("CROSSSLOT", StringComparison.Ordinal)
        || ex.Message.Contains("single slot", StringComparison.OrdinalIgnoreCase);

    internal static KvException CrossSlot(Exception? inner = null) =>
        new(
            KvErrorCode.CrossSlot,
            "The operation touches keys of several top-level namespaces that Redis Cluster keeps in different hash slots. "
            + "Everything under one top-level namespace shares a slot; keep a transaction's keys under one top-level namespace.",
            inner);

    // Failures of the store itself. A KvException (a failed connect, or NotNumeric) already says what happened, and
    // anything else is a bug in Kv that must not be disguised as a Redis failure.
    private static bool IsStoreFailure(Exception ex) =>
        ex is RedisException or TimeoutException or IOException or SocketException or ObjectDisposedException or OperationCanceledException;
}
