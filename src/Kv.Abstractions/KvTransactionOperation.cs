namespace Kv;

/// <summary>One step of a <see cref="KvTransaction"/>, as a backend receives it: validated and encoded.</summary>
public sealed class KvTransactionOperation
{
    private KvTransactionOperation(KvTransactionOperationKind kind, string namespacePath, string key)
    {
        Kind = kind;
        NamespacePath = namespacePath;
        Key = key;
    }

    /// <summary>What the step does.</summary>
    public KvTransactionOperationKind Kind { get; }

    /// <summary>The namespace path of the key's store (see <see cref="KvKeyLayout"/>).</summary>
    public string NamespacePath { get; }

    /// <summary>The key, validated.</summary>
    public string Key { get; }

    /// <summary>For <see cref="KvTransactionOperationKind.Set"/>: the encoded value, with its metadata.</summary>
    public KvValue Value { get; private init; }

    /// <summary>For a set, or an increment that creates the key: the validated TTL, or <see langword="null"/>.</summary>
    public TimeSpan? Ttl { get; private init; }

    /// <summary>For <see cref="KvTransactionOperationKind.Increment"/>: the amount.</summary>
    public long By { get; private init; }

    /// <summary>For <see cref="KvTransactionOperationKind.Increment"/>: the metadata of a created key, or <see langword="null"/>.</summary>
    public byte[]? Metadata { get; private init; }

    /// <summary>For <see cref="KvTransactionOperationKind.Check"/>: the expected version, or <see langword="null"/> for
    /// "the key does not exist".</summary>
    public long? ExpectedVersion { get; private init; }

    internal static KvTransactionOperation CreateCheck(string namespacePath, string key, long? version) =>
        new(KvTransactionOperationKind.Check, namespacePath, key) { ExpectedVersion = version };

    internal static KvTransactionOperation CreateSet(string namespacePath, string key, KvValue value, TimeSpan? ttl) =>
        new(KvTransactionOperationKind.Set, namespacePath, key) { Value = value, Ttl = ttl };

    internal static KvTransactionOperation CreateDelete(string namespacePath, string key) =>
        new(KvTransactionOperationKind.Delete, namespacePath, key);

    internal static KvTransactionOperation CreateIncrement(string namespacePath, string key, long by, TimeSpan? ttl, byte[]? metadata) =>
        new(KvTransactionOperationKind.Increment, namespacePath, key) { By = by, Ttl = ttl, Metadata = metadata };
}

/// <summary>The kinds of <see cref="KvTransactionOperation"/>.</summary>
public enum KvTransactionOperationKind
{
    /// <summary>A version check.</summary>
    Check,

    /// <summary>A set.</summary>
    Set,

    /// <summary>A delete.</summary>
    Delete,

    /// <summary>An increment.</summary>
    Increment,
}

/// <summary>The outcome of <see cref="KvTransaction.CommitAsync"/>.</summary>
/// <param name="Applied">Whether every check held and the writes were applied.</param>
/// <param name="Version">When applied, the version every entry the transaction wrote now has; otherwise 0.</param>
public readonly record struct KvCommitResult(bool Applied, long Version);
