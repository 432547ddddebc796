using System.Diagnostics;
using System.Text;

namespace Strongroom.Conformance.Tests.RealClients;

/// <summary>
/// The real clients the suite drives: Node.js with the JavaScript SDK, Debian's <c>az</c> and
/// <c>rclone</c>. test.sh installs them (apt for the two Debian packages, npm for the SDK into
/// <c>.build/tools/storage-blob</c>, exported as <see cref="JsSdkVariable"/>); this class installs
/// nothing, and a test whose client is missing fails saying to run ./test.sh.
/// </summary>
public static class ClientTools
{
    /// <summary>The directory whose <c>node_modules</c> holds <c>@azure/storage-blob</c> (test.sh sets it).</summary>
    public const string JsSdkVariable = "STRONGROOM_JS_SDK_DIR";

    static readonly Lazy<string> s_repositoryRoot = new(FindRepositoryRoot);

    /// <summary>The repository's root (the directory holding Strongroom.slnx), found above the test binaries.</summary>
    public static string RepositoryRoot => s_repositoryRoot.Value;

    /// <summary>The JavaScript scenario kept in the repository.</summary>
    public static string JsScenarioPath => Path.Combine(RepositoryRoot, "tests", "clients", "js", "scenario.mjs");

    /// <summary>Where the SDK is installed: the variable test.sh exports, else test.sh's install directory.</summary>
    public static string JsSdkDirectory()
    {
        var directory = Environment.GetEnvironmentVariable(JsSdkVariable);
        if (string.IsNullOrEmpty(directory))
        {
            directory = Path.Combine(RepositoryRoot, ".build", "tools", "storage-blob");
        }

        if (!File.Exists(Path.Combine(directory, "node_modules", "@azure", "storage-blob", "package.json")))
        {
            throw new InvalidOperationException(
                $"@azure/storage-blob is not installed under {directory}: run ./test.sh, which installs the version tests/clients/js/package.json pins.");
        }

        return directory;
    }

    /// <summary>The full path of <paramref name="name"/> on PATH; throws saying how to get it.</summary>
    public static string Require(string name, string package)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"`{name}` was not found on PATH: run ./test.sh, which installs {package} when it is missing.");
    }

    /// <summary>
    /// Runs a client to completion with a bound on its time (killed past it, and the failure says
    /// so), no standard input, and only the given variables added to the environment.
    /// </summary>
    public static async Task<ToolResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        TimeSpan? timeout = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        // The test host's hooks are not the client's business.
        start.Environment.Remove("DOTNET_STARTUP_HOOKS");
        var commandLine = $"{Path.GetFileName(fileName)} {string.Join(' ', start.ArgumentList)}";
        var limit = timeout ?? TimeSpan.FromMinutes(2);
        using var process = new Process { StartInfo = start };
        var watch = Stopwatch.StartNew();
        process.Start();
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new InvalidOperationException(
                $"`{commandLine}` did not finish within {limit.TotalSeconds} s.\nstdout:\n{await stdout}\nstderr:\n{await stderr}");
        }

        return new ToolResult(commandLine, process.ExitCode, await stdout, await stderr, watch.Elapsed);
    }

    static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Strongroom.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Strongroom.slnx above {AppContext.BaseDirectory}.");
    }
}

public sealed record ToolResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed)
{
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append('`').Append(CommandLine).Append("` exited ").Append(ExitCode)
            .Append(" after ").Append(Elapsed.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)).Append(" s\n");
        text.Append("stdout:\n").Append(Tail(StandardOutput)).Append("\nstderr:\n").Append(Tail(StandardError));
        return text.ToString();
    }

    static string Tail(string text) => text.Length <= 8000 ? text : "…" + text[^8000..];
}
