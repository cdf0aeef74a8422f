using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Kv.Redis.Tests.Infrastructure;

/// <summary>
/// One <c>redis-server</c> process the tests started themselves: loopback only, persistence off, its own temporary
/// directory. It is stopped, frozen and thawed by the PID it was started with, never by name, so no other Redis on
/// the machine is touched.
/// </summary>
public sealed partial class RedisServerProcess : IAsyncDisposable
{
    public const string InstallHint = "Install it with: sudo apt-get install -y redis-server";

    /// <summary>Names the Garnet binary to use instead of the repository's <c>.tools/garnet/garnet-server</c>.</summary>
    public const string GarnetEnvironmentVariable = "KV_TEST_GARNET";

    public const string GarnetInstallHint = "Install it with: scripts/ensure-garnet.sh (dotnet tool install garnet-server --version 2.2.8 --tool-path .tools/garnet)";

    // Every process started here, so none outlives the test run even if a fixture is never disposed.
    private static readonly ConcurrentDictionary<int, Process> Started = new();

    private readonly string[] _extraArguments;
    private Process? _process;

    static RedisServerProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (Process process in Started.Values)
            {
                TryKill(process);
            }
        };
    }

    private RedisServerProcess(RedisEngine engine, int port, string directory, string[] extraArguments)
    {
        Engine = engine;
        Port = port;
        Directory = directory;
        _extraArguments = extraArguments;
    }

    /// <summary>The server program: redis-server or Garnet.</summary>
    public RedisEngine Engine { get; }

    public int Port { get; }

    public string EndPoint => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public string Directory { get; }

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Finds a Redis binary on PATH (or in the usual Debian places); fails with an install hint when missing.</summary>
    public static string FindBinary(string name)
    {
        IEnumerable<string> directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/local/bin", "/usr/sbin"]);
        foreach (string directory in directories)
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"The Redis tests need {name}, which is not installed (not on PATH, /usr/bin or /usr/local/bin). {InstallHint} "
            + "(./test.sh does this), or set KV_TEST_REDIS=host:port to use a running server.");
    }

    /// <summary>
    /// Finds the Garnet server: <c>KV_TEST_GARNET</c> when set, otherwise <c>.tools/garnet/garnet-server</c> in the
    /// repository (where scripts/ensure-garnet.sh installs it); fails with an install hint when missing.
    /// </summary>
    public static string FindGarnetBinary()
    {
        string? configured = Environment.GetEnvironmentVariable(GarnetEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{GarnetEnvironmentVariable}={configured} names no file. {GarnetInstallHint}");
        }

        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Kv.Extensions.sln")))
            {
                string candidate = Path.Combine(directory.FullName, ".tools", "garnet", "garnet-server");
                if (File.Exists(candidate))
                {
                    return candidate;
                }

                break;
            }
        }

        throw new InvalidOperationException(
            $"The Garnet tests need garnet-server 2.2.8, which is not installed in .tools/garnet. {GarnetInstallHint} "
            + $"(./test.sh does this), or set {GarnetEnvironmentVariable} to the garnet-server binary.");
    }

    /// <summary>Starts a server on a free loopback port; retries with another port if one was taken meanwhile.</summary>
    /// <param name="extraArguments">More redis-server arguments.</param>
    public static Task<RedisServerProcess> StartAsync(params string[] extraArguments) => StartAsync(() => extraArguments);

    /// <summary>Starts a server of <paramref name="engine"/> on a free loopback port.</summary>
    /// <param name="engine">The server program.</param>
    public static Task<RedisServerProcess> StartAsync(RedisEngine engine) => StartAsync(engine, () => []);

    /// <summary>Starts a server on a free loopback port, with arguments made afresh for each attempt (so a port of
    /// their own, such as a cluster bus port, is chosen again when an attempt loses it).</summary>
    /// <param name="extraArguments">Makes the redis-server arguments for one attempt.</param>
    public static Task<RedisServerProcess> StartAsync(Func<string[]> extraArguments) => StartAsync(RedisEngine.Redis, extraArguments);

    private static async Task<RedisServerProcess> StartAsync(RedisEngine engine, Func<string[]> extraArguments)
    {
        string binary = engine == RedisEngine.Garnet ? FindGarnetBinary() : FindBinary("redis-server");
        Exception? last = null;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            int port = FreePort();
            string directory = Path.Combine(Path.GetTempPath(), "kv-redis-tests", Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(directory);
            var server = new RedisServerProcess(engine, port, directory, extraArguments());
            try
            {
                await server.StartProcessAsync(binary);
                return server;
            }
            catch (Exception ex) when (ex is IOException or TimeoutException)
            {
                last = ex;
                await server.DisposeAsync();
            }
        }

        throw new InvalidOperationException($"Could not start {engine} on a free loopback port.", last);
    }

    /// <summary>Returns a loopback TCP port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the server again on the same port, with the same directory (its data is gone: persistence is off).</summary>
    public Task RestartAsync() => StartProcessAsync(Engine == RedisEngine.Garnet ? FindGarnetBinary() : FindBinary("redis-server"));

    /// <summary>Stops the server: SIGKILL to the PID this fixture started, then waits for it to exit.</summary>
    public async Task StopAsync()
    {
        Process? process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        TryKill(process);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(wait.Token);
        Started.TryRemove(process.Id, out _);
        process.Dispose();
    }

    /// <summary>Freezes the server (SIGSTOP): it keeps its connections open but answers nothing.</summary>
    public void Freeze() => Signal(SigStop);

    /// <summary>Lets a frozen server run again (SIGCONT).</summary>
    public void Thaw() => Signal(SigCont);

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process && !process.HasExited)
        {
            Signal(SigCont); // A stopped process would not die of SIGTERM; SIGKILL works either way, but thaw first.
        }

        await StopAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // The temporary directory is left for the OS to clean: nothing depends on it after the server is gone.
        }
    }

    private async Task StartProcessAsync(string binary)
    {
        var start = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        string port = Port.ToString(CultureInfo.InvariantCulture);
        string[] arguments = Engine == RedisEngine.Garnet
            ? [
                // No AOF and no checkpoints (both off by default); the checkpoint directory is the temporary one, so
                // nothing could land in the working tree. Lua on, each script run as a transaction: atomic, as in Redis.
                "--port", port, "--bind", "127.0.0.1", "--lua", "true", "--lua-transaction-mode", "true",
                "--checkpointdir", Directory, "--memory", "256m", "--index", "16m", "--logger-level", "Warning",
                .. _extraArguments]
            : [
                "--port", port, "--bind", "127.0.0.1", "--protected-mode", "yes",
                "--save", "", "--appendonly", "no", "--dir", Directory,
                "--logfile", Path.Combine(Directory, "redis.log"), "--daemonize", "no",
                .. _extraArguments];
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (Engine == RedisEngine.Garnet)
        {
            // Garnet logs to the console: into the temporary directory, for LogTail.
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
        }

        Process process = Process.Start(start) ?? throw new IOException($"{Engine} did not start.");
        if (Engine == RedisEngine.Garnet)
        {
            string log = Path.Combine(Directory, "redis.log");
            process.OutputDataReceived += (_, e) => AppendLog(log, e.Data);
            process.ErrorDataReceived += (_, e) => AppendLog(log, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        Started[process.Id] = process;
        _process = process;

        // Up within a bounded wait: a server that does not answer PING by then failed to start (e.g. port taken).
        DateTime deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (process.HasExited)
            {
                Started.TryRemove(process.Id, out _);
                _process = null;
                throw new IOException($"{Engine} exited at start (code {process.ExitCode}): {LogTail()}");
            }

            try
            {
                await using RespConnection connection = await RespConnection.ConnectAsync("127.0.0.1", Port);
                if (await connection.CommandTextAsync("PING") == "PONG")
                {
                    // The port was free when chosen, but another process may have taken it since: make sure the
                    // server answering is the one started here, or tests would freeze or stop someone else's.
                    if (!await IsServedByAsync(connection, process.Id))
                    {
                        await StopAsync();
                        throw new IOException($"Port {port} is served by another process than the redis-server started here.");
                    }

                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or RespErrorException)
            {
                // Not listening yet (or still loading): try again until the deadline.
            }

            if (DateTime.UtcNow > deadline)
            {
                await StopAsync();
                throw new TimeoutException($"{Engine} on port {port} did not answer PING: {LogTail()}");
            }

            await Task.Delay(20);
        }
    }

    // redis-server reports its PID in INFO; Garnet does not, so there the listening socket must be one of the
    // process's own file descriptors (Linux /proc).
    private async Task<bool> IsServedByAsync(RespConnection connection, int processId)
    {
        if (Engine == RedisEngine.Redis)
        {
            string info = await connection.CommandTextAsync("INFO", "server") ?? string.Empty;
            return info.Contains("process_id:" + processId.ToString(CultureInfo.InvariantCulture) + "\r\n", StringComparison.Ordinal);
        }

        string hexPort = ":" + Port.ToString("X4", CultureInfo.InvariantCulture);
        var inodes = File.ReadLines("/proc/net/tcp")
            .Concat(File.Exists("/proc/net/tcp6") ? File.ReadLines("/proc/net/tcp6") : [])
            .Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 9 && fields[1].EndsWith(hexPort, StringComparison.Ordinal) && fields[3] == "0A")
            .Select(fields => "socket:[" + fields[9] + "]")
            .ToHashSet(StringComparer.Ordinal);
        return System.IO.Directory.EnumerateFileSystemEntries($"/proc/{processId}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Any(target => target is not null && inodes.Contains(target));
    }

    private static void AppendLog(string log, string? line)
    {
        if (line is not null)
        {
            lock (Started)
            {
                File.AppendAllLines(log, [line]);
            }
        }
    }

    private string LogTail()
    {
        string log = Path.Combine(Directory, "redis.log");
        return File.Exists(log) ? string.Join(" | ", File.ReadLines(log).TakeLast(5)) : "(no log)";
    }

    private void Signal(int signal)
    {
        if (_process is { HasExited: false } process && Kill(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    private static void TryKill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill: nothing left to stop.
        }
    }

    private const int SigCont = 18;
    private const int SigStop = 19;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>A server program that speaks the Redis protocol.</summary>
public enum RedisEngine
{
    /// <summary>redis-server (Debian package).</summary>
    Redis,

    /// <summary>Microsoft Garnet (the garnet-server .NET tool).</summary>
    Garnet,
}
