using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// The secondary endpoint (<c>ACCOUNT-secondary</c>, path style) of the real server through the
/// Azure SDK. The development account has the deployment's default policy (LRS in cn-east), so its
/// secondary answers as Azure's does for an account without read-access geo-redundancy; RA-GRS
/// accounts created for a test are read there.
/// </summary>
public sealed class SecondaryEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private BlobServiceClient Secondary(BlobClientOptions? options = null) => new(
        new Uri(fixture.Server.Endpoint, StrongroomProcess.DevAccountName + "-secondary"),
        new StorageSharedKeyCredential(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey),
        options ?? Clients.Options());

    [Fact]
    public async Task Get_blob_service_stats_on_the_primary_is_refused_as_azure_refuses_it()
    {
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => fixture.Service.GetStatisticsAsync());

        Assert.Equal(400, failure.Status);
        Assert.Equal("InvalidQueryParameterValue", failure.ErrorCode);
    }

    [Fact]
    public async Task An_account_without_read_access_geo_redundancy_cannot_be_read_on_its_secondary()
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("primary"));
        await container.CreateAsync();

        var stats = await Assert.ThrowsAsync<RequestFailedException>(() => Secondary().GetStatisticsAsync());
        var read = await Assert.ThrowsAsync<RequestFailedException>(() => Secondary().GetBlobContainerClient(container.Name).GetPropertiesAsync());

        foreach (var failure in new[] { stats, read })
        {
            Assert.Equal(403, failure.Status);
            Assert.Equal("InsufficientAccountPermissions", failure.ErrorCode);
        }
    }

    [Fact]
    public async Task Writes_on_the_secondary_are_refused_and_change_nothing()
    {
        var name = TestNames.Container("secondary-write");

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => Secondary().GetBlobContainerClient(name).CreateAsync());

        Assert.Equal(403, failure.Status);
        Assert.Equal("InsufficientAccountPermissions", failure.ErrorCode);
        Assert.Contains("Write operations to the secondary location are not allowed.", failure.Message, StringComparison.Ordinal);
        Assert.False(await fixture.Service.GetBlobContainerClient(name).ExistsAsync());
    }

    [Fact]
    public async Task An_ra_grs_account_is_read_on_its_secondary_and_reports_its_last_sync_time()
    {
        var (account, key) = await GeoAccountAsync("rageo1");
        var primary = new BlobServiceClient(fixture.Server.AccountUri(account), new StorageSharedKeyCredential(account, key), Clients.Options());
        var container = primary.GetBlobContainerClient(TestNames.Container("geo"));
        await container.CreateAsync();
        await container.GetBlobClient("a.txt").UploadAsync(BinaryData.FromString("geo"));
        var secondary = new BlobServiceClient(new Uri(fixture.Server.Endpoint, account + "-secondary"), new StorageSharedKeyCredential(account, key), Clients.Options());

        var stats = await secondary.GetStatisticsAsync();
        var read = await secondary.GetBlobContainerClient(container.Name).GetBlobClient("a.txt").DownloadContentAsync();

        Assert.Equal(BlobGeoReplicationStatus.Live, stats.Value.GeoReplication.Status);
        Assert.NotNull(stats.Value.GeoReplication.LastSyncedOn);
        Assert.Equal("geo", read.Value.Content.ToString());
    }

    /// <summary>An RA-GRS account on the development topology (cn-east, secondary cn-north).</summary>
    private async Task<(string Account, string Key)> GeoAccountAsync(string name)
    {
        var created = await fixture.Server.RunCliAsync("account", "create", name, "--redundancy", "RA-GRS");
        return (name, AccountKeys.Parse(created).Key1);
    }
}
