using System.Diagnostics;

namespace Kv.Sqlite.Tests;

/// <summary>Starts tests/Kv.Sqlite.ChildProcess (built beside the tests) with <c>dotnet</c>, its output redirected.</summary>
internal static class ChildProcess
{
    /// <summary>The child's assembly, built beside the tests: bin/&lt;configuration&gt;/&lt;tfm&gt;/ of Kv.Sqlite.ChildProcess.</summary>
    public static string Dll
    {
        get
        {
            string testsOutput = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
            string childOutput = testsOutput.Replace(
                Path.DirectorySeparatorChar + "Kv.Sqlite.Tests" + Path.DirectorySeparatorChar,
                Path.DirectorySeparatorChar + "Kv.Sqlite.ChildProcess" + Path.DirectorySeparatorChar,
                StringComparison.Ordinal);
            string dll = Path.Combine(childOutput, "Kv.Sqlite.ChildProcess.dll");
            Assert.True(File.Exists(dll), $"The child process is not built: {dll}");
            return dll;
        }
    }

    public static Process Start(params string[] args) => StartProgram("dotnet", [Dll, .. args]);

    public static Process StartProgram(string program, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("The child process did not start.");
    }

    /// <summary>Reads lines until one equals <paramref name="expected"/>; fails if the output ends first.</summary>
    public static async Task WaitForLineAsync(Process process, string expected)
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line == expected)
            {
                return;
            }
        }

        Assert.Fail($"The child process ended before printing '{expected}': {await process.StandardError.ReadToEndAsync()}");
    }

    /// <summary>
    /// Starts one child per argument list, waits until each printed "ready", then says "go" to all of them, so that
    /// they run at the same time; returns the children's outputs after "ready", line by line, once each exited with 0.
    /// </summary>
    public static async Task<string[][]> RunTogetherAsync(IEnumerable<string[]> argumentLists)
    {
        Process[] children = [.. argumentLists.Select(args => Start(args))];
        try
        {
            foreach (Process child in children)
            {
                await WaitForLineAsync(child, "ready");
            }

            foreach (Process child in children)
            {
                await child.StandardInput.WriteLineAsync("go");
                await child.StandardInput.FlushAsync();
            }

            var outputs = new string[children.Length][];
            for (int i = 0; i < children.Length; i++)
            {
                Task<string> error = children[i].StandardError.ReadToEndAsync();
                string output = await children[i].StandardOutput.ReadToEndAsync();
                await children[i].WaitForExitAsync();
                Assert.True(children[i].ExitCode == 0, $"Child {i} exited with {children[i].ExitCode}: {await error}");
                outputs[i] = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }

            return outputs;
        }
        finally
        {
            foreach (Process child in children)
            {
                if (!child.HasExited)
                {
                    child.Kill();
                }

                child.Dispose();
            }
        }
    }
}
