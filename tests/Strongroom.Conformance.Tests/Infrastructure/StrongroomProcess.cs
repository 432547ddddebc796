using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using System.Text;
using System.Text.RegularExpressions;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// A real <c>strongroom server</c> process on loopback, started from the CLI assembly that the
/// project reference copies into the test output directory: <c>--dev</c> (plain HTTP, self-unsealing)
/// by default, or production (HTTPS with the generated certificate, a sealed vault initialised with
/// <c>init --shares N --threshold K --share-dir</c>) with <see cref="StartProductionAsync"/>.
/// </summary>
/// <remarks>
/// Assumptions about the CLI (kept in one place so they are easy to adjust):
/// <c>strongroom server [--dev] --port 0 --data DIR</c> listens on an ephemeral port and prints a line
/// containing <c>http(s)://127.0.0.1:PORT</c>; admin commands take <c>--data DIR</c> and run inside
/// the running server (control socket) when there is one.
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
    StreamWriter? _log;

    // The postgres and nginx modes (TestModes): this server's fresh database (the peer uses its
    // primary's), the second server and the balancer in front of both.
    PostgresDatabase? _database;
    StrongroomProcess? _primary;
    StrongroomProcess? _peer;
    NginxFront? _front;

    StrongroomProcess(string dataDirectory, bool ownsDataDirectory)
    {
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
    }

    public string DataDirectory { get; }

    /// <summary>Production mode (HTTPS, sealed vault) rather than <c>--dev</c>.</summary>
    public bool Production { get; private set; }

    /// <summary>The unseal shares issued by <see cref="InitAsync"/> (read back from the share files), in index order.</summary>
    public IReadOnlyList<string> Shares { get; private set; } = [];

    /// <summary>Where <see cref="InitAsync"/> asked the CLI to write one share file per custodian.</summary>
    public string ShareDirectory => DataDirectory + "-shares";

    /// <summary>The certificate a production server generated on first start (PEM).</summary>
    public string CertificatePath => Path.Combine(DataDirectory, "tls", "server.crt");

    // A production server started with --dangerous-allow-http (the compliance report's weak deployment) serves plain HTTP.
    string Scheme => Production && !ExtraServerArguments.Contains("--dangerous-allow-http") ? "https" : "http";

    /// <summary>
    /// The metadata database: one a multi-server test set (MultiServerDeployment), else the postgres
    /// and nginx modes' own (null: the data directory's SQLite file; null before the first start or
    /// CLI command). The server and every CLI command get it through STRONGROOM_METADATA.
    /// </summary>
    public string? MetadataConnectionString
    {
        get => _sharedMetadata ?? (_primary ?? this)._database?.ConnectionString;
        set => _sharedMetadata = value;
    }

    /// <summary>More <c>strongroom server</c> options, appended to every start (e.g. <c>--trusted-proxy</c>).</summary>
    public IReadOnlyList<string> ExtraServerArguments { get; set; } = [];

    /// <summary>The second server of the nginx mode (null in the other modes, and before the first start).</summary>
    public StrongroomProcess? Peer => _peer;

    /// <summary>The balancer of the nginx mode (null in the other modes, and before the first start).</summary>
    public NginxFront? Front => _front;


    /// <summary>The management plane's port (its own listener), from the start banner.</summary>
    public int ManagementPort { get; private set; }

    /// <summary>The management plane's root, e.g. <c>https://127.0.0.1:PORT/</c> (the API is under <c>v1/</c>).</summary>
    public Uri ManagementEndpoint => new($"{Scheme}://127.0.0.1:{ManagementPort}/");

    /// <summary>The service root, e.g. <c>https://127.0.0.1:PORT/</c>.</summary>
    public Uri Endpoint => new($"{Scheme}://127.0.0.1:{Port}/");

    /// <summary>The blob endpoint's port: nginx's in the nginx mode, else this server's own (<see cref="DirectPort"/>).</summary>
    public int Port => _front?.Port ?? DirectPort;

    /// <summary>The port this server process listens on for the data plane, whatever is in front of it.</summary>
    public int DirectPort { get; private set; }

    public Process Process => _process ?? throw new InvalidOperationException("The server is not running.");

    public Uri ServiceUri => AccountUri(DevAccountName);

    public string ConnectionString => ConnectionStringFor(DevAccountName, DevAccountKey);

    /// <summary>
    /// Everything the server printed on stdout and stderr so far, with a line per CLI command run
    /// (its command line and exit code only: the CLI prints keys and shares to the operator on
    /// purpose, and this is the server's output). The same server lines go to its log under
    /// <see cref="TestLogs.Directory"/>, which the log scan reads.
    /// </summary>
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

    public Uri AccountUri(string accountName) => new($"{Scheme}://127.0.0.1:{Port}/{accountName}");

    public string ConnectionStringFor(string accountName, string accountKey) =>
        $"DefaultEndpointsProtocol={Scheme};AccountName={accountName};AccountKey={accountKey};" +
        $"BlobEndpoint={Scheme}://127.0.0.1:{Port}/{accountName};";

    /// <summary>
    /// A production server: a fresh data directory initialised with <paramref name="shares"/>
    /// shares of threshold <paramref name="threshold"/> (share files in <see cref="ShareDirectory"/>),
    /// started over HTTPS, and, unless <paramref name="unseal"/> is false, unsealed with the first
    /// <paramref name="threshold"/> shares through <c>strongroom unseal</c>. <paramref name="topology"/>,
    /// when given, is written to the data directory's <c>topology.toml</c> before <c>init</c> (site
    /// paths relative to the data directory); otherwise the server writes its single-site default.
    /// </summary>
    public static async Task<StrongroomProcess> StartProductionAsync(string label, int shares = 3, int threshold = 2, bool unseal = true, string? topology = null)
    {
        var process = CreateStopped(label, production: true);
        try
        {
            if (topology is not null)
            {
                await File.WriteAllTextAsync(Path.Combine(process.DataDirectory, "topology.toml"), topology);
            }

            await process.InitAsync(shares, threshold);
            await process.StartAsync();
            if (unseal)
            {
                await process.UnsealWithAsync(process.Shares.Take(threshold));
            }

            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <c>strongroom init --shares N --threshold K --share-dir</c> and reads the shares back.</summary>
    public async Task InitAsync(int shares, int threshold)
    {
        var result = await RunCliAsync("init", "--shares", shares.ToString(System.Globalization.CultureInfo.InvariantCulture), "--threshold", threshold.ToString(System.Globalization.CultureInfo.InvariantCulture), "--share-dir", ShareDirectory);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"init failed.\n{result}");
        }

        Shares = ReadShareFiles(1);
    }

    /// <summary>The shares of generation <paramref name="generation"/> in <see cref="ShareDirectory"/>, in index order.</summary>
    public IReadOnlyList<string> ReadShareFiles(int generation)
    {
        IReadOnlyList<string> shares =
            [.. Directory.GetFiles(ShareDirectory, $"share-*-gen{generation}.txt")
                .OrderBy(file => int.Parse(Path.GetFileName(file).Split('-')[1], System.Globalization.CultureInfo.InvariantCulture))
                .Select(file => File.ReadAllText(file).Trim())];
        foreach (var share in shares)
        {
            TestLogs.RecordSecret("unseal share", share);
        }

        return shares;
    }

    /// <summary><c>strongroom unseal</c> with the share on standard input.</summary>
    public Task<CliResult> UnsealAsync(string share) => RunCliWithInputAsync(share + "\n", "unseal");

    /// <summary>Submits each share; throws unless each is accepted and the last one unseals.</summary>
    public async Task UnsealWithAsync(IEnumerable<string> shares)
    {
        CliResult? last = null;
        foreach (var share in shares)
        {
            last = await UnsealAsync(share);
            if (last.ExitCode != 0)
            {
                throw new InvalidOperationException($"unseal failed.\n{last}");
            }
        }

        if (last is null || !last.StandardOutput.Contains("Unsealed", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The server did not unseal.\n{last}");
        }

        // Each server of a deployment is unsealed on its own (nginx mode: the second one too).
        if (_peer is { _process: not null } peer)
        {
            await peer.UnsealWithAsync(shares);
        }
    }

    /// <summary>Loads the server's generated certificate (call after the first start).</summary>
    public X509Certificate2 LoadCertificate() => X509CertificateLoader.LoadCertificateFromFile(CertificatePath);

    /// <summary>A handler that trusts exactly this server's generated certificate (and nothing else self-signed).</summary>
    public SocketsHttpHandler TrustingHandler()
    {
        var handler = new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None };
        if (Production)
        {
            var expected = LoadCertificate().RawData;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == System.Net.Security.SslPolicyErrors.None
                || (certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected));
        }

        return handler;
    }

    /// <summary>An HttpClient for raw requests (e.g. the platform endpoints) that trusts this server.</summary>
    public HttpClient CreateHttpClient() => new(TrustingHandler()) { BaseAddress = Endpoint, Timeout = TimeSpan.FromMinutes(5) };

    /// <summary>SDK client options (no retries) whose transport trusts this server's certificate.</summary>
    public BlobClientOptions ClientOptions(int maxRetries = 0)
    {
        var options = Clients.Options(maxRetries);
        options.Transport = new HttpClientTransport(TrustingHandler());
        return options;
    }

    /// <summary>A BlobServiceClient for an account, over HTTPS in production, trusting the generated certificate.</summary>
    public BlobServiceClient ServiceClient(string accountName, string accountKey) =>
        new(ConnectionStringFor(accountName, accountKey), ClientOptions());

    /// <summary>Creates an account with the CLI (inside the running, unsealed server) and returns its keys.</summary>
    public async Task<(string Key1, string Key2)> CreateAccountAsync(string accountName) =>
        AccountKeys.Parse(await RunCliAsync("account", "create", accountName));

    /// <summary><c>strongroom account token NAME --json</c>: a bearer token for the account's Key Vault API.</summary>
    public async Task<string> IssueTokenAsync(string accountName, params string[] options)
    {
        var result = await RunCliAsync(["account", "token", accountName, "--json", .. options]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"account token failed.\n{result}");
        }

        using var json = System.Text.Json.JsonDocument.Parse(result.StandardOutput);
        var token = json.RootElement.GetProperty("access_token").GetString()
            ?? throw new InvalidOperationException($"account token printed no access_token.\n{result}");
        TestLogs.RecordSecret("bearer token", token);
        return token;
    }

    /// <summary>
    /// The files of the data directory that hold data at rest: everything but <c>run/</c>, where the
    /// running server keeps its control socket (runtime state, and not readable as a file).
    /// </summary>
    public IReadOnlyList<string> FilesAtRest()
    {
        var runDirectory = Path.Combine(DataDirectory, "run") + Path.DirectorySeparatorChar;
        return [.. Directory.GetFiles(DataDirectory, "*", SearchOption.AllDirectories)
            .Where(file => !file.StartsWith(runDirectory, StringComparison.Ordinal))];
    }

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
    public static StrongroomProcess CreateStopped(string label) => CreateStopped(label, production: false);

    /// <summary>Creates a fresh data directory without starting the server; <paramref name="production"/> chooses the mode <see cref="StartAsync"/> starts.</summary>
    public static StrongroomProcess CreateStopped(string label, bool production)
    {
        var directory = Path.Combine(Path.GetTempPath(), "strongroom-conformance", $"{label}-{Environment.ProcessId}-{NextInstance()}");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        return new StrongroomProcess(directory, ownsDataDirectory: true) { Production = production };
    }

    static int s_instances;

    static int NextInstance() => Interlocked.Increment(ref s_instances);

    /// <summary>
    /// Starts the server; in the nginx mode also the second server (its own data directory, the
    /// first one's topology file and certificate) and nginx in front of both, or points the
    /// running nginx at the servers' new ports after a restart.
    /// </summary>
    public async Task StartAsync()
    {
        await EnsureDatabaseAsync();
        await StartProcessAsync();
        if (!TestModes.Nginx || _primary is not null)
        {
            return;
        }

        if (_peer is null)
        {
            var peerDirectory = DataDirectory + "-peer";
            if (Directory.Exists(peerDirectory))
            {
                Directory.Delete(peerDirectory, recursive: true);
            }

            Directory.CreateDirectory(peerDirectory);
            _peer = new StrongroomProcess(peerDirectory, ownsDataDirectory: true) { Production = Production, _primary = this };
        }

        if (Production)
        {
            // One certificate for the deployment: nginx terminates TLS with it, the tests pin it.
            var tls = Path.Combine(_peer.DataDirectory, "tls");
            Directory.CreateDirectory(tls);
            foreach (var file in new[] { "server.crt", "server.key" })
            {
                File.Copy(Path.Combine(DataDirectory, "tls", file), Path.Combine(tls, file), overwrite: true);
            }
        }

        await _peer.StartProcessAsync();
        if (_front is null)
        {
            _front = await NginxFront.StartAsync(
                Path.GetFileName(DataDirectory),
                [DirectPort, _peer.DirectPort],
                Production ? (CertificatePath, Path.Combine(DataDirectory, "tls", "server.key")) : null);
        }
        else
        {
            await _front.ReloadAsync([DirectPort, _peer.DirectPort]);
        }
    }

    async Task EnsureDatabaseAsync()
    {
        if (TestModes.Postgres && _primary is null && _database is null)
        {
            _database = await PostgresDatabase.CreateAsync();
        }
    }

    async Task StartProcessAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("The server is already running.");
        }

        if (!File.Exists(CliAssemblyPath))
        {
            throw new InvalidOperationException($"CLI assembly not found at {CliAssemblyPath}: the project reference should copy it.");
        }

        _log ??= TestLogs.OpenServerLog(Path.GetFileName(DataDirectory));
        AppendOutput($"---- starting server on {DataDirectory} ----");
        AppendLog($"---- starting server on {DataDirectory} ----");
        string[] arguments = Production
            ? ["server", "--port", "0", "--data", DataDirectory]
            : ["server", "--dev", "--port", "0", "--data", DataDirectory];
        if (_primary is not null)
        {
            // The peer places copies on the same sites: the first server's topology, whose relative
            // site paths resolve against its directory.
            arguments = [.. arguments, "--topology", Path.Combine(_primary.DataDirectory, "topology.toml")];
        }

        if (TestModes.Nginx)
        {
            // nginx connects from loopback: the data plane believes its X-Forwarded-* headers.
            arguments = [.. arguments, "--trusted-proxy", "127.0.0.1"];
        }

        var startInfo = NewStartInfo([.. arguments, .. ServerArguments(), .. (_primary ?? this).ExtraServerArguments]);
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var endpoint = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var blobPort = 0;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            AppendOutput(e.Data);
            AppendLog(e.Data);
            // The blob endpoint is the first URL printed; the management plane's line follows it,
            // and start-up completes when both are known.
            var management = ManagementEndpointPattern().Match(e.Data);
            if (management.Success)
            {
                ManagementPort = int.Parse(management.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
                if (blobPort != 0)
                {
                    endpoint.TrySetResult(blobPort);
                }

                return;
            }

            var match = EndpointPattern().Match(e.Data);
            if (match.Success && match.Groups[1].Value == Scheme && blobPort == 0)
            {
                blobPort = int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                AppendOutput("[stderr] " + e.Data);
                AppendLog("[stderr] " + e.Data);
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
            DirectPort = await endpoint.Task.WaitAsync(StartupTimeout);
        }
        catch (TimeoutException)
        {
            await KillAsync();
            throw new InvalidOperationException(
                $"The server did not print an {Scheme}://127.0.0.1:PORT endpoint within {StartupTimeout.TotalSeconds} s.\n{Output}");
        }

        if (DirectPort == 0)
        {
            throw new InvalidOperationException($"The server printed port 0 instead of the port it bound.\n{Output}");
        }

        // The development vault's single share is key material too: the log scan looks for it.
        if (!Production && DevelopmentShare() is { } share)
        {
            TestLogs.RecordSecret("development unseal share", share);
        }
    }

    /// <summary>
    /// The development vault's share: a file in the data directory, or (shared metadata) a row of
    /// the database's <c>vault_files</c>. Null when there is none.
    /// </summary>
    public string? DevelopmentShare()
    {
        var file = Path.Combine(DataDirectory, "vault", "dev-unseal.share");
        if (File.Exists(file))
        {
            return File.ReadAllText(file).Trim();
        }

        if (MetadataConnectionString is not { } shared)
        {
            return null;
        }

        using var connection = new Npgsql.NpgsqlConnection(shared);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT content FROM vault_files WHERE name = 'dev-unseal.share'";
        return command.ExecuteScalar() is byte[] content ? System.Text.Encoding.UTF8.GetString(content).Trim() : null;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; what is on disk is what a crash leaves. In the nginx mode both servers (nginx stays).</summary>
    public async Task KillAsync()
    {
        await KillProcessAsync();
        if (_peer is not null)
        {
            await _peer.KillProcessAsync();
        }
    }

    async Task KillProcessAsync()
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
        AppendLog($"---- server killed (exit code {process.ExitCode}) ----");
        process.Dispose();
        _process = null;
    }

    public async Task RestartAsync()
    {
        await KillAsync();
        await StartAsync();
    }

    /// <summary>Runs an admin command of the CLI on this server's data directory.</summary>
    public Task<CliResult> RunCliAsync(params string[] args) => RunCliWithInputAsync(null, args);

    /// <summary>Runs an admin command of the CLI on this server's data directory with <paramref name="input"/> on its standard input (null: none).</summary>
    public Task<CliResult> RunCliWithInputAsync(string? input, params string[] args) => RunCommandAsync(input, [.. args, "--data", DataDirectory]);

    /// <summary>Runs the CLI with exactly <paramref name="args"/> (no <c>--data</c> added), e.g. <c>unseal --server URL</c>.</summary>
    public Task<CliResult> RunCommandAsync(string? input, params string[] args) => RunCommandAsync(input, environment: null, args);

    /// <summary>Runs the CLI with exactly <paramref name="args"/> and these extra environment variables (e.g. a secret kept off the command line).</summary>
    public async Task<CliResult> RunCommandAsync(string? input, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        await EnsureDatabaseAsync();
        var arguments = new List<string>(args);
        var startInfo = NewStartInfo([.. arguments]);
        startInfo.RedirectStandardInput = true;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        using var process = new Process { StartInfo = startInfo };
        process.Start();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
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
                $"`strongroom {Redact(string.Join(' ', arguments))}` did not finish within {CliTimeout.TotalSeconds} s.\n" +
                $"stdout:\n{Redact(await stdout)}\nstderr:\n{Redact(await stderr)}");
        }

        var result = new CliResult(process.ExitCode, Redact(await stdout), Redact(await stderr), Redact(string.Join(' ', arguments)));
        AppendOutput($"---- cli: `strongroom {result.CommandLine}` exited {result.ExitCode} ----");
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
        if (_front is not null)
        {
            await _front.DisposeAsync();
            _front = null;
        }

        if (_peer is not null)
        {
            await _peer.DisposeAsync();
            _peer = null;
        }

        await KillAsync();
        lock (_outputLock)
        {
            _log?.Dispose();
            _log = null;
        }

        if (_ownsDataDirectory && Directory.Exists(ShareDirectory))
        {
            Directory.Delete(ShareDirectory, recursive: true);
        }

        // Session files tests wrote for the CLI (Principals.WriteSession).
        if (_ownsDataDirectory && Directory.Exists(DataDirectory + "-sessions"))
        {
            Directory.Delete(DataDirectory + "-sessions", recursive: true);
        }

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

        if (_database is not null)
        {
            await _database.DisposeAsync();
            _database = null;
        }
    }

    ProcessStartInfo NewStartInfo(params string[] args)
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

        // The postgres and nginx modes: the server and every CLI command on its data directory use
        // the deployment's database (the variable, not --metadata, so commands without the option
        // run unchanged and the password stays off command lines).
        if (MetadataConnectionString is { } metadata)
        {
            startInfo.Environment["STRONGROOM_METADATA"] = metadata;
        }

        return startInfo;
    }

    void AppendOutput(string line)
    {
        lock (_outputLock)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>The server's own output, for the log scan (never the CLI's).</summary>
    void AppendLog(string line)
    {
        lock (_outputLock)
        {
            _log?.WriteLine(line);
        }
    }

    [GeneratedRegex(@"(https?)://127\.0\.0\.1:(\d+)")]
    private static partial Regex EndpointPattern();

    [GeneratedRegex(@"^Management plane:\s+(https?)://127\.0\.0\.1:(\d+)")]
    private static partial Regex ManagementEndpointPattern();
}

public sealed record CliResult(int ExitCode, string StandardOutput, string StandardError, string CommandLine)
{
    public override string ToString() =>
        $"`strongroom {CommandLine}` exited {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
}
