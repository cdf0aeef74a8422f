using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;

namespace Kv.Benchmarks.Diagnostics;

/// <summary>
/// Where the time of a <c>GetAsync&lt;string&gt;</c> hit goes: the same call on a store whose backend does no work
/// at all (it returns one constant value), made through the interface, through the public base class, and on
/// the store's own sealed type, next to MemoryKv and the dictionary baseline.
/// </summary>
/// <remarks>
/// <para>Every store derives from <see cref="KvStoreBase"/>, whose public methods check the key and then call the
/// backend's virtual core method. Called through <see cref="IAtomicKvStore"/> (as applications do), the generic
/// method <c>GetAsync&lt;T&gt;</c> is also resolved at run time on every call. The constant store shows what that
/// shared path costs before any backend runs: no backend can go below it.</para>
/// </remarks>
[Config(typeof(KvBenchmarkConfig))]
[MemoryDiagnoser]
public class GetFloorBenchmarks
{
    private const string StoredKey = "user:12345";
    private const string Value = "a value of about thirty-two chars";

    private readonly ConcurrentDictionary<string, string> _dictionary = new(StringComparer.Ordinal);
    private readonly ConstantStore _constant = new(Value);
    [SuppressMessage("Performance", "CA1859", Justification = "The call through the interface is what is measured.")]
    private IAtomicKvStore _constantViaInterface = null!;
    [SuppressMessage("Performance", "CA1859", Justification = "The call through the base class is what is measured.")]
    private KvStoreBase _constantViaBase = null!;
    private IAtomicKvStore _memory = null!;
    private string _key = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = new string(StoredKey.AsSpan());
        _dictionary[StoredKey] = Value;
        _constantViaInterface = _constant;
        _constantViaBase = _constant;
        _memory = new MemoryKv().Namespace("users");
        _memory.SetAsync(StoredKey, Value).AsTask().GetAwaiter().GetResult(); // completes synchronously
    }

    [Benchmark(Baseline = true, Description = "ConcurrentDictionary.TryGetValue")]
    public string? Dictionary() => _dictionary.TryGetValue(_key, out string? value) ? value : null;

    [Benchmark(Description = "constant store, via IAtomicKvStore")]
    public ValueTask<string?> ConstantViaInterface() => _constantViaInterface.GetAsync<string>(_key);

    [Benchmark(Description = "constant store, via KvStoreBase")]
    public ValueTask<string?> ConstantViaBase() => _constantViaBase.GetAsync<string>(_key);

    [Benchmark(Description = "constant store, via its sealed type")]
    public ValueTask<string?> ConstantSealed() => _constant.GetAsync<string>(_key);

    [Benchmark(Description = "MemoryKv, via IAtomicKvStore")]
    public ValueTask<string?> Memory() => _memory.GetAsync<string>(_key);

    /// <summary>The adaptor of the constant stores: their identity, with no metrics.</summary>
    private sealed class ConstantAdaptor : AtomicKvAdaptor
    {
        public static readonly ConstantAdaptor Instance = new();

        public override IAtomicKvStore Namespace(string name) => new ConstantStore(Value);

        public override ValueTask<long> CollectExpiredAsync(CancellationToken cancellationToken = default) => new(0L);
    }

    /// <summary>A backend that does nothing: every key holds the same value.</summary>
    private sealed class ConstantStore : KvStoreBase
    {
        private readonly KvValue _value;

        public ConstantStore(string value)
            : base(ConstantAdaptor.Instance, "constant", KvValueSerializer.Default, TimeProvider.System) => _value = Serializer.Serialize(value);

        protected override IAtomicKvStore CreateChild(string namespacePath) => this;

        protected override ValueTask<KvValue> GetCoreAsync(string key, bool includeDetails, CancellationToken cancellationToken) => new(_value);

        protected override ValueTask SetCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        protected override ValueTask<bool> SetIfNotExistsCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        protected override ValueTask<bool> DeleteCoreAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override ValueTask<bool> ExistsCoreAsync(string key, CancellationToken cancellationToken) => new(true);

        protected override ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        protected override ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, byte[]? metadata, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        // Only reads are measured; nothing else is part of this floor.
        protected override ValueTask<KvValue[]> GetManyCoreAsync(string[] keys, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override ValueTask SetManyCoreAsync(KeyValuePair<string, KvValue>[] items, TimeSpan? ttl, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override ValueTask<long> DeleteManyCoreAsync(string[] keys, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override ValueTask<KvTimeToLive> GetTimeToLiveCoreAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override ValueTask<bool> PersistCoreAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override ValueTask<IReadOnlyList<KvKeyInfo>> ListCoreAsync(KvListRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override ValueTask<long> CountCoreAsync(KvListRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override ValueTask<long[]> GetKeySizesCoreAsync(string[] keys, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override ValueTask<long> GetNamespaceSizeCoreAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override ValueTask<KvCommitResult> CommitCoreAsync(IReadOnlyList<KvTransactionOperation> operations, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        protected override KvValue GetCore(string key, bool includeDetails) => _value;

        protected override void SetCore(string key, KvValue value, TimeSpan? ttl) => throw new NotSupportedException();

        protected override bool DeleteCore(string key) => throw new NotSupportedException();

        protected override bool ExpireCore(string key, TimeSpan ttl) => throw new NotSupportedException();

        protected override IReadOnlyList<KvKeyInfo> ListCore(KvListRequest request) => throw new NotSupportedException();
    }
}
