using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>One archived instance of a blob (<c>blob_instances</c>), by its key.</summary>
public sealed record BlobInstanceKey(string Account, string Container, string Blob, string InstanceId);

/// <summary>A soft-deleted container: its internal name (<see cref="VersionIds.DeletedContainerKey"/>) and the name it had.</summary>
public sealed record DeletedContainerKey(string Account, string InternalName, string DeletedName);

/// <summary>What one purge of blob instances removed: the objects whose keys went with their rows, with every copy.</summary>
public sealed record InstancePurge(int Instances, IReadOnlyList<StoredObject> Removed);

/// <summary>A destruction just committed and the objects it removed (their keys are gone; their copies are tombstoned).</summary>
public sealed record DestructionCommit(DestructionRecord Destruction, IReadOnlyList<StoredObject> Removed);

/// <summary>
/// Crypto-shredding in the metadata store (issue 7, docs/destruction.md). Every method is one
/// transaction with its transparency-log entry. Keys first: a destruction erases the wrapped keys
/// (data keys with their <c>objects</c> rows, KEKs, scope KEKs, vault items) and records one
/// <c>site_tombstones</c> row per copy carrying its id in the same commit, so no ciphertext is
/// removed from a site before the keys that could read it are gone. A destruction, like every
/// write that erases wrapped keys, returns only after the store checkpointed and truncated its
/// write-ahead log, so no page image of an erased key survives there (secure_delete zeroes the
/// database pages).
/// </summary>
public interface IDestructionStore
{
    /// <summary>Soft-deleted blob instances whose retention ended at <paramref name="now"/>, not under a legal hold (of the instance or its container), oldest first.</summary>
    Task<IReadOnlyList<BlobInstanceKey>> ListInstancesDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>Soft-deleted containers whose retention ended at <paramref name="now"/>, with no legal hold on them or anything in them, oldest first.</summary>
    Task<IReadOnlyList<DeletedContainerKey>> ListContainersDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Purges soft-deleted instances (rows and parts; objects no longer referenced go with their
    /// wrapped data keys and are returned for their copies to be deleted). Only instances with a
    /// deletion time are touched; a legal hold (the instance's or its container's) refuses the
    /// whole call with BlobImmutableDueToLegalHold. BlobNotFound when none of them exists.
    /// </summary>
    Task<InstancePurge> PurgeBlobInstancesAsync(IReadOnlyList<BlobInstanceKey> instances, AuditAppend audit, CancellationToken cancellationToken = default);

    /// <summary>The soft-deleted instances (with a deletion time) of one blob.</summary>
    Task<IReadOnlyList<BlobInstanceKey>> ListDeletedInstancesAsync(string account, string container, string blob, CancellationToken cancellationToken = default);

    /// <summary>
    /// Destroys a container (kind ContainerPurge) in one transaction: every metadata row and every
    /// objects row (wrapped data key) of <paramref name="container"/> (a live name, or a soft-deleted
    /// container's internal name), one tombstone per copy carrying <paramref name="destructionId"/>,
    /// the destructions row and its entry (built from the record by <paramref name="destructionEntry"/>,
    /// its index recorded). <paramref name="operationEntry"/>, when given (a Delete Container), is
    /// appended first. ContainerNotFound; ContainerImmutableDueToLegalHold / BlobImmutableDueToLegalHold
    /// when anything in it is held.
    /// </summary>
    Task<DestructionCommit> DestroyContainerAsync(
        string account,
        string container,
        string scope,
        string destructionId,
        DateTimeOffset now,
        Action<ContainerRecord>? precondition,
        AuditAppend? operationEntry,
        Func<DestructionRecord, AuditAppend> destructionEntry,
        CancellationToken cancellationToken = default);

    /// <summary>Enabled → Closed (closed_on, destroy_after). AccountNotFound; InvalidAccountState unless Enabled.</summary>
    Task<AccountRecord> CloseAccountAsync(string account, DateTimeOffset closedOn, DateTimeOffset destroyAfter, AuditAppend audit, CancellationToken cancellationToken = default);

    /// <summary>Closed → Enabled before its destroy_after. AccountNotFound; InvalidAccountState otherwise.</summary>
    Task<AccountRecord> ReopenAccountAsync(string account, DateTimeOffset now, AuditAppend audit, CancellationToken cancellationToken = default);

    /// <summary>Closed accounts whose grace period ended at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<AccountRecord>> ListAccountsDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Destroys a closed account (kind AccountClosure) in one transaction: every account KEK version,
    /// the wrapped shared keys (emptied), every scope KEK, every container, blob, instance, block and
    /// object row (wrapped data keys), its vault items (purged now, or soft-deleted until their
    /// recoverable period ends when the vault has purge protection), one tombstone per copy; state
    /// Destroyed. The row, its tenant administrators and its log stay. AccountNotFound;
    /// InvalidAccountState unless Closed; ContainerImmutableDueToLegalHold while anything is held.
    /// </summary>
    Task<DestructionCommit> DestroyAccountAsync(string account, string destructionId, DateTimeOffset now, Func<DestructionRecord, AuditAppend> destructionEntry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Purges the vault items of destroyed accounts whose recoverable period ended, marks their keys
    /// destroyed in the account's destruction, and appends <paramref name="entry"/>'s entry per
    /// destruction changed, which is owed one more certificate revision. Returns the destructions changed.
    /// </summary>
    Task<IReadOnlyList<DestructionRecord>> PurgeDueVaultItemsAsync(DateTimeOffset now, Func<DestructionRecord, IReadOnlyList<DestroyedKey>, AuditAppend> entry, CancellationToken cancellationToken = default);

    Task<DestructionRecord?> GetDestructionAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>An account's destructions, oldest first.</summary>
    Task<IReadOnlyList<DestructionRecord>> ListDestructionsAsync(string account, CancellationToken cancellationToken = default);

    /// <summary>Every destruction still sweeping.</summary>
    Task<IReadOnlyList<DestructionRecord>> ListSweepingDestructionsAsync(CancellationToken cancellationToken = default);

    /// <summary>The copies a destruction still owes to <paramref name="siteId"/> (its tombstones), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<SiteObject>> ListDestructionTombstonesAsync(string destructionId, string siteId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks each site of the destruction with no tombstone left as swept (at <paramref name="now"/>);
    /// when none is left anywhere, the destruction becomes Complete, <paramref name="completionEntry"/>'s
    /// entry is appended (its index recorded) and one more certificate revision is owed. Returns the record as it is now.
    /// </summary>
    Task<DestructionRecord> UpdateSweepAsync(string destructionId, DateTimeOffset now, Func<DestructionRecord, AuditAppend> completionEntry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Destructions owed a certificate revision: fewer stored than the events that need one (the
    /// keys destroyed, the sweep complete, customer-managed keys purged later), each counted in its
    /// own event's transaction (migration 11, <c>revisions_due</c>).
    /// </summary>
    Task<IReadOnlyList<DestructionRecord>> ListCertificatesOwedAsync(CancellationToken cancellationToken = default);

    /// <summary>Checkpoints and truncates the write-ahead log now: the destruction service calls it at the end of a pass or an immediate destruction, so the log is also empty of the pass's own later writes.</summary>
    Task TruncateWriteAheadLogAsync(CancellationToken cancellationToken = default);
}
