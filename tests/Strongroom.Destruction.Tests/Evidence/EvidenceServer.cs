using System.Globalization;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.Data.Sqlite;
using Strongroom.Conformance.Tests.Infrastructure;
using Strongroom.Core;
using Strongroom.Server;

namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>
/// A real server in this process on a fake clock: <c>server --dev</c> over a fresh data directory
/// (a 1-of-1 vault unsealed from the share kept there, the nine-site development topology under
/// <c>sites/</c>), seeded randomness, the CLI's commands on its control socket. The Azure SDK
/// reaches it over loopback; its requests are dated and signed on the fake clock, so retention
/// can pass in an instant. Everything the data directory holds can be scanned (<see cref="DataDirectoryScan"/>)
/// and attacked (<see cref="RawCopyAttack"/>).
/// </summary>
public sealed class EvidenceServer : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    private readonly CancellationTokenSource stop = new();

    private EvidenceServer(string directory, EvidenceClock time)
    {
        DataPath = directory;
        Time = time;
    }

    public string DataPath { get; }

    public EvidenceClock Time { get; }

    public StrongroomServer Server { get; private set; } = null!;

    public Deployment Deployment => Server.Deployment;

    public string DatabasePath => Path.Combine(DataPath, "metadata.db");

    /// <summary>A directory beside the data directory for the test's own files (certificates fetched, forged copies), removed with it.</summary>
    public string FilesPath
    {
        get
        {
            var path = DataPath + ".files";
            Directory.CreateDirectory(path);
            return path;
        }
    }

    public static async Task<EvidenceServer> StartAsync(int seed = 20261130)
    {
        var directory = Directory.CreateTempSubdirectory("strongroom-evidence-").FullName;
        var server = new EvidenceServer(directory, new EvidenceClock(Start));
        try
        {
            server.Server = await StrongroomServer.StartAsync(
                new ServerOptions
                {
                    DataDirectory = directory,
                    Dev = true,
                    Port = 0,
                    TimeProvider = server.Time,
                    RandomSource = new SeededRandomSource(seed),
                    ControlCommands = Strongroom.Cli.Cli.RunInServerAsync,
                },
                server.stop.Token);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }

        return server;
    }

    /// <summary>Creates an account with a fixed shared key (derived from its name) and returns the SDK's client for it.</summary>
    public async Task<BlobServiceClient> CreateAccountAsync(string account)
    {
        var key = System.Security.Cryptography.SHA512.HashData(System.Text.Encoding.UTF8.GetBytes("evidence key " + account));
        var details = await Deployment.Accounts.CreateAsync(account, key1: key);
        return Client(account, details.Key1);
    }

    /// <summary>The SDK's client for <paramref name="account"/>: no retries, requests dated and signed on the fake clock.</summary>
    public BlobServiceClient Client(string account, string key)
    {
        var options = new BlobClientOptions
        {
            Transport = new HttpClientTransport(new HttpClient(new FakeClockSigning(Time, new SharedKeySigner(account, key)) { InnerHandler = new SocketsHttpHandler() })),
        };
        options.Retry.MaxRetries = 0;
        return new BlobServiceClient(
            new Uri(Server.BlobEndpoint, account),
            new Azure.Storage.StorageSharedKeyCredential(account, key),
            options);
    }

    /// <summary>Runs a CLI command against this server (through its control socket), input on standard input.</summary>
    public Task<(int ExitCode, string Output, string Error)> CliAsync(string input, params string[] args) =>
        OfflineCliAsync(input, [.. args, "--data", DataPath]);

    /// <summary>Runs a CLI command that needs no server and no data directory (<c>certificate verify</c>).</summary>
    public static async Task<(int ExitCode, string Output, string Error)> OfflineCliAsync(string input, params string[] args)
    {
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var error = new StringWriter(CultureInfo.InvariantCulture);
        using var reader = new StringReader(input);
        var exitCode = await Strongroom.Cli.Cli.RunAsync(args, reader, interactive: false, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Runs a CLI command that must succeed and returns its output.</summary>
    public async Task<string> CliOkAsync(params string[] args)
    {
        var (exitCode, output, error) = await CliAsync(string.Empty, args);
        Assert.True(exitCode == 0, $"strongroom {string.Join(' ', args)}: exit {exitCode}\n{output}\n{error}");
        return output;
    }

    /// <summary>What the metadata database holds now (read beside the running server).</summary>
    public KeyMaterial ReadKeys(IEnumerable<ObjectContext>? knownContexts = null) =>
        KeyMaterial.Read(DatabasePath).Unwrap(Deployment.Vault, knownContexts);

    /// <summary>The sites holding a copy row (any state) of each object.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> CopySites()
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT object_id, site_id FROM object_copies ORDER BY object_id, site_id";
        using var reader = command.ExecuteReader();
        var sites = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var objectId = reader.GetString(0);
            if (!sites.TryGetValue(objectId, out var list))
            {
                sites[objectId] = list = [];
            }

            list.Add(reader.GetString(1));
        }

        return sites.ToDictionary(pair => pair.Key, pair => (IReadOnlyList<string>)pair.Value, StringComparer.Ordinal);
    }

    public string SiteDirectory(string siteId) => Path.Combine(DataPath, "sites", siteId);

    /// <summary>The object files a site holds now (read directly, also while it is broken).</summary>
    public IReadOnlyList<string> SiteObjectIds(string siteId) =>
        [.. RawCopyAttack.SiteObjectFiles(DataPath)
            .Where(relative => relative.Split(Path.DirectorySeparatorChar)[1] == siteId)
            .Select(Path.GetFileName)
            .Select(name => name!)];

    /// <summary>
    /// Takes a directory site offline: its <c>objects</c> directory moves aside and becomes a link
    /// to itself, so every open fails with an I/O error that is not "not found" (as
    /// DatacenterFixture.BreakDirectory; permission bits would not stop root). Its files stay on disk.
    /// </summary>
    public void BreakSite(string siteId)
    {
        var objects = Path.Combine(SiteDirectory(siteId), "objects");
        Directory.Move(objects, objects + ".broken");
        File.CreateSymbolicLink(objects, "objects");
    }

    public void RestoreSite(string siteId)
    {
        var objects = Path.Combine(SiteDirectory(siteId), "objects");
        File.Delete(objects);
        Directory.Move(objects + ".broken", objects);
    }

    /// <summary>Jumps the clock; each background loop that came due (checkpoint publisher, sweeps, repair) runs once.</summary>
    public void Advance(TimeSpan by) => Time.Advance(by);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await Server.DisposeAsync();
        stop.Dispose();
        try
        {
            Directory.Delete(DataPath, recursive: true);
            if (Directory.Exists(DataPath + ".files"))
            {
                Directory.Delete(DataPath + ".files", recursive: true);
            }
        }
        catch (IOException)
        {
            // A broken site's self-link or a file the host still closes: the temp directory is left behind.
        }
    }

    /// <summary>Re-dates and re-signs each SDK request on the server's (fake) clock, which Shared Key's skew check uses.</summary>
    private sealed class FakeClockSigning(TimeProvider time, SharedKeySigner signer) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Remove("x-ms-date");
            request.Headers.TryAddWithoutValidation("x-ms-date", time.GetUtcNow().ToString("R", CultureInfo.InvariantCulture));
            request.Headers.Remove("Authorization");
            signer.Sign(request);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
