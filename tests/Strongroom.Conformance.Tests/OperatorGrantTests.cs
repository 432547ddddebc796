using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Storage.Blobs;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// A server with two accounts, their blobs, and the principals of a lockbox flow: a security admin
/// (the first operator, on the host), two more operators through the plane (alice requests, bob is
/// anyone else), a tenant administrator of the first account; each signed in once.
/// </summary>
public sealed class OperatorGrantFixture : ProductionServerFixture
{
    public const string OtherAccount = "othertenant";
    public const string Container = "support";
    public const string PrivateContainer = "private";

    public ManagementApi Api { get; private set; } = null!;

    public string SecurityAdmin { get; private set; } = string.Empty;

    public string Alice { get; private set; } = string.Empty;

    public string Bob { get; private set; } = string.Empty;

    public string TenantAdmin { get; private set; } = string.Empty;

    public BlobServiceClient OtherService { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var (otherKey, _) = await Server.CreateAccountAsync(OtherAccount);
        OtherService = Server.ServiceClient(OtherAccount, otherKey);

        foreach (var service in new[] { Service, OtherService })
        {
            var support = (await service.CreateBlobContainerAsync(Container)).Value;
            await support.UploadBlobAsync("allowed/a.txt", BinaryData.FromString("case file a"));
            await support.UploadBlobAsync("allowed/b.txt", BinaryData.FromString("case file b"));
            await support.UploadBlobAsync("other/secret.txt", BinaryData.FromString("not for operators"));
            await support.UploadBlobAsync("allowedother", BinaryData.FromString("beside the prefix"));
        }

        var hidden = (await Service.CreateBlobContainerAsync(PrivateContainer)).Value;
        await hidden.UploadBlobAsync("allowed/a.txt", BinaryData.FromString("another container"));

        Api = new ManagementApi(Server);
        var security = await Principals.CreateFirstOperatorAsync(Server, "sec-admin");
        SecurityAdmin = await security.LoginAsync(Api);
        Alice = await (await Principals.CreateOperatorAsync(Api, SecurityAdmin, "alice", "system-admin")).LoginAsync(Api);
        Bob = await (await Principals.CreateOperatorAsync(Api, SecurityAdmin, "bob", "system-admin")).LoginAsync(Api);
        TenantAdmin = await (await Principals.CreateTenantAdminAsync(Server, AccountName, "tenant-lead")).LoginAsync(Api);
    }

    public override async Task DisposeAsync()
    {
        Api?.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>
/// Issue 6, item 4 over the wire: a lockbox grant requested, approved by the tenant and by a
/// security admin, activated and turned into a token through the management plane, then used with
/// the Azure SDK as an OAuth bearer credential. Inside its scope it lists and reads; outside it
/// (another container, another account, a prefix escape, a write), after revocation, after its
/// end, and with a token that is not a grant, the server answers as Azure does; every read is in
/// the tenant's transparency log with the justification, the operator and the grant.
/// </summary>
[Trait("Category", "Access")]
public sealed class OperatorGrantTests(OperatorGrantFixture fixture) : IClassFixture<OperatorGrantFixture>
{
    private const string Account = ProductionServerFixture.AccountName;
    private static int grants;

    private ManagementApi Api => fixture.Api;

    private StrongroomProcess Server => fixture.Server;

    /// <summary>A TokenCredential that always returns the grant token: how an operator hands it to the SDK.</summary>
    private sealed class GrantCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));
    }

    private sealed record Grant(string Id, string Token, string Justification);

    /// <summary>The whole flow: alice requests, the tenant and the security admin approve, alice activates and takes a token.</summary>
    private async Task<Grant> GrantAsync(string access, string? prefix = "allowed/", string container = OperatorGrantFixture.Container)
    {
        var justification = $"Ticket {4700 + Interlocked.Increment(ref grants)}: customer reports a corrupt export";
        var body = new Dictionary<string, object>
        {
            ["account"] = Account,
            ["container"] = container,
            ["access"] = access,
            ["durationMinutes"] = 60,
            ["justification"] = justification,
        };
        if (prefix is not null)
        {
            body["prefix"] = prefix;
        }

        var id = (await Api.PostAsync("v1/lockbox/requests", body, fixture.Alice)).Ok().Text("id");
        (await Api.PostAsync($"v1/lockbox/requests/{id}/approve", null, fixture.TenantAdmin)).Ok();
        (await Api.PostAsync($"v1/lockbox/requests/{id}/approve", null, fixture.SecurityAdmin)).Ok();
        (await Api.PostAsync($"v1/lockbox/requests/{id}/activate", null, fixture.Alice)).Ok();
        var token = (await Api.PostAsync($"v1/lockbox/requests/{id}/token", null, fixture.Alice)).Ok().Text("token");
        TestLogs.RecordSecret("grant token", token);
        Assert.StartsWith("srgrant1.", token, StringComparison.Ordinal);
        return new Grant(id, token, justification);
    }

    private BlobServiceClient OperatorClient(string token, string account = Account) =>
        new(Server.AccountUri(account), new GrantCredential(token), Server.ClientOptions());

    private BlobContainerClient OperatorContainer(string token, string container = OperatorGrantFixture.Container, string account = Account) =>
        OperatorClient(token, account).GetBlobContainerClient(container);

    private static async Task<List<string>> ListAsync(BlobContainerClient container, string? prefix)
    {
        var names = new List<string>();
        await foreach (var item in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, CancellationToken.None))
        {
            names.Add(item.Name);
        }

        return names;
    }

    /// <summary>The account's log entries (decoded JSON) recorded under <paramref name="grant"/>.</summary>
    private async Task<List<JsonElement>> EntriesUnderAsync(Grant grant)
    {
        var export = await Server.RunCliAsync("audit", "export", "--account", Account);
        Assert.True(export.ExitCode == 0, export.ToString());
        var entries = new List<JsonElement>();
        foreach (var line in export.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.TryGetProperty("entry", out var entry)
                && entry.GetProperty("actor").TryGetProperty("grant", out var id)
                && id.GetString() == grant.Id)
            {
                entries.Add(entry.Clone());
            }
        }

        return entries;
    }

    [Fact]
    public async Task A_read_data_grant_lists_and_reads_inside_its_scope_and_each_read_is_in_the_tenants_log()
    {
        var grant = await GrantAsync("read-data");
        var container = OperatorContainer(grant.Token);

        Assert.Equal(["allowed/a.txt", "allowed/b.txt"], await ListAsync(container, "allowed/"));
        Assert.Equal("case file a", (await container.GetBlobClient("allowed/a.txt").DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal(11, (await container.GetBlobClient("allowed/b.txt").GetPropertiesAsync()).Value.ContentLength);
        Assert.True((await container.GetPropertiesAsync()).Value.LastModified > DateTimeOffset.UnixEpoch);

        // The account logs writes only (the default), yet every read under the grant is there.
        var entries = await EntriesUnderAsync(grant);
        Assert.Equal(["ListBlobs", "GetBlob", "GetBlobProperties", "GetContainerProperties"], entries.Select(entry => entry.GetProperty("action").GetString()));
        foreach (var entry in entries)
        {
            var actor = entry.GetProperty("actor");
            Assert.Equal("operator", actor.GetProperty("kind").GetString());
            Assert.Equal("alice", actor.GetProperty("id").GetString());
            Assert.Equal(grant.Justification, entry.GetProperty("justification").GetString());
            Assert.Equal("Success", entry.GetProperty("outcome").GetString());
        }

        Assert.Equal($"/{Account}/support/allowed/a.txt", entries[1].GetProperty("resource").GetString());
    }

    [Fact]
    public async Task A_metadata_grant_reads_properties_but_not_content()
    {
        var grant = await GrantAsync("metadata");
        var container = OperatorContainer(grant.Token);

        Assert.Equal(["allowed/a.txt", "allowed/b.txt"], await ListAsync(container, "allowed/"));
        Assert.Equal(11, (await container.GetBlobClient("allowed/a.txt").GetPropertiesAsync()).Value.ContentLength);
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", () => container.GetBlobClient("allowed/a.txt").DownloadContentAsync());

        var refused = (await EntriesUnderAsync(grant)).Single(entry => entry.GetProperty("action").GetString() == "GetBlob");
        Assert.Equal("AuthorizationPermissionMismatch", refused.GetProperty("outcome").GetString());
        Assert.Equal(grant.Justification, refused.GetProperty("justification").GetString());
    }

    [Fact]
    public async Task Everything_outside_the_scope_is_refused_as_Azure_refuses_a_principal_without_the_permission()
    {
        var grant = await GrantAsync("read-data");
        var container = OperatorContainer(grant.Token);

        // Another container, another account.
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", () => OperatorContainer(grant.Token, OperatorGrantFixture.PrivateContainer).GetBlobClient("allowed/a.txt").DownloadContentAsync(), "another container");
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", () => ListAsync(OperatorContainer(grant.Token, OperatorGrantFixture.PrivateContainer), "allowed/"), "another container's listing");
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", () => OperatorContainer(grant.Token, account: OperatorGrantFixture.OtherAccount).GetBlobClient("allowed/a.txt").DownloadContentAsync(), "another account");

        // Outside the prefix: another name, a name that only shares its letters, a listing without the prefix, List Containers.
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", () => container.GetBlobClient("other/secret.txt").DownloadContentAsync());
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", () => container.GetBlobClient("allowedother").GetPropertiesAsync());
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", () => ListAsync(container, null));
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", () => ListAsync(container, "other/"));
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", async () =>
        {
            await foreach (var unused in OperatorClient(grant.Token).GetBlobContainersAsync())
            {
            }
        });

        // A prefix escape. The SDK (System.Uri, even for %2E%2E) resolves the dots before sending, so
        // the server sees "other/secret.txt"; written on the wire as is, the server sees the dot
        // segment itself (it acts on the raw target) and refuses it.
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", () => container.GetBlobClient("allowed/../other/secret.txt").DownloadContentAsync());
        foreach (var escape in new[] { "allowed/../other/secret.txt", "allowed/%2E%2E/other/secret.txt", "allowed/%2e%2e%2fother%2fsecret.txt", "allowed/./a.txt" })
        {
            var (status, headers) = await OnTheWireAsync($"/{Account}/support/{escape}", grant.Token);
            Assert.True(status == 403 && headers.GetValueOrDefault("x-ms-error-code") == "AuthorizationPermissionMismatch", $"{escape}: {status} {headers.GetValueOrDefault("x-ms-error-code")}");
        }

        // Writes, whatever the name.
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", () => container.UploadBlobAsync("allowed/new.txt", BinaryData.FromString("x")));
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", () => container.GetBlobClient("allowed/a.txt").DeleteAsync());
        await AzureAssert.FailsAsync(403, "AuthorizationPermissionMismatch", () => container.GetBlobClient("allowed/a.txt").SetMetadataAsync(new Dictionary<string, string> { ["k"] = "v" }));
        Assert.Equal("case file a", (await fixture.Service.GetBlobContainerClient(OperatorGrantFixture.Container).GetBlobClient("allowed/a.txt").DownloadContentAsync()).Value.Content.ToString());

        // Each refusal is in the tenant's log, under the grant, with its justification.
        var refusals = (await EntriesUnderAsync(grant)).Where(entry => entry.GetProperty("outcome").GetString() == "AuthorizationPermissionMismatch").ToList();
        Assert.True(refusals.Count >= 10, $"{refusals.Count} refusals recorded");
        Assert.All(refusals, entry => Assert.Equal(grant.Justification, entry.GetProperty("justification").GetString()));
    }

    [Fact]
    public async Task A_revoked_grant_is_refused_on_the_next_request()
    {
        var grant = await GrantAsync("read-data");
        var blob = OperatorContainer(grant.Token).GetBlobClient("allowed/a.txt");
        await blob.GetPropertiesAsync();

        (await Api.PostAsync($"v1/lockbox/requests/{grant.Id}/revoke", null, fixture.TenantAdmin)).Ok();
        await AzureAssert.FailsAsync(403, "AuthorizationFailure", () => blob.GetPropertiesAsync());
        await AzureAssert.FailsAsync(403, "AuthorizationFailure", () => blob.DownloadContentAsync());
    }

    [Fact]
    public async Task An_ended_grant_is_refused()
    {
        var grant = await GrantAsync("metadata");
        var blob = OperatorContainer(grant.Token).GetBlobClient("allowed/a.txt");
        await blob.GetPropertiesAsync();

        (await Api.PostAsync($"v1/lockbox/requests/{grant.Id}/end", null, fixture.Alice)).Ok();
        await AzureAssert.FailsAsync(403, "AuthorizationFailure", () => blob.GetPropertiesAsync());
    }

    [Fact]
    public async Task Another_operator_cannot_obtain_the_requesters_token()
    {
        var grant = await GrantAsync("read-data");
        var answer = await Api.PostAsync($"v1/lockbox/requests/{grant.Id}/token", null, fixture.Bob);
        Assert.Equal(HttpStatusCode.Forbidden, answer.Status);
        Assert.False(answer.Body.TryGetProperty("token", out _));
        answer = await Api.PostAsync($"v1/lockbox/requests/{grant.Id}/token", null, fixture.SecurityAdmin);
        Assert.Equal(HttpStatusCode.Forbidden, answer.Status);
    }

    [Fact]
    public async Task A_bearer_token_that_is_not_a_grant_is_401_with_azures_challenge()
    {
        var garbage = OperatorContainer("eyJhbGciOiJub25lIn0.e30.").GetBlobClient("allowed/a.txt");
        await AzureAssert.FailsAsync(401, "InvalidAuthenticationInfo", () => garbage.DownloadContentAsync());

        var forged = OperatorContainer("srgrant1.forged-by-someone").GetBlobClient("allowed/a.txt");
        await AzureAssert.FailsAsync(401, "InvalidAuthenticationInfo", () => forged.GetPropertiesAsync());

        using var raw = await RawGetAsync($"/{Account}/support/allowed/a.txt", "not-a-grant");
        Assert.Equal(HttpStatusCode.Unauthorized, raw.StatusCode);
        var challenge = raw.Headers.WwwAuthenticate.Single();
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Equal($"authorization_uri={Server.ManagementEndpoint}v1/lockbox/requests resource_id=https://storage.azure.com", challenge.Parameter);
        Assert.Contains("InvalidAuthenticationInfo", await raw.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shared_key_still_works_beside_grants()
    {
        var names = await ListAsync(fixture.Service.GetBlobContainerClient(OperatorGrantFixture.Container), null);
        Assert.Contains("other/secret.txt", names);
    }

    /// <summary>A GET written byte for byte over TLS, so no client library resolves or re-escapes the target; returns the status and headers.</summary>
    private async Task<(int Status, Dictionary<string, string> Headers)> OnTheWireAsync(string target, string token)
    {
        var expected = Server.LoadCertificate().RawData;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Server.Port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected));
        await tls.AuthenticateAsClientAsync("127.0.0.1");
        var request = $"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{Server.Port}\r\nAuthorization: Bearer {token}\r\nx-ms-version: 2026-02-06\r\nConnection: close\r\n\r\n";
        await tls.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(tls, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync() ?? throw new InvalidOperationException("the server closed the connection without an answer");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var line = await reader.ReadLineAsync(); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync())
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        return (int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), headers);
    }

    private async Task<HttpResponseMessage> RawGetAsync(string pathAndQuery, string token)
    {
        using var http = Server.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Server.Endpoint, pathAndQuery));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("x-ms-version", "2026-02-06");
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
