using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Destruction.Tests;

/// <summary>
/// Customer-managed keys of a destroyed account (purged at once, or after the vault's recoverable
/// period under purge protection), the certificate revisions each event is owed, and soft-deleted
/// blob instances purged when their retention ends.
/// </summary>
public sealed class VaultKeyAndInstancePurgeTests
{
    private const string Account = DestructionFixture.Account;
    private const string KeyId = $"vault-key/{Account}/cmk/v1";

    [Fact]
    public async Task Without_purge_protection_the_accounts_vault_keys_are_purged_with_its_other_keys()
    {
        await using var fixture = await DestructionFixture.CreateAsync();
        await AddVaultKeyAsync(fixture);

        var destruction = await fixture.Destruction.DestroyAccountNowAsync(Account);

        var key = Assert.Single(destruction.Keys, key => key.Id == KeyId);
        Assert.Equal(destruction.KeysDestroyedOn, key.DestroyedOn);
        Assert.Null(key.ScheduledOn);
        Assert.Null(await fixture.Store.GetVaultItemAsync(Account, VaultItemKind.Key, "cmk", null));
        Assert.Equal(2, fixture.Certificates.Count);
    }

    [Fact]
    public async Task Under_purge_protection_a_vault_key_purged_before_the_sweep_completes_still_leaves_every_certificate_owed()
    {
        await using var fixture = await DestructionFixture.CreateAsync();
        await fixture.Store.SetVaultSettingsAsync(Account, new VaultSettings(7, PurgeProtection: true));
        await AddVaultKeyAsync(fixture);
        await fixture.PutAsync("a", DestructionFixture.Pattern(4000, 7));
        var stored = await fixture.ObjectOfAsync("a");
        SetAllSites(fixture, down: true);

        // Keys destroyed with every site down: the vault key is only scheduled (soft-deleted).
        await fixture.Destruction.CloseAccountAsync(Account, TimeSpan.Zero);
        var destroyed = await fixture.Destruction.SweepAsync();
        Assert.Equal(1, destroyed.AccountsDestroyed);
        var first = Assert.Single(fixture.Certificates);
        var scheduled = Assert.Single(first.Keys, key => key.Id == KeyId);
        Assert.Null(scheduled.DestroyedOn);
        Assert.Equal(first.KeysDestroyedOn.AddDays(7), scheduled.ScheduledOn);
        Assert.NotNull((await fixture.Store.GetVaultItemAsync(Account, VaultItemKind.Key, "cmk", null))?.Item.DeletedOn);

        // Nothing more is owed until the vault's recoverable period ends.
        fixture.Time.Advance(TimeSpan.FromDays(6));
        await fixture.Destruction.SweepAsync();
        Assert.Single(fixture.Certificates);

        // The period ends while the sites are still down: the key is purged, a revision says so.
        fixture.Time.Advance(TimeSpan.FromDays(1));
        var purged = await fixture.Destruction.SweepAsync();
        Assert.Equal(0, purged.DestructionsCompleted);
        Assert.Equal(2, fixture.Certificates.Count);
        Assert.Equal(DestructionState.Sweeping, fixture.Certificates[1].State);
        Assert.Equal(fixture.Time.GetUtcNow(), Assert.Single(fixture.Certificates[1].Keys, key => key.Id == KeyId).DestroyedOn);
        Assert.Null(await fixture.Store.GetVaultItemAsync(Account, VaultItemKind.Key, "cmk", null));
        Assert.Contains(await fixture.EntriesAsync(), entry => entry.Action == Audit.AuditActions.DestroyVaultKeys);

        // The sites return: the sweep completes and its certificate is still issued.
        SetAllSites(fixture, down: false);
        var swept = await fixture.Destruction.SweepAsync();
        Assert.Equal(1, swept.DestructionsCompleted);
        Assert.False(fixture.AnySiteHolds(stored.ObjectId));
        Assert.Equal(3, fixture.Certificates.Count);
        Assert.Equal(DestructionState.Complete, fixture.Certificates[2].State);
        Assert.NotNull(Assert.Single(fixture.Certificates[2].Keys, key => key.Id == KeyId).DestroyedOn);

        // And nothing more afterwards.
        await fixture.Destruction.SweepAsync();
        Assert.Equal(3, fixture.Certificates.Count);
    }

    [Fact]
    public async Task Soft_deleted_blob_instances_are_purged_when_their_retention_ends()
    {
        await using var fixture = await DestructionFixture.CreateAsync();
        await fixture.Store.SetDataProtectionAsync(Account, new DataProtectionSettings(BlobSoftDeleteDays: 7));
        await fixture.PutAsync("a", DestructionFixture.Pattern(3000, 8));
        var stored = await fixture.ObjectOfAsync("a");
        await fixture.Blobs.DeleteBlobAsync(Account, "box", "a", AccessConditions.None);
        Assert.Single(await fixture.Store.ListDeletedInstancesAsync(Account, "box", "a"));

        fixture.Time.Advance(TimeSpan.FromDays(6));
        Assert.Equal(0, (await fixture.Destruction.SweepAsync()).InstancesPurged);
        Assert.True(fixture.AnySiteHolds(stored.ObjectId));

        fixture.Time.Advance(TimeSpan.FromDays(1));
        var pass = await fixture.Destruction.SweepAsync();

        Assert.Equal(1, pass.InstancesPurged);
        Assert.Empty(await fixture.Store.ListDeletedInstancesAsync(Account, "box", "a"));
        Assert.False(fixture.AnySiteHolds(stored.ObjectId));
        Assert.Contains(await fixture.EntriesAsync(), entry => entry.Action == Audit.AuditActions.PurgeBlob);
    }

    [Fact]
    public async Task A_tenant_admin_purges_a_blobs_soft_deleted_instances_early()
    {
        await using var fixture = await DestructionFixture.CreateAsync();
        await fixture.Store.SetDataProtectionAsync(Account, new DataProtectionSettings(BlobSoftDeleteDays: 30));
        await fixture.PutAsync("a", DestructionFixture.Pattern(3000, 9));
        var stored = await fixture.ObjectOfAsync("a");
        await fixture.Blobs.DeleteBlobAsync(Account, "box", "a", AccessConditions.None);

        Assert.Equal(1, await fixture.Destruction.PurgeBlobAsync(Account, "box", "a"));
        Assert.False(fixture.AnySiteHolds(stored.ObjectId));
        var again = await Assert.ThrowsAsync<StorageException>(() => fixture.Destruction.PurgeBlobAsync(Account, "box", "a"));
        Assert.Equal(ErrorCode.BlobNotFound, again.Code);
    }

    private static async Task AddVaultKeyAsync(DestructionFixture fixture)
    {
        var now = fixture.Time.GetUtcNow();
        await fixture.Store.AddVaultItemVersionAsync(
            Account,
            VaultItemKind.Key,
            "cmk",
            "cmk",
            new VaultItemVersion("v1", 1, now, now, true, null, null, null, [], "oct", [1, 2, 3, 4]),
            _ => true);
    }

    private static void SetAllSites(DestructionFixture fixture, bool down)
    {
        foreach (var site in Strongroom.Testing.TestSites.All)
        {
            fixture.TestSites[site].Down = down;
            if (down)
            {
                fixture.TestSites.Sites.ReportFailure(site, new IOException("down"));
            }
            else
            {
                fixture.TestSites.Sites.ReportSuccess(site);
            }
        }
    }
}
