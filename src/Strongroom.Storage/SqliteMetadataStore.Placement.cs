using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>Copies, tombstones, site states and placement policies (<see cref="IPlacementStore"/>).</summary>
public sealed partial class SqliteMetadataStore : IPlacementStore
{
    private static NotImplementedException Owed() => new("TODO(issue 5): the store helper implements IPlacementStore.");

    public Task SetAccountPlacementAsync(string account, PlacementPolicy policy, AuditAppend? audit = null, CancellationToken cancellationToken = default) => throw Owed();

    public Task<ContainerRecord> SetContainerRedundancyAsync(string account, string container, Redundancy? redundancy, AuditAppend? audit = null, CancellationToken cancellationToken = default) => throw Owed();

    public Task<IReadOnlyDictionary<string, SiteState>> GetSiteStatesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyDictionary<string, SiteState>>(new Dictionary<string, SiteState>());

    public Task SetSiteStateAsync(string siteId, SiteState state, AuditAppend? audit = null, CancellationToken cancellationToken = default) => throw Owed();

    public Task<IReadOnlyList<CopyWork>> ListCopiesNeedingWorkAsync(SiteObject? after, int limit, CancellationToken cancellationToken = default) => throw Owed();

    public Task<IReadOnlyList<ObjectOwner>> ListObjectsOnSiteAsync(string siteId, string? afterObjectId, int limit, CancellationToken cancellationToken = default) => throw Owed();

    public Task<IReadOnlyList<ObjectOwner>> ListObjectsAsync(string? afterObjectId, int limit, CancellationToken cancellationToken = default) => throw Owed();

    public Task<IReadOnlyList<bool>> ChangeCopiesAsync(IReadOnlyList<CopyChange> changes, CancellationToken cancellationToken = default) => throw Owed();

    public Task AddTombstonesAsync(IReadOnlyList<SiteObject> tombstones, DateTimeOffset createdOn, CancellationToken cancellationToken = default) => throw Owed();

    public Task<IReadOnlyList<SiteObject>> ListTombstonesAsync(string? siteId, int limit, CancellationToken cancellationToken = default) => throw Owed();

    public Task RemoveTombstonesAsync(IReadOnlyList<SiteObject> tombstones, CancellationToken cancellationToken = default) => throw Owed();

    public Task<PlacementBacklog> GetPlacementBacklogAsync(CancellationToken cancellationToken = default) => throw Owed();

    public Task<DateTimeOffset?> GetOldestPendingCopyAsync(string account, IReadOnlyCollection<string> siteIds, CancellationToken cancellationToken = default) => throw Owed();

    public Task<BlobLocationPage> ListBlobLocationsAsync(string account, string? container, string? blob, BlobLocationMarker? marker, int limit, CancellationToken cancellationToken = default) => throw Owed();

    public Task<IReadOnlyList<SiteCopyCounts>> GetAccountSiteUsageAsync(string account, CancellationToken cancellationToken = default) => throw Owed();
}
