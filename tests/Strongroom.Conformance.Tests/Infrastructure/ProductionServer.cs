using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Xunit;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// A real <c>strongroom server</c> in production mode: HTTPS with the self-signed certificate it
/// generates under <c>DATA/tls/</c>, trusted by pinning exactly that certificate. Accounts and
/// scopes are created with the CLI on the data directory before the server starts.
/// </summary>
/// <remarks>
/// The one place that starts a production server for the tests. When production start needs
/// more (init and unseal of the sealed vault), adapt <see cref="StartAsync"/> only.
/// </remarks>
public sealed partial class ProductionServer : IAsyncDisposable
{
    static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);
    static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);
    static int s_instances;

    readonly StringBuilder _output = new();
    readonly object _outputLock = new();
    Process? _process;
    X509Certificate2? _certificate;

    ProductionServer(string dataDirectory)
    {
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public int Port { get; private set; }

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

    static string CliAssemblyPath => Path.Combine(AppContext.BaseDirectory, "strongroom.dll");

    /// <summary>A fresh data directory; nothing runs yet.</summary>
    public static ProductionServer Create(string label)
    {
        var directory = Path.Combine(Path.GetTempPath(), "strongroom-conformance", $"{label}-prod-{Environment.ProcessId}-{Interlocked.Increment(ref s_instances)}");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        return new ProductionServer(directory);
    }

    /// <summary>Creates an account with the CLI and returns its key1.</summary>
    public async Task<string> CreateAccountAsync(string name)
    {
        var result = await RunCliAsync("account", "create", name, "--json");
        using var document = JsonDocument.Parse(result.StandardOutput);
        return document.RootElement.GetProperty("key1").GetString()!;
    }

    public async Task StartAsync()
    {
        var startInfo = NewStartInfo("server", "--data", DataDirectory, "--port", "0");
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var endpoint = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            Append(e.Data);
            var match = HttpsEndpoint().Match(e.Data);
            if (match.Success)
            {
                endpoint.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Append("[stderr] " + e.Data);
            }
        };
        process.Exited += (_, _) =>
        {
            if (!endpoint.Task.IsCompleted)
            {
                process.WaitForExit();
                endpoint.TrySetException(new InvalidOperationException($"The production server exited with code {process.ExitCode} before printing its endpoint.\n{Output}"));
            }
        };

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Port = await endpoint.Task.WaitAsync(StartupTimeout);

        // The certificate the server generated on its first start: the only one the clients trust.
        _certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(DataDirectory, "tls", "server.crt")));
    }

    /// <summary>An SDK client for <paramref name="account"/> over HTTPS, trusting exactly the server's certificate.</summary>
    public BlobServiceClient Client(string account, string key, Action<BlobClientOptions>? configure = null)
    {
        var options = Clients.Options();
        options.Transport = new HttpClientTransport(new HttpClient(TrustingHandler()));
        configure?.Invoke(options);
        var connectionString =
            $"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={key};BlobEndpoint=https://127.0.0.1:{Port}/{account};";
        return new BlobServiceClient(connectionString, options);
    }

    public HttpMessageHandler TrustingHandler()
    {
        var pinned = _certificate ?? throw new InvalidOperationException("The server is not started.");
        return new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.RawData.AsSpan().SequenceEqual(pinned.RawData),
        };
    }

    public async Task<CliResult> RunCliAsync(params string[] args)
    {
        var arguments = new List<string>(args) { "--data", DataDirectory };
        using var process = new Process { StartInfo = NewStartInfo([.. arguments]) };
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(CliTimeout);
        var result = new CliResult(process.ExitCode, await stdout, await stderr, string.Join(' ', arguments));
        Append($"---- cli: {result} ----");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }

            await process.WaitForExitAsync();
            process.Dispose();
            _process = null;
        }

        _certificate?.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    static ProcessStartInfo NewStartInfo(params string[] args)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        startInfo.ArgumentList.Add(CliAssemblyPath);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment.Remove("DOTNET_STARTUP_HOOKS");
        return startInfo;
    }

    void Append(string line)
    {
        lock (_outputLock)
        {
            _output.AppendLine(line);
        }
    }

    [GeneratedRegex(@"https://127\.0\.0\.1:(\d+)")]
    private static partial Regex HttpsEndpoint();
}
