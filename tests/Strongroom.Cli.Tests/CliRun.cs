namespace Strongroom.Cli.Tests;

internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>A throwaway data directory and a way to run the CLI in-process against it.</summary>
internal sealed class TempDataDirectory : IDisposable
{
    public TempDataDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "strongroom-cli-tests", System.IO.Path.GetRandomFileName());
    }

    public string Path { get; }

    public static Task<CliResult> RunAsync(params string[] args) => RunWithInputAsync(string.Empty, args);

    /// <summary>Runs with <paramref name="input"/> as standard input (not a terminal).</summary>
    public static async Task<CliResult> RunWithInputAsync(string input, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var reader = new StringReader(input);
        var exitCode = await Cli.RunAsync(args, reader, interactive: false, output, error);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Runs with <c>--data</c> pointing here.</summary>
    public Task<CliResult> RunWithDataAsync(params string[] args) => RunAsync([.. args, "--data", Path]);

    /// <summary>Runs with <c>--data</c> pointing here and <paramref name="input"/> on standard input.</summary>
    public Task<CliResult> RunWithDataAndInputAsync(string input, params string[] args) => RunWithInputAsync(input, [.. args, "--data", Path]);

    /// <summary>Makes this a development data directory (a 1-of-1 vault whose share is stored in it), as `server --dev` does.</summary>
    public TempDataDirectory InitializeDevelopment()
    {
        Strongroom.Server.VaultSetup.InitializeDevelopment(new Strongroom.Server.DataDirectory(Path), Strongroom.Core.SystemRandomSource.Instance);
        return this;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
