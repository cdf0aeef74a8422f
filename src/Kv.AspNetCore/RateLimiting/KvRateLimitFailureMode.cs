namespace Kv;

/// <summary>What a Kv rate limiter does when its store fails (<see cref="KvErrorCode.StoreOperationFailed"/>) or is too
/// full to hold the limiter's state (<see cref="KvErrorCode.CapacityExceeded"/>).</summary>
public enum KvRateLimitFailureMode
{
    /// <summary>
    /// Admit the request (the default). A limiter protects the application; when the store that counts requests is
    /// down, rejecting everything would turn that outage into a full outage of every rate-limited endpoint. Each
    /// failure is logged (a warning, event 4101) and counted in metrics, so the window without limits is visible.
    /// </summary>
    FailOpen,

    /// <summary>
    /// Reject the request (logged as a warning, event 4102). For endpoints where an unlimited burst is worse than an
    /// outage: log-in attempts, password resets, costly paid APIs.
    /// </summary>
    FailClosed,
}
