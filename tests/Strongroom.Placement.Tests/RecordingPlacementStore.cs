using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement.Tests;

/// <summary>The parts of <see cref="IPlacementStore"/> the data path calls, recorded in memory (and failing on demand); the rest is not expected.</summary>
internal sealed class RecordingPlacementStore : IPlacementStore
{
    public List<CopyChange> Changes { get; } = [];

    public List<SiteObject> Tombstones { get; } = [];

    public bool Fail { get; set; }

    public Task<IReadOnlyList<bool>> ChangeCopiesAsync(IReadOnlyList<CopyChange> changes, CancellationToken cancellationToken = default)
    {
        if (Fail)
        {
            throw new InvalidOperationException("the store is unavailable");
        }

        Changes.AddRange(changes);
        return Task.FromResult<IReadOnlyList<bool>>(changes.Select(_ => true).ToList());
    }

    public Task AddTombstonesAsync(IReadOnlyList<SiteObject> tombstones, DateTimeOffset createdOn, CancellationToken cancellationToken = default)
    {
        if (Fail)
        {
            throw new InvalidOperationException("the store is unavailable");
        }

        Tombstones.AddRange(tombstones);
        return Task.CompletedTask;
    }

    private static NotSupportedException Unexpected() => new("Not used by the data path.");

    public Task SetAccountPlacementAsync(string account, PlacementPolicy policy, AuditAppend? audit = null, CancellationToken cancellationToken = default) => throw Unexpected();

    public Task<ContainerRecord> SetContainerRedundancyAsync(string account, string container, Redundancy? redundancy, AuditAppend? audit = null, CancellationToken cancellationToken = default) => throw Unexpected();

    /// <summary>The durable site states (none: the topology file's); placement reads them before every write.</summary>
    public Dictionary<string, SiteState> SiteStates { get; } = new(StringComparer.Ordinal);

    public Task<IReadOnlyDictionary<string, SiteState>> GetSiteStatesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyDictionary<string, SiteState>>(new Dictionary<string, SiteState>(SiteStates, StringComparer.Ordinal));

    public Task SetSiteStateAsync(string siteId, SiteState state, AuditAppend? audit = null, CancellationToken cancellationToken = default) => throw Unexpected();

    public Task SetSiteStateAsync(string siteId, SiteState state, DateTimeOffset changedOn, AuditAppend? audit = null, CancellationToken cancellationToken = default) => throw Unexpected();

    public Task<IReadOnlyList<CopyWork>> ListCopiesNeedingWorkAsync(SiteObject? after, int limit, CancellationToken cancellationToken = default) => throw Unexpected();

    public Task<IReadOnlyList<ObjectOwner>> ListObjectsOnSiteAsync(string siteId, string? afterObjectId, int limit, CancellationToken cancellationToken = default) => throw Unexpected();

    public Task<IReadOnlyList<ObjectOwner>> ListObjectsAsync(string? afterObjectId, int limit, CancellationToken cancellationToken = default) => throw Unexpected();

    public Task<IReadOnlyList<SiteObject>> ListTombstonesAsync(string? siteId, int limit, CancellationToken cancellationToken = default) => throw Unexpected();

    public Task RemoveTombstonesAsync(IReadOnlyList<SiteObject> tombstones, CancellationToken cancellationToken = default) => throw Unexpected();

    public Task<PlacementBacklog> GetPlacementBacklogAsync(CancellationToken cancellationToken = default) => throw Unexpected();

    public Task<DateTimeOffset?> GetOldestPendingCopyAsync(string account, IReadOnlyCollection<string> siteIds, CancellationToken cancellationToken = default) => throw Unexpected();

    public Task<BlobLocationPage> ListBlobLocationsAsync(string account, string? container, string? blob, BlobLocationMarker? marker, int limit, CancellationToken cancellationToken = default) => throw Unexpected();

    public Task<IReadOnlyList<SiteCopyCounts>> GetAccountSiteUsageAsync(string account, CancellationToken cancellationToken = default) => throw Unexpected();
}
