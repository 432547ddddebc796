using Strongroom.Core;

namespace Strongroom.Blobs;

/// <summary>The state of an account's secondary region, as Get Blob Service Stats reports it.</summary>
public enum GeoReplicationStatus
{
    /// <summary>The secondary region is reachable and replicated up to <see cref="GeoReplicationStats.LastSyncTime"/>.</summary>
    Live = 0,

    /// <summary>Initial replication in progress (Azure's word; this server never reports it: copies are owed per object, not per account).</summary>
    Bootstrap = 1,

    /// <summary>No site of the secondary region is reachable now; the last sync time is then unknown.</summary>
    Unavailable = 2,
}

/// <summary>Get Blob Service Stats: the secondary region's status and Azure's Last Sync Time (null when unknown).</summary>
public sealed record GeoReplicationStats(GeoReplicationStatus Status, DateTimeOffset? LastSyncTime);

/// <summary>The blob service's part of placement: the secondary endpoint's rules.</summary>
public sealed partial class BlobService
{
    /// <summary>
    /// Throws SecondaryNotAvailable unless the account can be read on its secondary endpoint
    /// (RA-GRS or RA-GZRS, as Azure; a custom redundancy has no read-access secondary).
    /// AccountNotFound when the account does not exist.
    /// </summary>
    public async Task RequireReadableSecondaryAsync(string account, CancellationToken cancellationToken = default)
    {
        var record = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        RequireReadableSecondary(record);
    }

    /// <summary>
    /// Get Blob Service Stats (secondary endpoint only): <see cref="GeoReplicationStatus.Live"/>
    /// with the last sync time from <see cref="Placement.PlacementService.GetLastSyncTimeAsync"/>, or
    /// <see cref="GeoReplicationStatus.Unavailable"/> with none when no site of the secondary region
    /// is up. SecondaryNotAvailable for an account without read access to its secondary.
    /// Recorded like any read (under the account's <c>all</c> setting).
    /// </summary>
    public async Task<GeoReplicationStats> GetBlobServiceStatsAsync(string account, CancellationToken cancellationToken = default)
    {
        var record = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        var policy = RequireReadableSecondary(record);
        var siteSet = placement.Sites;
        var secondaryUp = siteSet.Sites.Any(site =>
            site.State != SiteState.Removed
            && string.Equals(site.Region, policy.SecondaryRegion, StringComparison.Ordinal)
            && siteSet.IsUp(site.Id));
        GeoReplicationStats stats = secondaryUp
            ? new(GeoReplicationStatus.Live, await placement.GetLastSyncTimeAsync(account, cancellationToken).ConfigureAwait(false))
            : new(GeoReplicationStatus.Unavailable, null);
        await RecordReadAsync(account, record.AuditDataPlane, BlobOperation.GetBlobServiceStats, null, null, cancellationToken).ConfigureAwait(false);
        return stats;
    }

    private PlacementPolicy RequireReadableSecondary(AccountRecord record)
    {
        var policy = placement.Resolve(record);
        if (!policy.Redundancy.ReadableSecondary || policy.SecondaryRegion is null)
        {
            throw new StorageException(ErrorCode.SecondaryNotAvailable, $"Account '{record.Name}' is {policy.Redundancy}: only RA-GRS and RA-GZRS accounts can be read on their secondary endpoint.");
        }

        return policy;
    }
}
