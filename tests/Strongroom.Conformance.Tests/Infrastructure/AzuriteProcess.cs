using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// A real Azurite blob service (<c>azurite-blob</c> from npm) on a free loopback port, standing in
/// for a remote datacenter's Azure Blob endpoint. test.sh installs the pinned version (bench/lib.sh's
/// <c>AZURITE_VERSION</c>) and exports <see cref="ExecutableVariable"/>; this class installs nothing,
/// and a test that needs Azurite without it fails saying to run ./test.sh.
///
/// Data lives in a temporary <c>--location</c> that survives <see cref="Kill"/> and
/// <see cref="RestartAsync"/> (same port, same data); <see cref="DisposeAsync"/> removes it.
/// With <c>https: true</c> a private CA and a server certificate for 127.0.0.1 are generated; the
/// CA's PEM (<see cref="CaCertificatePath"/>) is what a site pins.
/// </summary>
/// <remarks>
/// Azurite is not a durable store: it saves its metadata (LokiJS) every 5 seconds and does not
/// fsync, so a SIGKILL can lose what it acknowledged in the last seconds. A test that kills it and
/// expects a committed object back waits for <see cref="WaitUntilPersistedAsync"/> first.
/// </remarks>
public sealed class AzuriteProcess : IAsyncDisposable
{
    /// <summary>The path of the <c>azurite-blob</c> executable (test.sh sets it).</summary>
    public const string ExecutableVariable = "STRONGROOM_AZURITE_BLOB";

    /// <summary>Azurite's well-known development account (public: Azurite's documentation prints it).</summary>
    public const string DevAccountName = "devstoreaccount1";

    public const string DevAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>Where Azurite keeps blob metadata under <c>--location</c> (LokiJS, saved every 5 s).</summary>
    const string MetadataFileName = "__azurite_db_blob__.json";

    /// <summary>Where Azurite keeps the index of its extent files (which file holds an extent), saved on the same kind of timer.</summary>
    const string ExtentIndexFileName = "__azurite_db_blob_extent__.json";

    static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);
    static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    readonly string _executable;
    readonly object _outputLock = new();
    readonly StringBuilder _output = new();
    Process? _process;

    AzuriteProcess(string executable, int port, string location, bool https, string accountName, string accountKey)
    {
        _executable = executable;
        Port = port;
        Location = location;
        Https = https;
        AccountName = accountName;
        AccountKey = accountKey;
    }

    public int Port { get; }

    /// <summary>Azurite's <c>--location</c>: its data, kept across kill and restart.</summary>
    public string Location { get; }

    public bool Https { get; }

    public string AccountName { get; }

    public string AccountKey { get; }

    /// <summary>The private CA that signed the server certificate (PEM), when <see cref="Https"/>.</summary>
    public string CaCertificatePath => Path.Combine(FilesDirectory, "ca.pem");

    /// <summary>The account key in a file (owner-only), as a site's topology entry names it.</summary>
    public string AccountKeyPath => Path.Combine(FilesDirectory, "account.key");

    /// <summary>Beside <see cref="Location"/>, not in it (Azurite owns its workspace): certificates and the key file.</summary>
    string FilesDirectory => Location + "-files";

    string ServerCertificatePath => Path.Combine(FilesDirectory, "server.pem");

    string ServerKeyPath => Path.Combine(FilesDirectory, "server.key");

    /// <summary>The account's blob endpoint, path-style: <c>http(s)://127.0.0.1:PORT/ACCOUNT</c>.</summary>
    public Uri BlobEndpoint => new($"{(Https ? "https" : "http")}://127.0.0.1:{Port}/{AccountName}");

    public string ConnectionString =>
        $"DefaultEndpointsProtocol={(Https ? "https" : "http")};AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobEndpoint};";

    /// <summary>
    /// Options for a site in <paramref name="container"/> of this Azurite: its key file, its CA
    /// pinned when HTTPS, plain HTTP allowed otherwise.
    /// </summary>
    public Strongroom.Storage.AzureBlobSiteOptions SiteOptions(string container) =>
        new(BlobEndpoint, container, AccountName, AccountKeyPath, Https ? CaCertificatePath : null, DangerousAllowHttp: !Https);

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What Azurite printed (it runs with <c>--silent</c>: start-up lines and errors).</summary>
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

    /// <summary>
    /// The executable test.sh installed. Throws (the test fails, it does not skip) when the variable
    /// is unset or points nowhere.
    /// </summary>
    public static string Executable()
    {
        var path = Environment.GetEnvironmentVariable(ExecutableVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidOperationException(
                $"{ExecutableVariable} is not set, so this test cannot start Azurite. Run ./test.sh (it installs the pinned " +
                $"Azurite into .build/tools/azurite and exports {ExecutableVariable}), or export {ExecutableVariable}=<path to azurite-blob>.");
        }

        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{ExecutableVariable}={path} does not exist. Run ./test.sh to install Azurite.");
        }

        return path;
    }

    /// <summary>
    /// Starts Azurite and waits until it accepts connections. <paramref name="accountKey"/> (with
    /// <paramref name="accountName"/>) replaces the development account through
    /// <c>AZURITE_ACCOUNTS</c>; it is recorded as a secret for the log scan.
    /// </summary>
    public static async Task<AzuriteProcess> StartAsync(bool https = false, string? accountName = null, string? accountKey = null)
    {
        if ((accountName is null) != (accountKey is null))
        {
            throw new ArgumentException("A custom account needs both a name and a key.");
        }

        var executable = Executable();
        var location = Path.Combine(Path.GetTempPath(), "strongroom-azurite-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        Directory.CreateDirectory(location);
        var azurite = new AzuriteProcess(executable, FreePort(), location, https, accountName ?? DevAccountName, accountKey ?? DevAccountKey);
        if (accountKey is not null)
        {
            TestLogs.RecordSecret("remote site account key", accountKey);
        }

        try
        {
            Directory.CreateDirectory(azurite.FilesDirectory);
            File.WriteAllText(azurite.AccountKeyPath, azurite.AccountKey + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(azurite.AccountKeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            if (https)
            {
                azurite.WriteCertificates();
            }

            await azurite.StartProcessAsync();
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fresh random account key (64 bytes, base64, like Azure's).</summary>
    public static string NewAccountKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));

    /// <summary>SIGKILL, as a datacenter that disappears: no request finishes, nothing is saved.</summary>
    public void Kill()
    {
        var process = _process ?? throw new InvalidOperationException("Azurite is not running.");
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        AppendOutput($"---- killed (pid {process.Id}) ----");
        process.Dispose();
        _process = null;
    }

    /// <summary>SIGTERM: Azurite closes its server and saves its metadata before it exits (a planned outage).</summary>
    public async Task StopAsync()
    {
        var process = _process ?? throw new InvalidOperationException("Azurite is not running.");
        if (!process.HasExited && SendSignal(process.Id, SignalTerminate) != 0)
        {
            throw new InvalidOperationException($"kill(SIGTERM) failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}.");
        }

        await process.WaitForExitAsync().WaitAsync(StartupTimeout);
        AppendOutput($"---- stopped (pid {process.Id}, exit code {process.ExitCode}) ----");
        process.Dispose();
        _process = null;
    }

    const int SignalTerminate = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int SendSignal(int pid, int signal);

    /// <summary>Starts again on the same port with the same data (after <see cref="Kill"/> or <see cref="StopAsync"/>).</summary>
    public Task RestartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("Azurite is still running; kill it first.");
        }

        return StartProcessAsync();
    }

    /// <summary>
    /// Waits until Azurite has saved <paramref name="blobName"/> (in any container) to disk: its
    /// blob record, and the index entry of every extent file holding its data (a read finds an
    /// extent's file through that index). Both are saved on 5-second timers; after this a kill cannot
    /// lose the blob. Polls the files; never sleeps a guessed time.
    /// </summary>
    public async Task WaitUntilPersistedAsync(string blobName, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var waited = Stopwatch.StartNew();
        while (!IsPersisted(blobName))
        {
            if (waited.Elapsed > limit)
            {
                throw new TimeoutException($"Azurite did not save {blobName} within {limit}.\n{Output}");
            }

            await Task.Delay(PollInterval);
        }
    }

    bool IsPersisted(string blobName)
    {
        using var blobs = ReadSaved(MetadataFileName);
        using var extents = ReadSaved(ExtentIndexFileName);
        if (blobs is null || extents is null)
        {
            return false;
        }

        var records = new List<JsonElement>();
        Walk(blobs.RootElement, element =>
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("name", out var name)
                && name.ValueKind == JsonValueKind.String && name.GetString() == blobName && element.TryGetProperty("properties", out _))
            {
                records.Add(element);
            }
        });
        var record = records.FirstOrDefault(element => !element.TryGetProperty("isCommitted", out var committed) || committed.ValueKind == JsonValueKind.True);
        if (record.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var needed = new HashSet<string>(StringComparer.Ordinal);
        Walk(record, element =>
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("persistency", out var chunk)
                && chunk.ValueKind == JsonValueKind.Object && chunk.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                needed.Add(id.GetString()!);
            }
        });
        var saved = new HashSet<string>(StringComparer.Ordinal);
        Walk(extents.RootElement, element =>
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                && element.TryGetProperty("locationId", out _))
            {
                saved.Add(id.GetString()!);
            }
        });
        return needed.IsSubsetOf(saved);
    }

    JsonDocument? ReadSaved(string fileName)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Location, fileName)));
        }
        catch (Exception exception) when (exception is IOException or JsonException)
        {
            return null; // not written yet, or being replaced: read it again
        }
    }

    static void Walk(JsonElement element, Action<JsonElement> visit)
    {
        visit(element);
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                Walk(property.Value, visit);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Walk(item, visit);
            }
        }
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
                    await process.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
            _process = null;
        }

        foreach (var directory in new[] { Location, FilesDirectory })
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--location", Location, "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
        })
        {
            start.ArgumentList.Add(argument);
        }

        if (Https)
        {
            start.ArgumentList.Add("--cert");
            start.ArgumentList.Add(ServerCertificatePath);
            start.ArgumentList.Add("--key");
            start.ArgumentList.Add(ServerKeyPath);
        }

        if (!string.Equals(AccountName, DevAccountName, StringComparison.Ordinal) || !string.Equals(AccountKey, DevAccountKey, StringComparison.Ordinal))
        {
            start.Environment["AZURITE_ACCOUNTS"] = $"{AccountName}:{AccountKey}";
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, line) => AppendOutput(line.Data);
        process.ErrorDataReceived += (_, line) => AppendOutput(line.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{_executable} did not start.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var waited = Stopwatch.StartNew();
        while (!await AcceptsConnectionsAsync(Port))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {process.ExitCode} before listening on 127.0.0.1:{Port}.\n{Output}");
            }

            if (waited.Elapsed > StartupTimeout)
            {
                throw new TimeoutException($"Azurite did not listen on 127.0.0.1:{Port} within {StartupTimeout}.\n{Output}");
            }

            await Task.Delay(PollInterval);
        }
    }

    static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A private CA (P-256) and a server certificate it signs for 127.0.0.1 and localhost.</summary>
    void WriteCertificates()
    {
        var (ca, server, serverKey) = GenerateCertificates($"Strongroom test CA {Path.GetFileName(Location)}");
        using (ca)
        using (server)
        using (serverKey)
        {
            File.WriteAllText(CaCertificatePath, ca.ExportCertificatePem());
            File.WriteAllText(ServerCertificatePath, server.ExportCertificatePem());
            File.WriteAllText(ServerKeyPath, serverKey.ExportPkcs8PrivateKeyPem());
        }
    }

    /// <summary>A CA and a server certificate for 127.0.0.1 signed by it (tests also use it to make a second, unrelated CA).</summary>
    public static (X509Certificate2 Ca, X509Certificate2 Server, ECDsa ServerKey) GenerateCertificates(string caName)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={caName}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var server = request.Create(ca, now.AddDays(-1), now.AddDays(29), RandomNumberGenerator.GetBytes(16));
        return (ca, server, serverKey);
    }

    void AppendOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            _output.AppendLine(line);
        }
    }
}
