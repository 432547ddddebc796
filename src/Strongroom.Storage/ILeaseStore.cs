using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Leases on containers and current blobs (issue 8; <c>SqlMetadataStore.Leases</c>). The store
/// keeps each lease as facts (<see cref="StoredLease"/>) and attaches it to every container and
/// blob record it reads, so a write's precondition checks the lease inside the write's own
/// transaction. A lease ends with its row: deleting the blob or container removes it.
/// </summary>
public interface ILeaseStore
{
    /// <summary>
    /// One lease action on the current blob: inside one transaction, <paramref name="apply"/> receives
    /// the blob (its <see cref="BlobRecord.Lease"/> attached) and returns the lease to store (null:
    /// none) or throws to abort. Returns the blob with its new lease. ContainerNotFound, BlobNotFound.
    /// </summary>
    Task<BlobRecord> LeaseBlobAsync(string account, string container, string blob, Func<BlobRecord, StoredLease?> apply, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="LeaseBlobAsync"/>, on a container. ContainerNotFound.</summary>
    Task<ContainerRecord> LeaseContainerAsync(string account, string container, Func<ContainerRecord, StoredLease?> apply, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>Put Block whose <paramref name="precondition"/> sees the current blob (null when none) inside the transaction.</summary>
    Task<IReadOnlyList<StoredObject>> PutUncommittedBlockAsync(string account, string container, string blob, UncommittedBlock block, Action<BlobRecord?>? precondition, AuditAppend? audit = null, CancellationToken cancellationToken = default);
}
