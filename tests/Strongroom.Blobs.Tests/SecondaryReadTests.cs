using Strongroom.Core;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// The service's rules for the secondary endpoint on the single-site deployment, whose default
/// policy has no secondary region. Reads of an RA-GRS account and its stats wait on the store
/// (placement persisted) and placement (last sync time) helpers of issue 5.
/// </summary>
public sealed class SecondaryReadTests : IAsyncLifetime
{
    private BlobServiceFixture fixture = null!;

    public async Task InitializeAsync() => fixture = await BlobServiceFixture.CreateAsync();

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    [Fact]
    public async Task An_account_without_read_access_geo_redundancy_has_no_secondary()
    {
        var readable = await Assert.ThrowsAsync<StorageException>(() => fixture.Blobs.RequireReadableSecondaryAsync(BlobServiceFixture.Account));
        var stats = await Assert.ThrowsAsync<StorageException>(() => fixture.Blobs.GetBlobServiceStatsAsync(BlobServiceFixture.Account));

        Assert.Equal(ErrorCode.SecondaryNotAvailable, readable.Code);
        Assert.Equal(ErrorCode.SecondaryNotAvailable, stats.Code);
        Assert.Contains("RA-GRS", readable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_account_is_not_found()
    {
        var failure = await Assert.ThrowsAsync<StorageException>(() => fixture.Blobs.GetBlobServiceStatsAsync("nobody"));

        Assert.Equal(ErrorCode.AccountNotFound, failure.Code);
    }

    [Fact]
    public async Task An_ra_grs_account_is_readable_there_and_reports_unavailable_while_no_secondary_site_is_up()
    {
        // The single-site topology has no site in "north": the secondary region cannot be reached.
        await ((Strongroom.Storage.IPlacementStore)fixture.Store).SetAccountPlacementAsync(
            BlobServiceFixture.Account,
            new PlacementPolicy(["ZZ"], "local", "north", Redundancy.RaGrs));

        await fixture.Blobs.RequireReadableSecondaryAsync(BlobServiceFixture.Account);
        var stats = await fixture.Blobs.GetBlobServiceStatsAsync(BlobServiceFixture.Account);

        Assert.Equal(GeoReplicationStatus.Unavailable, stats.Status);
        Assert.Null(stats.LastSyncTime);
    }
}
