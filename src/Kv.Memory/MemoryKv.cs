using Kv.Internal;

namespace Kv;

/// <summary>
/// The in-process Kv backend: thread-safe, lock-free reads, expiry checked on every read, atomic increment and
/// set-if-not-exists. For one process; use the Redis backend when several processes share data.
/// </summary>
/// <remarks>
/// <para>Values are stored encoded (as on every backend), so a stored object is a copy: changing the object
/// after <c>SetAsync</c> does not change what is stored, and every read returns a new object.</para>
/// <para>An expired entry is invisible from the instant its TTL passes. Its memory is freed by
/// <see cref="CollectExpired"/>, which the hosted GC service calls every <see cref="MemoryKvOptions.GcInterval"/>.
/// A pass costs in proportion to the entries that expired, not to the store's size.</para>
/// </remarks>
public sealed class MemoryKv : AtomicKvAdaptor
{
    private readonly TimeSpan _gcInterval;

    /// <summary>Creates a store with the default options, the system clock and the default serializer.</summary>
    public MemoryKv()
        : this(new MemoryKvOptions())
    {
    }

    /// <summary>Creates a store.</summary>
    /// <param name="options">The memory options; validated now.</param>
    /// <param name="timeProvider">The clock expiry is measured on; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="serializer">The value serializer; <see langword="null"/> for <see cref="KvValueSerializer.Default"/>.</param>
    /// <param name="metrics">The metrics its stores record (see <see cref="KvAdaptor.Metrics"/>); <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public MemoryKv(MemoryKvOptions options, TimeProvider? timeProvider = null, KvValueSerializer? serializer = null, KvMetrics? metrics = null)
        : base(metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        string[] problems = [.. options.Validate()];
        if (problems.Length > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        Engine = new MemoryEngine(options, timeProvider ?? TimeProvider.System);
        Serializer = serializer ?? KvValueSerializer.Default;
        _gcInterval = options.GcInterval;
    }

    /// <summary>The hosted GC's period: <see cref="MemoryKvOptions.GcInterval"/>.</summary>
    public override TimeSpan? CollectionInterval => _gcInterval;

    /// <summary>The physical entries held, expired-but-not-yet-collected ones included.</summary>
    public long EntryCount => Engine.EntryCount;

    /// <summary>The bytes the entries take, counted as for <see cref="MemoryKvOptions.MaxBytes"/>.</summary>
    public long ByteCount => Engine.ByteCount;

    /// <summary>The engine that holds this store's data.</summary>
    internal MemoryEngine Engine { get; }

    internal KvValueSerializer Serializer { get; }

    /// <summary>Always <see langword="true"/>: every operation of a memory store completes synchronously.</summary>
    public override bool CompletesSynchronously => true;

    /// <inheritdoc />
    public override IAtomicKvStore Namespace(string name) => new MemoryKvStore(this, KvKeyLayout.ChildPath(null, name), Serializer);

    /// <summary>
    /// Runs one GC pass now: removes the entries whose TTL has passed. The pass visits only entries that are
    /// due, and holds the expiry index's lock for one slice of at most a few hundred items at a time.
    /// </summary>
    /// <returns>How many entries it removed.</returns>
    public int CollectExpired() => Engine.CollectExpired();

    /// <summary>Runs one GC pass now (see <see cref="CollectExpired"/>).</summary>
    /// <param name="cancellationToken">Cancels the operation before it starts.</param>
    /// <returns>How many entries it removed.</returns>
    public override ValueTask<long> CollectExpiredAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(CollectExpired());
    }

    /// <summary>Returns an adaptor on this store's data whose stores encode values with <paramref name="serializer"/>.</summary>
    internal AtomicKvAdaptor WithSerializer(KvValueSerializer serializer) => new SerializerView(this, serializer);

    /// <summary>This store's data, with another serializer (the test suite's custom-options cases).</summary>
    private sealed class SerializerView(MemoryKv kv, KvValueSerializer serializer) : AtomicKvAdaptor
    {
        public override IAtomicKvStore Namespace(string name) =>
            new MemoryKvStore(kv, KvKeyLayout.ChildPath(null, name), serializer);

        public override ValueTask<long> CollectExpiredAsync(CancellationToken cancellationToken = default) =>
            kv.CollectExpiredAsync(cancellationToken);
    }
}
