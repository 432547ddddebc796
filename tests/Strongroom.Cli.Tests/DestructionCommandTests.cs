using System.Text.Json;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Cli.Tests;

/// <summary>
/// <c>strongroom account close | reopen | destructions</c> and <c>strongroom purge</c> (issue 7):
/// on the host with --data, and with --session through an in-process server's management plane
/// on a fake clock.
/// </summary>
public sealed class DestructionCommandTests : IDisposable
{
    private readonly TempDataDirectory data = new TempDataDirectory().InitializeDevelopment();

    public void Dispose() => data.Dispose();

    [Fact]
    public async Task Close_needs_yes_then_closes_and_reopen_takes_it_back_on_the_host()
    {
        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", "closing1")).ExitCode);

        var refused = await data.RunWithDataAsync("account", "close", "closing1");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("--yes", refused.Error, StringComparison.Ordinal);

        var closed = await data.RunWithDataAsync("account", "close", "closing1", "--grace-days", "7", "--yes");
        Assert.True(closed.ExitCode == 0, closed.ToString());
        Assert.Contains("Closed account closing1", closed.Output, StringComparison.Ordinal);
        Assert.Contains("State:             Closed", (await data.RunWithDataAsync("account", "show", "closing1")).Output, StringComparison.Ordinal);
        var twice = await data.RunWithDataAsync("account", "close", "closing1", "--yes");
        Assert.True(twice.ExitCode == 1, twice.ToString());
        Assert.Contains("InvalidAccountState", twice.Error, StringComparison.Ordinal);

        var reopened = await data.RunWithDataAsync("account", "reopen", "closing1");
        Assert.True(reopened.ExitCode == 0, reopened.ToString());
        Assert.Contains("State:             Enabled", (await data.RunWithDataAsync("account", "show", "closing1")).Output, StringComparison.Ordinal);
        var open = await data.RunWithDataAsync("account", "reopen", "closing1");
        Assert.True(open.ExitCode == 1, open.ToString());

        var none = await data.RunWithDataAsync("account", "destructions", "closing1");
        Assert.True(none.ExitCode == 0, none.ToString());
        Assert.Contains("no destructions", none.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("account", "close", "closing2", "--grace-days", "366", "--yes")]
    [InlineData("account", "close", "closing2", "--grace-days", "-1", "--yes")]
    [InlineData("purge", "closing2", "records", "--yes")]
    [InlineData("purge", "closing2", "records", "--version", "v", "--blob", "b", "--yes")]
    [InlineData("purge", "closing2", "records", "--blob", "b")]
    [InlineData("purge", "closing2", "Bad_Name", "--blob", "b", "--yes")]
    [InlineData("account", "reopen", "closing2", "--ca-cert", "ca.pem")]
    public async Task Bad_command_lines_exit_2_and_change_nothing(params string[] args)
    {
        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", "closing2")).ExitCode);

        var result = await data.RunWithDataAsync(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("State:             Enabled", (await data.RunWithDataAsync("account", "show", "closing2")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purge_of_what_is_not_soft_deleted_fails_on_the_host()
    {
        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", "purging1")).ExitCode);

        var container = await data.RunWithDataAsync("purge", "purging1", "records", "--version", "01X", "--yes");
        var blob = await data.RunWithDataAsync("purge", "purging1", "records", "--blob", "a", "--yes");
        var destruction = await data.RunWithDataAsync("account", "destructions", "purging1", "nosuch");

        Assert.True(container.ExitCode == 1, container.ToString());
        Assert.Contains("ContainerNotDeleted", container.Error, StringComparison.Ordinal);
        Assert.True(blob.ExitCode == 1, blob.ToString());
        Assert.Contains("BlobNotFound", blob.Error, StringComparison.Ordinal);
        Assert.True(destruction.ExitCode == 1, destruction.ToString());
        Assert.Contains("DestructionNotFound", destruction.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_close_reopen_purge_and_destructions_go_through_the_plane()
    {
        await using var plane = await SessionPlane.StartAsync();
        var (server, time, tenantSession, operatorSession) = (plane.Server, plane.Time, plane.TenantSession, plane.OperatorSession);

        // Early purge of a soft-deleted container: the tenant's administrator only.
        var now = time.GetUtcNow();
        await ((IProtectionStore)server.Deployment.Store).SoftDeleteContainerAsync("tenant", "records", "01VERSION", now, now.AddDays(7));
        var operatorPurge = await TempDataDirectory.RunAsync("purge", "tenant", "records", "--version", "01VERSION", "--yes", "--session", operatorSession);
        Assert.True(operatorPurge.ExitCode == 1, operatorPurge.ToString());
        Assert.Contains("RoleNotPermitted", operatorPurge.Error, StringComparison.Ordinal);
        var purged = await TempDataDirectory.RunAsync("purge", "tenant", "records", "--version", "01VERSION", "--yes", "--session", tenantSession, "--json");
        Assert.True(purged.ExitCode == 0, purged.ToString());
        string id;
        using (var document = JsonDocument.Parse(purged.Output))
        {
            Assert.Equal("tenant/records", document.RootElement.GetProperty("scope").GetString());
            id = document.RootElement.GetProperty("id").GetString()!;
        }

        // Closed by its tenant administrator, who still reads its destructions and reopens it.
        var closed = await TempDataDirectory.RunAsync("account", "close", "tenant", "--grace-days", "3", "--yes", "--session", tenantSession);
        Assert.True(closed.ExitCode == 0, closed.ToString());
        Assert.Contains("2026-12-03T09:00:00Z", closed.Output, StringComparison.Ordinal);
        Assert.Equal(AccountState.Closed, (await server.Deployment.Store.GetAccountAsync("tenant"))!.State);
        var listed = await TempDataDirectory.RunAsync("account", "destructions", "tenant", "--session", tenantSession);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains(id, listed.Output, StringComparison.Ordinal);
        var detail = await TempDataDirectory.RunAsync("account", "destructions", "tenant", id, "--session", tenantSession);
        Assert.True(detail.ExitCode == 0, detail.ToString());
        Assert.Contains("Scope:            container tenant/records", detail.Output, StringComparison.Ordinal);
        var closedPurge = await TempDataDirectory.RunAsync("purge", "tenant", "records", "--blob", "a", "--yes", "--session", tenantSession);
        Assert.True(closedPurge.ExitCode == 1, closedPurge.ToString());
        Assert.Contains("AccountClosed", closedPurge.Error, StringComparison.Ordinal);
        var reopened = await TempDataDirectory.RunAsync("account", "reopen", "tenant", "--session", tenantSession);
        Assert.True(reopened.ExitCode == 0, reopened.ToString());
        Assert.Equal(AccountState.Enabled, (await server.Deployment.Store.GetAccountAsync("tenant"))!.State);

        // A system admin closes and reopens too.
        Assert.Equal(0, (await TempDataDirectory.RunAsync("account", "close", "tenant", "--yes", "--session", operatorSession)).ExitCode);
        Assert.Equal(now + Limits.AccountCloseGraceDefault, (await server.Deployment.Store.GetAccountAsync("tenant"))!.DestroyAfter);
        Assert.Equal(0, (await TempDataDirectory.RunAsync("account", "reopen", "tenant", "--session", operatorSession)).ExitCode);
    }
}
