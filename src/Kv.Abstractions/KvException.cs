namespace Kv;

/// <summary>The one exception type Kv throws for its own failures; <see cref="Code"/> says which.</summary>
/// <remarks>
/// A <see langword="null"/> argument throws <see cref="ArgumentNullException"/> and cancellation throws
/// <see cref="OperationCanceledException"/>, as everywhere in .NET.
/// </remarks>
public sealed class KvException : Exception
{
    /// <summary>Creates an exception.</summary>
    /// <param name="code">What went wrong.</param>
    /// <param name="message">A description for people; it never contains a key or a value.</param>
    /// <param name="innerException">The cause, when there is one.</param>
    public KvException(KvErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>What went wrong.</summary>
    public KvErrorCode Code { get; }
}
