using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Server;
using Strongroom.Vault;

namespace Strongroom.Cli.Tests;

/// <summary>
/// The platform log's events recorded by the deployment's entry points: who did what to the vault,
/// read back through the log and decoded. One test per event kind that the CLI reaches offline;
/// the conformance tests cover the running server (start, stop, unseal over the control socket).
/// </summary>
public sealed class PlatformLogTests : IDisposable
{
    private readonly TempDataDirectory data = new TempDataDirectory().InitializeDevelopment();

    public void Dispose() => data.Dispose();

    private Task<Deployment> OpenAsync() =>
        Deployment.OpenAsync(new DataDirectory(data.Path), TimeProvider.System, SystemRandomSource.Instance);

    private static async Task<List<AuditEntry>> PlatformAsync(Deployment deployment)
    {
        var head = await deployment.Audit.GetTreeHeadAsync(AuditLogs.Platform);
        if (head.Size == 0)
        {
            return [];
        }

        var entries = await deployment.Audit.ReadEntriesAsync(AuditLogs.Platform, 0, head.Size);
        return [.. entries.Select(entry => AuditEntry.Decode(entry.Body!))];
    }

    private static UnsealShare DevelopmentShare(string path) =>
        UnsealShare.Parse(File.ReadAllText(new DataDirectory(path).DevelopmentSharePath));

    [Fact]
    public async Task Unseal_is_recorded_once_when_the_seal_opens_with_the_actor_of_the_context()
    {
        await using var deployment = await OpenAsync();
        using (OperationContext.Begin(new OperationContext(new Actor(ActorKind.Host, "custodian-one"), "req-1", "10.0.0.7")))
        {
            var progress = await deployment.SubmitUnsealShareAsync(DevelopmentShare(data.Path));
            Assert.False(progress.Status.Sealed);
        }

        var unseal = Assert.Single(await PlatformAsync(deployment), entry => entry.Action == AuditActions.Unseal);
        Assert.Equal(new Actor(ActorKind.Host, "custodian-one"), unseal.Actor);
        Assert.Equal("req-1", unseal.RequestId);
        Assert.Equal("10.0.0.7", unseal.ClientAddress);
        Assert.Equal(Deployment.VaultResource, unseal.Resource);
        Assert.DoesNotContain(unseal.Details, detail => detail.Value.Contains("srs1-", StringComparison.Ordinal));

        // Submitting to an unsealed vault opens nothing: no second entry.
        await deployment.SubmitUnsealShareAsync(DevelopmentShare(data.Path));
        Assert.Single(await PlatformAsync(deployment), entry => entry.Action == AuditActions.Unseal);
    }

    [Fact]
    public async Task Seal_is_recorded_before_the_keys_go()
    {
        await using var deployment = await OpenAsync();
        await deployment.SubmitUnsealShareAsync(DevelopmentShare(data.Path));
        Assert.True(await deployment.SealAsync());
        Assert.True(deployment.Vault.IsSealed);
        var actions = (await PlatformAsync(deployment)).Select(entry => entry.Action).ToList();
        Assert.Equal([AuditActions.Unseal, AuditActions.Seal], actions);
    }

    [Fact]
    public async Task Rotation_and_rewrap_passes_are_recorded_with_versions_and_counts()
    {
        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", "tenanta")).ExitCode);
        var rotated = await data.RunWithDataAsync("vault", "rotate");
        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        var rewrapped = await data.RunWithDataAsync("vault", "rewrap");
        Assert.True(rewrapped.ExitCode == 0, rewrapped.ToString());

        await using var deployment = await OpenAsync();
        var platform = await PlatformAsync(deployment);
        var rotation = Assert.Single(platform, entry => entry.Action == AuditActions.RotateKeyring);
        Assert.Contains(new KeyValuePair<string, string>("fromVersion", "1"), rotation.Details);
        var pass = Assert.Single(platform, entry => entry.Action == AuditActions.Rewrap);
        Assert.Contains(new KeyValuePair<string, string>("sharedKeys", "2"), pass.Details);
        Assert.Contains(new KeyValuePair<string, string>("failed", "0"), pass.Details);
        Assert.True(platform.IndexOf(rotation) < platform.IndexOf(pass));
    }

    [Fact]
    public async Task An_unseal_that_cannot_be_recorded_is_undone()
    {
        var deployment = await OpenAsync();
        try
        {
            // The store is gone: the entry cannot be written, so the vault must not stay open.
            await deployment.Store.DisposeAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => deployment.SubmitUnsealShareAsync(DevelopmentShare(data.Path)));
            Assert.True(deployment.Vault.IsSealed);
        }
        finally
        {
            deployment.Vault.Dispose();
        }
    }

    [Fact]
    public async Task A_seal_happens_even_when_it_cannot_be_recorded()
    {
        var deployment = await OpenAsync();
        try
        {
            await deployment.SubmitUnsealShareAsync(DevelopmentShare(data.Path));
            await deployment.Store.DisposeAsync();
            Assert.False(await deployment.SealAsync());
            Assert.True(deployment.Vault.IsSealed);
        }
        finally
        {
            deployment.Vault.Dispose();
        }
    }
}
