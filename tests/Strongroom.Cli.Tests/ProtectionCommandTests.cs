using System.Text.Json;

namespace Strongroom.Cli.Tests;

/// <summary>
/// <c>strongroom account protection</c> and <c>strongroom container legal-hold</c> (issue 7): on
/// the host with --data, and with --session through an in-process server's management plane.
/// </summary>
public sealed class ProtectionCommandTests : IDisposable
{
    private readonly TempDataDirectory data = new TempDataDirectory().InitializeDevelopment();

    public void Dispose() => data.Dispose();

    [Fact]
    public async Task Protection_shows_changes_and_shows_again_on_the_host()
    {
        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", "guarded1")).ExitCode);

        var shown = await data.RunWithDataAsync("account", "protection", "guarded1");
        var changed = await data.RunWithDataAsync("account", "protection", "guarded1", "--versioning", "on", "--container-soft-delete-days", "7", "--blob-soft-delete-days", "1");
        var json = await data.RunWithDataAsync("account", "protection", "guarded1", "--json");

        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains("container soft delete:  off", shown.Output, StringComparison.Ordinal);
        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.Contains("versioning:             on", changed.Output, StringComparison.Ordinal);
        Assert.Contains("container soft delete:  7 days", changed.Output, StringComparison.Ordinal);
        Assert.Contains("blob soft delete:       1 day", changed.Output, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal(7, document.RootElement.GetProperty("containerSoftDeleteDays").GetInt32());
        Assert.True(document.RootElement.GetProperty("versioning").GetBoolean());

        var off = await data.RunWithDataAsync("account", "protection", "guarded1", "--container-soft-delete-days", "off");
        Assert.Contains("container soft delete:  off", off.Output, StringComparison.Ordinal);
        Assert.Contains("versioning:             on", off.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--blob-soft-delete-days", "0")]
    [InlineData("--blob-soft-delete-days", "366")]
    [InlineData("--container-soft-delete-days", "seven")]
    [InlineData("--versioning", "maybe")]
    [InlineData("--allow-permanent-delete", "yes")]
    public async Task Protection_refuses_a_bad_value_before_changing_anything(string option, string value)
    {
        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", "guarded2")).ExitCode);

        var result = await data.RunWithDataAsync("account", "protection", "guarded2", option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(option, result.Error, StringComparison.Ordinal);
        Assert.Contains("blob soft delete:       off", (await data.RunWithDataAsync("account", "protection", "guarded2")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Protection_of_an_unknown_account_fails()
    {
        var result = await data.RunWithDataAsync("account", "protection", "nobody1");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("AccountNotFound", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Legal_hold_needs_a_tag_a_valid_container_and_an_existing_one()
    {
        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", "guarded3")).ExitCode);

        var noTag = await data.RunWithDataAsync("container", "legal-hold", "set", "guarded3", "records");
        var badName = await data.RunWithDataAsync("container", "legal-hold", "set", "guarded3", "Records!", "--tag", "case1");
        var missing = await data.RunWithDataAsync("container", "legal-hold", "set", "guarded3", "records", "--tag", "case1");
        var badTag = await data.RunWithDataAsync("container", "legal-hold", "set", "guarded3", "records", "--tag", "x");

        Assert.True(noTag.ExitCode == 2, noTag.ToString());
        Assert.Contains("--tag", noTag.Error, StringComparison.Ordinal);
        Assert.True(badName.ExitCode == 2, badName.ToString());
        Assert.True(missing.ExitCode == 1, missing.ToString());
        Assert.Contains("ContainerNotFound", missing.Error, StringComparison.Ordinal);
        Assert.True(badTag.ExitCode == 1, badTag.ToString());
        Assert.Contains("InvalidDataProtectionSetting", badTag.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_protection_and_legal_hold_go_through_the_plane_for_the_tenant_admin_only()
    {
        await using var plane = await SessionPlane.StartAsync();
        var (server, tenantSession, operatorSession) = (plane.Server, plane.TenantSession, plane.OperatorSession);

        var changed = await TempDataDirectory.RunAsync("account", "protection", "tenant", "--container-soft-delete-days", "3", "--session", tenantSession);
        var held = await TempDataDirectory.RunAsync("container", "legal-hold", "set", "tenant", "records", "--tag", "case1", "--session", tenantSession);
        var refused = await TempDataDirectory.RunAsync("account", "protection", "tenant", "--versioning", "on", "--session", operatorSession);
        var refusedHold = await TempDataDirectory.RunAsync("container", "legal-hold", "clear", "tenant", "records", "--tag", "case1", "--session", operatorSession);
        var shown = await TempDataDirectory.RunAsync("container", "legal-hold", "show", "tenant", "records", "--session", tenantSession, "--json");

        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.Contains("container soft delete:  3 days", changed.Output, StringComparison.Ordinal);
        Assert.True(held.ExitCode == 0, held.ToString());
        Assert.Contains("tags case1", held.Output, StringComparison.Ordinal);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("RoleNotPermitted", refused.Error, StringComparison.Ordinal);
        Assert.True(refusedHold.ExitCode == 1, refusedHold.ToString());
        using var document = JsonDocument.Parse(shown.Output);
        Assert.True(document.RootElement.GetProperty("hasLegalHold").GetBoolean());
        var record = await server.Deployment.Store.GetAccountAsync("tenant");
        Assert.Equal(3, record!.DataProtection.ContainerSoftDeleteDays);
        Assert.False(record.DataProtection.Versioning);
    }
}
