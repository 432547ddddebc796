using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>Legal holds: Set Blob Legal Hold through the SDK, container holds through the CLI, and the container delete they refuse (issue 7).</summary>
public sealed class LegalHoldTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    BlobServiceClient Service => fixture.Service;

    [Fact]
    public async Task A_blob_legal_hold_shows_on_reads_and_listings_and_blocks_the_container_delete()
    {
        var container = Service.GetBlobContainerClient(TestNames.Container("blobhold"));
        await container.CreateAsync();
        var blob = container.GetBlobClient("evidence.txt");
        await blob.UploadAsync(BinaryData.FromString("evidence"));

        var set = await blob.SetLegalHoldAsync(true);

        Assert.True(set.Value.HasLegalHold);
        Assert.True((await blob.GetPropertiesAsync()).Value.HasLegalHold);
        Assert.True((await blob.DownloadContentAsync()).Value.Details.HasLegalHold);
        var listed = new List<BlobItem>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.LegalHold }))
        {
            listed.Add(item);
        }

        Assert.True(Assert.Single(listed).Properties.HasLegalHold);
        await AzureAssert.FailsAsync(409, "ContainerHasLegalHold", () => container.DeleteAsync());

        Assert.False((await blob.SetLegalHoldAsync(false)).Value.HasLegalHold);
        Assert.False((await blob.GetPropertiesAsync()).Value.HasLegalHold);
        await container.DeleteAsync();
    }

    [Fact]
    public async Task A_container_legal_hold_set_with_the_cli_refuses_delete_until_cleared()
    {
        var name = TestNames.Container("contdhold");
        var container = Service.GetBlobContainerClient(name);
        await container.CreateAsync();

        var set = await fixture.Server.RunCliAsync("container", "legal-hold", "set", StrongroomProcess.DevAccountName, name, "--tag", "Case2026", "--tag", "audit7");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("case2026, audit7", set.StandardOutput, StringComparison.Ordinal);

        Assert.True((await container.GetPropertiesAsync()).Value.HasLegalHold);
        var listed = new List<BlobContainerItem>();
        await foreach (var item in Service.GetBlobContainersAsync(prefix: name))
        {
            listed.Add(item);
        }

        Assert.True(Assert.Single(listed).Properties.HasLegalHold);
        await AzureAssert.FailsAsync(409, "ContainerHasLegalHold", () => container.DeleteAsync());

        var clearOne = await fixture.Server.RunCliAsync("container", "legal-hold", "clear", StrongroomProcess.DevAccountName, name, "--tag", "case2026");
        Assert.True(clearOne.ExitCode == 0, clearOne.ToString());
        await AzureAssert.FailsAsync(409, "ContainerHasLegalHold", () => container.DeleteAsync());

        var clearAll = await fixture.Server.RunCliAsync("container", "legal-hold", "clear", StrongroomProcess.DevAccountName, name, "--tag", "audit7");
        Assert.True(clearAll.ExitCode == 0, clearAll.ToString());
        Assert.Contains("no legal hold", clearAll.StandardOutput, StringComparison.Ordinal);
        Assert.False((await container.GetPropertiesAsync()).Value.HasLegalHold);
        await container.DeleteAsync();
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("has-dash")]
    [InlineData("abcdefghijklmnopqrstuvwx")]
    public async Task Invalid_tags_are_refused(string tag)
    {
        var name = TestNames.Container("badtag");
        await Service.GetBlobContainerClient(name).CreateAsync();

        var result = await fixture.Server.RunCliAsync("container", "legal-hold", "set", StrongroomProcess.DevAccountName, name, "--tag", tag);

        Assert.NotEqual(0, result.ExitCode);
        Assert.False((await Service.GetBlobContainerClient(name).GetPropertiesAsync()).Value.HasLegalHold);
    }
}
