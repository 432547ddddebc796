using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>Container soft delete in the blob service on a fake clock (issue 7): retention fixed at deletion, versions, restore, the log.</summary>
public sealed class ContainerSoftDeleteServiceTests : IAsyncLifetime
{
    private const string Account = BlobServiceFixture.Account;
    private BlobServiceFixture fixture = null!;

    private BlobService Blobs => fixture.Blobs;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();
        await fixture.Store.SetDataProtectionAsync(Account, new DataProtectionSettings(ContainerSoftDeleteDays: 3));
    }

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    [Fact]
    public async Task Retention_is_fixed_at_deletion_and_a_restore_after_it_is_refused()
    {
        await Blobs.CreateContainerAsync(Account, "box", []);
        await fixture.PutAsync("box", "a.txt", [1, 2, 3]);
        var deletedAt = fixture.Time.GetUtcNow();

        await Blobs.DeleteContainerAsync(Account, "box", AccessConditions.None);
        // A later change of the setting does not move this container's purge time.
        await fixture.Store.SetDataProtectionAsync(Account, new DataProtectionSettings(ContainerSoftDeleteDays: 30));

        var listing = await Blobs.ListContainersAsync(Account, null, null, 10, includeDeleted: true);
        var deleted = Assert.Single(listing.Deleted);
        Assert.Empty(listing.Containers);
        Assert.Equal((deletedAt, deletedAt.AddDays(3)), (deleted.DeletedOn, deleted.PurgeOn));
        Assert.Equal((deletedAt.UtcTicks - new DateTimeOffset(1601, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks).ToString("X16", System.Globalization.CultureInfo.InvariantCulture), deleted.Version);
        Assert.Empty((await Blobs.ListContainersAsync(Account, null, null, 10)).Containers);
        Assert.Single(fixture.SiteFiles());

        fixture.Time.Advance(TimeSpan.FromDays(3));
        Assert.Equal(ErrorCode.ContainerNotDeleted, (await Assert.ThrowsAsync<StorageException>(() => Blobs.RestoreContainerAsync(Account, "box", deleted.Version))).Code);
    }

    [Fact]
    public async Task Two_deletions_in_one_tick_get_different_versions_and_each_restores()
    {
        await Blobs.CreateContainerAsync(Account, "box", []);
        await Blobs.DeleteContainerAsync(Account, "box", AccessConditions.None);
        await Blobs.CreateContainerAsync(Account, "box", []);
        await fixture.PutAsync("box", "second.txt", [9]);
        await Blobs.DeleteContainerAsync(Account, "box", AccessConditions.None);

        var versions = (await Blobs.ListContainersAsync(Account, "box", null, 10, includeDeleted: true)).Deleted.Select(d => d.Version).ToList();

        Assert.Equal(2, versions.Count);
        Assert.NotEqual(versions[0], versions[1]);
        await Blobs.RestoreContainerAsync(Account, "box", versions[1]);
        Assert.Equal([9], await fixture.ReadAllAsync("box", "second.txt"));
        Assert.Equal(ErrorCode.ContainerAlreadyExists, (await Assert.ThrowsAsync<StorageException>(() => Blobs.RestoreContainerAsync(Account, "box", versions[0]))).Code);
    }

    [Fact]
    public async Task Soft_delete_and_restore_are_logged_with_the_version()
    {
        await Blobs.CreateContainerAsync(Account, "box", []);
        await Blobs.DeleteContainerAsync(Account, "box", AccessConditions.None);
        var version = (await Blobs.ListContainersAsync(Account, null, null, 10, includeDeleted: true)).Deleted.Single().Version;
        await Blobs.RestoreContainerAsync(Account, "box", version);

        var head = await fixture.Store.GetAuditTreeHeadAsync(Account);
        var entries = (await fixture.Store.ReadAuditEntriesAsync(Account, 0, head.Size)).Select(e => AuditEntry.Decode(e.Body!)).ToList();
        var deletion = Assert.Single(entries, e => e.Action == nameof(BlobOperation.DeleteContainer));
        Assert.Contains(new KeyValuePair<string, string>("deletedContainerVersion", version), deletion.Details);
        Assert.Contains(new KeyValuePair<string, string>("softDelete", "true"), deletion.Details);
        var restore = Assert.Single(entries, e => e.Action == nameof(BlobOperation.RestoreContainer));
        Assert.Equal("/" + Account + "/box", restore.Resource);
    }

    [Fact]
    public async Task Soft_delete_off_deletes_at_once()
    {
        await fixture.Store.SetDataProtectionAsync(Account, DataProtectionSettings.Off);
        await Blobs.CreateContainerAsync(Account, "box", []);
        await fixture.PutAsync("box", "a.txt", [1]);

        await Blobs.DeleteContainerAsync(Account, "box", AccessConditions.None);

        Assert.Empty((await Blobs.ListContainersAsync(Account, null, null, 10, includeDeleted: true)).Deleted);
        Assert.Empty(fixture.SiteFiles());
    }
}
