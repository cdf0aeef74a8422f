namespace Kv;

/// <summary>A Kv operation failed; <see cref="Code"/> says how.</summary>
public sealed class KvException : Exception
{
    /// <summary>Creates an exception.</summary>
    /// <param name="code">What went wrong.</param>
    /// <param name="message">The message. It never contains a key or a value, except the keys that
    /// <see cref="KvErrorCode.KeyNotFound"/> names on purpose.</param>
    /// <param name="innerException">The cause, for <see cref="KvErrorCode.StoreOperationFailed"/>.</param>
    public KvException(KvErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Keys = [];
    }

    /// <summary>Creates an exception that names keys (for <see cref="KvErrorCode.KeyNotFound"/>).</summary>
    /// <param name="code">What went wrong.</param>
    /// <param name="message">The message.</param>
    /// <param name="keys">The keys the error is about.</param>
    public KvException(KvErrorCode code, string message, IReadOnlyList<string> keys)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(keys);
        Code = code;
        Keys = keys;
    }

    /// <summary>What went wrong.</summary>
    public KvErrorCode Code { get; }

    /// <summary>The keys the error is about: the missing keys of <see cref="KvErrorCode.KeyNotFound"/>; otherwise empty.</summary>
    public IReadOnlyList<string> Keys { get; }
}
