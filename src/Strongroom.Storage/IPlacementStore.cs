using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Where copies are, and what is owed: the metadata half of placement and replication. A copy is
/// a row (object, site, state); the durable outbox of asynchronous copies and the repair queue are
/// the rows in state Pending or Bad. Objects are written with their copies by
/// <see cref="IMetadataStore.CommitBlobAsync"/> / <see cref="IMetadataStore.PutUncommittedBlockAsync"/>
/// and dropped with them by the deletes (which return every copy, so the caller can delete each).
/// Same contract as <see cref="IMetadataStore"/>: every method is atomic; an <see cref="AuditAppend"/>
/// commits with the change it describes.
/// </summary>
public interface IPlacementStore
{
    // Policies

    /// <summary>Replaces the account's placement policy. AccountNotFound.</summary>
    Task SetAccountPlacementAsync(string account, PlacementPolicy policy, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>Sets (or with null clears) a container's own redundancy and returns the container. ContainerNotFound.</summary>
    Task<ContainerRecord> SetContainerRedundancyAsync(string account, string container, Redundancy? redundancy, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    // Sites: the administrator's durable decisions (drain, remove) override the topology file's state.

    Task<IReadOnlyDictionary<string, SiteState>> GetSiteStatesAsync(CancellationToken cancellationToken = default);

    /// <summary>Records the administrator's decision about a site; the time recorded is the audit entry's (unknown without one).</summary>
    Task SetSiteStateAsync(string siteId, SiteState state, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>Records the administrator's decision about a site, made at <paramref name="changedOn"/>.</summary>
    Task SetSiteStateAsync(string siteId, SiteState state, DateTimeOffset changedOn, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    // Copies

    /// <summary>
    /// Copies in state Pending or Bad, in (object id, site id) order strictly after
    /// <paramref name="after"/> (null: from the start), at most <paramref name="limit"/>; each with its
    /// object (all its copies) and the blob that owns it.
    /// </summary>
    Task<IReadOnlyList<CopyWork>> ListCopiesNeedingWorkAsync(SiteObject? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>Objects with a copy (any state) on the site, in object id order after <paramref name="afterObjectId"/>.</summary>
    Task<IReadOnlyList<ObjectOwner>> ListObjectsOnSiteAsync(string siteId, string? afterObjectId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Every object, in object id order after <paramref name="afterObjectId"/> (scrub, policy convergence).</summary>
    Task<IReadOnlyList<ObjectOwner>> ListObjectsAsync(string? afterObjectId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies copy changes in one transaction (at most <see cref="Limits.RepairBatchMax"/>). Each is
    /// a compare-and-swap on one copy: it applies only when the object still exists and the copy's
    /// current state equals <see cref="CopyChange.Expected"/> (null: the copy must not exist);
    /// <see cref="CopyChange.New"/> null removes the copy. A skipped change appends nothing; an
    /// applied one appends its <see cref="CopyChange.Audit"/>. Returns, per change, whether it applied.
    /// </summary>
    Task<IReadOnlyList<bool>> ChangeCopiesAsync(IReadOnlyList<CopyChange> changes, CancellationToken cancellationToken = default);

    // Tombstones: deletions owed to sites that could not take them when the object was dropped.

    Task AddTombstonesAsync(IReadOnlyList<SiteObject> tombstones, DateTimeOffset createdOn, CancellationToken cancellationToken = default);

    /// <summary>Tombstones (of one site, or of all with null) in (site, object) order, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<SiteObject>> ListTombstonesAsync(string? siteId, int limit, CancellationToken cancellationToken = default);

    Task RemoveTombstonesAsync(IReadOnlyList<SiteObject> tombstones, CancellationToken cancellationToken = default);

    // Reporting

    /// <summary>Owed work and per-site copy counts (every site that has a copy or a tombstone).</summary>
    Task<PlacementBacklog> GetPlacementBacklogAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The oldest <see cref="StoredObject.CreatedOn"/> among the account's objects that have a
    /// Pending copy on one of <paramref name="siteIds"/>; null when none (everything replicated).
    /// </summary>
    Task<DateTimeOffset?> GetOldestPendingCopyAsync(string account, IReadOnlyCollection<string> siteIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Committed blobs of the account (optionally of one container, and optionally only the blob
    /// named exactly <paramref name="blob"/>) in (container, name) order after <paramref name="marker"/>,
    /// at most <paramref name="limit"/>, each with the objects of its parts and their copies.
    /// </summary>
    Task<BlobLocationPage> ListBlobLocationsAsync(string account, string? container, string? blob, BlobLocationMarker? marker, int limit, CancellationToken cancellationToken = default);

    /// <summary>Per site: the account's objects (committed and staged) with a copy there, by state, and their ciphertext bytes.</summary>
    Task<IReadOnlyList<SiteCopyCounts>> GetAccountSiteUsageAsync(string account, CancellationToken cancellationToken = default);
}

/// <summary>A stored object and the blob that references it (a committed part or a staged block); the names are null when nothing references it.</summary>
public sealed record ObjectOwner(StoredObject Object, string? Account, string? Container, string? Blob);

public sealed record CopyWork(ObjectOwner Owner, ObjectCopy Copy);

/// <summary>
/// A compare-and-swap on one copy. <see cref="TransferId"/> is recorded only when the change creates
/// the copy (Expected null): the approved transfer it is made under; a later state change keeps it.
/// </summary>
public sealed record CopyChange(string ObjectId, string SiteId, CopyState? Expected, CopyState? New, AuditAppend? Audit = null, string? TransferId = null);

public sealed record SiteObject(string SiteId, string ObjectId);

public sealed record SiteCopyCounts(string SiteId, long Present, long Pending, long Bad, long PresentCiphertextBytes);

public sealed record PlacementBacklog(long PendingCopies, long BadCopies, long Tombstones, IReadOnlyList<SiteCopyCounts> Sites);

public sealed record BlobLocation(string Container, string Blob, long ContentLength, IReadOnlyList<StoredObject> Objects);

public sealed record BlobLocationMarker(string Container, string Blob);

public sealed record BlobLocationPage(IReadOnlyList<BlobLocation> Blobs, BlobLocationMarker? NextMarker);
