using System.Text.Json;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Destruction;
using Strongroom.Placement;
using Strongroom.Storage;
using Strongroom.Vault;

using static Strongroom.Protocol.Tests.ManagementRouteHarness;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// Account closure, reopening, early purge and destructions on the management plane (issue 7),
/// over the real <see cref="DestructionService"/> and SQLite store: who may call each route, the
/// bodies, the closed-account rule (reopen and destructions stay reachable to the account's
/// tenant administrators; everything else answers AccountClosed) and the refusals.
/// </summary>
public sealed class ManagementDestructionRouteTests : IAsyncLifetime
{
    private ManagementRouteHarness harness = null!;

    public async Task InitializeAsync()
    {
        harness = await ManagementRouteHarness.OpenAsync("strongroom-destruction-routes-");
        var start = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        await harness.CreateAccountsAsync("records", start);
        var directory = harness.Directory;
        var topology = Topology.SingleLocalSite(Path.Combine(directory, "site"));
        var sites = new SiteSet(topology, topology.Sites.ToDictionary(site => site.Descriptor.Id, site => (ISite)new LocalDirectorySite(site.Descriptor.Id, Path.Combine(directory, "site"))), TimeProvider.System);
        var keys = new TenantKeys(harness.Seal, new SeededRandomSource(3));
        harness.Serve(destruction: new DestructionService(harness.Store, sites, keys, harness.Log, TimeProvider.System, new SeededRandomSource(8)));
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    private Task<ManagementResponse> SendAsync(string method, string path, string token, string? body = null) => harness.SendAsync(method, path, token, body);

    [Fact]
    public async Task A_tenant_admin_closes_its_account_and_reopens_it_while_closed()
    {
        var closed = await SendAsync("POST", "/v1/accounts/acme/close", AcmeAdminToken, "{\"graceDays\":7}");

        Assert.Equal(200, closed.Status);
        Assert.Equal("Closed", closed.Body.GetProperty("state").GetString());
        var record = (await harness.Store.GetAccountAsync("acme"))!;
        Assert.Equal(AccountState.Closed, record.State);
        Assert.Equal(record.ClosedOn!.Value.AddDays(7), record.DestroyAfter);

        // Closed: its administrators reach only what closure leaves behind — and reopen.
        Assert.Equal((403, "AccountClosed"), Code(await SendAsync("POST", "/v1/accounts/acme/purge", AcmeAdminToken, "{\"container\":\"records\",\"blob\":\"b\"}")));
        Assert.Equal((403, "AccountClosed"), Code(await SendAsync("POST", "/v1/accounts/acme/close", AcmeAdminToken)));
        Assert.Equal(200, (await SendAsync("GET", "/v1/accounts/acme/destructions", AcmeAdminToken)).Status);

        var reopened = await SendAsync("POST", "/v1/accounts/acme/reopen", AcmeAdminToken);
        Assert.Equal(200, reopened.Status);
        Assert.Equal("Enabled", reopened.Body.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, reopened.Body.GetProperty("destroyAfter").ValueKind);
        Assert.Equal(AccountState.Enabled, (await harness.Store.GetAccountAsync("acme"))!.State);

        var actions = (await harness.AccountEntriesAsync("acme")).Select(entry => (entry.Action, entry.Actor.Id)).ToList();
        Assert.Contains(actions, entry => entry.Action == AuditActions.CloseAccount && entry.Id.Contains("dana", StringComparison.Ordinal));
        Assert.Contains(actions, entry => entry.Action == AuditActions.ReopenAccount && entry.Id.Contains("dana", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_system_admin_closes_with_the_default_grace_and_reopens()
    {
        var closed = await SendAsync("POST", "/v1/accounts/globex/close", SystemAdminToken);

        Assert.Equal(200, closed.Status);
        var record = (await harness.Store.GetAccountAsync("globex"))!;
        Assert.Equal(record.ClosedOn!.Value + Limits.AccountCloseGraceDefault, record.DestroyAfter);
        Assert.Equal((409, "InvalidAccountState"), Code(await SendAsync("POST", "/v1/accounts/globex/close", SystemAdminToken, "{\"graceDays\":1}")));
        Assert.Equal(200, (await SendAsync("POST", "/v1/accounts/globex/reopen", SystemAdminToken)).Status);
        Assert.Equal((409, "InvalidAccountState"), Code(await SendAsync("POST", "/v1/accounts/globex/reopen", SystemAdminToken)));
        Assert.Equal((404, "AccountNotFound"), Code(await SendAsync("POST", "/v1/accounts/nosuch/close", SystemAdminToken)));
    }

    [Theory]
    [InlineData("{\"graceDays\":-1}")]
    [InlineData("{\"graceDays\":366}")]
    [InlineData("{\"graceDays\":\"7\"}")]
    [InlineData("{\"graceDays\":1.5}")]
    public async Task A_grace_out_of_bounds_is_refused_and_closes_nothing(string body)
    {
        Assert.Equal((400, "InvalidDataProtectionSetting"), Code(await SendAsync("POST", "/v1/accounts/acme/close", AcmeAdminToken, body)));
        Assert.Equal(AccountState.Enabled, (await harness.Store.GetAccountAsync("acme"))!.State);
    }

    [Theory]
    [InlineData(GlobexAdminToken)]
    [InlineData(AuditAdminToken)]
    [InlineData(SecurityAdminToken)]
    public async Task Only_its_tenant_admins_and_system_admins_close_and_reopen_an_account(string token)
    {
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("POST", "/v1/accounts/acme/close", token, "{\"graceDays\":0}")));
        Assert.Equal(AccountState.Enabled, (await harness.Store.GetAccountAsync("acme"))!.State);
        await SendAsync("POST", "/v1/accounts/acme/close", AcmeAdminToken);
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("POST", "/v1/accounts/acme/reopen", token)));
        Assert.Equal(AccountState.Closed, (await harness.Store.GetAccountAsync("acme"))!.State);
    }

    [Theory]
    [InlineData(GlobexAdminToken)]
    [InlineData(AuditAdminToken)]
    [InlineData(SystemAdminToken)]
    [InlineData(SecurityAdminToken)]
    public async Task Only_the_accounts_tenant_admins_purge(string token)
    {
        var now = DateTimeOffset.UtcNow;
        await harness.Store.SoftDeleteContainerAsync("acme", "records", "01DELETED", now, now.AddDays(30));

        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("POST", "/v1/accounts/acme/purge", token, "{\"container\":\"records\",\"version\":\"01DELETED\"}")));
        Assert.NotNull(await harness.Store.GetContainerAsync("acme", VersionIds.DeletedContainerKey("records", "01DELETED")));
    }

    [Fact]
    public async Task A_tenant_admin_purges_a_soft_deleted_container_and_reads_the_destruction()
    {
        var now = DateTimeOffset.UtcNow;
        await harness.Store.SoftDeleteContainerAsync("acme", "records", "01DELETED", now, now.AddDays(30));

        var purged = await SendAsync("POST", "/v1/accounts/acme/purge", AcmeAdminToken, "{\"container\":\"records\",\"version\":\"01DELETED\"}");

        Assert.Equal(200, purged.Status);
        Assert.Equal("container", purged.Body.GetProperty("kind").GetString());
        Assert.Equal("acme/records", purged.Body.GetProperty("scope").GetString());
        Assert.Equal("complete", purged.Body.GetProperty("state").GetString());
        Assert.Equal(0, purged.Body.GetProperty("objects").GetInt64());
        Assert.Null(await harness.Store.GetContainerAsync("acme", VersionIds.DeletedContainerKey("records", "01DELETED")));
        var id = purged.Body.GetProperty("id").GetString()!;

        var list = await SendAsync("GET", "/v1/accounts/acme/destructions", AuditAdminToken);
        Assert.Equal(200, list.Status);
        Assert.Equal(id, Assert.Single(list.Body.GetProperty("destructions").EnumerateArray().ToList()).GetProperty("id").GetString());
        var one = await SendAsync("GET", $"/v1/accounts/acme/destructions/{id}", AcmeAdminToken);
        Assert.Equal(200, one.Status);
        Assert.True(one.Body.GetProperty("keysEntryIndex").GetInt64() >= 0);
        Assert.Equal(JsonValueKind.Number, one.Body.GetProperty("sweepEntryIndex").ValueKind);

        // Another account's id is not found; nor is one that does not exist.
        Assert.Equal((404, "DestructionNotFound"), Code(await SendAsync("GET", $"/v1/accounts/globex/destructions/{id}", GlobexAdminToken)));
        Assert.Equal((404, "DestructionNotFound"), Code(await SendAsync("GET", "/v1/accounts/acme/destructions/nosuch", AcmeAdminToken)));
    }

    [Theory]
    [InlineData(GlobexAdminToken)]
    [InlineData(SystemAdminToken)]
    [InlineData(SecurityAdminToken)]
    public async Task Only_its_tenant_admins_and_audit_admins_read_its_destructions(string token)
    {
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("GET", "/v1/accounts/acme/destructions", token)));
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("GET", "/v1/accounts/acme/destructions/x", token)));
    }

    [Theory]
    [InlineData("{\"container\":\"records\"}", 400, "InvalidAccessRequest")]
    [InlineData("{\"container\":\"records\",\"version\":\"v\",\"blob\":\"b\"}", 400, "InvalidAccessRequest")]
    [InlineData("{\"version\":\"v\"}", 400, "InvalidAccessRequest")]
    [InlineData("{\"container\":\"Bad_Name\",\"blob\":\"b\"}", 400, "InvalidResourceName")]
    [InlineData("{\"container\":\"records\",\"version\":\"nosuch\"}", 404, "ContainerNotDeleted")]
    [InlineData("{\"container\":\"records\",\"blob\":\"live\"}", 404, "BlobNotFound")]
    public async Task Purge_refuses_a_wrong_body_and_what_is_not_soft_deleted(string body, int status, string code)
    {
        Assert.Equal((status, code), Code(await SendAsync("POST", "/v1/accounts/acme/purge", AcmeAdminToken, body)));
        Assert.NotNull(await harness.Store.GetContainerAsync("acme", "records"));
        Assert.Empty(await harness.Store.ListDestructionsAsync("acme"));
    }
}
