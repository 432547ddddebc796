using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// A real <c>strongroom server --dev</c> process on loopback, started from the CLI assembly that the
/// project reference copies into the test output directory.
/// </summary>
/// <remarks>
/// Assumptions about the CLI (kept in one place so they are easy to adjust):
/// <c>strongroom server --dev --port 0 --data DIR</c> listens on an ephemeral port and prints a line
/// containing <c>http://127.0.0.1:PORT</c>; admin commands take <c>--data DIR</c>.
/// </remarks>
public sealed partial class StrongroomProcess : IAsyncDisposable
{
    public const string DevAccountName = "devstoreaccount1";
    public const string DevAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);
    static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    readonly object _outputLock = new();
    readonly StringBuilder _output = new();
    readonly bool _ownsDataDirectory;
    Process? _process;

    StrongroomProcess(string dataDirectory, bool ownsDataDirectory)
    {
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
    }

    public string DataDirectory { get; }

    public int Port { get; private set; }

    public Process Process => _process ?? throw new InvalidOperationException("The server is not running.");

    public Uri ServiceUri => AccountUri(DevAccountName);

    public string ConnectionString => ConnectionStringFor(DevAccountName, DevAccountKey);

    /// <summary>Everything the server printed on stdout and stderr so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_outputLock)
            {
                return _output.ToString();
            }
        }
    }

    public Uri AccountUri(string accountName) => new($"http://127.0.0.1:{Port}/{accountName}");

    public string ConnectionStringFor(string accountName, string accountKey) =>
        $"DefaultEndpointsProtocol=http;AccountName={accountName};AccountKey={accountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{Port}/{accountName};";

    static string CliAssemblyPath => Path.Combine(AppContext.BaseDirectory, "strongroom.dll");

    /// <summary>Creates a fresh data directory and starts a server on it.</summary>
    public static async Task<StrongroomProcess> StartNewAsync(string label)
    {
        var process = CreateStopped(label);
        try
        {
            await process.StartAsync();
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates a fresh data directory without starting the server (for CLI set-up first).</summary>
    public static StrongroomProcess CreateStopped(string label)
    {
        var directory = Path.Combine(Path.GetTempPath(), "strongroom-conformance", $"{label}-{Environment.ProcessId}-{NextInstance()}");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        return new StrongroomProcess(directory, ownsDataDirectory: true);
    }

    static int s_instances;

    static int NextInstance() => Interlocked.Increment(ref s_instances);

    public async Task StartAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("The server is already running.");
        }

        if (!File.Exists(CliAssemblyPath))
        {
            throw new InvalidOperationException($"CLI assembly not found at {CliAssemblyPath}: the project reference should copy it.");
        }

        AppendOutput($"---- starting server on {DataDirectory} ----");
        var startInfo = NewStartInfo("server", "--dev", "--port", "0", "--data", DataDirectory);
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var endpoint = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            AppendOutput(e.Data);
            var match = EndpointPattern().Match(e.Data);
            if (match.Success)
            {
                endpoint.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                AppendOutput("[stderr] " + e.Data);
            }
        };
        process.Exited += (_, _) =>
        {
            if (endpoint.Task.IsCompleted)
            {
                return;
            }

            // Drain the redirected streams so the message carries everything the server printed.
            process.WaitForExit();
            endpoint.TrySetException(new InvalidOperationException(
                $"The server exited with code {process.ExitCode} before printing its endpoint.\n{Output}"));
        };

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        try
        {
            Port = await endpoint.Task.WaitAsync(StartupTimeout);
        }
        catch (TimeoutException)
        {
            await KillAsync();
            throw new InvalidOperationException(
                $"The server did not print an http://127.0.0.1:PORT endpoint within {StartupTimeout.TotalSeconds} s.\n{Output}");
        }

        if (Port == 0)
        {
            throw new InvalidOperationException($"The server printed port 0 instead of the port it bound.\n{Output}");
        }
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; what is on disk is what a crash leaves.</summary>
    public async Task KillAsync()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }

        await process.WaitForExitAsync();
        AppendOutput($"---- server killed (exit code {process.ExitCode}) ----");
        process.Dispose();
        _process = null;
    }

    public async Task RestartAsync()
    {
        await KillAsync();
        await StartAsync();
    }

    /// <summary>Runs an admin command of the CLI on this server's data directory.</summary>
    public async Task<CliResult> RunCliAsync(params string[] args)
    {
        var arguments = new List<string>(args) { "--data", DataDirectory };
        var startInfo = NewStartInfo([.. arguments]);
        using var process = new Process { StartInfo = startInfo };
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(CliTimeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new InvalidOperationException(
                $"`strongroom {string.Join(' ', arguments)}` did not finish within {CliTimeout.TotalSeconds} s.\n" +
                $"stdout:\n{await stdout}\nstderr:\n{await stderr}");
        }

        var result = new CliResult(process.ExitCode, await stdout, await stderr, string.Join(' ', arguments));
        AppendOutput($"---- cli: {result} ----");
        return result;
    }

    public long ReadPeakResidentBytes()
    {
        var status = File.ReadAllLines($"/proc/{Process.Id}/status");
        foreach (var line in status)
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"No VmHWM line in /proc/{Process.Id}/status:\n{string.Join('\n', status)}");
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        if (_ownsDataDirectory && Directory.Exists(DataDirectory))
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Leave it for inspection rather than mask a test result.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    static ProcessStartInfo NewStartInfo(params string[] args)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        startInfo.ArgumentList.Add(CliAssemblyPath);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        // The server is not a test host: keep the test runner's environment out of it.
        startInfo.Environment.Remove("DOTNET_STARTUP_HOOKS");
        return startInfo;
    }

    void AppendOutput(string line)
    {
        lock (_outputLock)
        {
            _output.AppendLine(line);
        }
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:(\d+)")]
    private static partial Regex EndpointPattern();
}

public sealed record CliResult(int ExitCode, string StandardOutput, string StandardError, string CommandLine)
{
    public override string ToString() =>
        $"`strongroom {CommandLine}` exited {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
}
