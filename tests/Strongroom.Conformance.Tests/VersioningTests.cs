using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>Blob versioning through the SDK (issue 7): version ids, reading and deleting versions, listing, promotion by copy, legal holds.</summary>
public sealed class VersioningTests(DataProtectionFixture fixture) : IClassFixture<DataProtectionFixture>
{
    async Task<BlobContainerClient> NewContainerAsync(string account = DataProtectionFixture.Versioned)
    {
        var container = fixture.ServiceFor(account).GetBlobContainerClient(TestNames.Container("versions"));
        await container.CreateAsync();
        return container;
    }

    static BinaryData Text(string text) => BinaryData.FromString(text);

    static async Task<string> ReadAsync(BlobClient blob) => (await blob.DownloadContentAsync()).Value.Content.ToString();

    [Fact]
    public async Task Every_write_creates_a_version_and_old_versions_stay_readable()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("doc.txt");
        var first = await blob.UploadAsync(Text("one"));
        var second = await blob.UploadAsync(Text("two"), overwrite: true);
        Assert.NotNull(first.Value.VersionId);
        Assert.NotNull(second.Value.VersionId);
        Assert.NotEqual(first.Value.VersionId, second.Value.VersionId);

        var current = await blob.GetPropertiesAsync();
        Assert.Equal(second.Value.VersionId, current.Value.VersionId);
        Assert.True(current.Value.IsLatestVersion);
        Assert.Equal("two", await ReadAsync(blob));

        var old = blob.WithVersion(first.Value.VersionId);
        Assert.Equal("one", await ReadAsync(old));
        var oldProperties = await old.GetPropertiesAsync();
        Assert.False(oldProperties.Value.IsLatestVersion);
        Assert.Equal(first.Value.VersionId, oldProperties.Value.VersionId);

        // The current version named by its id is the current blob.
        Assert.True((await blob.WithVersion(second.Value.VersionId).GetPropertiesAsync()).Value.IsLatestVersion);

        var metadata = await blob.SetMetadataAsync(new Dictionary<string, string> { ["stage"] = "final" });
        Assert.NotNull(metadata.Value.VersionId);
        Assert.NotEqual(second.Value.VersionId, metadata.Value.VersionId);
        Assert.Equal("two", await ReadAsync(blob.WithVersion(second.Value.VersionId)));
        Assert.Empty((await blob.WithVersion(second.Value.VersionId).GetPropertiesAsync()).Value.Metadata);
    }

    [Fact]
    public async Task Delete_leaves_no_current_version_and_a_copy_of_an_old_version_promotes_it()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("report.csv");
        var first = await blob.UploadAsync(Text("v1"));
        var second = await blob.UploadAsync(Text("v2"), overwrite: true);
        await blob.DeleteAsync();
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.GetPropertiesAsync());

        var versions = new List<BlobItem>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { States = BlobStates.Version }))
        {
            versions.Add(item);
        }

        Assert.Equal([first.Value.VersionId, second.Value.VersionId], versions.Select(item => item.VersionId));
        Assert.All(versions, item => Assert.NotEqual(true, item.IsLatestVersion));

        var copy = await blob.StartCopyFromUriAsync(blob.WithVersion(first.Value.VersionId).Uri);
        await copy.WaitForCompletionAsync();
        Assert.Equal("v1", await ReadAsync(blob));
        var promoted = await blob.GetPropertiesAsync();
        Assert.True(promoted.Value.IsLatestVersion);
        Assert.NotEqual(first.Value.VersionId, promoted.Value.VersionId);

        var sync = await blob.SyncCopyFromUriAsync(blob.WithVersion(second.Value.VersionId).Uri);
        Assert.Equal(CopyStatus.Success, sync.Value.CopyStatus);
        Assert.Equal("v2", await ReadAsync(blob));
    }

    [Fact]
    public async Task Deleting_a_previous_version_removes_it_and_unknown_versions_are_404()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("a");
        var first = await blob.UploadAsync(Text("1"));
        await blob.UploadAsync(Text("2"), overwrite: true);

        var deleted = await blob.WithVersion(first.Value.VersionId).DeleteAsync();
        Assert.Equal(202, deleted.Status);
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.WithVersion(first.Value.VersionId).DownloadContentAsync());
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.WithVersion(first.Value.VersionId).DeleteAsync());
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.WithVersion("2020-01-01T00:00:00.0000000Z").GetPropertiesAsync());
        Assert.Equal("2", await ReadAsync(blob));

        using var raw = new RawClient(fixture.Server);
        var malformed = await raw.SendAsync(HttpMethod.Get, DataProtectionFixture.Versioned, $"/{container.Name}/a?versionid=yesterday", fixture.SignerFor(DataProtectionFixture.Versioned));
        AzureAssert.Status(malformed, 400, "InvalidQueryParameterValue");
    }

    [Fact]
    public async Task Listing_versions_pages_through_one_names_versions_in_order()
    {
        var container = await NewContainerAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await container.GetBlobClient("many").UploadAsync(Text($"n{i}"), overwrite: true)).Value.VersionId);
        }

        await container.GetBlobClient("next").UploadAsync(Text("x"));
        var listed = new List<(string Name, string VersionId, bool? Latest)>();
        await foreach (var page in container.GetBlobsAsync(new GetBlobsOptions { States = BlobStates.Version }).AsPages(pageSizeHint: 2))
        {
            Assert.True(page.Values.Count <= 2);
            listed.AddRange(page.Values.Select(item => (item.Name, item.VersionId, item.IsLatestVersion)));
        }

        Assert.Equal([.. ids, listed[^1].VersionId], listed.Select(item => item.VersionId));
        Assert.Equal(["many", "many", "many", "many", "many", "next"], listed.Select(item => item.Name));
        Assert.Equal([false, false, false, false, true, true], listed.Select(item => item.Latest == true));

        var plain = new List<string>();
        await foreach (var item in container.GetBlobsAsync())
        {
            plain.Add(item.Name);
        }

        Assert.Equal(["many", "next"], plain);
    }

    [Fact]
    public async Task A_legal_hold_refuses_delete_but_an_overwrite_keeps_the_held_version()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("evidence");
        var held = await blob.UploadAsync(Text("original"));
        await fixture.SetBlobLegalHoldAsync(DataProtectionFixture.Versioned, container.Name, "evidence");

        await AzureAssert.FailsAsync(409, "BlobImmutableDueToLegalHold", () => blob.DeleteAsync());
        await blob.UploadAsync(Text("newer"), overwrite: true);
        await AzureAssert.FailsAsync(409, "BlobImmutableDueToLegalHold", () => blob.WithVersion(held.Value.VersionId).DeleteAsync());
        Assert.Equal("original", await ReadAsync(blob.WithVersion(held.Value.VersionId)));
    }

    [Fact]
    public async Task Versions_and_soft_delete_together_soft_delete_a_version_undelete_restores_it_and_permanent_delete_removes_it()
    {
        var container = await NewContainerAsync(DataProtectionFixture.Both);
        var blob = container.GetBlobClient("b");
        var first = await blob.UploadAsync(Text("first"));
        await blob.UploadAsync(Text("second"), overwrite: true);
        var old = blob.WithVersion(first.Value.VersionId);

        await old.DeleteAsync();
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => old.GetPropertiesAsync());
        var listed = new List<BlobItem>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { States = BlobStates.Version | BlobStates.Deleted }))
        {
            listed.Add(item);
        }

        var deletedVersion = Assert.Single(listed, item => item.VersionId == first.Value.VersionId);
        Assert.True(deletedVersion.Deleted);
        Assert.Equal(int.Parse(DataProtectionFixture.SoftDeleteDays, System.Globalization.CultureInfo.InvariantCulture), deletedVersion.Properties.RemainingRetentionDays);
        Assert.NotNull(deletedVersion.Properties.DeletedOn);

        await blob.UndeleteAsync();
        Assert.Equal("first", await ReadAsync(old));
        Assert.Equal("second", await ReadAsync(blob));

        // Permanent delete: only of a soft-deleted version, and only because the account allows it.
        using var raw = new RawClient(fixture.Server);
        var signer = fixture.SignerFor(DataProtectionFixture.Both);
        var path = $"/{container.Name}/b?versionid={Uri.EscapeDataString(first.Value.VersionId)}&deletetype=permanent";
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Delete, DataProtectionFixture.Both, path, signer), 409, "OperationNotAllowed");
        await old.DeleteAsync();
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Delete, DataProtectionFixture.Both, path, signer), 202);
        await blob.UndeleteAsync();
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => old.GetPropertiesAsync());
    }
}
