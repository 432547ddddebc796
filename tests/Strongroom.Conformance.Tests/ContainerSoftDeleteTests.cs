using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>A server whose development account keeps deleted containers 7 days (set with the CLI, as Azure sets it through its management plane).</summary>
public sealed class ContainerSoftDeleteFixture : ServerFixture
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var result = await Server.RunCliAsync("account", "protection", StrongroomProcess.DevAccountName, "--container-soft-delete-days", "7");
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}

/// <summary>Container soft delete, List Containers include=deleted and Restore Container through the Azure SDK (issue 7).</summary>
public sealed class ContainerSoftDeleteTests(ContainerSoftDeleteFixture fixture) : IClassFixture<ContainerSoftDeleteFixture>
{
    BlobServiceClient Service => fixture.Service;

    async Task<List<BlobContainerItem>> ListAsync(string prefix, BlobContainerStates states)
    {
        var items = new List<BlobContainerItem>();
        await foreach (var item in Service.GetBlobContainersAsync(BlobContainerTraits.Metadata, states, prefix))
        {
            items.Add(item);
        }

        return items;
    }

    [Fact]
    public async Task A_deleted_container_is_listed_with_its_version_and_restored_with_its_blobs()
    {
        var name = TestNames.Container("softdel");
        var container = Service.GetBlobContainerClient(name);
        await container.CreateAsync(metadata: new Dictionary<string, string> { ["project"] = "alpha" });
        await container.GetBlobClient("kept.txt").UploadAsync(BinaryData.FromString("kept through deletion"));

        await container.DeleteAsync();

        Assert.Empty(await ListAsync(name, BlobContainerStates.None));
        var deleted = Assert.Single(await ListAsync(name, BlobContainerStates.Deleted));
        Assert.True(deleted.IsDeleted);
        Assert.Matches("^[0-9A-F]{16}$", deleted.VersionId);
        Assert.NotNull(deleted.Properties.DeletedOn);
        Assert.Equal(7, deleted.Properties.RemainingRetentionDays);
        Assert.Equal("alpha", deleted.Properties.Metadata["project"]);
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => container.GetPropertiesAsync());

        var restored = await Service.UndeleteBlobContainerAsync(name, deleted.VersionId);

        Assert.Equal(name, restored.Value.Name);
        Assert.Equal("kept through deletion", (await container.GetBlobClient("kept.txt").DownloadContentAsync()).Value.Content.ToString());
        Assert.DoesNotContain(await ListAsync(name, BlobContainerStates.Deleted), item => item.IsDeleted == true);
    }

    [Fact]
    public async Task The_name_is_free_at_once_and_restore_onto_a_live_name_is_refused()
    {
        var name = TestNames.Container("reuse");
        var container = Service.GetBlobContainerClient(name);
        await container.CreateAsync();
        await container.DeleteAsync();
        await container.CreateAsync();
        await container.GetBlobClient("new.txt").UploadAsync(BinaryData.FromString("new"));

        var listed = await ListAsync(name, BlobContainerStates.Deleted);
        Assert.Equal([false, true], listed.Select(item => item.IsDeleted ?? false));
        var version = listed[1].VersionId;

        await AzureAssert.FailsAsync(409, "ContainerAlreadyExists", () => Service.UndeleteBlobContainerAsync(name, version));

        await container.DeleteAsync();
        var versions = (await ListAsync(name, BlobContainerStates.Deleted)).Select(item => item.VersionId).ToList();
        Assert.Equal(2, versions.Count);
        Assert.Equal(versions.Order(StringComparer.Ordinal), versions);
        await Service.UndeleteBlobContainerAsync(name, version);
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("new.txt").GetPropertiesAsync());
    }

    [Fact]
    public async Task An_unknown_version_is_not_found()
    {
        var name = TestNames.Container("unknown");
        await Service.GetBlobContainerClient(name).CreateAsync();
        await Service.GetBlobContainerClient(name).DeleteAsync();

        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => Service.UndeleteBlobContainerAsync(name, "0000000000000001"));
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => Service.UndeleteBlobContainerAsync(TestNames.Container("never"), "0000000000000001"));
    }

    [Fact]
    public async Task Listing_pages_between_a_live_container_and_its_deleted_versions()
    {
        var name = TestNames.Container("paging");
        var container = Service.GetBlobContainerClient(name);
        for (var i = 0; i < 3; i++)
        {
            await container.CreateAsync();
            await container.DeleteAsync();
        }

        await container.CreateAsync();

        var seen = new List<(bool Deleted, string Version)>();
        await foreach (var page in Service.GetBlobContainersAsync(BlobContainerTraits.None, BlobContainerStates.Deleted, name).AsPages(pageSizeHint: 1))
        {
            Assert.True(page.Values.Count <= 1);
            seen.AddRange(page.Values.Select(item => (item.IsDeleted ?? false, item.VersionId ?? string.Empty)));
        }

        Assert.Equal(4, seen.Count);
        Assert.False(seen[0].Deleted);
        Assert.All(seen.Skip(1), item => Assert.True(item.Deleted));
        Assert.Equal(3, seen.Skip(1).Select(item => item.Version).Distinct().Count());
    }
}
