using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Kv.Sqlite.Tests;

/// <summary>
/// What each <see cref="SqliteDurability"/> does on disk, counted with <c>strace -f -e trace=fsync,fdatasync</c> on a
/// child process that makes a number of sequential writes (each its own commit, as each waits for its task). SIGKILL
/// cannot tell the levels apart (the page cache survives it); the syncs can: Full syncs the log on every commit,
/// Normal only at checkpoints. test.sh installs strace (scripts/ensure-strace.sh).
/// </summary>
public sealed class SqliteKvDurabilityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Writes = 200;

    private readonly SqliteTestBackend _backend = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Fact]
    public async Task Full_syncs_the_log_on_every_commit_and_Normal_does_not()
    {
        int full = await CountSyncsAsync(SqliteDurability.Full, "full.db");
        int normal = await CountSyncsAsync(SqliteDurability.Normal, "normal.db");
        output.WriteLine($"{Writes} sequential commits: Full {full} fsync/fdatasync calls, Normal {normal}.");

        Assert.True(full >= Writes, $"Full: {full} syncs for {Writes} commits; expected at least one per commit.");
        Assert.True(normal < Writes / 10, $"Normal: {normal} syncs for {Writes} commits; expected syncs only at checkpoints.");
    }

    private async Task<int> CountSyncsAsync(SqliteDurability durability, string file)
    {
        string path = Path.Combine(_backend.Folder, file);
        string trace = Path.Combine(_backend.Folder, file + ".strace");

        // The database and its schema first, outside the trace: only the writes' commits are counted.
        using (var kv = new SqliteKv(new SqliteKvOptions { Path = path, Durability = durability }))
        {
            await kv.PingAsync();
        }

        using Process strace = ChildProcess.StartProgram(
            "strace",
            ["-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", trace, "dotnet", ChildProcess.Dll, "write", path, durability.ToString(), Writes.ToString(CultureInfo.InvariantCulture)]);
        string output = await strace.StandardOutput.ReadToEndAsync();
        string errors = await strace.StandardError.ReadToEndAsync();
        await strace.WaitForExitAsync();
        Assert.True(strace.ExitCode == 0, $"strace failed ({strace.ExitCode}): {errors}");
        Assert.Equal(Writes, output.Split('\n').Count(l => l.StartsWith("ack ", StringComparison.Ordinal)));
        return File.ReadLines(trace).Count(l => l.Contains("fsync(", StringComparison.Ordinal) || l.Contains("fdatasync(", StringComparison.Ordinal));
    }
}
