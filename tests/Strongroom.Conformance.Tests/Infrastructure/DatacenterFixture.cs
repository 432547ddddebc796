using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Storage;
using Azure.Storage.Blobs;
using Xunit;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>One site of a test topology: a directory under <c>&lt;data&gt;/sites/ID</c>, or a container of an Azurite instance (<see cref="Azurite"/> names which).</summary>
public sealed record TestSite(string Id, string Region, string Zone, string Jurisdiction, string? Azurite = null)
{
    public bool IsRemote => Azurite is not null;
}

/// <summary>
/// A real <c>strongroom server --dev</c> whose data directory holds a topology (docs/datacenters.md)
/// written before its first start: directory sites under <c>sites/</c> and Azure Blob sites on real
/// Azurite instances over HTTPS with each instance's private CA pinned. Subclasses declare the
/// sites. The helpers create accounts with placement policies through the CLI, read where copies
/// are (<c>account locations --json</c>, <c>site list --json</c>), read a copy's ciphertext
/// straight from its site, break directory sites, and poll for a condition with a deadline.
/// </summary>
public abstract class DatacenterFixture : IAsyncLifetime
{
    /// <summary>How long a test waits for the server to converge (repair, replication, drain).</summary>
    public static readonly TimeSpan ConvergenceTimeout = TimeSpan.FromSeconds(60);

    static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    readonly Dictionary<string, AzuriteProcess> _azurites = new(StringComparer.Ordinal);
    StrongroomProcess? _server;

    public StrongroomProcess Server => _server ?? throw new InvalidOperationException("The fixture is not initialised.");

    /// <summary>The sites, in the topology file's order (the first site's region is the deployment's default primary).</summary>
    public abstract IReadOnlyList<TestSite> Sites { get; }

    protected virtual string Label => GetType().Name;

    public IReadOnlyDictionary<string, AzuriteProcess> Azurites => _azurites;

    public TestSite Site(string id) => Sites.Single(site => site.Id == id);

    public AzuriteProcess AzuriteOf(string siteId) => _azurites[Site(siteId).Azurite ?? throw new InvalidOperationException($"{siteId} is a directory site.")];

    /// <summary>The root of a directory site (it holds <c>objects/ab/abcd…</c> and <c>tmp/</c>).</summary>
    public string SiteDirectory(string siteId) => Path.Combine(Server.DataDirectory, "sites", siteId);

    /// <summary>The container a remote site keeps its objects in.</summary>
    public static string ContainerOf(string siteId) => "copies-" + siteId;

    public string ObjectPath(string siteId, string objectId) => Path.Combine(SiteDirectory(siteId), "objects", objectId[..2], objectId);

    public async Task InitializeAsync()
    {
        var names = Sites.Where(site => site.IsRemote).Select(site => site.Azurite!).Distinct(StringComparer.Ordinal).ToList();
        try
        {
            var started = await Task.WhenAll(names.Select(name => AzuriteProcess.StartAsync(https: true, accountName: name, accountKey: AzuriteProcess.NewAccountKey())));
            for (var i = 0; i < names.Count; i++)
            {
                _azurites[names[i]] = started[i];
            }

            _server = StrongroomProcess.CreateStopped(Label);
            await File.WriteAllTextAsync(Path.Combine(_server.DataDirectory, "topology.toml"), TopologyText());
            await _server.StartAsync();
            await OnStartedAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs after the server started (accounts every test of the class shares).</summary>
    protected virtual Task OnStartedAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            RestoreAllDirectories();
            await _server.DisposeAsync();
        }

        foreach (var azurite in _azurites.Values)
        {
            await azurite.DisposeAsync();
        }
    }

    string TopologyText()
    {
        var text = new StringBuilder("# Written by the conformance tests (DatacenterFixture).\nversion = 1\n");
        foreach (var site in Sites)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n[[site]]\nid = \"{site.Id}\"\nregion = \"{site.Region}\"\nzone = \"{site.Zone}\"\njurisdiction = \"{site.Jurisdiction}\"\n");
            if (site.Azurite is { } name)
            {
                var azurite = _azurites[name];
                text.Append(CultureInfo.InvariantCulture, $"backend = \"azure-blob\"\nendpoint = \"{azurite.BlobEndpoint}\"\ncontainer = \"{ContainerOf(site.Id)}\"\naccount = \"{azurite.AccountName}\"\n");
                text.Append(CultureInfo.InvariantCulture, $"account-key-file = \"{azurite.AccountKeyPath}\"\nca-certificate = \"{azurite.CaCertificatePath}\"\n");
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"backend = \"directory\"\npath = \"sites/{site.Id}\"\n");
            }
        }

        return text.ToString();
    }

    // ---- accounts and clients ----

    /// <summary><c>strongroom account create NAME OPTIONS…</c> (e.g. <c>--residency CN --redundancy LRS</c>); a client for the new account.</summary>
    public async Task<BlobServiceClient> CreateAccountAsync(string name, params string[] placement)
    {
        var result = await Server.RunCliAsync(["account", "create", name, .. placement]);
        var (key1, _) = AccountKeys.Parse(result);
        _keys[name] = key1;
        return Client(name);
    }

    readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal) { [StrongroomProcess.DevAccountName] = StrongroomProcess.DevAccountKey };

    /// <summary>The first key of an account the fixture created.</summary>
    public string KeyOf(string account) => _keys[account];

    /// <summary>A client of an account the fixture created; no SDK retries, so a failure is the server's first answer.</summary>
    public BlobServiceClient Client(string account, int maxRetries = 0) =>
        new(Server.ConnectionStringFor(account, _keys[account]), Clients.Options(maxRetries));

    /// <summary>The account's secondary endpoint, <c>ACCOUNT-secondary</c>, signed with the account's key.</summary>
    public BlobServiceClient SecondaryClient(string account) =>
        new(new Uri(Server.Endpoint, account + "-secondary"), new StorageSharedKeyCredential(account, _keys[account]), Clients.Options());

    /// <summary>Runs a CLI command and fails the test, with its output, unless it succeeds.</summary>
    public async Task<CliResult> CliAsync(params string[] args)
    {
        var result = await Server.RunCliAsync(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        AssertNoRemoteKey(result);
        return result;
    }

    /// <summary>A remote site's account key never reaches the operator either: not in a command's output, not in the server's.</summary>
    public void AssertNoRemoteKey(CliResult result)
    {
        foreach (var azurite in _azurites.Values)
        {
            foreach (var text in new[] { result.StandardOutput, result.StandardError, Server.Output })
            {
                Assert.DoesNotContain(azurite.AccountKey, text, StringComparison.Ordinal);
            }
        }
    }

    /// <summary><c>account placement show NAME --json</c>.</summary>
    public async Task<JsonElement> PlacementAsync(string account)
    {
        var result = await CliAsync("account", "placement", "show", account, "--json");
        using var json = JsonDocument.Parse(result.StandardOutput);
        return json.RootElement.Clone();
    }

    // ---- where the copies are ----

    /// <summary>Every copy of every blob of the container (all pages of <c>account locations ACCOUNT --container C --json</c>).</summary>
    public async Task<IReadOnlyList<CopyLocation>> CopiesAsync(string account, string container)
    {
        var copies = new List<CopyLocation>();
        string? marker = null;
        do
        {
            string[] args = ["account", "locations", account, "--container", container, "--json"];
            if (marker is not null)
            {
                args = [.. args, "--marker", marker];
            }

            var result = await CliAsync(args);
            using var json = JsonDocument.Parse(result.StandardOutput);
            foreach (var blob in json.RootElement.GetProperty("blobs").EnumerateArray())
            {
                foreach (var stored in blob.GetProperty("objects").EnumerateArray())
                {
                    foreach (var copy in stored.GetProperty("copies").EnumerateArray())
                    {
                        copies.Add(new CopyLocation(
                            blob.GetProperty("blob").GetString()!,
                            stored.GetProperty("id").GetString()!,
                            stored.GetProperty("bytes").GetInt64(),
                            copy.GetProperty("site").GetString()!,
                            copy.GetProperty("region").GetString()!,
                            copy.GetProperty("jurisdiction").GetString()!,
                            copy.GetProperty("state").GetString()!));
                    }
                }
            }

            marker = json.RootElement.TryGetProperty("nextMarker", out var next) ? next.GetString() : null;
        }
        while (marker is not null);

        return copies;
    }

    /// <summary><c>site list --json</c>: per site its state, health and copy counts, and the repair backlog.</summary>
    public async Task<SiteListing> SiteListAsync()
    {
        var result = await CliAsync("site", "list", "--json");
        using var json = JsonDocument.Parse(result.StandardOutput);
        var sites = json.RootElement.GetProperty("sites").EnumerateArray().Select(site => new SiteRow(
            site.GetProperty("id").GetString()!,
            site.GetProperty("jurisdiction").GetString()!,
            site.GetProperty("state").GetString()!,
            site.GetProperty("health").GetString()!,
            site.GetProperty("present").GetInt64(),
            site.GetProperty("pending").GetInt64(),
            site.GetProperty("bad").GetInt64())).ToList();
        var repair = json.RootElement.GetProperty("repair");
        return new SiteListing(sites, repair.GetProperty("pendingCopies").GetInt64(), repair.GetProperty("badCopies").GetInt64(), repair.GetProperty("tombstones").GetInt64());
    }

    /// <summary>The ciphertext of a copy, read straight from its site (a directory's file, or the Azurite container's blob).</summary>
    public async Task<byte[]> ReadCopyAsync(string siteId, string objectId)
    {
        var site = Site(siteId);
        if (!site.IsRemote)
        {
            return await File.ReadAllBytesAsync(ObjectPath(siteId, objectId));
        }

        var azurite = _azurites[site.Azurite!];
        var container = new BlobServiceClient(azurite.ConnectionString, AzuriteClientOptions(azurite)).GetBlobContainerClient(ContainerOf(siteId));
        var content = await container.GetBlobClient(objectId).DownloadContentAsync();
        return content.Value.Content.ToArray();
    }

    /// <summary>Whether a copy exists on its site at all.</summary>
    public async Task<bool> CopyExistsAsync(string siteId, string objectId)
    {
        var site = Site(siteId);
        if (!site.IsRemote)
        {
            return File.Exists(ObjectPath(siteId, objectId));
        }

        var azurite = _azurites[site.Azurite!];
        var container = new BlobServiceClient(azurite.ConnectionString, AzuriteClientOptions(azurite)).GetBlobContainerClient(ContainerOf(siteId));
        return await container.GetBlobClient(objectId).ExistsAsync();
    }

    static BlobClientOptions AzuriteClientOptions(AzuriteProcess azurite)
    {
        var options = Clients.Options();
        if (azurite.Https)
        {
            var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(azurite.CaCertificatePath);
            var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                return chain.Build(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
            options.Transport = new Azure.Core.Pipeline.HttpClientTransport(handler);
        }

        return options;
    }

    /// <summary>Object files on the directory sites of <paramref name="jurisdiction"/> (committed objects only; partial writes live in <c>tmp/</c>).</summary>
    public IReadOnlyList<string> ObjectFilesIn(string jurisdiction) =>
        [.. Sites.Where(site => !site.IsRemote && site.Jurisdiction == jurisdiction)
            .Select(site => Path.Combine(SiteDirectory(site.Id), "objects"))
            .Where(Directory.Exists)
            .SelectMany(directory => Directory.GetFiles(directory, "*", SearchOption.AllDirectories))];

    // ---- breaking directory sites ----

    readonly HashSet<string> _broken = new(StringComparer.Ordinal);

    /// <summary>
    /// Makes a directory site unreadable and unwritable: its <c>objects</c> directory is moved
    /// aside and replaced by a symbolic link to itself, so every open fails with ELOOP (an
    /// <see cref="IOException"/> that is not "not found"). Permission bits would not do: the tests
    /// may run as root, who reads through mode 000. <see cref="RestoreDirectory"/> undoes it.
    /// </summary>
    public void BreakDirectory(string siteId)
    {
        var objects = Path.Combine(SiteDirectory(siteId), "objects");
        Directory.Move(objects, objects + ".broken");
        File.CreateSymbolicLink(objects, "objects");
        _broken.Add(siteId);
    }

    public void RestoreDirectory(string siteId)
    {
        var objects = Path.Combine(SiteDirectory(siteId), "objects");
        if (!Directory.Exists(objects + ".broken"))
        {
            return;
        }

        File.Delete(objects);
        Directory.Move(objects + ".broken", objects);
        _broken.Remove(siteId);
    }

    void RestoreAllDirectories()
    {
        foreach (var siteId in _broken.ToList())
        {
            RestoreDirectory(siteId);
        }
    }

    // ---- waiting ----

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> (default
    /// <see cref="ConvergenceTimeout"/>) passes; then fails with <paramref name="what"/> and the
    /// last state the condition described.
    /// </summary>
    public static async Task<T> EventuallyAsync<T>(string what, Func<Task<(bool Done, T State)>> condition, TimeSpan? timeout = null)
    {
        var limit = timeout ?? ConvergenceTimeout;
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var (done, state) = await condition();
            if (done)
            {
                return state;
            }

            if (waited.Elapsed > limit)
            {
                throw new TimeoutException($"{what}: not reached within {limit.TotalSeconds} s. Last state: {state}");
            }

            await Task.Delay(PollInterval);
        }
    }
}

public sealed record CopyLocation(string Blob, string ObjectId, long Bytes, string SiteId, string Region, string Jurisdiction, string State);

/// <summary>Copies, printed compactly in a timeout's message.</summary>
public sealed record CopyListing(IReadOnlyList<CopyLocation> Copies)
{
    public override string ToString() =>
        string.Join("; ", Copies.GroupBy(copy => copy.Blob).Select(blob => $"{blob.Key}: {string.Join(", ", blob.Select(copy => $"{copy.SiteId} {copy.State}"))}"));
}

public sealed record SiteRow(string Id, string Jurisdiction, string State, string Health, long Present, long Pending, long Bad);

public sealed record SiteListing(IReadOnlyList<SiteRow> Sites, long PendingCopies, long BadCopies, long Tombstones)
{
    public SiteRow this[string id] => Sites.Single(site => site.Id == id);

    public override string ToString() =>
        $"pending {PendingCopies}, bad {BadCopies}, tombstones {Tombstones}; " +
        string.Join("; ", Sites.Select(site => $"{site.Id} {site.State}/{site.Health} present {site.Present} pending {site.Pending} bad {site.Bad}"));
}
