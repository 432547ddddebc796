using System.Text.Json;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Destruction;
using Strongroom.Storage;
using Strongroom.Vault;

using static Strongroom.Protocol.Tests.ManagementRouteHarness;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// The data-protection and legal-hold routes of the management plane (issue 7) over the real
/// <see cref="ProtectionService"/> and SQLite store: who may read and change them, the bodies, and
/// the log entries the changes commit with.
/// </summary>
public sealed class ManagementProtectionRouteTests : IAsyncLifetime
{
    private ManagementRouteHarness harness = null!;

    public async Task InitializeAsync()
    {
        harness = await ManagementRouteHarness.OpenAsync("strongroom-protection-routes-");
        await harness.CreateAccountsAsync("records", DateTimeOffset.UnixEpoch);
        harness.Serve(protection: new ProtectionService(harness.Store, harness.Log));
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    private Task<ManagementResponse> SendAsync(string method, string path, string token, string? body = null) => harness.SendAsync(method, path, token, body);

    [Fact]
    public async Task A_tenant_admin_changes_its_accounts_protection_and_the_change_is_logged()
    {
        var changed = await SendAsync("PUT", "/v1/accounts/acme/protection", AcmeAdminToken, "{\"versioning\":true,\"containerSoftDeleteDays\":14}");

        Assert.Equal(200, changed.Status);
        Assert.True(changed.Body.GetProperty("versioning").GetBoolean());
        Assert.Equal(14, changed.Body.GetProperty("containerSoftDeleteDays").GetInt32());
        Assert.Equal(JsonValueKind.Null, changed.Body.GetProperty("blobSoftDeleteDays").ValueKind);
        Assert.Equal(new DataProtectionSettings(Versioning: true, ContainerSoftDeleteDays: 14), (await harness.Store.GetAccountAsync("acme"))!.DataProtection);

        var entry = Assert.Single(await harness.AccountEntriesAsync("acme"), e => e.Action == "Account.SetDataProtection");
        Assert.Contains("dana", entry.Actor.Id, StringComparison.Ordinal);
        Assert.Contains(new KeyValuePair<string, string>("containerSoftDeleteDays", "14"), entry.Details);

        var off = await SendAsync("PUT", "/v1/accounts/acme/protection", AcmeAdminToken, "{\"containerSoftDeleteDays\":null}");
        Assert.Equal(JsonValueKind.Null, off.Body.GetProperty("containerSoftDeleteDays").ValueKind);
        Assert.True(off.Body.GetProperty("versioning").GetBoolean());

        var read = await SendAsync("GET", "/v1/accounts/acme/protection", AuditAdminToken);
        Assert.Equal(200, read.Status);
        Assert.True(read.Body.GetProperty("versioning").GetBoolean());
    }

    [Theory]
    [InlineData(GlobexAdminToken)]
    [InlineData(AuditAdminToken)]
    [InlineData(SystemAdminToken)]
    [InlineData(SecurityAdminToken)]
    public async Task Only_the_accounts_tenant_admins_change_its_protection_and_legal_holds(string token)
    {
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("PUT", "/v1/accounts/acme/protection", token, "{\"versioning\":true}")));
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("PUT", "/v1/accounts/acme/containers/records/legal-hold", token, "{\"tags\":[\"case1\"]}")));
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("POST", "/v1/accounts/acme/containers/records/legal-hold/clear", token, "{\"tags\":[\"case1\"]}")));
        Assert.Equal(DataProtectionSettings.Off, (await harness.Store.GetAccountAsync("acme"))!.DataProtection);
        Assert.False((await harness.Store.GetContainerAsync("acme", "records"))!.HasLegalHold);
    }

    [Theory]
    [InlineData(GlobexAdminToken)]
    [InlineData(SystemAdminToken)]
    public async Task Only_its_tenant_admins_and_audit_admins_read_them(string token)
    {
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("GET", "/v1/accounts/acme/protection", token)));
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("GET", "/v1/accounts/acme/containers/records/legal-hold", token)));
    }

    [Theory]
    [InlineData("{\"blobSoftDeleteDays\":0}")]
    [InlineData("{\"containerSoftDeleteDays\":366}")]
    [InlineData("{\"versioning\":\"yes\"}")]
    [InlineData("{}")]
    public async Task Invalid_settings_are_refused_and_change_nothing(string body)
    {
        Assert.Equal((400, "InvalidDataProtectionSetting"), Code(await SendAsync("PUT", "/v1/accounts/acme/protection", AcmeAdminToken, body)));
        Assert.Equal(DataProtectionSettings.Off, (await harness.Store.GetAccountAsync("acme"))!.DataProtection);
    }

    [Fact]
    public async Task Legal_hold_tags_are_added_cleared_and_read()
    {
        var set = await SendAsync("PUT", "/v1/accounts/acme/containers/records/legal-hold", AcmeAdminToken, "{\"tags\":[\"Case1\",\"audit2026\"]}");

        Assert.Equal(200, set.Status);
        Assert.True(set.Body.GetProperty("hasLegalHold").GetBoolean());
        Assert.Equal(["case1", "audit2026"], set.Body.GetProperty("tags").EnumerateArray().Select(tag => tag.GetString()));
        Assert.Equal(["case1", "audit2026"], (await harness.Store.GetContainerAsync("acme", "records"))!.LegalHoldTags!);

        var cleared = await SendAsync("POST", "/v1/accounts/acme/containers/records/legal-hold/clear", AcmeAdminToken, "{\"tags\":[\"case1\",\"audit2026\"]}");
        Assert.False(cleared.Body.GetProperty("hasLegalHold").GetBoolean());
        Assert.False((await harness.Store.GetContainerAsync("acme", "records"))!.HasLegalHold);

        var read = await SendAsync("GET", "/v1/accounts/acme/containers/records/legal-hold", AuditAdminToken);
        Assert.Equal(200, read.Status);
        Assert.Equal(0, read.Body.GetProperty("tags").GetArrayLength());
        var actions = (await harness.AccountEntriesAsync("acme")).Select(e => e.Action).ToList();
        Assert.Contains("Container.SetLegalHold", actions);
        Assert.Contains("Container.ClearLegalHold", actions);
    }

    [Theory]
    [InlineData("{\"tags\":[\"ab\"]}")]
    [InlineData("{\"tags\":[\"has-dash\"]}")]
    [InlineData("{\"tags\":[\"abcdefghijklmnopqrstuvwx\"]}")]
    [InlineData("{\"tags\":[]}")]
    [InlineData("{\"tags\":\"case1\"}")]
    [InlineData("{\"tags\":[\"t01\",\"t02\",\"t03\",\"t04\",\"t05\",\"t06\",\"t07\",\"t08\",\"t09\",\"t10\",\"t11\"]}")]
    public async Task Invalid_tags_are_refused(string body)
    {
        Assert.Equal((400, "InvalidDataProtectionSetting"), Code(await SendAsync("PUT", "/v1/accounts/acme/containers/records/legal-hold", AcmeAdminToken, body)));
        Assert.False((await harness.Store.GetContainerAsync("acme", "records"))!.HasLegalHold);
    }

    [Fact]
    public async Task A_container_holds_at_most_ten_tags_and_an_unknown_container_is_not_found()
    {
        var ten = string.Join(",", Enumerable.Range(1, 10).Select(i => $"\"tag{i:00}\""));
        Assert.Equal(200, (await SendAsync("PUT", "/v1/accounts/acme/containers/records/legal-hold", AcmeAdminToken, "{\"tags\":[" + ten + "]}")).Status);

        Assert.Equal((400, "InvalidDataProtectionSetting"), Code(await SendAsync("PUT", "/v1/accounts/acme/containers/records/legal-hold", AcmeAdminToken, "{\"tags\":[\"tag11\"]}")));
        Assert.Equal((404, "ContainerNotFound"), Code(await SendAsync("PUT", "/v1/accounts/acme/containers/missing/legal-hold", AcmeAdminToken, "{\"tags\":[\"case1\"]}")));
        Assert.Equal(10, (await harness.Store.GetContainerAsync("acme", "records"))!.LegalHoldTags!.Count);
    }
}
