using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Protocol.Management;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// The transfer routes of the management plane (<c>v1/transfers</c>) over the real
/// <see cref="TransferService"/> (SQLite store, two CN directory sites and one EU site, the
/// transparency log), with sessions from a fake authenticator: the body's validation, the JSON of a
/// transfer, the list's filters, and the statuses the service's refusals map to.
/// </summary>
public sealed class ManagementTransferRouteTests : IAsyncLifetime
{
    private const string SystemAdminToken = "srsession1.system-admin";
    private const string SecurityAdminToken = "srsession1.security-admin";
    private const string AcmeAdminToken = "srsession1.acme-admin";
    private const string GlobexAdminToken = "srsession1.globex-admin";
    private const string AuditAdminToken = "srsession1.audit-admin";

    private static readonly Dictionary<string, AuthenticatedPrincipal> Sessions = new(StringComparer.Ordinal)
    {
        [SystemAdminToken] = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sysop", OperatorRole.SystemAdmin, "s1"),
        [SecurityAdminToken] = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sam", OperatorRole.SecurityAdmin, "s2"),
        [AcmeAdminToken] = new(PrincipalKind.TenantAdmin, "acme", "dana", null, "s3"),
        [GlobexAdminToken] = new(PrincipalKind.TenantAdmin, "globex", "gus", null, "s4"),
        [AuditAdminToken] = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "audrey", OperatorRole.AuditAdmin, "s5"),
    };

    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-transfer-routes-").FullName;
    private readonly RootKey rootKey = RootKey.Generate(new SeededRandomSource(1));
    private readonly SeededRandomSource random = new(20261130);
    private SqliteMetadataStore store = null!;
    private SealState seal = null!;
    private SiteSet sites = null!;
    private TransparencyLog log = null!;
    private ManagementProtocolHandler handler = null!;

    public async Task InitializeAsync()
    {
        store = await SqliteMetadataStore.OpenAsync(Path.Combine(directory, "metadata.db"));
        seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
        log = new TransparencyLog(store, new CheckpointSigner(seal), () => "0123456789abcdef", TimeProvider.System);
        var topology = new Topology([Site("cn-1a", "cn-east", "cn-east-1", "CN"), Site("cn-2a", "cn-east", "cn-east-2", "CN"), Site("eu-1a", "eu-west", "eu-west-1", "EU")]);
        sites = new SiteSet(
            topology,
            topology.Sites.ToDictionary(site => site.Descriptor.Id, site => (ISite)new LocalDirectorySite(site.Descriptor.Id, Path.Combine(directory, "sites", site.Descriptor.Id), new SeededRandomSource(7)), StringComparer.Ordinal),
            TimeProvider.System);
        var placement = new PlacementService(store, sites, log, TimeProvider.System);
        foreach (var account in new[] { "acme", "globex" })
        {
            await store.CreateAccountAsync(new AccountRecord(account, [1], [2], [3], DateTimeOffset.UnixEpoch, AccountState.Enabled));
            await store.CreateContainerAsync(new ContainerRecord(account, "reports", "\"0x1\"", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, []));
        }

        handler = new ManagementProtocolHandler(
            new ManagementServices
            {
                // Never reached: sessions come from the fake authenticator below.
                Identities = (IdentityService)RuntimeHelpers.GetUninitializedObject(typeof(IdentityService)),
                Lockbox = (LockboxService)RuntimeHelpers.GetUninitializedObject(typeof(LockboxService)),
                Transfers = new TransferService(store, log, sites, placement, TimeProvider.System, random, new AccessOptions()),
                Random = new SeededRandomSource(7),
                Audit = log,
                Sites = sites,
                AuthenticateSession = (token, _) => Sessions.TryGetValue(token, out var principal)
                    ? Task.FromResult(principal)
                    : throw new StorageException(ErrorCode.SessionInvalid, "The session is unknown, ended or expired."),
            },
            new ManagementOptions { RequireHttps = true });
    }

    public async Task DisposeAsync()
    {
        await sites.DisposeAsync();
        await store.DisposeAsync();
        seal.Dispose();
        rootKey.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private static SiteDefinition Site(string id, string region, string zone, string jurisdiction) =>
        new(new SiteDescriptor(id, region, zone, jurisdiction, SiteBackendKind.LocalDirectory, SiteState.Active), new LocalDirectoryBackendOptions(id));

    private sealed record Response(int Status, JsonElement Body)
    {
        public string? ErrorCode => Body.TryGetProperty("error", out var error) ? error.GetProperty("code").GetString() : null;

        public string Text(string name) => Body.GetProperty(name).GetString()!;
    }

    private async Task<Response> SendAsync(string method, string pathAndQuery, string token, string? body = null)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = "https";
        request.Host = new HostString("127.0.0.1", 10010);
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Loopback;
        var question = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        request.Path = question < 0 ? pathAndQuery : pathAndQuery[..question];
        request.QueryString = question < 0 ? QueryString.Empty : new QueryString(pathAndQuery[question..]);
        request.Headers.Authorization = "Bearer " + token;
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            request.Body = new MemoryStream(bytes);
            request.ContentLength = bytes.Length;
            request.ContentType = "application/json";
        }

        var responseBody = new MemoryStream();
        context.Response.Body = responseBody;
        await handler.HandleAsync(context);
        var text = Encoding.UTF8.GetString(responseBody.ToArray());
        using var document = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return new Response(context.Response.StatusCode, document.RootElement.Clone());
    }

    private static string RequestBody(string? legalBasis = "\"security-assessment\"", string? purpose = "\"Group audit\"", string container = "reports", string destination = "eu-1a", string? prefix = null) =>
        "{\"account\":\"acme\",\"container\":\"" + container + "\"" + (prefix is null ? string.Empty : ",\"prefix\":\"" + prefix + "\"")
        + ",\"destinationSite\":\"" + destination + "\""
        + (legalBasis is null ? string.Empty : ",\"legalBasis\":" + legalBasis)
        + ",\"legalReference\":\"CAC-2026-17\""
        + (purpose is null ? string.Empty : ",\"purpose\":" + purpose) + "}";

    private async Task<string> RequestedAsync(string? prefix = null)
    {
        var created = await SendAsync("POST", "/v1/transfers", SystemAdminToken, RequestBody(prefix: prefix));
        Assert.Equal(201, created.Status);
        return created.Text("id");
    }

    private async Task<IReadOnlyList<AuditEntry>> AcmeEntriesAsync()
    {
        var head = await log.GetTreeHeadAsync("acme");
        return head.Size == 0 ? [] : [.. (await log.ReadEntriesAsync("acme", 0, head.Size)).Select(entry => AuditEntry.Decode(entry.Body!))];
    }

    [Theory]
    [InlineData("\"adequacy\"")]
    [InlineData("\"Security-Assessment\"")]
    [InlineData("1")]
    [InlineData(null)]
    public async Task A_request_with_a_legal_basis_outside_the_three_is_400_and_creates_nothing(string? legalBasis)
    {
        var refused = await SendAsync("POST", "/v1/transfers", SystemAdminToken, RequestBody(legalBasis: legalBasis));

        Assert.Equal(400, refused.Status);
        Assert.Equal("InvalidAccessRequest", refused.ErrorCode);
        Assert.Equal(0, (await SendAsync("GET", "/v1/transfers", SystemAdminToken)).Body.GetProperty("transfers").GetArrayLength());
        Assert.Empty(await AcmeEntriesAsync());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("\"\"")]
    [InlineData("\"   \"")]
    [InlineData("42")]
    public async Task A_request_without_a_purpose_is_400(string? purpose)
    {
        var refused = await SendAsync("POST", "/v1/transfers", SystemAdminToken, RequestBody(purpose: purpose));

        Assert.Equal(400, refused.Status);
        Assert.Equal("InvalidAccessRequest", refused.ErrorCode);
        Assert.Empty(await AcmeEntriesAsync());
    }

    [Fact]
    public async Task Requests_the_service_refuses_map_to_their_statuses()
    {
        Assert.Equal(400, (await SendAsync("POST", "/v1/transfers", SystemAdminToken, RequestBody(destination: "cn-2a"))).Status);
        Assert.Equal("SiteNotFound", (await SendAsync("POST", "/v1/transfers", SystemAdminToken, RequestBody(destination: "nowhere"))).ErrorCode);
        var container = await SendAsync("POST", "/v1/transfers", SystemAdminToken, RequestBody(container: "nosuch"));
        Assert.Equal(404, container.Status);
        Assert.Equal("ContainerNotFound", container.ErrorCode);
        foreach (var token in new[] { SecurityAdminToken, AuditAdminToken, GlobexAdminToken })
        {
            var role = await SendAsync("POST", "/v1/transfers", token, RequestBody());
            Assert.Equal(403, role.Status);
            Assert.Equal("RoleNotPermitted", role.ErrorCode);
        }

        Assert.Equal(400, (await SendAsync("POST", "/v1/transfers", SystemAdminToken, "not json")).Status);
        Assert.Empty(await AcmeEntriesAsync());
    }

    [Fact]
    public async Task A_transfer_as_json_mirrors_the_record_in_camel_case()
    {
        var created = await SendAsync("POST", "/v1/transfers", SystemAdminToken, RequestBody(prefix: "eu/"));

        Assert.Equal(201, created.Status);
        Assert.Equal(
            ["id", "account", "container", "prefix", "destinationSite", "legalBasis", "legalReference", "purpose", "requester", "state", "requestedOn", "pendingExpiresOn", "objectsCopied", "bytesCopied"],
            created.Body.EnumerateObject().Select(member => member.Name));
        Assert.Equal("security-assessment", created.Text("legalBasis"));
        Assert.Equal("requested", created.Text("state"));
        Assert.Equal("sysop", created.Text("requester"));
        Assert.EndsWith("Z", created.Text("requestedOn"), StringComparison.Ordinal);

        var shown = await SendAsync("GET", "/v1/transfers/" + created.Text("id"), AcmeAdminToken);
        Assert.Equal(200, shown.Status);
        Assert.Equal(created.Body.ToString(), shown.Body.ToString());
    }

    [Fact]
    public async Task Decisions_and_runs_answer_with_the_statuses_of_their_refusals()
    {
        var id = await RequestedAsync();

        var early = await SendAsync("POST", $"/v1/transfers/{id}/run", SystemAdminToken);
        Assert.Equal(403, early.Status);
        Assert.Equal("TransferNotApproved", early.ErrorCode);
        var self = await SendAsync("POST", $"/v1/transfers/{id}/approve", SystemAdminToken);
        Assert.Equal(403, self.Status);
        Assert.Equal("SelfApprovalNotAllowed", self.ErrorCode);
        var stranger = await SendAsync("POST", $"/v1/transfers/{id}/approve", GlobexAdminToken);
        Assert.Equal(404, stranger.Status);
        Assert.Equal("TransferNotFound", stranger.ErrorCode);
        Assert.Equal("RoleNotPermitted", (await SendAsync("POST", $"/v1/transfers/{id}/approve", AuditAdminToken)).ErrorCode);
        Assert.Equal(404, (await SendAsync("GET", "/v1/transfers/tr-nosuch", SystemAdminToken)).Status);

        Assert.Equal(200, (await SendAsync("POST", $"/v1/transfers/{id}/approve", AcmeAdminToken)).Status);
        Assert.Equal("SelfApprovalNotAllowed", (await SendAsync("POST", $"/v1/transfers/{id}/approve", AcmeAdminToken)).ErrorCode);
        var approved = await SendAsync("POST", $"/v1/transfers/{id}/approve", SecurityAdminToken);
        Assert.Equal("approved", approved.Text("state"));
        Assert.Equal("acme/dana", approved.Text("tenantApprover"));
        Assert.Equal("sam", approved.Text("securityApprover"));
        Assert.Equal("sam", approved.Text("decidedBy"));

        var decidedAgain = await SendAsync("POST", $"/v1/transfers/{id}/deny", AcmeAdminToken);
        Assert.Equal(409, decidedAgain.Status);
        Assert.Equal("InvalidAccessState", decidedAgain.ErrorCode);
        Assert.Equal("RoleNotPermitted", (await SendAsync("POST", $"/v1/transfers/{id}/run", AcmeAdminToken)).ErrorCode);

        // Nothing in scope: the run completes with nothing copied.
        var run = await SendAsync("POST", $"/v1/transfers/{id}/run", SystemAdminToken);
        Assert.Equal(200, run.Status);
        Assert.Equal("completed", run.Text("state"));
        Assert.Equal(0, run.Body.GetProperty("objectsCopied").GetInt64());
        Assert.True(run.Body.TryGetProperty("completedOn", out _));

        Assert.Equal(
            [AuditActions.TransferRequest, AuditActions.TransferApprove, AuditActions.TransferApprove, AuditActions.TransferComplete],
            (await AcmeEntriesAsync()).Where(entry => entry.Action.StartsWith("Transfer.", StringComparison.Ordinal)).Select(entry => entry.Action));
    }

    [Fact]
    public async Task Deny_takes_an_optional_reason_and_the_list_filters_by_account_and_state()
    {
        var withReason = await RequestedAsync();
        var withoutReason = await RequestedAsync(prefix: "eu/");
        var pending = await RequestedAsync(prefix: "cn/");

        var denied = await SendAsync("POST", $"/v1/transfers/{withReason}/deny", SecurityAdminToken, "{\"reason\":\"No filing on record\"}");
        Assert.Equal("denied", denied.Text("state"));
        Assert.Equal("denied", (await SendAsync("POST", $"/v1/transfers/{withoutReason}/deny", AcmeAdminToken)).Text("state"));
        Assert.Equal(400, (await SendAsync("POST", $"/v1/transfers/{pending}/deny", AcmeAdminToken, "{\"reason\":7}")).Status);
        Assert.Equal("TransferNotApproved", (await SendAsync("POST", $"/v1/transfers/{withReason}/run", SystemAdminToken)).ErrorCode);

        var entries = await AcmeEntriesAsync();
        var denials = entries.Where(entry => entry.Action == AuditActions.TransferDeny).ToList();
        Assert.Equal(2, denials.Count);
        Assert.Equal("No filing on record", denials[0].Details.Single(detail => detail.Key == "reason").Value);
        Assert.DoesNotContain(denials[1].Details, detail => detail.Key == "reason");

        static IEnumerable<string> Ids(Response list) => list.Body.GetProperty("transfers").EnumerateArray().Select(transfer => transfer.GetProperty("id").GetString()!);

        Assert.Equal([pending], Ids(await SendAsync("GET", "/v1/transfers?state=requested", SystemAdminToken)));
        Assert.Equal(
            new[] { withReason, withoutReason }.Order(StringComparer.Ordinal),
            Ids(await SendAsync("GET", "/v1/transfers?account=acme&state=denied", AcmeAdminToken)).Order(StringComparer.Ordinal));
        Assert.Empty(Ids(await SendAsync("GET", "/v1/transfers?account=acme", GlobexAdminToken)));
        Assert.Empty(Ids(await SendAsync("GET", "/v1/transfers", GlobexAdminToken)));
        Assert.Equal(3, Ids(await SendAsync("GET", "/v1/transfers", AuditAdminToken)).Count());
        var badState = await SendAsync("GET", "/v1/transfers?state=active", SystemAdminToken);
        Assert.Equal(400, badState.Status);
        Assert.Equal("InvalidAccessRequest", badState.ErrorCode);
    }
}
