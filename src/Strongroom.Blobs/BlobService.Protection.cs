using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Blobs;

/// <summary>
/// Azure's safety nets on the data plane (issue 7): container soft delete and Restore Container,
/// List Containers <c>include=deleted</c>, Set Blob Legal Hold, and the DeleteRetentionPolicy of
/// Get/Set Blob Service Properties. Changes of a data-protection setting or a legal hold are
/// recorded whatever the account's data-plane setting, like deletions.
/// </summary>
public sealed partial class BlobService
{
    // FILETIME (100 ns since 1601) of 0001-01-01, the origin of DateTime ticks.
    private const long FileTimeEpochTicks = 504911232000000000;

    private long lastDeletedContainerTicks;

    private IProtectionStore ProtectionStore => (IProtectionStore)store;

    /// <summary>
    /// The version a soft-deleted container gets: as Azure's, 16 hex digits — the deletion time as a
    /// Windows FILETIME — strictly increasing within the process so that two deletions in one tick differ.
    /// </summary>
    internal string NextDeletedContainerVersion(DateTimeOffset now)
    {
        long ticks;
        long observed;
        do
        {
            observed = Volatile.Read(ref lastDeletedContainerTicks);
            ticks = Math.Max(now.UtcTicks, observed + 1);
        }
        while (Interlocked.CompareExchange(ref lastDeletedContainerTicks, ticks, observed) != observed);

        return (ticks - FileTimeEpochTicks).ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Delete Container with container soft delete on: the container and everything under it are
    /// kept under a version until the retention (fixed now) ends, and the name is free at once.
    /// Recorded as DeleteContainer with the version and the purge time.
    /// </summary>
    private async Task SoftDeleteContainerAsync(string account, string container, AccessConditions conditions, int retentionDays, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var version = NextDeletedContainerVersion(now);
        var purgeOn = now.AddDays(retentionDays);
        var entry = await DeletionEntryAsync(
            account,
            BlobOperation.DeleteContainer,
            container,
            null,
            cancellationToken,
            [new("softDelete", "true"), new("deletedContainerVersion", version), new("purgeOn", VersionIds.From(purgeOn))]).ConfigureAwait(false);
        await ProtectionStore.SoftDeleteContainerAsync(
            account,
            container,
            version,
            now,
            purgeOn,
            current =>
            {
                CheckContainerLease(conditions.LeaseId, current, required: true);
                Conditions.CheckWrite(conditions, current.ETag, current.LastModified);
            },
            entry,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Restore Container: the soft-deleted container <paramref name="deletedName"/> of
    /// <paramref name="deletedVersion"/> comes back under its name with everything it held.
    /// ContainerNotDeleted (404 ContainerNotFound) for an unknown or purged version;
    /// ContainerAlreadyExists (409) while a live container has the name.
    /// </summary>
    public async Task<ContainerRecord> RestoreContainerAsync(string account, string deletedName, string deletedVersion, CancellationToken cancellationToken = default)
    {
        RequireContainerName(deletedName);
        if (string.IsNullOrEmpty(deletedVersion))
        {
            throw new StorageException(ErrorCode.ContainerNotDeleted);
        }

        var setting = await DataPlaneLoggingAsync(account, cancellationToken).ConfigureAwait(false);
        return await ProtectionStore.RestoreContainerAsync(
            account,
            deletedName,
            deletedVersion,
            time.GetUtcNow(),
            WriteEntry(account, setting, BlobOperation.RestoreContainer, deletedName, null, [new("deletedContainerVersion", deletedVersion)]),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>List Containers; with <paramref name="includeDeleted"/>, the soft-deleted ones too (in name order, after a live one of the same name).</summary>
    public async Task<ContainerListing> ListContainersAsync(string account, string? prefix, string? marker, int maxResults, bool includeDeleted, CancellationToken cancellationToken = default)
    {
        if (!includeDeleted)
        {
            return await ListContainersAsync(account, prefix, marker, maxResults, cancellationToken).ConfigureAwait(false);
        }

        var page = await ProtectionStore.ListContainersIncludingDeletedAsync(account, prefix ?? string.Empty, string.IsNullOrEmpty(marker) ? null : marker, ClampPage(maxResults), cancellationToken).ConfigureAwait(false);
        var setting = await DataPlaneLoggingAsync(account, cancellationToken).ConfigureAwait(false);
        await RecordReadAsync(account, setting, BlobOperation.ListContainers, null, null, cancellationToken).ConfigureAwait(false);
        return new ContainerListing(page.Containers, page.NextName) { Deleted = page.Deleted };
    }

    /// <summary>
    /// Set Blob Legal Hold on the current blob or on a previous version. Azure asks for version-level
    /// immutability on the container first; here any container takes it (there is no immutability
    /// policy to enable). Always recorded.
    /// </summary>
    public async Task SetBlobLegalHoldAsync(string account, string container, string blob, string? versionId, bool legalHold, CancellationToken cancellationToken = default)
    {
        RequireContainerName(container);
        RequireBlobName(blob);
        IReadOnlyList<KeyValuePair<string, string>> details = versionId is null
            ? [new("legalHold", legalHold ? "true" : "false")]
            : [new("legalHold", legalHold ? "true" : "false"), new("versionId", versionId)];
        var entry = audit.Entry(account, nameof(BlobOperation.SetBlobLegalHold), Resource(account, container, blob), details: details);
        await ProtectionStore.SetBlobLegalHoldAsync(account, container, blob, versionId, legalHold, entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The account's data-protection settings (Get Blob Service Properties' DeleteRetentionPolicy). AccountNotFound.</summary>
    public async Task<DataProtectionSettings> GetDataProtectionAsync(string account, CancellationToken cancellationToken = default)
    {
        var record = await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false) ?? throw new StorageException(ErrorCode.AccountNotFound);
        await RecordReadAsync(account, record.AuditDataPlane, BlobOperation.GetBlobServiceProperties, null, null, cancellationToken).ConfigureAwait(false);
        return record.DataProtection;
    }

    /// <summary>
    /// Set Blob Service Properties' DeleteRetentionPolicy: <paramref name="blobSoftDeleteDays"/>
    /// (null: off; else 1–365, InvalidDataProtectionSetting) and AllowPermanentDelete. The other
    /// settings are untouched. Always recorded, with the new values.
    /// </summary>
    public async Task<DataProtectionSettings> SetDeleteRetentionPolicyAsync(string account, int? blobSoftDeleteDays, bool allowPermanentDelete, CancellationToken cancellationToken = default)
    {
        if (!DataProtectionSettings.IsValidRetentionDays(blobSoftDeleteDays))
        {
            throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"DeleteRetentionPolicy Days is {Limits.BlobSoftDeleteDaysMin} to {Limits.BlobSoftDeleteDaysMax}.");
        }

        var entry = audit.Entry(
            account,
            nameof(BlobOperation.SetBlobServiceProperties),
            Resource(account),
            details:
            [
                new("blobSoftDeleteDays", blobSoftDeleteDays?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "off"),
                new("allowPermanentDelete", allowPermanentDelete ? "true" : "false"),
            ]);
        return await ProtectionStore.UpdateDataProtectionAsync(
            account,
            current => current with { BlobSoftDeleteDays = blobSoftDeleteDays, AllowPermanentDelete = allowPermanentDelete },
            entry,
            cancellationToken).ConfigureAwait(false);
    }
}
