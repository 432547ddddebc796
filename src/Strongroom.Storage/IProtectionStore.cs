using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Container soft delete, legal holds and the account's data-protection settings (issue 7).
/// Same contract as <see cref="IMetadataStore"/>: every method is atomic and appends its
/// <c>audit</c> entry in the same transaction.
/// </summary>
public interface IProtectionStore
{
    /// <summary>
    /// Soft-deletes a live container: in one transaction its rows and everything under it move to
    /// <see cref="VersionIds.DeletedContainerKey"/>(name, <paramref name="version"/>), kept until
    /// <paramref name="purgeOn"/>; the name is free at once. ContainerNotFound; legal holds refuse it
    /// (ContainerImmutableDueToLegalHold); ContainerBeingDeleted when the version is taken.
    /// </summary>
    Task<DeletedContainer> SoftDeleteContainerAsync(string account, string name, string version, DateTimeOffset deletedOn, DateTimeOffset purgeOn, Action<ContainerRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>Restores a soft-deleted container under its name. ContainerNotDeleted when there is no such
    /// deleted container (unknown version, purged, or its retention ended before <paramref name="now"/>);
    /// ContainerAlreadyExists when a live container has the name.</summary>
    Task<ContainerRecord> RestoreContainerAsync(string account, string name, string version, DateTimeOffset now, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>A soft-deleted container, or null.</summary>
    Task<DeletedContainer?> GetDeletedContainerAsync(string account, string name, string version, CancellationToken cancellationToken = default);

    /// <summary>
    /// Live and soft-deleted containers with the prefix in name order (a live container before the
    /// deleted ones of its name, those by version), starting at <paramref name="startAtInclusive"/>,
    /// an opaque position this method returned as <see cref="ContainerListPage.NextName"/> (or a name).
    /// </summary>
    Task<ContainerListPage> ListContainersIncludingDeletedAsync(string account, string prefix, string? startAtInclusive, int limit, CancellationToken cancellationToken = default);

    /// <summary>Replaces a live container's legal-hold tags with what <paramref name="update"/> makes of them (empty: no hold). ContainerNotFound.</summary>
    Task<ContainerRecord> UpdateContainerLegalHoldAsync(string account, string container, Func<IReadOnlyList<string>, IReadOnlyList<string>> update, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>Sets or clears the legal hold of the current blob, or of its previous version <paramref name="versionId"/>. BlobNotFound / VersionNotFound.</summary>
    Task SetBlobLegalHoldAsync(string account, string container, string blob, string? versionId, bool legalHold, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>Read-modify-write of the account's data-protection settings in one transaction; returns the new settings.
    /// AccountNotFound; InvalidDataProtectionSetting when a retention is outside 1–365 days.</summary>
    Task<DataProtectionSettings> UpdateDataProtectionAsync(string account, Func<DataProtectionSettings, DataProtectionSettings> update, AuditAppend? audit = null, CancellationToken cancellationToken = default);
}

/// <summary>One page of a listing with deleted containers: each list in name order; <see cref="NextName"/> is where the next page starts.</summary>
public sealed record ContainerListPage(IReadOnlyList<ContainerRecord> Containers, IReadOnlyList<DeletedContainer> Deleted, string? NextName);
