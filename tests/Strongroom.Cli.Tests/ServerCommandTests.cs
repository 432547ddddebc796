using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Strongroom.Cli.Tests;

/// <summary>The server command started in-process on a free port and stopped by cancellation, as Ctrl+C does.</summary>
public sealed partial class ServerCommandTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly TempDataDirectory data = new();

    public void Dispose() => data.Dispose();

    [Fact]
    public async Task Dev_mode_creates_the_well_known_account_prints_the_connection_string_and_stops_gracefully()
    {
        var run = await RunServerAsync("--dev", "--port", "0");
        var output = run.Output;

        Assert.Single(output.Split('\n'), line => line.Contains("root key", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("WARNING: development vault: it unsealed itself", output, StringComparison.Ordinal);
        Assert.Contains("not for production", output, StringComparison.Ordinal);
        Assert.Matches(@"Connection string: DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127\.0\.0\.1:\d+/devstoreaccount1;", output);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Stopped.", run.FinalOutput, StringComparison.Ordinal);

        var shown = await data.RunWithDataAsync("account", "show", "devstoreaccount1", "--show-keys");
        Assert.Contains("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", shown.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_generates_a_certificate_once_and_prints_its_fingerprint_at_every_start()
    {
        await InitAsync();
        var first = await RunServerAsync("--port", "0");
        var second = await RunServerAsync("--port", "0");

        var fingerprint = Fingerprint().Match(first.Output);
        Assert.True(fingerprint.Success, first.Output);
        Assert.Equal(fingerprint.Value, Fingerprint().Match(second.Output).Value);
        Assert.Contains("generated now", first.Output, StringComparison.Ordinal);
        Assert.Contains("generated on first start", second.Output, StringComparison.Ordinal);
        Assert.Matches(@"Blob endpoint: +https://127\.0\.0\.1:\d+/", first.Output);
        Assert.True(File.Exists(Path.Combine(data.Path, "tls", "server.crt")));
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(Path.Combine(data.Path, "tls", "server.key"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        }

        Assert.DoesNotContain("devstoreaccount1", first.Output, StringComparison.Ordinal);
        Assert.Contains("SEALED", first.Output, StringComparison.Ordinal);
        Assert.Contains("No accounts yet", first.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dangerous_allow_http_serves_plain_http_and_warns()
    {
        await InitAsync();
        var run = await RunServerAsync("--port", "0", "--dangerous-allow-http");

        Assert.Contains("WARNING", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"Blob endpoint: +http://127\.0\.0\.1:\d+/", run.Output);
        Assert.DoesNotContain("fingerprint", run.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Production_refuses_a_development_data_directory()
    {
        // A development directory keeps its only share beside the seal and holds the account with
        // the well-known key: production must not serve it.
        await RunServerAsync("--dev", "--port", "0");

        var result = await data.RunWithDataAsync("server", "--port", "0");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("development data directory", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_refuses_an_uninitialised_data_directory_and_says_to_run_init()
    {
        var result = await data.RunWithDataAsync("server", "--port", "0");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("strongroom init", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data.Path, "metadata.db")), "a refused start creates nothing");
    }

    [Fact]
    public async Task A_port_in_use_is_a_clear_failure()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;

        var result = await data.RunWithDataAsync("server", "--dev", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_without_cert_is_refused()
    {
        var result = await data.RunWithDataAsync("server", "--port", "0", "--key", "/nonexistent.key");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--cert", result.Error, StringComparison.Ordinal);
    }

    private async Task InitAsync()
    {
        var init = await data.RunWithDataAsync("init", "--shares", "1", "--threshold", "1");
        Assert.True(init.ExitCode == 0, init.ToString());
    }

    [GeneratedRegex("SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}")]
    private static partial Regex Fingerprint();

    /// <summary>Starts the server, waits until it is ready, then cancels it (Ctrl+C) and waits for the exit.</summary>
    private async Task<ServerRun> RunServerAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var synchronizedOutput = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => Cli.RunAsync(["server", .. args, "--data", data.Path], synchronizedOutput, TextWriter.Synchronized(error), stop.Token));

        var deadline = DateTimeOffset.UtcNow + StartTimeout;
        string started;
        while (true)
        {
            started = ReadAll(synchronizedOutput, output);
            if (started.Contains("Ready.", StringComparison.Ordinal))
            {
                break;
            }

            if (running.IsCompleted || DateTimeOffset.UtcNow > deadline)
            {
                stop.Cancel();
                var exit = await running;
                Assert.Fail($"The server did not start (exit {exit}).\n--- stdout\n{ReadAll(synchronizedOutput, output)}\n--- stderr\n{error}");
            }

            await Task.Delay(50);
        }

        stop.Cancel();
        var exitCode = await running.WaitAsync(TimeSpan.FromSeconds(30));
        return new ServerRun(exitCode, started, ReadAll(synchronizedOutput, output), error.ToString());
    }

    private static string ReadAll(TextWriter synchronizedWriter, StringWriter writer)
    {
        lock (synchronizedWriter)
        {
            return writer.ToString();
        }
    }

    private sealed record ServerRun(int ExitCode, string Output, string FinalOutput, string Error);
}
