using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;
using Strongroom.Vault;

using static Strongroom.Protocol.Tests.ManagementRouteHarness;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// The transfer routes of the management plane (<c>v1/transfers</c>) over the real
/// <see cref="TransferService"/> (SQLite store, two CN directory sites and one EU site, the
/// transparency log), with sessions from a fake authenticator: the body's validation, the JSON of a
/// transfer, the list's filters, and the statuses the service's refusals map to.
/// </summary>
public sealed class ManagementTransferRouteTests : IAsyncLifetime
{
    private readonly SeededRandomSource random = new(20261130);
    private ManagementRouteHarness harness = null!;
    private SiteSet sites = null!;

    public async Task InitializeAsync()
    {
        harness = await ManagementRouteHarness.OpenAsync("strongroom-transfer-routes-");
        var topology = new Topology([Site("cn-1a", "cn-east", "cn-east-1", "CN"), Site("cn-2a", "cn-east", "cn-east-2", "CN"), Site("eu-1a", "eu-west", "eu-west-1", "EU")]);
        sites = new SiteSet(
            topology,
            topology.Sites.ToDictionary(site => site.Descriptor.Id, site => (ISite)new LocalDirectorySite(site.Descriptor.Id, Path.Combine(harness.Directory, "sites", site.Descriptor.Id), new SeededRandomSource(7)), StringComparer.Ordinal),
            TimeProvider.System);
        var placement = new PlacementService(harness.Store, sites, harness.Log, TimeProvider.System);
        await harness.CreateAccountsAsync("reports", DateTimeOffset.UnixEpoch);
        harness.Serve(transfers: new TransferService(harness.Store, harness.Log, sites, placement, TimeProvider.System, random, new AccessOptions()), sites: sites);
    }

    public async Task DisposeAsync()
    {
        await sites.DisposeAsync();
        await harness.DisposeAsync();
    }

    private static SiteDefinition Site(string id, string region, string zone, string jurisdiction) =>
        new(new SiteDescriptor(id, region, zone, jurisdiction, SiteBackendKind.LocalDirectory, SiteState.Active), new LocalDirectoryBackendOptions(id));

    private Task<ManagementResponse> SendAsync(string method, string pathAndQuery, string token, string? body = null) => harness.SendAsync(method, pathAndQuery, token, body);

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
        return created.Value("id");
    }

    private async Task<IReadOnlyList<AuditEntry>> AcmeEntriesAsync()
    {
        var head = await harness.Log.GetTreeHeadAsync("acme");
        return head.Size == 0 ? [] : [.. (await harness.Log.ReadEntriesAsync("acme", 0, head.Size)).Select(entry => AuditEntry.Decode(entry.Body!))];
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
        Assert.Equal("security-assessment", created.Value("legalBasis"));
        Assert.Equal("requested", created.Value("state"));
        Assert.Equal("sysop", created.Value("requester"));
        Assert.EndsWith("Z", created.Value("requestedOn"), StringComparison.Ordinal);

        var shown = await SendAsync("GET", "/v1/transfers/" + created.Value("id"), AcmeAdminToken);
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
        Assert.Equal("approved", approved.Value("state"));
        Assert.Equal("acme/dana", approved.Value("tenantApprover"));
        Assert.Equal("sam", approved.Value("securityApprover"));
        Assert.Equal("sam", approved.Value("decidedBy"));

        var decidedAgain = await SendAsync("POST", $"/v1/transfers/{id}/deny", AcmeAdminToken);
        Assert.Equal(409, decidedAgain.Status);
        Assert.Equal("InvalidAccessState", decidedAgain.ErrorCode);
        Assert.Equal("RoleNotPermitted", (await SendAsync("POST", $"/v1/transfers/{id}/run", AcmeAdminToken)).ErrorCode);

        // Nothing in scope: the run completes with nothing copied.
        var run = await SendAsync("POST", $"/v1/transfers/{id}/run", SystemAdminToken);
        Assert.Equal(200, run.Status);
        Assert.Equal("completed", run.Value("state"));
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
        Assert.Equal("denied", denied.Value("state"));
        Assert.Equal("denied", (await SendAsync("POST", $"/v1/transfers/{withoutReason}/deny", AcmeAdminToken)).Value("state"));
        Assert.Equal(400, (await SendAsync("POST", $"/v1/transfers/{pending}/deny", AcmeAdminToken, "{\"reason\":7}")).Status);
        Assert.Equal("TransferNotApproved", (await SendAsync("POST", $"/v1/transfers/{withReason}/run", SystemAdminToken)).ErrorCode);

        var entries = await AcmeEntriesAsync();
        var denials = entries.Where(entry => entry.Action == AuditActions.TransferDeny).ToList();
        Assert.Equal(2, denials.Count);
        Assert.Equal("No filing on record", denials[0].Details.Single(detail => detail.Key == "reason").Value);
        Assert.DoesNotContain(denials[1].Details, detail => detail.Key == "reason");

        static IEnumerable<string> Ids(ManagementResponse list) => list.Body.GetProperty("transfers").EnumerateArray().Select(transfer => transfer.GetProperty("id").GetString()!);

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
