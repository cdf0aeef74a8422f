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

    /// <summary>
    /// Creates a version check. <see cref="KvTransaction"/> builds every operation a backend receives; the factories
    /// are public so that a backend's commit core can be unit-tested with operations of its own.
    /// </summary>
    /// <param name="namespacePath">The namespace path of the key's store.</param>
    /// <param name="key">The key.</param>
    /// <param name="version">The expected version, or <see langword="null"/> for "the key does not exist".</param>
    /// <returns>The operation.</returns>
    public static KvTransactionOperation CreateCheck(string namespacePath, string key, long? version) =>
        new(KvTransactionOperationKind.Check, Required(namespacePath), Required(key)) { ExpectedVersion = version };

    /// <summary>Creates a set (see <see cref="CreateCheck"/>).</summary>
    /// <param name="namespacePath">The namespace path of the key's store.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The encoded value, with its metadata.</param>
    /// <param name="ttl">The TTL, or <see langword="null"/> for a permanent entry.</param>
    /// <returns>The operation.</returns>
    public static KvTransactionOperation CreateSet(string namespacePath, string key, KvValue value, TimeSpan? ttl) =>
        new(KvTransactionOperationKind.Set, Required(namespacePath), Required(key)) { Value = value, Ttl = ttl };

    /// <summary>Creates a delete (see <see cref="CreateCheck"/>).</summary>
    /// <param name="namespacePath">The namespace path of the key's store.</param>
    /// <param name="key">The key.</param>
    /// <returns>The operation.</returns>
    public static KvTransactionOperation CreateDelete(string namespacePath, string key) =>
        new(KvTransactionOperationKind.Delete, Required(namespacePath), Required(key));

    /// <summary>Creates an increment (see <see cref="CreateCheck"/>).</summary>
    /// <param name="namespacePath">The namespace path of the key's store.</param>
    /// <param name="key">The key.</param>
    /// <param name="by">The amount to add.</param>
    /// <param name="ttl">The TTL of a created key, or <see langword="null"/>.</param>
    /// <param name="metadata">The metadata of a created key, or <see langword="null"/>.</param>
    /// <returns>The operation.</returns>
    public static KvTransactionOperation CreateIncrement(string namespacePath, string key, long by, TimeSpan? ttl, byte[]? metadata) =>
        new(KvTransactionOperationKind.Increment, Required(namespacePath), Required(key)) { By = by, Ttl = ttl, Metadata = metadata };

    private static string Required(string value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        return value;
    }
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
