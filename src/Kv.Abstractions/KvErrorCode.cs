namespace Kv;

/// <summary>What went wrong in a Kv operation. Each code has one meaning on every backend.</summary>
public enum KvErrorCode
{
    /// <summary>A TTL was zero, negative, or larger than <see cref="KvSetOptions.MaxTtl"/>. Nothing changed.</summary>
    InvalidTtl = 1,

    /// <summary>A namespace name was empty or whitespace only.</summary>
    EmptyNamespace = 2,

    /// <summary>A value could not be serialized (a cycle, an unsupported type), or a stored value could not be
    /// read as the requested type. A failed write stored nothing.</summary>
    InvalidValue = 3,

    /// <summary>The backend failed: connection lost, timeout, or a server error. The inner exception is the cause.
    /// The operation may or may not have been applied; it was not silently dropped.</summary>
    StoreOperationFailed = 4,

    /// <summary>A key broke the key rules: empty, longer than 255 characters, a control character or lone
    /// surrogate, or a leading <c>__</c>.</summary>
    InvalidKey = 5,

    /// <summary>A namespace name broke the key rules or contained <see cref="KvKeyLayout.NamespaceSeparator"/>.</summary>
    InvalidNamespace = 6,

    /// <summary>An increment met a stored value that is not a 64-bit integer. Nothing changed.</summary>
    NotNumeric = 7,

    /// <summary>An increment would overflow a 64-bit integer. Nothing changed.</summary>
    Overflow = 8,

    /// <summary>A write would take a backend past a configured limit (entry count or bytes). Nothing changed and
    /// nothing was evicted.</summary>
    CapacityExceeded = 9,

    /// <summary><see cref="KvStoreExtensions.GetRequiredManyAsync{T}(IKvStore, IEnumerable{string}, CancellationToken)"/> found keys
    /// missing; <see cref="KvException.Keys"/> names them.</summary>
    KeyNotFound = 10,

    /// <summary>A multi-key operation (a transaction) touched keys that a Redis Cluster keeps in different hash
    /// slots. Everything under one top-level namespace shares a slot; see the Redis docs. Nothing changed.</summary>
    CrossSlot = 11,

    /// <summary>A distributed lock was not acquired within the time the caller allowed.</summary>
    LockTimeout = 12,

    /// <summary>An argument of an operation, other than a key, namespace, TTL or value, was invalid: a listing's
    /// limit, bound, cursor or pattern, a transaction check's version, a store of another adaptor, a rate-limit
    /// partition key, a lock's lease or timeout. The call threw before any I/O; nothing changed.</summary>
    InvalidArgument = 13,
}
