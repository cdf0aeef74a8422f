using System.Runtime.ExceptionServices;

namespace Kv.Internal;

/// <summary>What a write sees of its group's transaction: the version counter of the file.</summary>
internal sealed class SqliteWriteContext
{
    /// <summary>The last version handed out; saved to the file's counter row when the group commits.</summary>
    public long Version { get; set; }

    /// <summary>A new version, higher than every version in the file.</summary>
    public long NextVersion() => ++Version;
}

/// <summary>One queued write. Its outcome is held until its group's transaction has committed.</summary>
internal abstract class SqliteWrite(string operation, bool singleChange, CancellationToken cancellationToken)
{
    public string Operation { get; } = operation;

    /// <summary>
    /// True when the write changes the file with at most one statement and throws its own errors (not numeric,
    /// overflow) before that statement: then a failure leaves nothing to undo (SQLite undoes a failed statement by
    /// itself), and the writer runs it without a savepoint of its own.
    /// </summary>
    public bool SingleChange { get; } = singleChange;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Runs the write inside the group's transaction (under its own savepoint).</summary>
    public abstract void Run(SqliteConnectionLease connection, SqliteWriteContext context);

    /// <summary>Completes the caller's task with the result of <see cref="Run"/>, or its failure, after COMMIT.</summary>
    public abstract void Complete();

    /// <summary>Fails the caller's task now: the write was not applied.</summary>
    public abstract void Fail(Exception exception);

    /// <summary>Cancels the caller's task: the write was not applied.</summary>
    public abstract void Cancel();
}

internal sealed class SqliteWrite<T>(string operation, Func<SqliteConnectionLease, SqliteWriteContext, T> write, bool singleChange, CancellationToken cancellationToken)
    : SqliteWrite(operation, singleChange, cancellationToken)
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;
    private Exception? _failure;

    public Task<T> Task => _completion.Task;

    public override void Run(SqliteConnectionLease connection, SqliteWriteContext context) => _result = write(connection, context);

    public override void Complete()
    {
        if (_failure is not null)
        {
            _completion.TrySetException(_failure);
        }
        else
        {
            _completion.TrySetResult(_result!);
        }
    }

    public override void Fail(Exception exception)
    {
        _failure = exception;
        _completion.TrySetException(exception);
    }

    public override void Cancel() => _completion.TrySetCanceled(CancellationToken);
}

/// <summary>A write of the synchronous API: the caller's thread waits for the outcome on an event.</summary>
internal sealed class SqliteBlockingWrite<T>(string operation, Func<SqliteConnectionLease, SqliteWriteContext, T> write, bool singleChange)
    : SqliteWrite(operation, singleChange, CancellationToken.None), IDisposable
{
    private readonly ManualResetEventSlim _done = new();
    private T? _result;
    private Exception? _failure;
    private int _signalled;

    public override void Run(SqliteConnectionLease connection, SqliteWriteContext context) => _result = write(connection, context);

    public override void Complete() => Signal(failure: null);

    // A write that failed alone is released at once (its savepoint was undone); a later failure of its group, or the
    // group's completion, changes nothing for it, exactly as for the asynchronous writes' first-wins task.
    public override void Fail(Exception exception) => Signal(exception);

    // Never cancelled: it carries no token.
    public override void Cancel() => Signal(new OperationCanceledException());

    private void Signal(Exception? failure)
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            _failure = failure;
            _done.Set();
        }
    }

    /// <summary>Blocks until the write's group committed (or failed), then returns its result or throws its failure.</summary>
    public T Wait()
    {
        _done.Wait();
        if (_failure is not null)
        {
            ExceptionDispatchInfo.Throw(_failure);
        }

        return _result!;
    }

    public void Dispose() => _done.Dispose();
}
