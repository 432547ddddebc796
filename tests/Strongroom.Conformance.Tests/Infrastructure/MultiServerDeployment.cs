using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Strongroom.Placement;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// Several <c>strongroom server</c> processes of one deployment (issue 9): each with its own data
/// directory, all on one fresh PostgreSQL database (<c>--metadata</c>) and one topology file
/// (<c>--topology</c>) whose directory sites, with absolute paths under <see cref="Root"/>, they
/// all write to. Development (<c>--dev</c>: plain HTTP, the vault unseals itself, the well-known
/// account) or production (HTTPS with a certificate per server, a vault initialised once and
/// unsealed by each server on its own, with its own pair of shares, and one account created).
/// </summary>
public sealed class MultiServerDeployment : IAsyncDisposable
{
    public const int DefaultServers = 3;

    static readonly TimeSpan UnsealTimeout = TimeSpan.FromSeconds(30);

    readonly List<StrongroomProcess> _servers = [];
    readonly ConcurrentDictionary<int, BlobServiceClient> _clients = new();

    MultiServerDeployment(string label, PostgresDatabase database, bool production)
    {
        Label = label;
        Database = database;
        Production = production;
        Root = Path.Combine(Path.GetTempPath(), "strongroom-conformance", $"{label}-{Environment.ProcessId}-sites-{database.Name}");
        Directory.CreateDirectory(Root);
        TopologyPath = Path.Combine(Root, TopologyFile.FileName);
        File.WriteAllText(TopologyPath, TopologyFile.DevelopmentSample(Path.Combine(Root, "sites")));
    }

    public string Label { get; }

    public PostgresDatabase Database { get; }

    public bool Production { get; }

    /// <summary>The shared directory: the topology file and the sites it names.</summary>
    public string Root { get; }

    public string TopologyPath { get; }

    public IReadOnlyList<StrongroomProcess> Servers => _servers;

    public StrongroomProcess this[int server] => _servers[server];

    /// <summary>The account the clients use: the development account, or the one created in production.</summary>
    public string AccountName { get; private set; } = StrongroomProcess.DevAccountName;

    public string AccountKey { get; private set; } = StrongroomProcess.DevAccountKey;

    /// <summary>Production: the unseal shares of the one vault, in index order.</summary>
    public IReadOnlyList<string> Shares { get; private set; } = [];

    /// <summary>Production: the threshold the vault was initialised with.</summary>
    public int Threshold { get; private set; }

    /// <summary>
    /// <paramref name="servers"/> development servers on a fresh database. The first starts alone
    /// (it creates the deployment: schema, vault, the development account); the others then start
    /// together and join it.
    /// </summary>
    public static async Task<MultiServerDeployment> StartDevelopmentAsync(string label, int servers = DefaultServers)
    {
        var database = await PostgresDatabase.CreateAsync();
        var deployment = new MultiServerDeployment(label, database, production: false);
        try
        {
            for (var i = 0; i < servers; i++)
            {
                deployment.AddServer();
            }

            await deployment._servers[0].StartAsync();
            await Task.WhenAll(deployment._servers.Skip(1).Select(server => server.StartAsync()));
            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// <paramref name="servers"/> production servers on a fresh database: <c>strongroom init</c> once
    /// (on the first data directory, the seal going to the database), every server started and
    /// unsealed over HTTPS with its own <paramref name="threshold"/> shares (server i submits shares
    /// i, i+1, … modulo <paramref name="shares"/>), then <paramref name="account"/> created through
    /// the first.
    /// </summary>
    public static async Task<MultiServerDeployment> StartProductionAsync(string label, string account, int servers = DefaultServers, int shares = 3, int threshold = 2)
    {
        var database = await PostgresDatabase.CreateAsync();
        var deployment = new MultiServerDeployment(label, database, production: true);
        try
        {
            for (var i = 0; i < servers; i++)
            {
                deployment.AddServer();
            }

            var first = deployment._servers[0];
            await first.InitAsync(shares, threshold);
            deployment.Shares = first.Shares;
            deployment.Threshold = threshold;
            await deployment.StartAsync(0);
            await Task.WhenAll(Enumerable.Range(1, servers - 1).Select(deployment.StartAsync));
            (deployment.AccountKey, _) = await first.CreateAccountAsync(account);
            deployment.AccountName = account;
            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }
    }

    void AddServer()
    {
        var server = StrongroomProcess.CreateStopped($"{Label}-{_servers.Count + 1}", Production);
        server.MetadataConnectionString = Database.ConnectionString;
        server.TopologyPath = TopologyPath;

        // The same sites for CLI commands run on the host with this data directory.
        File.Copy(TopologyPath, Path.Combine(server.DataDirectory, TopologyFile.FileName));
        _servers.Add(server);
    }

    /// <summary>Starts server <paramref name="server"/> (again), and in production unseals it with its own shares.</summary>
    public async Task StartAsync(int server)
    {
        _clients.TryRemove(server, out _);
        var process = _servers[server];
        await process.StartAsync();
        if (Production)
        {
            var shares = Enumerable.Range(0, Threshold).Select(k => Shares[(server + k) % Shares.Count]);
            await UnsealOverHttpsAsync(process, shares);
        }
    }

    /// <summary>SIGKILL: the process ends where it is, with no shutdown of any kind.</summary>
    public async Task KillAsync(int server)
    {
        _clients.TryRemove(server, out _);
        await _servers[server].KillAsync();
    }

    /// <summary>Starts every server that is not running (after a test killed one).</summary>
    public async Task EnsureRunningAsync()
    {
        for (var i = 0; i < _servers.Count; i++)
        {
            if (!_servers[i].IsRunning)
            {
                await StartAsync(i);
            }
        }
    }

    /// <summary>An SDK client of the deployment's account through server <paramref name="server"/> (no retries; one per server).</summary>
    public BlobServiceClient Service(int server)
    {
        return _clients.GetOrAdd(server, index => _servers[index].ServiceClient(AccountName, AccountKey));
    }

    /// <summary>The same container through every server, in server order.</summary>
    public IReadOnlyList<BlobContainerClient> Container(string name) =>
        [.. Enumerable.Range(0, _servers.Count).Select(server => Service(server).GetBlobContainerClient(name))];

    /// <summary>
    /// Anonymous custodians submit shares over HTTPS (loopback), as in docs/vault.md; the server
    /// must then report ready. The vault is shared, the unseal is each process's own.
    /// </summary>
    static async Task UnsealOverHttpsAsync(StrongroomProcess server, IEnumerable<string> shares)
    {
        using var http = server.CreateHttpClient();
        foreach (var share in shares)
        {
            using var body = new StringContent(JsonSerializer.Serialize(new { key = share }), Encoding.UTF8, "application/json");
            using var response = await http.PutAsync(".strongroom/sys/unseal", body);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException(
                    $"Unsealing {Path.GetFileName(server.DataDirectory)} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}\n{server.Output}");
            }
        }

        var waited = Stopwatch.StartNew();
        while (true)
        {
            using var ready = await http.GetAsync(".strongroom/health/ready");
            if (ready.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            if (waited.Elapsed > UnsealTimeout)
            {
                throw new InvalidOperationException(
                    $"{Path.GetFileName(server.DataDirectory)} did not become ready within {UnsealTimeout.TotalSeconds} s of its shares: {(int)ready.StatusCode} {await ready.Content.ReadAsStringAsync()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes, then
    /// fails with <paramref name="what"/> and the last state the condition described.
    /// </summary>
    public static async Task<T> EventuallyAsync<T>(string what, TimeSpan timeout, Func<Task<(bool Done, T State)>> condition)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var (done, state) = await condition();
            if (done)
            {
                return state;
            }

            if (waited.Elapsed > timeout)
            {
                throw new TimeoutException($"{what}: not reached within {timeout.TotalSeconds} s. Last state: {state}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        await Database.DisposeAsync();
        if (Directory.Exists(Root))
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // Leave it for inspection rather than mask a test result.
            }
        }
    }
}
